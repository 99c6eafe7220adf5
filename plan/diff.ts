/**
 * The plan diff: what changes between a base plan (e.g. built from the main branch) and the current
 * plan, resource by resource, in the terms `pulumi preview` uses (create, update, replace, delete,
 * same), with every replace or delete of a stateful resource flagged destructive.
 *
 * Pure: two plan JSONs in (the contract in the README), a diff out. No Pulumi runtime.
 *
 * - Resources are matched by URN, as the engine matches them. A renamed resource is a delete plus a
 *   create, unless the new resource carries an alias (`opts.aliases`) naming the old URN (directly or
 *   as a name/type/parent spec), or its parent was matched through an alias (the engine's inherited
 *   parent aliases).
 * - `keys` are the top-level input properties whose value differs, after dropping the paths the new
 *   resource lists in `ignoreChanges` (the engine keeps the old value for those).
 * - A change to a replacement-forcing input (`plan/replacements.ts`) or to a path listed in the new
 *   resource's `replaceOnChanges` is a `replace`.
 * - Unknowns: a value that is `"[unknown]"` in the new plan but known (or absent) in the base is a
 *   computed value that may change at apply time. We count it as a change: `update`, and `replace`
 *   when it is a replacement-forcing input (the conservative reading: a reviewer is told about a
 *   possible replacement rather than surprised by one). Such keys are also listed in `unknownKeys`.
 *   Two unknowns compare equal (nothing more can be said offline), as do two `"[secret]"`s.
 */
import { digest } from "./mocks";
import { RecordedResource } from "./recorder";
import { isStateful, replacementPaths, statefulType } from "./replacements";

const UNKNOWN = "[unknown]";

export const DIFF_OPS = ["create", "update", "replace", "delete", "same"] as const;
export type DiffOp = (typeof DIFF_OPS)[number];

/** The minimal plan shape the diff reads (the plan JSON contract). */
export interface PlanLike {
    project: string;
    stack: string;
    mode: string;
    resources: RecordedResource[];
}

export interface ResourceChange {
    urn: string;
    type: string;
    /** Logical name (of the new resource; of the old one for a delete). */
    name: string;
    op: DiffOp;
    /** Changed input properties (top-level names), sorted. */
    keys: string[];
    /** A replace or delete of a stateful resource: data can be lost. */
    destructive: boolean;
    /** For `replace`: the inputs (dotted paths) or `replaceOnChanges` entries that force it. */
    replaceKeys?: string[];
    /** Keys whose new value is unknown until apply (counted as changed). */
    unknownKeys?: string[];
    /** The base URN, when the resource was matched through an alias (a rename that keeps the resource). */
    aliasedFrom?: string;
    /** Resource options that changed (`protect`, `ignoreChanges`, ...); options alone never change `op`. */
    options?: string[];
    /** The resource is protected (in the new plan; in the base for a delete): `pulumi up` refuses to delete or replace it. */
    protect?: boolean;
}

export interface PlanDiff {
    project: string;
    stack: string;
    base: { mode: string };
    head: { mode: string };
    /** Counts by op, plus how many changes are destructive. */
    summary: Record<DiffOp, number> & { destructive: number };
    /** Every resource of either plan, sorted by URN. */
    changes: ResourceChange[];
    /** Caveats a reviewer should know (mixed modes, protect removed, ...). */
    notes: string[];
}

// ---- paths -------------------------------------------------------------------------------------

/** `a.b[0]["c.d"]` -> `["a", "b", "0", "c.d"]` (the property path syntax of `ignoreChanges`). */
export function parsePath(path: string): string[] {
    const out: string[] = [];
    const re = /\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\[\s*(\d+|\*)\s*\]|\.?([^.[\]]+)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(path)) !== null) out.push(m[1] ?? m[2] ?? m[3]);
    return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

export function deepEqual(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
    if (isObject(a) && isObject(b)) {
        const ka = Object.keys(a).filter((k) => a[k] !== undefined);
        const kb = Object.keys(b).filter((k) => b[k] !== undefined);
        return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
    }
    return false;
}

function containsUnknown(v: unknown): boolean {
    if (v === UNKNOWN) return true;
    if (Array.isArray(v)) return v.some(containsUnknown);
    if (isObject(v)) return Object.values(v).some(containsUnknown);
    return false;
}

/** The paths (as segment lists) at which two values differ, as deep as both sides share a shape. */
function differingPaths(a: unknown, b: unknown, at: string[] = []): string[][] {
    if (deepEqual(a, b)) return [];
    if (isObject(a) && isObject(b)) {
        const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
        return [...keys].flatMap((k) => differingPaths(a[k], b[k], [...at, k]));
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
        return a.flatMap((x, i) => differingPaths(x, b[i], [...at, String(i)]));
    }
    return [at];
}

function getPath(v: unknown, path: string[]): unknown {
    let cur = v;
    for (const seg of path) {
        if (Array.isArray(cur)) cur = cur[Number(seg)];
        else if (isObject(cur)) cur = cur[seg];
        else return undefined;
    }
    return cur;
}

/** `prefix` covers `path`: equal, or a leading part of it (`*` matches any one segment). */
function covers(prefix: string[], path: string[]): boolean {
    return prefix.length <= path.length && prefix.every((s, i) => s === "*" || s === path[i]);
}

// ---- aliases -----------------------------------------------------------------------------------

/** The URN the engine gives a resource (the recorder's rule: the type is qualified by the parent's type chain). */
export function buildUrn(project: string, stack: string, parentUrn: string | null | undefined, type: string, name: string): string {
    const parentType = parentUrn?.split("::")[2];
    const qualified = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${type}` : type;
    return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/** The URNs a resource was known by before, from its aliases (a spec's fields default to the resource's own). */
export function aliasUrns(r: RecordedResource, project: string, stack: string): string[] {
    return (r.opts.aliases ?? []).map((a) => {
        if (a.urn) return a.urn;
        const parent = a.noParent ? null : a.parentUrn ?? r.parent;
        return buildUrn(project, stack, parent, a.type ?? r.type, a.name ?? r.name);
    });
}

/**
 * The offline mocks derive ids from type and name (`plan/mocks.ts`): after an aliased rename the same
 * cloud resource keeps its id, but the mocks give it a new one. Map the new mock id forms back to the
 * old ones in the new plan before comparing its dependents. (Values derived from an id by a further
 * digest are not mapped.)
 */
function idRewrites(oldRec: RecordedResource, newRec: RecordedResource): [string, string][] {
    if (oldRec.name === newRec.name && oldRec.type === newRec.type) return [];
    const h0 = digest(oldRec.type, oldRec.name);
    const h1 = digest(newRec.type, newRec.name);
    return [[`-0${h1.slice(0, 16)}`, `-0${h0.slice(0, 16)}`], [`${newRec.name}-${h1.slice(0, 7)}`, `${oldRec.name}-${h0.slice(0, 7)}`]];
}

function rewrite(v: unknown, pairs: [string, string][]): unknown {
    if (pairs.length === 0) return v;
    if (typeof v === "string") return pairs.reduce((s, [from, to]) => s.split(from).join(to), v);
    if (Array.isArray(v)) return v.map((x) => rewrite(x, pairs));
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rewrite(x, pairs)]));
    return v;
}

// ---- the diff ----------------------------------------------------------------------------------

const OPTION_KEYS = ["protect", "retainOnDelete", "deleteBeforeReplace", "ignoreChanges", "replaceOnChanges", "provider", "customTimeouts", "additionalSecretOutputs"] as const;

/**
 * `aliasOf` maps head URNs to the base URNs they were matched to through an alias: a provider reference
 * to an aliased provider is the same provider to the engine (its resources are not replaced).
 */
function compare(oldRec: RecordedResource, newRec: RecordedResource, newProps: Record<string, unknown>, aliasOf: Map<string, string>): Omit<ResourceChange, "urn" | "type" | "name"> {
    const oldProps = oldRec.props ?? {};
    const ignored = (newRec.opts.ignoreChanges ?? []).map(parsePath);
    const changedPaths = differingPaths(oldProps, newProps).filter((p) => !ignored.some((ig) => covers(ig, p)));
    const keys = [...new Set(changedPaths.map((p) => p[0]))].sort();
    const unknownKeys = keys.filter((k) => containsUnknown(newProps[k]));

    const replaceKeys: string[] = [];
    for (const f of replacementPaths(newRec.type)) {
        const segs = parsePath(f.path);
        if (ignored.some((ig) => covers(ig, segs))) continue;
        const before = getPath(oldProps, segs);
        const after = getPath(newProps, segs);
        if (deepEqual(before, after)) continue;
        if (f.removalIsNoop && after === undefined) continue;
        replaceKeys.push(f.path);
    }
    for (const roc of newRec.opts.replaceOnChanges ?? []) {
        const segs = parsePath(roc);
        if (changedPaths.some((p) => covers(segs, p) || covers(p, segs))) replaceKeys.push(`replaceOnChanges: ${roc}`);
    }

    const sameProvider = (a?: string, b?: string) => a === b || (b !== undefined && aliasOf.get(b) === a);
    const options = OPTION_KEYS.filter((k) => (k === "provider" ? !sameProvider(oldRec.opts.provider, newRec.opts.provider) : !deepEqual(oldRec.opts[k], newRec.opts[k])));
    const op: DiffOp = replaceKeys.length > 0 ? "replace" : keys.length > 0 ? "update" : "same";
    return {
        op,
        keys,
        destructive: op === "replace" && isStateful(newRec.type),
        ...(replaceKeys.length ? { replaceKeys } : {}),
        ...(unknownKeys.length ? { unknownKeys } : {}),
        ...(options.length ? { options: [...options] } : {}),
        ...(newRec.opts.protect ? { protect: true } : {}),
    };
}

/** Compares `head` (the plan under review) with `base`. */
export function diffPlans(base: PlanLike, head: PlanLike): PlanDiff {
    const baseByUrn = new Map(base.resources.map((r) => [r.urn, r]));
    const headUrns = new Set(head.resources.map((r) => r.urn));
    const matched = new Map<string, RecordedResource>(); // head URN -> base record
    const aliasOf = new Map<string, string>(); // head URN -> base URN, for alias matches

    // A child's inherited aliases need its parent resolved first, so resolve parents on demand.
    const byUrn = new Map(head.resources.map((r) => [r.urn, r]));
    const resolving = new Set<string>();
    const claimed = new Set<string>();
    const resolve = (r: RecordedResource): void => {
        if (matched.has(r.urn) || resolving.has(r.urn)) return;
        resolving.add(r.urn);
        const same = baseByUrn.get(r.urn);
        if (same) {
            matched.set(r.urn, same);
            claimed.add(same.urn);
            return;
        }
        const candidates = aliasUrns(r, head.project, head.stack);
        // Inherited parent aliases: the engine also looks the child up under its parent's old URN.
        const parent = r.parent ? byUrn.get(r.parent) : undefined;
        if (parent) {
            resolve(parent);
            const oldParent = aliasOf.get(parent.urn);
            if (oldParent) {
                candidates.push(buildUrn(head.project, head.stack, oldParent, r.type, r.name));
                for (const a of r.opts.aliases ?? []) if (!a.urn && !a.noParent && (a.parentUrn ?? r.parent) === r.parent) {
                    candidates.push(buildUrn(head.project, head.stack, oldParent, a.type ?? r.type, a.name ?? r.name));
                }
            }
        }
        for (const c of candidates) {
            const old = baseByUrn.get(c);
            if (old && !headUrns.has(c) && !claimed.has(c)) {
                matched.set(r.urn, old);
                aliasOf.set(r.urn, c);
                claimed.add(c);
                return;
            }
        }
    };
    for (const r of head.resources) resolve(r);

    // Map the mock ids of aliased resources, so their dependents compare equal.
    const rewrites = [...aliasOf.keys()].flatMap((u) => idRewrites(matched.get(u)!, byUrn.get(u)!));

    const changes: ResourceChange[] = [];
    for (const r of head.resources) {
        const old = matched.get(r.urn);
        if (!old) {
            changes.push({ urn: r.urn, type: r.type, name: r.name, op: "create", keys: Object.keys(r.props ?? {}).sort(), destructive: false, ...(r.opts.protect ? { protect: true } : {}) });
            continue;
        }
        const c = compare(old, r, rewrite(r.props ?? {}, rewrites) as Record<string, unknown>, aliasOf);
        if (old.type !== r.type) Object.assign(c, { op: "replace", destructive: isStateful(old.type) || isStateful(r.type), replaceKeys: [...(c.replaceKeys ?? []), "type"] });
        changes.push({ urn: r.urn, type: r.type, name: r.name, ...c, ...(aliasOf.has(r.urn) ? { aliasedFrom: aliasOf.get(r.urn) } : {}) });
    }
    for (const old of base.resources) {
        if (claimed.has(old.urn)) continue;
        changes.push({ urn: old.urn, type: old.type, name: old.name, op: "delete", keys: [], destructive: isStateful(old.type), ...(old.opts.protect ? { protect: true } : {}) });
    }
    changes.sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));

    const summary = Object.fromEntries(DIFF_OPS.map((op) => [op, changes.filter((c) => c.op === op).length])) as PlanDiff["summary"];
    summary.destructive = changes.filter((c) => c.destructive).length;

    const notes: string[] = [];
    if (base.mode !== head.mode) {
        notes.push(`The base plan was built in ${base.mode} mode and this one in ${head.mode} mode: computed values differ in kind, so compare plans of the same mode.`);
    }
    if (head.mode === "preview") notes.push("Preview-mode plans: computed values are unknown on both sides and compare equal; the real `pulumi preview --diff` decides those.");
    for (const c of changes.filter((x) => x.type === "pulumi:providers:aws" && x.op !== "same" && x.op !== "create" && x.keys.includes("region"))) {
        // pulumi-aws 7 no longer cascades a provider region change into replacements (pulumi/pulumi-aws#5656):
        // the resources stay where they are while the provider looks for them in the new region.
        notes.push(`The region of provider \`${c.name}\` changes: existing resources do not move with it (pulumi-aws 7); treat it as a migration, not an update.`);
    }
    const unprotected = changes.filter((c) => c.options?.includes("protect") && !c.protect && isStateful(c.type));
    for (const c of unprotected) notes.push(`\`protect\` was removed from ${statefulType(c.type)!.label} \`${c.name}\`: a later change can now delete it.`);
    return { project: head.project, stack: head.stack, base: { mode: base.mode }, head: { mode: head.mode }, summary, changes, notes };
}

// ---- formats -----------------------------------------------------------------------------------

/** How an aliased resource moved: a new name, or the same name under a new parent. */
function aliasNote(c: ResourceChange, code: (s: string) => string): string {
    if (!c.aliasedFrom) return "";
    const [, , oldType, oldName] = c.aliasedFrom.split("::");
    if (oldName !== c.name) return `renamed, aliased from ${code(oldName)}`;
    const oldParents = oldType.split("$").slice(0, -1);
    return `moved, aliased from ${oldParents.length ? `under ${code(oldParents[oldParents.length - 1])}` : "the stack root"}`;
}

const OP_ORDER: Record<DiffOp, number> = { delete: 0, replace: 1, create: 2, update: 3, same: 4 };
const SYMBOL: Record<DiffOp, string> = { create: "+", update: "~", replace: "+-", delete: "-", same: " " };

/** Destructive first, then deletes, replaces, creates, updates; by URN within each. */
export function reviewOrder(changes: ResourceChange[]): ResourceChange[] {
    return [...changes].sort((a, b) => Number(b.destructive) - Number(a.destructive) || OP_ORDER[a.op] - OP_ORDER[b.op] || (a.urn < b.urn ? -1 : 1));
}

function summaryLine(d: PlanDiff): string {
    const parts = DIFF_OPS.filter((op) => op !== "same" && d.summary[op] > 0).map((op) => `${d.summary[op]} to ${op}`);
    const changed = parts.length ? parts.join(", ") : "no changes";
    return `${changed}; ${d.summary.same} unchanged`;
}

function label(c: ResourceChange): string {
    return statefulType(c.type)?.label ?? c.type;
}

function why(c: ResourceChange): string {
    if (c.op === "delete") return c.aliasedFrom ? "" : "no longer in the program (a rename without an alias is a delete plus a create)";
    if (c.op === "replace") return `forces replacement: ${c.replaceKeys!.join(", ")}`;
    return "";
}

function protectNote(c: ResourceChange): string {
    return c.protect && (c.op === "delete" || c.op === "replace") ? "protected: `pulumi up` will refuse this until the resource is unprotected" : "";
}

export function formatDiffText(d: PlanDiff): string {
    const lines = [`Diff of ${d.project}/${d.stack} (${d.head.mode} mode) against the base plan (${d.base.mode} mode): ${summaryLine(d)}`, ""];
    const ordered = reviewOrder(d.changes).filter((c) => c.op !== "same" || c.options);
    const destructive = ordered.filter((c) => c.destructive);
    if (destructive.length) {
        lines.push(`!!! ${destructive.length} DESTRUCTIVE CHANGE${destructive.length > 1 ? "S" : ""}: stateful resources would be deleted or replaced, and their data lost !!!`);
        for (const c of destructive) {
            lines.push(`  ${c.op.toUpperCase().padEnd(8)} ${label(c)}  ${c.name}  (${c.type})`);
            for (const s of [why(c), protectNote(c)]) if (s) lines.push(`           ${s}`);
            lines.push(`           ${c.urn}`);
        }
        lines.push("  See README, \"Reviewing infrastructure diffs\": alias a rename, ignoreChanges, or plan the migration.", "");
    }
    const rest = ordered.filter((c) => !c.destructive);
    if (rest.length) {
        lines.push("Changes:");
        for (const c of rest) {
            const detail = [c.keys.length && c.op !== "create" ? `inputs: ${c.keys.join(", ")}` : "", c.unknownKeys ? `unknown until apply: ${c.unknownKeys.join(", ")}` : "",
                c.options ? `options: ${c.options.join(", ")}` : "", aliasNote(c, (x) => x), why(c), protectNote(c)].filter(Boolean);
            lines.push(`  ${SYMBOL[c.op].padEnd(2)} ${c.op.padEnd(7)} ${c.type}  ${c.name}${detail.length ? `  (${detail.join("; ")})` : ""}`);
        }
    } else if (!destructive.length) {
        lines.push("No changes.");
    }
    if (d.notes.length) lines.push("", "Notes:", ...d.notes.map((n) => `  - ${n}`));
    return lines.join("\n") + "\n";
}

const code = (s: string) => `\`${s.replace(/`/g, "'").replace(/\|/g, "\\|")}\``;

export function formatDiffMarkdown(d: PlanDiff): string {
    const lines = [`## Infrastructure diff of \`${d.project}/${d.stack}\``, "", `Against the base plan: ${summaryLine(d)} (offline plans, ${d.head.mode} mode).`, ""];
    const ordered = reviewOrder(d.changes).filter((c) => c.op !== "same" || c.options);
    const destructive = ordered.filter((c) => c.destructive);
    if (destructive.length) {
        lines.push("> [!CAUTION]", `> **${destructive.length} destructive change${destructive.length > 1 ? "s" : ""}**: stateful resources would be deleted or replaced and their data lost.`,
            "> Before approving, read *Reviewing infrastructure diffs* in the README: alias a rename, `ignoreChanges` an input that must not replace, or plan the migration.", "");
        lines.push("| | op | resource | name | why |", "|---|---|---|---|---|");
        for (const c of destructive) {
            lines.push(`| :boom: | **${c.op.toUpperCase()}** | ${label(c)} (${code(c.type)}) | ${code(c.name)} | ${[why(c), protectNote(c)].filter(Boolean).join("; ").replace(/\|/g, "\\|")} |`);
        }
        lines.push("");
    }
    const rest = ordered.filter((c) => !c.destructive);
    if (rest.length) {
        const title = destructive.length ? "Other changes" : "Changes";
        // A long list folds away, so the destructive part stays on screen.
        if (rest.length > 25) lines.push(`<details><summary>${title} (${rest.length})</summary>`, "");
        else lines.push(`### ${title}`, "");
        lines.push("| op | type | name | changed inputs | notes |", "|---|---|---|---|---|");
        for (const c of rest) {
            const notes = [c.unknownKeys ? `unknown until apply: ${c.unknownKeys.join(", ")}` : "", c.options ? `options: ${c.options.join(", ")}` : "",
                aliasNote(c, code), why(c), protectNote(c)].filter(Boolean);
            const keys = c.op === "create" || c.op === "delete" ? "" : c.keys.map(code).join(", ");
            lines.push(`| \`${SYMBOL[c.op]}\` ${c.op} | ${code(c.type)} | ${code(c.name)} | ${keys} | ${notes.join("; ").replace(/\|/g, "\\|")} |`);
        }
        lines.push("");
        if (rest.length > 25) lines.push("</details>", "");
    } else if (!destructive.length) {
        lines.push("No infrastructure changes.", "");
    }
    if (d.notes.length) lines.push(...d.notes.map((n) => `> ${n}`), "");
    return lines.join("\n");
}

/** Throws unless `v` looks like a plan JSON (the README contract). */
export function assertPlanJson(v: unknown, what: string): asserts v is PlanLike {
    const p = v as PlanLike;
    if (!isObject(v) || typeof p.project !== "string" || typeof p.stack !== "string" || !Array.isArray(p.resources)
        || !p.resources.every((r) => isObject(r) && typeof r.urn === "string" && typeof r.type === "string" && isObject(r.props) && isObject(r.opts))) {
        throw new Error(`${what} is not a plan JSON (expected {project, stack, mode, resources: [{urn, type, props, opts}]}, as \`npm run plan -- --format json\` writes)`);
    }
}

/**
 * Evaluates the policy pack in-process over recorded resources, as the engine's analyzer does
 * (mirrors `@pulumi/policy/server.js`: `makeAnalyzeRpcFun` and `makeAnalyzeStackRpcFun`):
 *
 * - props are deserialized and wrapped in the pack's own unknown-checking proxy; `"[unknown]"` in
 *   the plan becomes the engine's unknown sentinel, so a policy that reads it during preview yields an
 *   advisory "can't run policy ... during preview" finding instead of a crash;
 * - `isType` / `asType` compare type tokens; `getConfig` returns the policy's schema defaults overlaid
 *   with the stack's settings; `notApplicable` skips the policy for that resource;
 * - stack policies see every resource, with `parent`, `dependencies` and `provider` resolved;
 * - enforcement: the stack's level for the policy, else `all`, else the policy's own, else the pack's;
 *   `disabled` policies do not run; `remediate` reports as `mandatory`;
 * - a policy that throws anything else fails the evaluation, as it fails `pulumi preview`.
 *
 * Waivers from the stack's policy config then mark matching findings (they stay in the report).
 */
import { ReportViolation, ResourceValidation, Severity, unknownCheckingProxy, UnknownValueError } from "@pulumi/policy";
import { DEFAULT_POLICY_CONFIG, PolicyConfig, Waiver } from "../config/policy";
import { PACK_NAME, PACK_VERSION, Rule, RULES } from "../policies/rules";
import { enforcementLevelOf, settingsOf } from "./policyConfig";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const UNKNOWN_SENTINEL: string = require("@pulumi/policy/proxy").unknownStringValue;

/** A resource as the plan JSON records it (the documented contract). */
export interface AuditResource {
    urn: string;
    type: string;
    name: string;
    parent?: string | null;
    custom?: boolean;
    props: Record<string, unknown>;
    opts?: {
        protect?: boolean;
        ignoreChanges?: string[];
        deleteBeforeReplace?: boolean;
        additionalSecretOutputs?: string[];
        aliases?: Array<{ urn?: string }>;
        dependsOn?: string[];
        provider?: string;
        customTimeouts?: { create?: string; update?: string; delete?: string };
    };
}

export type ReportedLevel = "mandatory" | "advisory";

export interface AppliedWaiver extends Waiver {
    /** true once `expires` has passed: the finding counts again. */
    expired: boolean;
}

/** One finding, in the engine's terms (policyEvent fields) plus waiver state. */
export interface Violation {
    policyName: string;
    policyPack: string;
    policyPackVersion: string;
    enforcementLevel: ReportedLevel;
    severity?: Severity;
    /** The resource; absent for stack-wide findings. */
    urn?: string;
    message: string;
    /** Set when a waiver matches (active or expired). */
    waiver?: AppliedWaiver;
    /** true when an active waiver accepts the finding. */
    waived: boolean;
    /** true for the engine's "can't run policy ... during preview" note: the check read an unknown value. */
    notEvaluated?: boolean;
}

/** What became of one policy of the pack in this run; every policy has exactly one. */
export const POLICY_OUTCOMES = ["violated", "not-evaluated-in-preview", "waived", "passed", "not-applicable", "disabled"] as const;
export type PolicyOutcome = (typeof POLICY_OUTCOMES)[number];

/** One policy of the pack and its outcome. */
export interface PolicyResult {
    name: string;
    /** The level the stack's policy config gives it (`remediate` reported as `mandatory`). */
    enforcementLevel: ReportedLevel | "disabled";
    severity?: Severity;
    /**
     * - `violated`: an open finding (not waived, or under an expired waiver);
     * - `not-evaluated-in-preview`: no open finding, but some resource could not be checked (unknown values);
     * - `waived`: every finding is under an active waiver;
     * - `passed`: checked on at least one resource (or the stack), no finding;
     * - `not-applicable`: nothing of its type in the stack, so never checked;
     * - `disabled`: the stack's policy config turns it off.
     */
    outcome: PolicyOutcome;
    /** Resources (or 1 for the stack) it was checked on, notApplicable excluded. */
    checked: number;
    /** Its findings, waived included. */
    findings: number;
}

/**
 * Counts of a report. Findings: `violations` = `mandatory` + `advisory` + `notEvaluated` + `waived`, each
 * finding in exactly one of those four. Policies: `policies` = the pack's policies that are not
 * disabled; `outcomes` counts every policy of the pack once, by its outcome.
 */
export interface PolicySummary {
    /** Policies of the pack that the stack does not disable. */
    policies: number;
    /** Policies of the pack by outcome; they add up to the pack's size. */
    outcomes: Record<PolicyOutcome, number>;
    /** Resources the pack was run over. */
    resources: number;
    /** Every finding, waived ones included. */
    violations: number;
    /** Open mandatory findings (not waived, or under an expired waiver): any makes the run fail. */
    mandatory: number;
    /** Open advisory findings (preview notes excluded). */
    advisory: number;
    /** Open "can't run during preview" notes: checks that read a value unknown until deployment. */
    notEvaluated: number;
    /** Findings under an active waiver. */
    waived: number;
    /** Of the open findings, those whose waiver has expired. */
    expiredWaivers: number;
    /** Waivers in config that matched no finding (candidates for removal). */
    unusedWaivers: number;
    blocking: boolean;
}

export interface PolicyReport {
    policyPack: string;
    policyPackVersion: string;
    source: "plan" | "event-log";
    stack?: string;
    mode?: string;
    /** Every policy of the pack with its outcome, in the pack's order. */
    policies: PolicyResult[];
    /** What an event log lacks to prove the pack ran over the whole stack (only when it fails anyway on a mandatory finding). */
    missingEvidence?: string[];
    violations: Violation[];
    summary: PolicySummary;
}

export interface EvaluateOptions {
    config?: PolicyConfig;
    rules?: Rule[];
    /** Today, for waiver expiry. @default new Date() */
    now?: Date;
    stack?: string;
    mode?: string;
}

class NotApplicableError extends Error {
    constructor(public readonly reason?: string) {
        super(reason ?? "Policy does not apply");
    }
}
const throwNotApplicable = (reason?: string): never => {
    throw new NotApplicableError(reason);
};

/** Plan props to what `deserializeProperties` yields: unknown markers become the engine's sentinel. */
export function toEngineValue(v: unknown): unknown {
    if (v === "[unknown]") return UNKNOWN_SENTINEL;
    if (Array.isArray(v)) return v.map(toEngineValue);
    if (v !== null && typeof v === "object") {
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(v)) {
            const x = (v as Record<string, unknown>)[k];
            if (x !== undefined) out[k] = toEngineValue(x);
        }
        return out;
    }
    return v;
}

/** Go duration text ("10m", "1h30m", "45s") to seconds, as the engine hands timeouts to policies. */
function seconds(d?: string): number {
    if (!d) return 0;
    let total = 0;
    for (const [, n, unit] of d.matchAll(/([\d.]+)(h|m|s|ms)/g)) total += Number(n) * ({ h: 3600, m: 60, s: 1, ms: 0.001 } as Record<string, number>)[unit];
    return total;
}

function policyOptions(r: AuditResource) {
    const o = r.opts ?? {};
    return {
        protect: o.protect ?? false,
        ignoreChanges: o.ignoreChanges ?? [],
        aliases: (o.aliases ?? []).map((a) => a.urn).filter((u): u is string => typeof u === "string"),
        customTimeouts: { createSeconds: seconds(o.customTimeouts?.create), updateSeconds: seconds(o.customTimeouts?.update), deleteSeconds: seconds(o.customTimeouts?.delete) },
        additionalSecretOutputs: o.additionalSecretOutputs ?? [],
        ...(o.deleteBeforeReplace !== undefined ? { deleteBeforeReplace: o.deleteBeforeReplace } : {}),
        ...(r.parent ? { parent: r.parent } : {}),
    };
}

/** `isTypeOf` of the policy server: the class's `__pulumiType`, else its `isInstance`. */
function isTypeOf(type: string, resourceClass: unknown): boolean {
    const token = (resourceClass as { __pulumiType?: unknown })?.__pulumiType;
    if (typeof token === "string" && token.length > 0) return type === token;
    const isInstance = (resourceClass as { isInstance?: unknown })?.isInstance;
    return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

const STACK_TAGS: ReadonlyMap<string, string> = new Map();

function preparedProps(r: AuditResource) {
    return unknownCheckingProxy(toEngineValue(r.props ?? {}) as Record<string, unknown>) as Record<string, unknown>;
}

/** Evaluates every enabled rule over the resources; returns findings with waivers applied. */
export async function evaluatePolicies(resources: AuditResource[], options: EvaluateOptions = {}): Promise<PolicyReport> {
    const config = options.config ?? DEFAULT_POLICY_CONFIG;
    const rules = options.rules ?? RULES;
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    // What a policy reads of a resource, made once per evaluation: resource and stack policies, and every
    // resource a provider configures, read the same (no rule writes to what it is handed).
    type Prepared = { props: Record<string, unknown>; provider?: { type: string; props: Record<string, unknown>; urn: string; name: string }; opts: ReturnType<typeof policyOptions> };
    const preparedOnce = new Map<AuditResource, Prepared>();
    const prepared = (r: AuditResource): Prepared => {
        let x = preparedOnce.get(r);
        if (!x) {
            const p = r.opts?.provider ? byUrn.get(r.opts.provider) : undefined;
            x = { props: preparedProps(r), provider: p ? { type: p.type, props: prepared(p).props, urn: p.urn, name: p.name } : undefined, opts: policyOptions(r) };
            preparedOnce.set(r, x);
        }
        return x;
    };
    const found: Violation[] = [];
    const checked = new Map<string, number>();
    const ran = (p: Rule) => checked.set(p.name, (checked.get(p.name) ?? 0) + 1);
    const packFrom = (p: Rule) => `policy '${p.name}' from policy pack '${PACK_NAME}@v${PACK_VERSION}'`;
    const reporter = (p: Rule, level: ReportedLevel, defaultUrn?: string): ReportViolation => (message: string, urn?: string) => {
        found.push({
            policyName: p.name, policyPack: PACK_NAME, policyPackVersion: PACK_VERSION, enforcementLevel: level, severity: p.severity,
            urn: urn ?? defaultUrn, message: message ? `${p.description}\n${message}` : p.description, waived: false,
        });
    };
    const onError = (p: Rule, e: unknown, urn?: string) => {
        if (e instanceof UnknownValueError) {
            found.push({
                policyName: p.name, policyPack: PACK_NAME, policyPackVersion: PACK_VERSION, enforcementLevel: "advisory", severity: p.severity,
                urn, message: `can't run ${packFrom(p)} during preview: ${(e as Error).message}`, waived: false, notEvaluated: true,
            });
        } else if (!(e instanceof NotApplicableError)) {
            const err = new Error(`Error validating ${urn ? `resource ${urn}` : "the stack"} with ${packFrom(p)}: ${(e as Error)?.message ?? e}`);
            (err as Error & { cause?: unknown }).cause = e;
            throw err;
        }
    };

    const enabled = rules
        .map((p) => ({ p, level: enforcementLevelOf(p, config) }))
        .filter(({ level }) => level !== "disabled")
        .map(({ p, level }) => ({ p, level: (level === "remediate" ? "mandatory" : level) as ReportedLevel, settings: settingsOf(p, config) }));

    // The engine skips a single typed validation of another type up front; a typed validation in an array
    // would only throw notApplicable for another type, so skipping it is equivalent. Worked out once per
    // resource type: which policies have validations for it, in the pack's order.
    const forType = new Map<string, Array<{ p: Rule; level: ReportedLevel; settings: Record<string, unknown>; validations: ResourceValidation[] }>>();
    const policiesFor = (type: string) => {
        let list = forType.get(type);
        if (!list) {
            list = enabled.flatMap(({ p, level, settings }) => {
                if (!("validateResource" in p) || !p.validateResource) return [];
                const validations = (Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource])
                    .filter((v) => ((t?: string) => !t || t === type)((v as { __pulumiType?: string }).__pulumiType));
                return validations.length > 0 ? [{ p, level, settings, validations }] : [];
            });
            forType.set(type, list);
        }
        return list;
    };

    // Resource policies: one Analyze call per resource. As in the policy server, the call deserializes the
    // resource once and every policy of the pack reads the same props.
    for (const r of resources) {
        const policies = policiesFor(r.type);
        if (policies.length === 0) continue;
        const { props, provider, opts } = prepared(r);
        for (const { p, level, settings, validations } of policies) {
            let applicable = true;
            for (const validation of validations) {
                try {
                    const args = {
                        type: r.type, props, urn: r.urn, name: r.name, opts, stackTags: STACK_TAGS,
                        isType: (cls: unknown) => isTypeOf(r.type, cls),
                        asType: (cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined),
                        getConfig: () => structuredClone(settings),
                        notApplicable: throwNotApplicable,
                        ...(provider ? { provider } : {}),
                    };
                    const result = validation(args as never, reporter(p, level, r.urn));
                    // Most validations are synchronous: only a promise is waited for.
                    if (result && typeof (result as Promise<void>).then === "function") await result;
                } catch (e) {
                    if (e instanceof NotApplicableError) applicable = false;
                    onError(p, e, r.urn);
                }
            }
            if (applicable) ran(p);
        }
    }

    // Stack policies: one AnalyzeStack call, every stack policy reading the same resources.
    let stackResourcesOnce: Record<string, unknown>[] | undefined;
    const stackResources = () => (stackResourcesOnce ??= (() => {
        const all = resources.map((r) => {
            const { props, provider, opts } = prepared(r);
            return {
                type: r.type, props, urn: r.urn, name: r.name, opts,
                dependencies: [] as unknown[], propertyDependencies: {} as Record<string, unknown[]>,
                isType: (cls: unknown) => isTypeOf(r.type, cls),
                asType: (cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined),
                ...(provider ? { provider } : {}),
            } as Record<string, unknown>;
        });
        const index = new Map(all.map((x) => [x.urn as string, x]));
        resources.forEach((r, i) => {
            const parent = r.parent ? index.get(r.parent) : undefined;
            if (parent) all[i].parent = parent;
            all[i].dependencies = (r.opts?.dependsOn ?? []).map((d) => index.get(d)).filter(Boolean);
        });
        return all;
    })());
    for (const { p, level, settings } of enabled) {
        if (!("validateStack" in p) || typeof p.validateStack !== "function") continue;
        const token = (p.validateStack as { __pulumiType?: string }).__pulumiType;
        if (token && !resources.some((r) => r.type === token)) continue;
        try {
            const all = stackResources();
            await Promise.resolve(p.validateStack({ resources: all as never, getConfig: () => structuredClone(settings) as never, stackTags: STACK_TAGS, notApplicable: throwNotApplicable }, reporter(p, level)));
            ran(p);
        } catch (e) {
            if (e instanceof UnknownValueError) ran(p);
            onError(p, e);
        }
    }

    return buildReport(found, config.waivers, {
        source: "plan", stack: options.stack, mode: options.mode, now: options.now ?? new Date(), resources: resources.length, rules, config, checked,
    });
}

/** Escapes a name pattern (`*` = any run of characters) into a RegExp. */
function patternRegExp(pattern: string): RegExp {
    return new RegExp(`^${pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
}

/** Does the waiver cover the finding? Policy name, then the resource by URN or name pattern. */
export function waiverMatches(w: Waiver, v: { policyName: string; urn?: string }): boolean {
    if (w.policy !== v.policyName) return false;
    if (!v.urn) return w.resource === "*";
    if (w.resource.startsWith("urn:") && !w.resource.includes("*")) return w.resource === v.urn;
    const name = v.urn.split("::").pop()!;
    const re = patternRegExp(w.resource);
    return re.test(name) || re.test(v.urn);
}

/** Applies waivers, gives every policy of the pack its outcome, and sums up; shared by plan evaluation and event-log reports. */
export function buildReport(
    found: Violation[],
    waivers: Waiver[],
    ctx: {
        source: "plan" | "event-log"; stack?: string; mode?: string; now: Date; resources: number; policyPack?: string; policyPackVersion?: string;
        rules?: Rule[]; config?: PolicyConfig;
        /** Per policy: resources (or the stack) it was checked on. */
        checked: ReadonlyMap<string, number>;
    },
): PolicyReport {
    const rules = ctx.rules ?? RULES;
    const config = ctx.config ?? DEFAULT_POLICY_CONFIG;
    const today = ctx.now.toISOString().slice(0, 10);
    const used = new Set<number>();
    const violations = found.map((v) => {
        const i = waivers.findIndex((w) => waiverMatches(w, v));
        if (i < 0) return { ...v, waived: false };
        used.add(i);
        const expired = waivers[i].expires < today;
        return { ...v, waiver: { ...waivers[i], expired }, waived: !expired };
    });
    const open = violations.filter((v) => !v.waived);
    const mandatory = open.filter((v) => v.enforcementLevel === "mandatory").length;
    const notEvaluated = open.filter((v) => v.notEvaluated).length;
    const policies: PolicyResult[] = rules.map((r) => {
        const level = enforcementLevelOf(r, config);
        const mine = violations.filter((v) => v.policyName === r.name);
        const outcome: PolicyOutcome = level === "disabled" ? "disabled"
            : mine.some((v) => !v.waived && !v.notEvaluated) ? "violated"
                : mine.some((v) => !v.waived) ? "not-evaluated-in-preview"
                    : mine.length > 0 ? "waived"
                        : (ctx.checked.get(r.name) ?? 0) > 0 ? "passed" : "not-applicable";
        return {
            name: r.name, enforcementLevel: level === "remediate" ? "mandatory" : level, ...(r.severity ? { severity: r.severity } : {}),
            outcome, checked: ctx.checked.get(r.name) ?? 0, findings: mine.length,
        };
    });
    const outcomes = Object.fromEntries(POLICY_OUTCOMES.map((o) => [o, policies.filter((p) => p.outcome === o).length])) as Record<PolicyOutcome, number>;
    return {
        policyPack: ctx.policyPack ?? PACK_NAME,
        policyPackVersion: ctx.policyPackVersion ?? PACK_VERSION,
        source: ctx.source,
        ...(ctx.stack ? { stack: ctx.stack } : {}),
        ...(ctx.mode ? { mode: ctx.mode } : {}),
        policies,
        violations,
        summary: {
            policies: policies.filter((p) => p.outcome !== "disabled").length,
            outcomes,
            resources: ctx.resources,
            violations: violations.length,
            mandatory,
            advisory: open.length - mandatory - notEvaluated,
            notEvaluated,
            waived: violations.length - open.length,
            expiredWaivers: violations.filter((v) => v.waiver?.expired).length,
            unusedWaivers: waivers.length - used.size,
            blocking: mandatory > 0,
        },
    };
}

/** Human formats of a plan: a text tree for terminals and Markdown for pull requests. */
import { Plan } from "./run";
import { RecordedResource } from "./recorder";

/**
 * A report section beyond the resources (sizing, policy results, ...): how one key of the plan JSON reads
 * in text and Markdown. Callers pass the sections they want shown; undefined skips the section.
 */
export interface PlanSection {
    title: string;
    text(plan: Plan): string | undefined;
    markdown(plan: Plan): string | undefined;
}

function childrenByParent(resources: RecordedResource[]): Map<string | null, RecordedResource[]> {
    const map = new Map<string | null, RecordedResource[]>();
    for (const r of resources) {
        const list = map.get(r.parent) ?? [];
        list.push(r);
        map.set(r.parent, list);
    }
    return map;
}

/** Counts by type, most frequent first. */
export function countsByType(resources: RecordedResource[]): [string, number][] {
    const counts = new Map<string, number>();
    for (const r of resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function summaryLine(plan: Plan): string {
    const components = plan.resources.filter((r) => !r.custom).length;
    return `${plan.resources.length} resources (${components} components, ${plan.resources.length - components} cloud resources)`;
}

function formatValue(v: unknown): string {
    const s = typeof v === "string" ? v : JSON.stringify(v);
    return s.length > 100 ? `${s.slice(0, 97)}...` : s;
}

export function formatText(plan: Plan, sections: readonly PlanSection[] = []): string {
    const byParent = childrenByParent(plan.resources);
    const lines: string[] = [`Plan of ${plan.project}/${plan.stack} (${plan.mode} mode): ${summaryLine(plan)}`, ""];
    const walk = (r: RecordedResource, indent: string, last: boolean, root: boolean) => {
        const kids = byParent.get(r.urn) ?? [];
        const counts = kids.length > 0 ? `  [${kids.length} children]` : "";
        const protectedMark = r.opts.protect ? "  (protected)" : "";
        lines.push(`${root ? "" : `${indent}${last ? "└─ " : "├─ "}`}${r.type}  ${r.name}${counts}${protectedMark}`);
        const childIndent = root ? "" : indent + (last ? "   " : "│  ");
        // Components first, then resources, each by name: the tree reads by concept.
        const sorted = [...kids].sort((a, b) => Number(a.custom) - Number(b.custom) || a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
        sorted.forEach((k, i) => walk(k, childIndent, i === sorted.length - 1, false));
    };
    for (const root of byParent.get(null) ?? []) walk(root, "", true, true);
    lines.push("", "Resources by type:");
    for (const [type, n] of countsByType(plan.resources)) lines.push(`  ${String(n).padStart(4)}  ${type}`);
    lines.push("", "Outputs:");
    for (const [k, v] of Object.entries(plan.outputs)) lines.push(`  ${k}: ${formatValue(v)}`);
    for (const section of sections) {
        const body = section.text(plan);
        if (body) lines.push("", `${section.title}:`, body);
    }
    return lines.join("\n") + "\n";
}

export function formatMarkdown(plan: Plan, sections: readonly PlanSection[] = []): string {
    const lines: string[] = [`## Plan of \`${plan.project}/${plan.stack}\` (${plan.mode} mode)`, "", summaryLine(plan) + ".", ""];
    lines.push("### Components", "", "| component | type | children |", "|---|---|---:|");
    const byParent = childrenByParent(plan.resources);
    for (const c of plan.resources.filter((r) => !r.custom && r.type !== "pulumi:pulumi:Stack")) {
        lines.push(`| \`${c.name}\` | \`${c.type}\` | ${(byParent.get(c.urn) ?? []).length} |`);
    }
    lines.push("", "<details><summary>Resources by type</summary>", "", "| type | count |", "|---|---:|");
    for (const [type, n] of countsByType(plan.resources)) lines.push(`| \`${type}\` | ${n} |`);
    lines.push("", "</details>", "", "### Outputs", "", "| output | value |", "|---|---|");
    for (const [k, v] of Object.entries(plan.outputs)) lines.push(`| \`${k}\` | \`${formatValue(v).replace(/\|/g, "\\|")}\` |`);
    for (const section of sections) {
        const body = section.markdown(plan);
        if (body) lines.push("", `### ${section.title}`, "", body);
    }
    return lines.join("\n") + "\n";
}

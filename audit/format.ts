/**
 * Report formats of a policy evaluation: text (terminals), JSON (the audit contract), Markdown (pull
 * request comments) and SARIF 2.1.0 (code scanning), with waived findings marked in each.
 */
import * as fs from "fs";
import * as path from "path";
import { RULES, Rule } from "../policies/rules";
import { POLICY_OUTCOMES, PolicyOutcome, PolicyReport, Violation } from "./evaluate";

export const REPORT_FORMATS = ["text", "json", "markdown", "sarif"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Resource name from a URN (last segment). */
export const urnName = (urn?: string): string => (urn ? urn.split("::").pop()! : "(stack)");
/** Resource type from a URN (last type of the qualified chain). */
export const urnType = (urn?: string): string => (urn ? urn.split("::")[2]?.split("$").pop() ?? "" : "pulumi:pulumi:Stack");

/**
 * The finding's own message, without the policy description the engine prepends and without a leading
 * "<resource name>: " (the reports name the resource already).
 */
export function detail(v: Violation): string {
    const lines = v.message.split("\n");
    const text = lines.length > 1 ? lines.slice(1).join(" ") : lines[0];
    const name = v.urn ? urnName(v.urn) : undefined;
    return name && text.startsWith(`${name}: `) ? text.slice(name.length + 2) : text;
}

const OUTCOME_TEXT: Record<PolicyOutcome, string> = {
    violated: "violated", "not-evaluated-in-preview": "not evaluated in preview", waived: "waived", passed: "passed", "not-applicable": "not applicable", disabled: "disabled",
};

/** "1 violated, 35 passed, 4 not applicable, 2 disabled": the policies of the pack by outcome (zero counts left out). */
export function outcomesLine(report: PolicyReport): string {
    const o = report.summary.outcomes;
    return POLICY_OUTCOMES.filter((k) => o[k] > 0).map((k) => `${o[k]} ${OUTCOME_TEXT[k]}`).join(", ") || "none";
}

function status(v: Violation): string {
    if (v.waived) return `waived until ${v.waiver!.expires} (${v.waiver!.owner}: ${v.waiver!.reason})`;
    if (v.waiver?.expired) return `waiver EXPIRED ${v.waiver.expires} (${v.waiver.owner})`;
    return "";
}

const LEVEL_ORDER: Record<string, number> = { mandatory: 0, advisory: 1 };
const SEVERITY_ORDER: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/** Open findings first (mandatory, then advisory), by severity and policy; waived ones last. */
export function sortedViolations(report: PolicyReport): Violation[] {
    return [...report.violations].sort((a, b) =>
        Number(a.waived) - Number(b.waived)
        || LEVEL_ORDER[a.enforcementLevel] - LEVEL_ORDER[b.enforcementLevel]
        || (SEVERITY_ORDER[a.severity ?? "low"] ?? 9) - (SEVERITY_ORDER[b.severity ?? "low"] ?? 9)
        || a.policyName.localeCompare(b.policyName)
        || (a.urn ?? "").localeCompare(b.urn ?? ""));
}

/** Findings: each in exactly one of mandatory, advisory, not evaluated in preview, waived (all open but the waived). */
function findingCounts(report: PolicyReport): string {
    const s = report.summary;
    return `${s.mandatory} mandatory, ${s.advisory} advisory, ${s.notEvaluated} not evaluated in preview, ${s.waived} waived`;
}

export function summaryLine(report: PolicyReport): string {
    const s = report.summary;
    const verdict = s.blocking ? "FAIL" : "pass";
    const extra = [s.expiredWaivers ? `${s.expiredWaivers} under an expired waiver` : "", s.unusedWaivers ? `${s.unusedWaivers} unused waiver(s)` : ""].filter(Boolean).join(", ");
    return `${verdict}: ${findingCounts(report)} (policy pack ${report.policyPack}@${report.policyPackVersion} over ${s.resources} resources; its ${report.policies.length} policies: ${outcomesLine(report)})${extra ? `; ${extra}` : ""}`;
}

const tagOf = (v: Violation) => (v.waived ? "waived" : v.notEvaluated ? "not evaluated" : v.enforcementLevel);

export function formatReportText(report: PolicyReport): string {
    const lines = [summaryLine(report)];
    for (const m of report.missingEvidence ?? []) lines.push(`  [incomplete log] ${m}`);
    for (const v of sortedViolations(report)) {
        lines.push(`  [${tagOf(v)}] ${v.policyName} (${v.severity ?? "-"}) ${urnName(v.urn)}: ${detail(v)}${status(v) ? `  -- ${status(v)}` : ""}`);
    }
    if (report.policies.length > 0) {
        lines.push("  policies:");
        const width = Math.max(...report.policies.map((p) => OUTCOME_TEXT[p.outcome].length));
        for (const p of report.policies) lines.push(`    ${OUTCOME_TEXT[p.outcome].padEnd(width)}  ${p.name} (${p.enforcementLevel}; ${p.findings} finding(s), checked on ${p.checked})`);
    }
    return lines.join("\n") + "\n";
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function formatReportMarkdown(report: PolicyReport, heading = "## Policy report"): string {
    const s = report.summary;
    const icon = s.blocking ? ":x:" : ":white_check_mark:";
    const lines = [
        ...(heading ? [heading, ""] : []),
        `${icon} **${s.mandatory} mandatory**, ${s.advisory} advisory, ${s.notEvaluated} not evaluated in preview, ${s.waived} waived — \`${report.policyPack}@${report.policyPackVersion}\` over ${s.resources} resources${report.stack ? ` (stack \`${report.stack}\`)` : ""}; its ${report.policies.length} policies: ${outcomesLine(report)}.`,
    ];
    if (report.missingEvidence?.length) {
        lines.push("", "**Incomplete event log**: it proves only the findings below.", "", ...report.missingEvidence.map((m) => `- ${cell(m)}`));
    }
    const vs = sortedViolations(report);
    if (vs.length > 0) {
        lines.push("", "| level | policy | severity | resource | finding | waiver |", "|---|---|---|---|---|---|");
        for (const v of vs) {
            lines.push(`| ${tagOf(v)} | \`${v.policyName}\` | ${v.severity ?? ""} | \`${cell(urnName(v.urn))}\` | ${cell(detail(v))} | ${cell(status(v))} |`);
        }
    }
    if (report.policies.length > 0) {
        lines.push("", `<details><summary>Every policy of the pack and its outcome</summary>`, "", "| outcome | policy | level | findings | checked on |", "|---|---|---|---|---|");
        for (const p of report.policies) lines.push(`| ${OUTCOME_TEXT[p.outcome]} | \`${p.name}\` | ${p.enforcementLevel} | ${p.findings} | ${p.checked} |`);
        lines.push("", "</details>");
    }
    return lines.join("\n") + "\n";
}

export function formatReportJson(report: PolicyReport): string {
    return JSON.stringify(report, null, 2) + "\n";
}

const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

/** Where a finding's resource is declared: a file relative to the repository root and a line. */
export interface SourceLocation {
    uri: string;
    line: number;
}

/**
 * Locates resources in the program: a resource inside a component points at the component's
 * constructor (`super("scaling:<module>:<Type>", ...)` in `components/*.ts`), anything else at the
 * composition root `index.ts`. Code scanning then annotates the file that declares it.
 */
export function componentLocator(projectDir: string): (urn?: string) => SourceLocation {
    const byType = new Map<string, SourceLocation>();
    const dir = path.join(projectDir, "components");
    if (fs.existsSync(dir)) {
        for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".ts")).sort()) {
            fs.readFileSync(path.join(dir, f), "utf8").split("\n").forEach((line, i) => {
                const m = /super\(\s*"(scaling:[\w-]+:\w+)"/.exec(line);
                if (m && !byType.has(m[1])) byType.set(m[1], { uri: `components/${f}`, line: i + 1 });
            });
        }
    }
    return (urn) => {
        const chain = urn?.split("::")[2]?.split("$") ?? [];
        for (const t of [...chain].reverse()) {
            const hit = byType.get(t);
            if (hit) return hit;
        }
        return { uri: "index.ts", line: 1 };
    };
}
const SECURITY_SEVERITY: Record<string, string> = { critical: "9.5", high: "8.0", medium: "5.5", low: "3.0" };

function sarifLevel(v: Violation): "error" | "warning" | "note" {
    if (v.enforcementLevel === "mandatory") return "error";
    return v.notEvaluated ? "note" : "warning";
}

/**
 * SARIF 2.1.0: one rule per policy (id = policy name, with its description, remediation, severity
 * and framework control), one result per finding; resources are logical locations (their URNs), and
 * the file declaring them (the component's constructor, else `index.ts`) the physical location.
 * Waived findings carry an accepted suppression.
 */
export function formatReportSarif(report: PolicyReport, rules: Rule[] = RULES, locate: (urn?: string) => SourceLocation = componentLocator(path.resolve(__dirname, ".."))): string {
    const known = new Map(rules.map((r) => [r.name, r]));
    const outcome = new Map(report.policies.map((p) => [p.name, p]));
    const ids = [...new Set([...rules.map((r) => r.name), ...report.violations.map((v) => v.policyName)])];
    const sarifRules = ids.map((id) => {
        const r = known.get(id);
        const tags = [...new Set([...(r?.tags ?? []), "security"])];
        return {
            id,
            name: id.split("-").map((w) => w[0].toUpperCase() + w.slice(1)).join(""),
            shortDescription: { text: r?.description ?? id },
            fullDescription: { text: r?.description ?? id },
            help: { text: r?.remediationSteps ?? "See the policy pack.", markdown: r?.remediationSteps ?? "See the policy pack." },
            defaultConfiguration: { level: r?.enforcementLevel === "mandatory" ? "error" : "warning", enabled: r?.enforcementLevel !== "disabled" },
            properties: {
                tags,
                ...(outcome.get(id) ? { outcome: outcome.get(id)!.outcome, configuredLevel: outcome.get(id)!.enforcementLevel } : {}),
                ...(r?.severity ? { "security-severity": SECURITY_SEVERITY[r.severity], severity: r.severity } : {}),
                ...(r?.framework ? { framework: `${r.framework.name} ${r.framework.reference}`, frameworkSpecification: r.framework.specification } : {}),
            },
        };
    });
    const index = new Map(ids.map((id, i) => [id, i]));
    const results = report.violations.map((v) => ({
        ruleId: v.policyName,
        ruleIndex: index.get(v.policyName)!,
        level: sarifLevel(v),
        message: { text: `${urnName(v.urn)}: ${detail(v)}` },
        locations: [{
            physicalLocation: ((l) => ({ artifactLocation: { uri: l.uri, uriBaseId: "%SRCROOT%" }, region: { startLine: l.line } }))(locate(v.urn)),
            logicalLocations: [{ fullyQualifiedName: v.urn ?? `stack:${report.stack ?? ""}`, name: urnName(v.urn), kind: "resource" }],
        }],
        partialFingerprints: { "policyResource/v1": `${v.policyName}:${v.urn ?? "stack"}` },
        properties: { enforcementLevel: v.enforcementLevel, severity: v.severity, policyPack: v.policyPack, urn: v.urn },
        ...(v.waiver ? {
            suppressions: [{
                kind: "external",
                status: v.waived ? "accepted" : "rejected",
                justification: `${v.waiver.reason} (owner ${v.waiver.owner}, expires ${v.waiver.expires}${v.waiver.expired ? ", expired" : ""})`,
            }],
        } : {}),
    }));
    const log = {
        $schema: SARIF_SCHEMA,
        version: "2.1.0",
        runs: [{
            tool: {
                driver: {
                    name: report.policyPack,
                    version: report.policyPackVersion,
                    informationUri: "https://www.pulumi.com/docs/iac/packages-and-automation/crossguard/",
                    rules: sarifRules,
                },
            },
            automationDetails: { id: `${report.policyPack}/${report.stack ?? "stack"}/` },
            results,
            properties: {
                summary: report.summary, source: report.source, stack: report.stack, mode: report.mode, policies: report.policies,
                ...(report.missingEvidence ? { missingEvidence: report.missingEvidence } : {}),
            },
        }],
    };
    return JSON.stringify(log, null, 2) + "\n";
}

export function formatReport(report: PolicyReport, format: ReportFormat): string {
    switch (format) {
        case "json": return formatReportJson(report);
        case "markdown": return formatReportMarkdown(report);
        case "sarif": return formatReportSarif(report);
        default: return formatReportText(report);
    }
}

/**
 * The plan's `sizing` key: the capacity and cost report of the stack's topology, computed from
 * the validated stack config (a pure function of it: no need to run the program), and its report section.
 */
import { PROJECT } from "../config";
import { resolveStackConfig } from "../sizing/stackConfig";
import { stackSizingReport } from "../sizing/stackReport";
import type { SizingItem, SizingReport } from "../sizing/report";
import { disasterRecoveryCost, DisasterRecoveryCost } from "../sizing/recovery";
import type { PlanSection } from "./format";
import type { Plan } from "./run";
import { usd, wholeNumber } from "../sizing/numbers";

/**
 * The sizing report for a stack's raw config (as the plan passes it to the program), whatever the program's
 * project name; undefined for a stack without `scaling-topology:` config (a program that does not use it).
 * On a multi-region stack it adds what the standby region costs.
 */
export function sizingForConfig(stack: string, rawConfig: Record<string, unknown>, project: string = PROJECT): PlanSizing | undefined {
    if (!Object.keys(rawConfig).some((k) => k.startsWith(`${PROJECT}:`))) return undefined;
    // The project's own namespace and the physical-name prefix depend on the project name.
    const config = resolveStackConfig(stack, rawConfig, project);
    const dr = disasterRecoveryCost(config);
    return { ...stackSizingReport(stack, rawConfig, project, config), ...(dr ? { disasterRecovery: { role: config.recovery!.role, ...dr } } : {}) };
}

/** The plan's `sizing` key: the report, and on a multi-region stack what its standby region costs. */
export type PlanSizing = SizingReport & { disasterRecovery?: DisasterRecoveryCost & { role: "primary" | "secondary" } };

const n = wholeNumber;
const count = (i: SizingItem) => (i.count.min === i.count.max ? `${i.count.max}` : `${i.count.min}-${i.count.max}`);
const cost = (i: SizingItem) => (i.monthlyCostUsd === 0 ? "(on its nodes)" : `${usd(i.monthlyCostUsd)}${i.priceEstimate ? " (est.)" : ""}`);

/** One-paragraph summary: targets, capacity, headroom, bottleneck, cost. */
export function sizingSummary(s: PlanSizing): string[] {
    const dr = s.disasterRecovery;
    return [
        `targets: ${n(s.targets.peakConcurrentUsers)} peak concurrent users, ${n(s.targets.dailyActiveUsers)} daily actives, ${n(s.targets.peakRps)} rps at peak`,
        `capacity: ${n(s.capacity.peakConcurrentUsers)} peak concurrent users, ${n(s.capacity.peakRps)} rps (headroom ${Math.round(s.actualHeadroom * 100)}%, configured ${Math.round(s.headroom * 100)}%); bottleneck: ${s.bottleneck}`,
        `monthly cost (on-demand, ${s.priceRegion}): ${usd(s.monthlyCostUsd)} with every autoscaled count at its maximum, ${usd(s.monthlyCostUsdAtMin)} at the minima; excludes data transfer, storage, I/O, LCUs`,
        ...(dr ? [dr.role === "primary"
            ? `disaster recovery adds ${usd(dr.standbyMonthlyUsd)}/month: ${dr.basis}`
            : `this standby region costs ${usd(dr.standbyMonthlyUsd)}/month at its minima (on-demand, ${s.priceRegion} prices); ${dr.basis}`] : []),
    ];
}

/** Warnings: explicit sizing far above the load's need, with the monthly cost of the excess. */
export function oversizeLines(s: SizingReport): string[] {
    if (!s.oversized?.length) return [];
    return [
        `warning: explicit sizing ${usd(s.oversizedMonthlyUsd ?? 0)}/month above what the load needs (derived from the load alone: ${usd(s.derivedMonthlyCostUsd ?? 0)}/month at the maxima)`,
        ...s.oversized.map((w) => `  - ${w.message}`),
    ];
}

const quotaRows = (s: SizingReport) => (s.quotas ?? []).map((q) => [q.service, q.code ?? "-", q.name, n(q.need), q.defaultValue === undefined ? "per account" : n(q.defaultValue), q.detail]);
const QUOTA_HEADER = ["service", "code", "quota", "needed", "AWS default", "made of"];

function table(header: string[], rows: string[][]): string[] {
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
    const line = (r: string[]) => `  ${r.map((v, c) => v.padEnd(widths[c])).join("  ")}`.trimEnd();
    return [line(header), ...rows.map(line)];
}

export function sizingText(s: PlanSizing): string {
    const header = ["component", "count", "unit", "capacity", "monthly cost"];
    const rows = s.items.map((i) => [i.component, count(i), i.unit, i.capacity, cost(i)]);
    const quotas = quotaRows(s);
    return [
        ...sizingSummary(s).map((l) => `  ${l}`),
        ...oversizeLines(s).map((l) => `  ${l}`),
        "", ...table(header, rows),
        ...(quotas.length ? ["", "  account quotas the maxima need (check: aws service-quotas get-service-quota):", ...table(QUOTA_HEADER, quotas)] : []),
    ].join("\n");
}

export function sizingMarkdown(s: PlanSizing): string {
    const esc = (v: string) => v.replace(/\|/g, "\\|");
    return [
        ...sizingSummary(s).map((l) => `- ${l}`),
        "",
        "| component | count | unit | capacity | monthly cost |",
        "|---|---:|---|---|---:|",
        ...s.items.map((i) => `| ${esc(i.component)} | ${count(i)} | ${esc(i.unit)} | ${esc(i.capacity)} | ${cost(i)} |`),
        ...(s.oversized?.length ? ["", ...oversizeLines(s).map((l) => (l.startsWith("  - ") ? l.slice(2) : `> **${l}**`))] : []),
        ...(s.quotas?.length ? [
            "", "Account quotas the maxima need (`aws service-quotas get-service-quota --service-code <service> --quota-code <code>`):", "",
            `| ${QUOTA_HEADER.join(" | ")} |`, "|---|---|---|---:|---:|---|",
            ...quotaRows(s).map((r) => `| ${r.map(esc).join(" | ")} |`),
        ] : []),
    ].join("\n");
}

const sizingOfPlan = (plan: Plan) => plan.sizing as PlanSizing | undefined;

/** The plan's "Sizing" section. */
export const sizingSection: PlanSection = {
    title: "Sizing (capacity and cost)",
    text: (plan) => (sizingOfPlan(plan) ? sizingText(sizingOfPlan(plan)!) : undefined),
    markdown: (plan) => (sizingOfPlan(plan) ? sizingMarkdown(sizingOfPlan(plan)!) : undefined),
};

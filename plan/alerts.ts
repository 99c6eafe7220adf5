/**
 * The plan's `alerts` key: every Prometheus alert and CloudWatch alarm the stack ships, with its threshold
 * and where the threshold comes from, computed from the validated config (like `sizing`), and the report
 * section that shows it in the text and Markdown formats.
 */
import { PROJECT, StackConfig } from "../config";
import { resolveStackConfig } from "../sizing/stackConfig";
import { alertsOf, alertThresholds, duration, stackAlertRules } from "../sizing/alerts";
import type { Plan } from "./run";
import type { PlanSection } from "./format";

export interface AlertSummary {
    alert: string;
    severity: string;
    for: string;
    threshold: string;
    source: string;
}

export interface AlertsReport {
    /** Where the rules live: the AMP rule group namespace. */
    pipeline: string;
    prometheus: AlertSummary[];
}

export function alertsReport(c: StackConfig): AlertsReport {
    const { groups } = stackAlertRules(alertThresholds(c));
    return {
        pipeline: c.observability.pipeline,
        prometheus: alertsOf(groups).map((a) => ({ alert: a.alert, severity: a.severity, for: duration(a.forSeconds), threshold: a.threshold, source: a.source })),
    };
}

/**
 * The alerts report for a stack's raw config (as the plan passes it to the program), whatever the program's
 * project name; undefined for a stack without `scaling-topology:` config.
 */
export function alertsForConfig(stack: string, rawConfig: Record<string, unknown>, project: string = PROJECT): AlertsReport | undefined {
    if (!Object.keys(rawConfig).some((k) => k.startsWith(`${PROJECT}:`))) return undefined;
    return alertsReport(resolveStackConfig(stack, rawConfig, project));
}

/** CloudWatch alarms of the plan (recorded resources), with their metric and threshold. */
function alarmsOf(plan: Plan): Array<{ name: string; metric: string; threshold: string; actions: number }> {
    return plan.resources
        .filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm")
        .map((r) => {
            const p = r.props as Record<string, unknown>;
            const metric = p.metricName ? `${p.namespace}/${p.metricName}` : `metric math (${((p.metricQueries as Array<{ expression?: string }>) ?? []).find((q) => q.expression)?.expression ?? "?"})`;
            return { name: r.name, metric, threshold: `${p.comparisonOperator} ${p.threshold}`, actions: ((p.alarmActions as unknown[]) ?? []).length };
        });
}

const reportOf = (plan: Plan) => plan.alerts as AlertsReport | undefined;
const esc = (v: string) => v.replace(/\|/g, "\\|");

export const alertsSection: PlanSection = {
    title: "Alerts",
    text: (plan) => {
        const r = reportOf(plan);
        if (!r) return undefined;
        const lines = r.prometheus.map((a) => `  ${a.alert.padEnd(36)} ${a.severity.padEnd(8)} for ${a.for.padEnd(4)} ${a.threshold}`);
        const alarms = alarmsOf(plan).map((a) => `  ${a.name.padEnd(36)} ${a.metric} ${a.threshold} (${a.actions} action${a.actions === 1 ? "" : "s"})`);
        return [`  Prometheus rules (${r.pipeline}): ${r.prometheus.length} alerts`, ...lines, "", `  CloudWatch alarms: ${alarms.length}`, ...alarms].join("\n");
    },
    markdown: (plan) => {
        const r = reportOf(plan);
        if (!r) return undefined;
        const alarms = alarmsOf(plan);
        return [
            `Prometheus rules (${r.pipeline}): ${r.prometheus.length} alerts; CloudWatch alarms: ${alarms.length}.`,
            "",
            "| alert | severity | for | threshold | from |",
            "|---|---|---|---|---|",
            ...r.prometheus.map((a) => `| \`${a.alert}\` | ${a.severity} | ${a.for} | ${esc(a.threshold)} | ${esc(a.source)} |`),
            "",
            "<details><summary>CloudWatch alarms</summary>",
            "",
            "| alarm | metric | threshold | actions |",
            "|---|---|---|---:|",
            ...alarms.map((a) => `| \`${a.name}\` | ${esc(a.metric)} | ${a.threshold} | ${a.actions} |`),
            "",
            "</details>",
        ].join("\n");
    },
};

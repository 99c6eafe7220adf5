/**
 * Policy results in the offline plan: `npm run plan` evaluates the pack over the plan's resources with
 * the stack's policy config, adds them under the `policy` key of its JSON and exits 2 on a mandatory
 * violation; the text and Markdown formats show them in a "Policy" section.
 */
import type { Plan } from "../plan/run";
import type { PlanSection } from "../plan/format";
import { evaluatePolicies, PolicyReport } from "./evaluate";
import { formatReportMarkdown, formatReportText } from "./format";
import { stackPolicyConfig } from "./stackConfig";

/** Evaluates the pack over the plan (the stack's policy config from `projectDir`) and sets `plan.policy`. */
export async function attachPolicyReport(plan: Plan, projectDir: string, now = new Date()): Promise<PolicyReport> {
    const config = stackPolicyConfig(projectDir, plan.stack);
    const report = await evaluatePolicies(plan.resources, { config, now, stack: plan.stack, mode: plan.mode });
    plan.policy = report;
    return report;
}

const reportOf = (plan: Plan) => plan.policy as PolicyReport | undefined;

/** The plan's "Policy" section. */
export const policySection: PlanSection = {
    title: "Policy",
    text: (plan) => {
        const r = reportOf(plan);
        return r && formatReportText(r).trimEnd().split("\n").map((l) => `  ${l}`).join("\n");
    },
    markdown: (plan) => {
        const r = reportOf(plan);
        return r && formatReportMarkdown(r, "").trimEnd();
    },
};

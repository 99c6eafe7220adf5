/**
 * The plan's `recovery` key: RPO and RTO per failure scenario and what disaster recovery costs, computed from
 * the validated stack config (`sizing/recovery.ts`); its report section; the stacks a plan reads through
 * StackReferences; and the runbook of a stack (`scaling-topology runbook`), rendered from a plan.
 */
import { PROJECT } from "../config";
import { resolveStackConfig } from "../sizing/stackConfig";
import { RecoveryReport, recoveryReport } from "../sizing/recovery";
import type { PlanSection } from "./format";
import type { Plan } from "./run";
import { usd } from "../sizing/numbers";

/** The recovery report for a stack's raw config, whatever the program's project name; undefined without `scaling-topology:` config. */
export function recoveryForConfig(stack: string, rawConfig: Record<string, unknown>, project: string = PROJECT): RecoveryReport | undefined {
    if (!Object.keys(rawConfig).some((k) => k.startsWith(`${PROJECT}:`))) return undefined;
    return recoveryReport(resolveStackConfig(stack, rawConfig, project));
}

/** Stacks a stack's program reads through a StackReference (a disaster-recovery secondary reads its primary). */
export function referencedStacks(rawConfig: Record<string, unknown>): string[] {
    let recovery: unknown = rawConfig[`${PROJECT}:recovery`];
    try {
        if (typeof recovery === "string") recovery = JSON.parse(recovery);
    } catch {
        return [];
    }
    const r = recovery as { role?: unknown; primaryStack?: unknown } | undefined;
    return r && r.role === "secondary" && typeof r.primaryStack === "string" ? [r.primaryStack] : [];
}

const recoveryOf = (plan: Plan) => plan.recovery as RecoveryReport | undefined;
const minutes = (m: number) => (Number.isFinite(m) ? `${m} min` : "not recoverable");
const seconds = (s: number) => (!Number.isFinite(s) ? "all data" : s === 0 ? "0 s" : s >= 3600 ? `${s / 3600} h` : `${s} s`);

export function recoveryText(r: RecoveryReport): string {
    const width = Math.max(...r.scenarios.map((s) => s.name.length));
    const lines = [`  role: ${r.role}; objectives: region loss RTO <= ${r.objectives.regionLossRtoMinutes} min, RPO <= ${r.objectives.regionLossRpoSeconds} s`, ""];
    for (const s of r.scenarios) lines.push(`  ${s.name.padEnd(width)}  RPO ${seconds(s.rpoSeconds).padEnd(9)} RTO ${minutes(s.rtoMinutes)}`, `  ${" ".repeat(width)}  ${s.basis}`);
    if (r.cost) lines.push("", `  disaster recovery: ${usd(r.cost.standbyMonthlyUsd)}/month (${r.cost.basis})`);
    return lines.join("\n");
}

export function recoveryMarkdown(r: RecoveryReport): string {
    const esc = (v: string) => v.replace(/\|/g, "\\|");
    return [
        `Role: **${r.role}**. Objectives: region loss RTO <= ${r.objectives.regionLossRtoMinutes} min, RPO <= ${r.objectives.regionLossRpoSeconds} s.`,
        "",
        "| scenario | RPO | RTO | basis |",
        "|---|---:|---:|---|",
        ...r.scenarios.map((s) => `| ${s.name} | ${seconds(s.rpoSeconds)} | ${minutes(s.rtoMinutes)} | ${esc(s.basis)} |`),
        ...(r.cost ? ["", `Disaster recovery: **${usd(r.cost.standbyMonthlyUsd)}/month** (${esc(r.cost.basis)}).`] : []),
    ].join("\n");
}

/** The plan's "Recovery" section. */
export const recoverySection: PlanSection = {
    title: "Recovery (RPO and RTO)",
    text: (plan) => (recoveryOf(plan) ? recoveryText(recoveryOf(plan)!) : undefined),
    markdown: (plan) => (recoveryOf(plan) ? recoveryMarkdown(recoveryOf(plan)!) : undefined),
};

/** What the runbook reads from a plan: its recovery key and the identifiers in its outputs. */
interface RunbookFacts {
    stack: string;
    role: RecoveryReport["role"];
    region: string;
    secondaryRegions: string[];
    primaryRegion?: string;
    globalCluster?: string;
    globalDatastore?: string;
    auroraCluster?: string;
    replicationGroup?: string;
    eksCluster?: string;
    hostname?: string;
}

function factsOf(plan: Plan): RunbookFacts {
    const o = plan.outputs as Record<string, any>;
    const rec = (o.recovery ?? {}) as Record<string, any>;
    const auroraCluster = plan.resources.find((r) => r.type === "aws:rds/cluster:Cluster")?.props.clusterIdentifier as string | undefined;
    const replicationGroup = plan.resources.find((r) => r.type === "aws:elasticache/replicationGroup:ReplicationGroup")?.props.replicationGroupId as string | undefined;
    return {
        stack: plan.stack,
        replicationGroup,
        role: recoveryOf(plan)?.role ?? "standalone",
        region: String(o.region ?? "?"),
        secondaryRegions: rec.secondaryRegions ?? [],
        primaryRegion: rec.primaryRegion,
        globalCluster: rec.aurora?.globalClusterIdentifier,
        globalDatastore: rec.redis?.globalReplicationGroupId,
        auroraCluster,
        eksCluster: typeof o.clusterName === "string" ? o.clusterName : undefined,
        hostname: typeof o.edgeHostname === "string" ? o.edgeHostname : undefined,
    };
}

/**
 * The disaster-recovery runbook of a planned stack, Markdown: planned switchover (no data loss) and unplanned
 * failover, with this stack's identifiers filled in, and its recovery figures.
 */
export function renderRunbook(plan: Plan): string {
    const f = factsOf(plan);
    const r = recoveryOf(plan);
    const lines: string[] = [`# Disaster-recovery runbook: ${plan.project}/${f.stack} (${f.region}, role ${f.role})`, ""];
    if (r) lines.push("## Recovery figures", "", recoveryMarkdown(r), "");
    if (f.role === "standalone") {
        lines.push("This stack has no standby region (no `scaling-topology:recovery`). A lost region is rebuilt from the AWS Backup copies (README \"Restore runbook\").", "");
        return lines.join("\n");
    }
    const gc = f.globalCluster ?? "<global cluster>";
    const gd = f.globalDatastore ?? "<global datastore id>";
    const secondary = f.role === "primary" ? (f.secondaryRegions[0] ?? "<secondary region>") : f.region;
    const primaryRegion = f.role === "primary" ? f.region : (f.primaryRegion ?? "<primary region>");
    // The standby's identifiers are known in its own runbook; the primary's names them by the secondary stack's.
    const onSecondary = f.role === "secondary";
    const target = `arn:aws:rds:${secondary}:<account>:cluster:${onSecondary && f.auroraCluster ? f.auroraCluster : "<secondary stack's aurora cluster identifier>"}`;
    const secondaryGroup = onSecondary && f.replicationGroup ? f.replicationGroup : "<secondary stack's replication group id>";
    lines.push(
        "## Planned switchover (no data loss)",
        "",
        "Both regions healthy; moves the writer and the cache primary with their replication caught up.",
        "",
        "1. Check the standby: `AuroraGlobalDBReplicationLag` under a second, the edge pool of the secondary healthy.",
        `2. Scale the standby to carry the load: raise the node group and service minima in the secondary's stack file (or \`kubectl scale\`) and \`pulumi up\` it; wait for the nodes.`,
        `3. Aurora: \`aws rds switchover-global-cluster --region ${primaryRegion} --global-cluster-identifier ${gc} --target-db-cluster-identifier ${target}\` (waits for replication: RPO 0).`,
        `4. Cache: \`aws elasticache failover-global-replication-group --region ${primaryRegion} --global-replication-group-id ${gd} --primary-region ${secondary} --primary-replication-group-id ${secondaryGroup}\`.`,
        "5. Edge: the load balancer keeps sending to the first healthy pool; to move users now, disable the old primary's pool (Cloudflare dashboard or API) until you switch back.",
        "6. Verify: error rate and latency at the edge, `SELECT pg_is_in_recovery()` is false on the new writer through PgBouncer.",
        "",
        "## Unplanned failover (primary region lost)",
        "",
        "1. Stateless path: automatic. The monitor fails the primary's pool after `consecutiveDown` checks and the load balancer sends every request to the secondary's ingress.",
        `2. Decide (the RTO budgets recovery.decisionMinutes): AWS Health Dashboard, the edge monitor and \`AuroraGlobalDBReplicationLag\` agree the region is down.`,
        `3. Aurora: \`aws rds failover-global-cluster --region ${secondary} --global-cluster-identifier ${gc} --target-db-cluster-identifier ${target} --allow-data-loss\` (loses at most the replication lag). A headless standby first needs an instance: \`aws rds create-db-instance --engine aurora-postgresql --db-cluster-identifier <secondary cluster> --db-instance-class <class> --db-instance-identifier <id>\`.`,
        `4. Cache: \`aws elasticache failover-global-replication-group --region ${secondary} --global-replication-group-id ${gd} --primary-region ${secondary} --primary-replication-group-id ${secondaryGroup}\` (if the old primary region does not answer, \`disassociate-global-replication-group\` the secondary: it becomes a standalone writable group).`,
        `5. Scale the standby: raise the minima in the secondary's stack file and \`pulumi up\` the secondary stack (its EKS${f.role === "secondary" && f.eksCluster ? ` ${f.eksCluster}` : ""} has the same maxima as the primary; the cluster autoscaler and HPAs take it from there). Add Aurora readers to the promoted cluster for the read load (\`aws rds create-db-instance --db-cluster-identifier <cluster> --engine aurora-postgresql --db-instance-class <class> --db-instance-identifier <cluster>-r<n>\`, as many as the primary's readers, in parallel): the standby runs ${"`"}standbyAuroraInstances${"`"} only.`,
        "6. PgBouncer in the secondary already points at its cluster's writer endpoint, active once promoted; restart the read-write pool (`kubectl -n pgbouncer rollout restart deployment`) to drop stale connections.",
        "7. Verify as in the switchover. Keep `pulumi up` of the old primary's stack off until the region is back: its state still describes the old writer.",
        "8. Back to normal: when the old region returns, its cluster rejoins as a secondary (Aurora does this after a failover with data loss when possible); switch back with the planned switchover above.",
        "",
    );
    return lines.join("\n");
}

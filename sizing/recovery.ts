/**
 * Recovery figures: RPO and RTO per failure scenario, derived from the stack config (replica counts, PITR,
 * global replication, standby minima), and what disaster recovery costs. Pure functions, no Pulumi.
 *
 * Every duration is an estimate with its basis written beside it: the AWS figures are the services'
 * documented typical values; the operator figures (deciding, scaling, verifying) are assumptions the config
 * can change (`recovery.decisionMinutes`) and a game day should measure.
 */
import type { StackConfig } from "../config";
import { auroraPrice, cacheNodePrice, ec2Price, FIXED_PRICES, monthly } from "./prices";

export interface RecoveryScenario {
    /** `zone-loss`, `writer-failure`, `region-loss`, `data-corruption`, `accidental-deletion`. */
    name: string;
    /** Data of record (Aurora) that may be lost, in seconds of writes. */
    rpoSeconds: number;
    /** Minutes until the service answers again. */
    rtoMinutes: number;
    /** How the figures follow from the config, and what the recovery is. */
    basis: string;
}

export interface RecoveryReport {
    /** `standalone`, `primary` or `secondary`. */
    role: "standalone" | "primary" | "secondary";
    scenarios: RecoveryScenario[];
    /** The objectives the scenarios are held to (prod: region loss RTO <= 60 min, RPO in seconds). */
    objectives: { regionLossRtoMinutes: number; regionLossRpoSeconds: number };
    /** What disaster recovery costs a month (on demand): the standby region at its minima. */
    cost?: DisasterRecoveryCost;
}

export interface DisasterRecoveryCost {
    /** Monthly cost of the standby region at its minima, USD. */
    standbyMonthlyUsd: number;
    /** Items of that figure. */
    items: Array<{ component: string; count: number; monthlyUsd: number }>;
    basis: string;
}

/** Documented typical durations the figures build on (minutes unless named). */
export const RECOVERY_TIMES = {
    /** Aurora promotes a reader in another zone: typically under 60 s (Aurora User Guide, "Failover"). */
    auroraFailoverMinutes: 1,
    /** ElastiCache promotes a replica: typically under a minute with Multi-AZ (ElastiCache "Minimizing downtime"). */
    cacheFailoverMinutes: 1,
    /** `failover-global-cluster` with a reader in the secondary: typically a minute or two (Aurora "Recovering from an unplanned outage"). */
    globalFailoverMinutes: 2,
    /** A new Aurora instance in a headless secondary: typically 10-20 minutes to create. */
    headlessInstanceMinutes: 15,
    /** Global datastore promotion of the secondary (`failover-global-replication-group`): a few minutes. */
    datastorePromoteMinutes: 3,
    /** Cluster autoscaler nodes ready (EC2 launch + join + pulls) and HPAs scaling to the load: an assumption. */
    scaleStandbyMinutes: 10,
    /** Smoke tests and watching the error rate before declaring the region up: an assumption. */
    verifyMinutes: 5,
    /** Restoring a point in time into a new Aurora cluster and its instances (size-dependent): an assumption for hundreds of GiB. */
    auroraRestoreMinutes: 60,
    /** Repointing PgBouncer (a config change and rollout) after a restore. */
    repointMinutes: 10,
    /** Rebuilding the whole topology in another region from backup copies (network, EKS, data restores): an assumption. */
    rebuildRegionMinutes: 480,
    /** Aurora's latest restorable time trails the present by about 5 minutes (transaction logs upload). */
    pitrLagSeconds: 300,
};

/** The region-loss objectives a prod stack must meet (the issue's RTO under an hour, RPO of seconds). */
export const PROD_OBJECTIVES = { regionLossRtoMinutes: 60, regionLossRpoSeconds: 60 };

const T = RECOVERY_TIMES;

/** RPO and RTO per scenario for a validated stack config. */
export function recoveryScenarios(c: StackConfig): RecoveryScenario[] {
    const r = c.recovery;
    // A standby's Aurora runs its standby instances until it is promoted.
    const readers = r?.role === "secondary" ? r.standbyAuroraInstances : c.aurora.readers;
    const zones = c.network.availabilityZones.length;
    const pitrDays = c.backup.continuous.enabled ? c.backup.continuous.retentionDays : c.aurora.backupRetentionDays;
    const scenarios: RecoveryScenario[] = [];
    const cacheNote = `Valkey/Redis replicate asynchronously (${c.redis.replicasPerShard} replica(s) per shard): a cache, so at most the last second of cache writes is lost, never data of record`;

    scenarios.push({
        name: "zone-loss",
        rpoSeconds: 0,
        rtoMinutes: Math.max(T.auroraFailoverMinutes, T.cacheFailoverMinutes) + (readers >= 1 ? 0 : T.headlessInstanceMinutes),
        basis: `Aurora storage spans three zones; the writer fails over to one of ${readers} reader(s) spread over ${zones} zones (~${T.auroraFailoverMinutes} min, PgBouncer re-resolves the endpoint within dns_max_ttl); ElastiCache promotes a replica in another zone (~${T.cacheFailoverMinutes} min); EKS keeps pods in the other ${zones - 1} zones and the cluster autoscaler replaces the lost nodes. ${cacheNote}`,
    });
    scenarios.push({
        name: "writer-failure",
        rpoSeconds: 0,
        rtoMinutes: T.auroraFailoverMinutes + (readers >= 1 ? 0 : T.headlessInstanceMinutes),
        basis: `Aurora promotes the tier-1 reader (${readers} reader(s)) in typically under a minute with no committed write lost (shared storage); PgBouncer's server_lifetime and dns_max_ttl make its pools follow the new writer`,
    });

    if (r?.role === "primary" || r?.role === "secondary") {
        const headless = r.role === "secondary" && r.standbyAuroraInstances === 0;
        const database = T.globalFailoverMinutes + (headless ? T.headlessInstanceMinutes : 0);
        const rto = r.decisionMinutes + Math.max(database, T.datastorePromoteMinutes) + T.scaleStandbyMinutes + T.verifyMinutes;
        scenarios.push({
            name: "region-loss",
            rpoSeconds: r.expectedReplicationLagSeconds,
            rtoMinutes: rto,
            basis: `Aurora global database replicates storage to the secondary region with ~${r.expectedReplicationLagSeconds} s lag (recovery.expectedReplicationLagSeconds; CloudWatch AuroraGlobalDBReplicationLag): an unplanned failover loses at most that. RTO = ${r.decisionMinutes} min to decide (recovery.decisionMinutes) + ${database} min for failover-global-cluster${headless ? ` (headless standby: +${T.headlessInstanceMinutes} min to create an instance)` : " (a standby reader is promoted)"}, the global datastore promoted in parallel (~${T.datastorePromoteMinutes} min) + ${T.scaleStandbyMinutes} min scaling the standby EKS from its minima + ${T.verifyMinutes} min verifying. The edge moves the stateless path on its own when the primary's health monitor fails.`,
        });
    } else {
        const dr = c.backup.disasterRecovery;
        scenarios.push({
            name: "region-loss",
            rpoSeconds: dr ? 24 * 3600 : Number.POSITIVE_INFINITY,
            rtoMinutes: dr ? T.rebuildRegionMinutes : Number.POSITIVE_INFINITY,
            basis: dr
                ? `No standby region: rebuild the topology in ${dr.region} and restore the daily backup copies there (AWS Backup copies; up to 24 h of writes lost, ~${T.rebuildRegionMinutes / 60} h of work). Set scaling-topology:recovery to run a warm standby instead.`
                : "No standby region and no backup copies in another region: the data does not survive the loss of the region.",
        });
    }

    scenarios.push({
        name: "data-corruption",
        rpoSeconds: T.pitrLagSeconds,
        rtoMinutes: T.auroraRestoreMinutes + T.repointMinutes,
        basis: `Replication copies a bad write everywhere, so the secondary region does not help: restore Aurora to the second before the corruption (point-in-time restore, ${pitrDays} days of window) into a new cluster and repoint PgBouncer; the restorable time trails the present by ~${T.pitrLagSeconds / 60} min, and writes after the chosen point must be replayed or are lost`,
    });
    const protectedStack = c.environment === "prod";
    scenarios.push({
        name: "accidental-deletion",
        rpoSeconds: protectedStack ? 0 : T.pitrLagSeconds,
        rtoMinutes: T.auroraRestoreMinutes + T.repointMinutes,
        basis: protectedStack
            ? "Deletion protection, Pulumi protect and a final snapshot guard the cluster: a deletion that still happens leaves the final snapshot (no committed write lost) and the locked AWS Backup vault; restore it into a new cluster and repoint PgBouncer"
            : `dev has no deletion protection or final snapshot: restore the latest continuous backup (~${T.pitrLagSeconds / 60} min behind) from the AWS Backup vault and repoint PgBouncer`,
    });
    return scenarios;
}

/**
 * What the standby region costs a month at its minima, from a stack's config: the secondary's own config, or
 * for a primary the same topology held at the standby minima (what `Pulumi.<secondary>.yaml` runs by default).
 */
export function disasterRecoveryCost(c: StackConfig): DisasterRecoveryCost | undefined {
    const r = c.recovery;
    if (!r) return undefined;
    const items: DisasterRecoveryCost["items"] = [];
    const add = (component: string, count: number, monthlyUsd: number) => items.push({ component, count, monthlyUsd });
    const regions = r.role === "primary" ? Math.max(1, r.secondaryRegions?.length ?? 1) : 1;
    add("EKS control plane", 1, monthly(FIXED_PRICES.eksCluster, 1));
    for (const g of c.cluster.nodeGroups) {
        // A primary's secondary keeps one node per zone in each group (the standby minima of Pulumi.prod-dr.yaml).
        const count = r.role === "secondary" ? g.minSize : Math.min(g.minSize, c.network.availabilityZones.length);
        add(`node group ${g.name} (${g.instanceTypes[0]})`, count, monthly(ec2Price(g.instanceTypes[0]), count));
    }
    const nat = c.network.natGateways === "single" ? 1 : c.network.availabilityZones.length;
    add("NAT gateways", nat, monthly(FIXED_PRICES.natGateway, nat));
    add("network load balancer", 1, monthly(FIXED_PRICES.networkLoadBalancer, 1));
    const standby = r.standbyAuroraInstances;
    add(`Aurora standby (${c.aurora.instanceClass})`, standby, monthly(auroraPrice(c.aurora.instanceClass), standby));
    // Each secondary holds every shard's primary; replicas per shard may be fewer (here: its own config, or 1).
    const replicas = r.role === "secondary" ? c.redis.replicasPerShard : 1;
    const nodes = c.redis.shards * (1 + replicas);
    add(`ElastiCache ${c.redis.engine} (${c.redis.nodeType})`, nodes, monthly(cacheNodePrice(c.redis.nodeType, c.redis.engine), nodes));
    const perRegion = Math.round(items.reduce((s, i) => s + i.monthlyUsd, 0) * 100) / 100;
    return {
        standbyMonthlyUsd: Math.round(perRegion * regions * 100) / 100,
        items,
        basis: r.role === "primary"
            ? `${regions} standby region(s), each this topology at its minima (one node per zone per node group, ${standby} Aurora standby instance, ${c.redis.shards} shards x ${1 + replicas} cache nodes); excludes Aurora replicated write I/O and cross-region transfer (~$0.02/GB)`
            : `node group minima, ${standby} Aurora standby instance, ${c.redis.shards} shards x ${1 + replicas} cache nodes; after a failover it scales to the maxima in the table; excludes Aurora replicated write I/O and cross-region transfer (~$0.02/GB)`,
    };
}

/**
 * Threshold (ms) of a standby's replication-lag alarm: ten times the lag the RPO assumes, at least 10 s and
 * at most the region-loss RPO objective.
 */
export function globalLagAlarmMs(c: StackConfig): number {
    const expected = c.recovery?.expectedReplicationLagSeconds ?? 1;
    return Math.round(Math.min(PROD_OBJECTIVES.regionLossRpoSeconds, Math.max(10, 10 * expected)) * 1000);
}

/** The plan's `recovery` key for a validated stack config. */
export function recoveryReport(c: StackConfig): RecoveryReport {
    return {
        role: c.recovery?.role ?? "standalone",
        scenarios: recoveryScenarios(c),
        objectives: PROD_OBJECTIVES,
        cost: disasterRecoveryCost(c),
    };
}

/** Scenarios that miss the prod objectives (region loss RTO and RPO). */
export function objectiveMisses(report: RecoveryReport): RecoveryScenario[] {
    return report.scenarios.filter((s) => s.name === "region-loss" && (s.rtoMinutes > report.objectives.regionLossRtoMinutes || s.rpoSeconds > report.objectives.regionLossRpoSeconds));
}

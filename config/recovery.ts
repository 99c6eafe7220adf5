/**
 * `scaling-topology:recovery`: multi-region disaster recovery. A stack is `primary` (its Aurora cluster heads an
 * Aurora global database, its ElastiCache replication group a global datastore, its secrets replicate to
 * the secondary regions) or `secondary` (a warm standby in another region that joins both, learning the
 * primary's identifiers through a `pulumi.StackReference`). Absent: a single-region stack.
 */
import { z } from "zod";
import type { ConfigCheck } from "./index";
import type { ConfigProblem } from "./errors";
import { Region } from "./core";
import { usesCloudflare } from "./edge";

const KEY = "scaling-topology:recovery";

/** Regions a global datastore reaches besides its primary (ElastiCache: "up to two other AWS Regions"). */
export const MAX_SECONDARY_REGIONS = 2;

const path = z.string().regex(/^\/[\w./-]*$/, { message: "must be a URL path starting with /" });

/** How the edge moves traffic between regions on health (Cloudflare Load Balancing). */
const EdgeFailoverConfig = z.strictObject({
    /**
     * Cloudflare account id that owns the Load Balancing subscription (monitors and pools are account
     * resources). Load Balancing is a paid add-on on every Cloudflare plan.
     */
    cloudflareAccountId: z.string().regex(/^[0-9a-f]{32}$/, { message: "must be a 32-character Cloudflare account id" }),
    /**
     * Path the monitor requests through the whole stack: edge -> load balancer -> ingress -> service.
     * Point it at an endpoint that answers 200 only when the service reaches its database and cache.
     * @default "/readyz"
     */
    healthPath: path.default("/readyz"),
    /** Seconds between checks (60 on Pro, 15 on Business, 10 on Enterprise). @default 60 */
    intervalSeconds: z.number().int().min(10).max(3600).default(60),
    /** Consecutive failures before a pool is unhealthy. @default 2 */
    consecutiveDown: z.number().int().min(1).max(10).default(2),
});

export const RecoveryConfig = z.strictObject({
    /** `primary` (heads the global database and datastore) or `secondary` (a warm standby that joins them). */
    role: z.enum(["primary", "secondary"]),
    /** primary: the regions of its secondary stacks (at most two: the global datastore's limit). */
    secondaryRegions: z.array(Region).optional(),
    /** secondary: the primary's stack, as a StackReference names it (`<org>/scaling-topology/prod`). */
    primaryStack: z.string().regex(/^([\w.-]+\/){0,2}[\w.-]+$/, { message: "must be a stack name: <org>/<project>/<stack>, <project>/<stack> or <stack>" }).optional(),
    /**
     * secondary: Aurora instances of the standby cluster: 1 (one reader: failover promotes it in about a
     * minute) or 0 (headless: cheapest; failover waits ~15 min for an instance to be created).
     * @default 1
     */
    standbyAuroraInstances: z.union([z.literal(0), z.literal(1)]).default(1),
    /**
     * Replication lag the global database is assumed to run at (seconds), the region-loss RPO. Read the
     * real figure from CloudWatch `AuroraGlobalDBReplicationLag`. @default 1
     */
    expectedReplicationLagSeconds: z.number().positive().max(3600).default(1),
    /** Minutes an operator takes to decide on a regional failover (the runbook's first step). @default 10 */
    decisionMinutes: z.number().int().min(0).max(240).default(10),
    /** secondary: edge failover between the two regions' origins. Required when the edge uses Cloudflare. */
    edgeFailover: EdgeFailoverConfig.optional(),
});
export type RecoveryConfig = z.output<typeof RecoveryConfig>;

/** Aurora classes a global database accepts: memory optimised (db.r*, db.x2g), never burstable. */
export const globalAuroraClass = (instanceClass: string) => !instanceClass.startsWith("db.t");
/** ElastiCache node types a global datastore accepts: m5/r5 and newer, never burstable. */
export const globalCacheNodeType = (nodeType: string) => !nodeType.startsWith("cache.t");

/**
 * What a secondary stack learns from its primary (the primary's `recovery` stack output): the values that
 * must match, and the identifiers it joins.
 */
export interface PrimaryRecoveryInfo {
    stack: string;
    region: string;
    secondaryRegions: string[];
    /** Name of the master secret, and the prefix of the role secrets (`<prefix>/roles/<role>`): replicated here. */
    aurora: { engineVersion: string; instanceClass: string; globalClusterIdentifier: string; secretName: string; roleSecretPrefix?: string };
    /** `secretName`: the AUTH token secret, replicated here. */
    redis: { engine: string; engineVersion: string; nodeType: string; shards: number; globalReplicationGroupId: string; secretName?: string };
    /** The KMS key of the secret replicas, by region. */
    secretReplicaKeyArns?: Record<string, string>;
    edge: { hostname: string; originHostname: string; mode?: string };
    /** The primary's load targets: the standby carries them after a failover. */
    load?: { peakConcurrentUsers: number; dailyActiveUsers: number };
}

/**
 * A secondary that does not match its primary (region, engine versions, node type, shards) cannot join its
 * global database or datastore: each difference, named by the secondary's key.
 */
export function secondaryMismatches(c: { region: string; load?: { peakConcurrentUsers: number; dailyActiveUsers: number }; aurora: { engineVersion: string }; redis: { engine: string; engineVersion: string; nodeType: string; shards: number }; edge: { hostname: string } }, p: PrimaryRecoveryInfo): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const from = `the primary stack ${p.stack}`;
    if (c.region === p.region) problems.push({ key: "aws:region", value: c.region, message: `is the region of ${from}: a secondary must be in another region (Aurora global database and ElastiCache global datastore secondaries are cross-region)` });
    else if (!p.secondaryRegions.includes(c.region)) problems.push({ key: "aws:region", value: c.region, message: `is not among the secondaryRegions of ${from} (${p.secondaryRegions.join(", ") || "none"}): add it there first (its secrets replicate there), at most ${MAX_SECONDARY_REGIONS}` });
    if (c.aurora.engineVersion !== p.aurora.engineVersion) problems.push({ key: "scaling-topology:aurora.engineVersion", value: c.aurora.engineVersion, message: `must equal the engine version of ${from} (${p.aurora.engineVersion}): every cluster of an Aurora global database runs the same version` });
    if (c.redis.engine !== p.redis.engine) problems.push({ key: "scaling-topology:redis.engine", value: c.redis.engine, message: `must equal the engine of ${from} (${p.redis.engine}): a global datastore runs one engine` });
    if (c.redis.engineVersion !== p.redis.engineVersion) problems.push({ key: "scaling-topology:redis.engineVersion", value: c.redis.engineVersion, message: `must equal the engine version of ${from} (${p.redis.engineVersion}): a global datastore runs one version` });
    if (c.redis.nodeType !== p.redis.nodeType) problems.push({ key: "scaling-topology:redis.nodeType", value: c.redis.nodeType, message: `must equal the node type of ${from} (${p.redis.nodeType}): a global datastore's clusters share one node type` });
    if (c.redis.shards !== p.redis.shards) problems.push({ key: "scaling-topology:redis.shards", value: c.redis.shards, message: `must equal the shard count of ${from} (${p.redis.shards}): a global datastore's clusters have the same shards` });
    if (p.edge.mode === "cloudfront") problems.push({ key: "scaling-topology:recovery.edgeFailover", value: "cloudflare", message: `cannot fail over the edge of ${from}: its hostname is served by CloudFront and Route 53 (edge.mode cloudfront), and the failover load balancer is Cloudflare's; run the primary's edge in mode cloudflare or both` });
    // The sizing checks hold the standby's maxima to its own load targets: those must be the primary's.
    for (const k of ["peakConcurrentUsers", "dailyActiveUsers"] as const) {
        if (p.load && c.load && c.load[k] < p.load[k]) problems.push({ key: `scaling-topology:load.${k}`, value: c.load[k], message: `must be at least the primary's (${p.load[k]} in ${from}): after a failover the standby carries the primary's load, and its maxima are sized for this target` });
    }
    if (c.edge.hostname !== p.edge.hostname) problems.push({ key: "scaling-topology:edge.hostname", value: c.edge.hostname, message: `must equal the hostname of ${from} (${p.edge.hostname}): the edge fails over between the two regions under one name` });
    return problems;
}

/** Cross-key checks of the recovery config (shape and consistency; figures are `sizing/recovery.ts`'s). */
export const recoveryChecks: ConfigCheck[] = [
    {
        needs: ["recovery", "region", "aurora", "redis", "edge"],
        check: (c) => {
            const r = c.recovery;
            if (!r) return [];
            const problems: ConfigProblem[] = [];
            if (r.role === "primary") {
                const regions = r.secondaryRegions ?? [];
                if (regions.length === 0) problems.push({ key: `${KEY}.secondaryRegions`, value: r.secondaryRegions, message: "is required with role primary: the regions of the secondary stacks (1 or 2)" });
                if (regions.length > MAX_SECONDARY_REGIONS) problems.push({ key: `${KEY}.secondaryRegions`, value: regions, message: `lists ${regions.length} regions: a global datastore has at most ${MAX_SECONDARY_REGIONS} secondary regions (ElastiCache Global Datastore limit)` });
                regions.forEach((s, i) => {
                    if (s === c.region) problems.push({ key: `${KEY}.secondaryRegions[${i}]`, value: s, message: `is the primary's own aws:region: a secondary must be in another region` });
                    if (regions.indexOf(s) !== i) problems.push({ key: `${KEY}.secondaryRegions[${i}]`, value: s, message: "is listed twice" });
                });
                if (r.primaryStack !== undefined) problems.push({ key: `${KEY}.primaryStack`, value: r.primaryStack, message: "is for role secondary; a primary names its secondaryRegions" });
                if (r.edgeFailover !== undefined) problems.push({ key: `${KEY}.edgeFailover`, value: r.edgeFailover, message: "belongs to the secondary stack (it knows both regions' origins); remove it here" });
            } else {
                if (!r.primaryStack) problems.push({ key: `${KEY}.primaryStack`, value: undefined, message: "is required with role secondary: the primary's stack (<org>/scaling-topology/<stack>)" });
                if (r.secondaryRegions !== undefined) problems.push({ key: `${KEY}.secondaryRegions`, value: r.secondaryRegions, message: "is for role primary; remove it from a secondary" });
                if (usesCloudflare(c.edge) && !r.edgeFailover) problems.push({ key: `${KEY}.edgeFailover`, value: undefined, message: "is required on a secondary with a Cloudflare edge: the load balancer that fails over between the regions needs the account id" });
                if (!usesCloudflare(c.edge)) problems.push({ key: "scaling-topology:edge.mode", value: c.edge.mode, message: "must be cloudflare on a secondary: its edge is a Cloudflare load balancer over both regions' origins (the primary keeps its own edge, any mode)" });
            }
            if (!globalAuroraClass(c.aurora.instanceClass)) problems.push({ key: "scaling-topology:aurora.instanceClass", value: c.aurora.instanceClass, message: "is burstable: an Aurora global database needs memory-optimised classes (db.r5 or newer, db.x2g)" });
            if (c.aurora.readerInstanceClass && !globalAuroraClass(c.aurora.readerInstanceClass)) problems.push({ key: "scaling-topology:aurora.readerInstanceClass", value: c.aurora.readerInstanceClass, message: "is burstable: an Aurora global database needs memory-optimised classes (db.r5 or newer, db.x2g)" });
            if (!globalCacheNodeType(c.redis.nodeType)) problems.push({ key: "scaling-topology:redis.nodeType", value: c.redis.nodeType, message: "is burstable: a global datastore needs m5/r5 or newer node types (cache.m6g, m7g, r6g, r7g)" });
            return problems;
        },
    },
];

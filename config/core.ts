import { z } from "zod";
import { isRegionName, REGION_NAMES, REGIONS_RECORDED } from "../catalog/regions";
import { TagKey, TagValue } from "./tags";

/** `aws:region`: the region every regional resource lives in (one of `catalog/regions.ts`). */
export const Region = z.string().refine(isRegionName, { message: `must be an AWS region of the commercial partition (list of ${REGIONS_RECORDED}, catalog/regions.ts): ${REGION_NAMES.join(", ")}` });

/**
 * `scaling-topology:environment`: `prod` turns on every protection for stateful resources
 * (deletion protection, final snapshots, Pulumi `protect`, vault lock); `dev` keeps them cheap to tear down.
 */
export const Environment = z.enum(["dev", "prod"]);
export type Environment = z.output<typeof Environment>;

/**
 * `scaling-topology:tags`: extra tags on every AWS resource (added to the provider's default tags). The count
 * with the tags the components add themselves is checked against AWS's 50 per resource (`config/tags.ts`).
 */
export const Tags = z.record(TagKey, TagValue).default({});

/** A share between 0 and 1 (inclusive bounds as given). */
const share = (max = 1) => z.number().min(0).max(max);

/**
 * Measured capacity of one service: requests per second one pod serves at its HPA target utilization,
 * and the share of origin requests (after the edge) that reach it.
 */
export const ServiceLoad = z.strictObject({
    /**
     * Requests per second one pod carries at its HPA CPU target. Measure it: load-test one pod
     * (e.g. `k6`/`hey` against the Service) and read the rate at which CPU reaches the HPA target.
     * Default 250: podinfo (the demo `api`) measured at ~300 rps per 500m pod; rounded down.
     */
    rpsPerPod: z.number().positive().max(1_000_000),
    /** Share of origin requests this service handles (a request may touch several services). @default 1 */
    trafficShare: share().default(1),
});

/**
 * `scaling-topology:load`: the load the topology must carry, and the measured or assumed figures that
 * turn it into replicas, node groups, pools and shards (`sizing/`). Every assumption has a default;
 * where it comes from is written beside it and in the README ("Sizing from load targets").
 */
export const LoadConfig = z.strictObject({
    /** Users active on a peak day. Drives the Redis working set. */
    dailyActiveUsers: z.number().int().min(1),
    /** Users connected at the busiest moment; the figure request rates are driven by. */
    peakConcurrentUsers: z.number().int().min(1),
    /**
     * Requests one connected user makes per minute at peak (API calls, asset loads, polling).
     * Default 60 (1 request/s per connected user): the reference profile 10,000 users = ~10,000 rps.
     */
    requestsPerUserPerMinute: z.number().positive().max(6000).default(60),
    /**
     * Share of requests the edge (CloudFront/Cloudflare) answers from cache without reaching the
     * origin. Default 0.4: static assets plus cacheable GETs; an assumption, read the real figure from
     * the CDN's cache-hit-ratio metric.
     */
    edgeAbsorbedShare: share(0.99).default(0.4),
    /**
     * Share of database reads Redis answers (cache hit ratio). Default 0.7: an assumption for a
     * read-through cache of sessions and hot rows; read the real figure from ElastiCache `CacheHitRate`.
     */
    redisAbsorbedShare: share(0.99).default(0.7),
    /** Database queries one origin request makes (before Redis). Default 2: an assumption; measure with `pg_stat_statements` calls / request count. */
    dbQueriesPerRequest: z.number().min(0).max(1000).default(2),
    /** Share of database queries that are reads. Default 0.95: typical read-heavy web app; measure with `pg_stat_statements`. */
    dbReadShare: share().default(0.95),
    /** Capacity kept above the target: derived maxima carry target x (1 + headroom). Default 0.3. */
    headroom: z.number().min(0).max(4).default(0.3),
    /**
     * Share of the peak the minima carry (HPA minReplicas, node group and reader minima): what stays
     * warm while the autoscalers react. Default 0.25.
     */
    offPeakShare: share().default(0.25),
    /**
     * Requests per second one Envoy proxy of the Gateway (1 CPU requested) relays. Default 5000: an
     * estimate for plain-HTTP proxying of small responses (TLS ends at the NLB); measure with the proxies'
     * `envoy_http_downstream_rq_total` rate at their HPA target.
     */
    ingressRpsPerPod: z.number().positive().default(5000),
    /** Measured capacity per service, by service name. @default { api: { rpsPerPod: 250 } } */
    services: z.record(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: "service names are DNS labels" }), ServiceLoad)
        .default({ api: { rpsPerPod: 250, trafficShare: 1 } }),
    /** Database capacity figures. */
    database: z.strictObject({
        /**
         * Queries per second one Aurora vCPU serves at 100% CPU. Default 1000: an estimate for short
         * indexed OLTP queries on Graviton r7g (pgbench select-only reaches several times more); measure
         * with pgbench or production `pg_stat_statements`.
         */
        queriesPerVcpuPerSecond: z.number().positive().default(1000),
        /** CPU utilization an instance may reach at peak (also the reader autoscaling target). Default 0.7. */
        targetUtilization: share().positive().default(0.7),
        /** Mean time a query holds a server connection, ms (Little's law sizes the pools). Default 5: an assumption. */
        queryMilliseconds: z.number().positive().max(60_000).default(5),
    }).default({ queriesPerVcpuPerSecond: 1000, targetUtilization: 0.7, queryMilliseconds: 5 }),
    /** Redis capacity figures. */
    redis: z.strictObject({
        /** Bytes cached per daily active user (sessions, hot rows). Default 8192: an assumption; read `used_memory` / DAU. */
        bytesPerDailyActiveUser: z.number().positive().default(8192),
        /** Commands per second one shard's primary serves. Default 100,000: an estimate (ElastiCache quotes hundreds of thousands per node with enhanced I/O). */
        opsPerShardPerSecond: z.number().positive().default(100_000),
    }).default({ bytesPerDailyActiveUser: 8192, opsPerShardPerSecond: 100_000 }),
    /** PgBouncer capacity figures. */
    pgbouncer: z.strictObject({
        /** Queries per second one PgBouncer process (single-threaded) relays. Default 10,000: an estimate; measure with pgbench through PgBouncer. */
        queriesPerReplicaPerSecond: z.number().positive().default(10_000),
        /** Client connections each application pod opens to PgBouncer. Default 10. */
        clientConnectionsPerPod: z.number().int().min(1).default(10),
    }).default({ queriesPerReplicaPerSecond: 10_000, clientConnectionsPerPod: 10 }),
});
export type LoadConfig = z.output<typeof LoadConfig>;

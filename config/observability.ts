/**
 * `scaling-topology:observability`: SLO objectives, where alerts go, and which data plane's request
 * metrics the SLO rules read. Optional: a stack without it gets the defaults below; prod must name a
 * notification target (here or `backup.notificationEmail`), or its alerts would reach no one.
 */
import { z } from "zod";
import type { ConfigCheck } from "./index";
import type { ConfigProblem } from "./errors";
import { REQUEST_METRICS, RequestDataPlane } from "../catalog/requestMetrics";

export const OBSERVABILITY_KEY = "scaling-topology:observability";

const DATA_PLANES = Object.keys(REQUEST_METRICS) as [RequestDataPlane, ...RequestDataPlane[]];

export const ObservabilityConfig = z.strictObject({
    /** Service level objectives the burn-rate alerts are computed from. */
    slo: z.strictObject({
        /** Share of requests that must not fail (5xx) over 30 days, e.g. 0.999 (43 min of errors a month). @default 0.999 */
        availability: z.number().min(0.9, { message: "must be between 0.9 and 0.99999 (e.g. 0.999 for 99.9%)" }).max(0.99999, { message: "must be between 0.9 and 0.99999 (e.g. 0.999 for 99.9%): 1 leaves no error budget to alert on" }).default(0.999),
        /** Latency objective: `latencyObjective` of requests finish within this many ms (a bucket bound of the data plane's histogram). @default 500 */
        latencyThresholdMs: z.number().int().positive().max(60_000).default(500),
        /** Share of requests that must finish within `latencyThresholdMs` (0.95 = "p95 < threshold"). @default 0.95 */
        latencyObjective: z.number().min(0.5).max(0.9999).default(0.95),
    }).prefault({}),
    /** Where alerts and alarms are sent: one encrypted SNS topic with these subscriptions. */
    notifications: z.strictObject({
        /** Email address subscribed to the alert topic (the recipient confirms the subscription). */
        email: z.email({ message: "must be an email address" }).optional(),
        /** HTTPS endpoint subscribed to the alert topic (e.g. an incident tool's SNS integration URL); it must confirm the subscription. */
        webhookUrl: z.url({ protocol: /^https$/, message: "must be an https:// URL (SNS delivers to HTTPS endpoints; plain HTTP would send alerts in clear)" }).optional(),
    }).prefault({}),
    /**
     * Metrics pipeline. `amp`: Amazon Managed Service for Prometheus with its EKS managed scraper (no
     * collector to run), rules and alert manager in the workspace. The only pipeline implemented.
     * @default "amp"
     */
    pipeline: z.enum(["amp"], { message: "must be amp (Amazon Managed Service for Prometheus); no other pipeline is implemented" }).default("amp"),
    /** The request path's data plane: which metric names the latency and 5xx rules read (catalog/requestMetrics.ts). @default "envoy-gateway" (the Gateway's proxies) */
    requestMetrics: z.enum(DATA_PLANES, { message: `must be one of ${DATA_PLANES.join(", ")}` }).default("envoy-gateway"),
    /** Alert thresholds the sizing model does not know. */
    thresholds: z.strictObject({
        /** 5xx share of requests that pages (1%: the usual request-path target), independent of the SLO burn rate. @default 0.01 */
        errorRatio: z.number().gt(0).max(0.5).default(0.01),
        /** Cache hit ratio below which the cache alert fires; must not exceed `load.redisAbsorbedShare` (the share the sizing counts on). @default 0.6 */
        cacheHitRatio: z.number().gt(0).lt(1).default(0.6),
        /** Aurora replica lag that alarms, ms. @default 1000 */
        replicaLagMs: z.number().int().positive().max(600_000).default(1000),
        /** Days before expiry a certificate alert fires. @default 14 */
        certificateExpiryDays: z.number().int().min(1).max(60).default(14),
    }).prefault({}),
    /** Seconds between scrapes (the managed scraper's minimum is 30). @default 30 */
    scrapeIntervalSeconds: z.number().int().min(30, { message: "must be at least 30: the AMP managed scraper does not scrape faster" }).max(300).default(30),
}).prefault({});
export type ObservabilityConfig = z.output<typeof ObservabilityConfig>;


export const observabilityChecks: ConfigCheck[] = [
    {
        needs: ["observability", "load"],
        check: ({ observability: o, load }) => {
            const problems: ConfigProblem[] = [];
            const o2 = o;
            if (o2.thresholds.cacheHitRatio > load.redisAbsorbedShare) {
                problems.push({ key: `${OBSERVABILITY_KEY}.thresholds.cacheHitRatio`, value: o2.thresholds.cacheHitRatio, message: `must not exceed scaling-topology:load.redisAbsorbedShare (${load.redisAbsorbedShare}): the sizing counts on that hit ratio, so a higher alert threshold would fire in normal operation` });
            }
            const buckets: readonly number[] = REQUEST_METRICS[o2.requestMetrics].latencyBucketsMs;
            if (!buckets.includes(o2.slo.latencyThresholdMs)) {
                problems.push({ key: `${OBSERVABILITY_KEY}.slo.latencyThresholdMs`, value: o2.slo.latencyThresholdMs, message: `must be a bucket bound of ${o2.requestMetrics}'s request duration histogram (${buckets.join(", ")} ms): the SLO counts requests at or under a bucket bound` });
            }
            return problems;
        },
    },
    {
        needs: ["observability", "backup", "environment"],
        check: ({ observability: o, backup, environment }) => {
            const n = o.notifications;
            if (environment !== "prod" || n.email || n.webhookUrl || backup.notificationEmail) return [];
            return [{ key: `${OBSERVABILITY_KEY}.notifications`, value: n, message: "needs an email or webhookUrl in prod (or scaling-topology:backup.notificationEmail): alerts and alarms must reach someone" }];
        },
    },
];

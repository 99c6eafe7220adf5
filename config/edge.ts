/**
 * `scaling-topology:edge`: what sits in front of the ingress. `cloudfront` (AWS-side cache + WAF),
 * `cloudflare` (Cloudflare DNS/proxy, cache, rate limits and firewall rules), or `both` (Cloudflare
 * in front, CloudFront behind it as the AWS-side cache).
 */
import { z } from "zod";
import type { ConfigCheck } from "./index";
import type { ConfigProblem } from "./errors";
import { CLOUDFLARE_PERIOD_VALUES, CLOUDFLARE_PLAN_LIMITS, CLOUDFLARE_PLANS, rateLimitProblems, RATE_LIMIT_CHARACTERISTICS, RateLimitCharacteristic } from "../catalog/cloudflarePlans";
import { LogRetentionDays } from "./network";
import { ageInDays, CLOUDFLARE_RANGES, CLOUDFLARE_RANGES_MAX_AGE_DAYS, CloudflareRanges } from "../catalog/cloudflareIpRanges";

export const EDGE_MODES = ["cloudfront", "cloudflare", "both"] as const;
export type EdgeMode = (typeof EDGE_MODES)[number];

/** CloudFront price classes (which edge locations serve the distribution). */
export const PRICE_CLASSES = ["PriceClass_100", "PriceClass_200", "PriceClass_All"] as const;

/** Period values (seconds) the Cloudflare ruleset engine accepts; which ones a zone may use depends on its plan. */
export const CLOUDFLARE_RATELIMIT_PERIODS = CLOUDFLARE_PERIOD_VALUES;

/** AWS WAF's largest body inspection limit for CloudFront web ACLs (KiB). */
export const WAF_MAX_BODY_INSPECTION_KIB = 64;

/**
 * Inbound rules one security group may hold (the VPC default quota): a prefix-list reference counts as
 * its max entries (CloudFront's origin-facing list weighs 55, so the NLB's group holds nothing else of note).
 */
export const SECURITY_GROUP_RULE_QUOTA = 60;

const hostname = z
    .string()
    .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, { message: "must be a lower-case DNS hostname such as app.example.com" });

const rateLimit = (requests: number, period: number) =>
    z
        .strictObject({
            /** Off: no rule (the Free plan has one rate-limit rule). @default true */
            enabled: z.boolean().default(true),
            /** Requests allowed per client IP per period. */
            requestsPerPeriod: z.number().int().min(1).default(requests),
            /** Counting period in seconds. */
            periodSeconds: z
                .number()
                .int()
                .default(period)
                .refine((p) => (CLOUDFLARE_PERIOD_VALUES as readonly number[]).includes(p), { message: `must be one of ${CLOUDFLARE_PERIOD_VALUES.join(", ")} (seconds; the plan decides which)` }),
            /** How long a client that tripped the limit stays blocked, in seconds (the plan decides which values). @default periodSeconds */
            mitigationTimeoutSeconds: z.number().int().min(0).max(86400).optional(),
            /** What a counter counts by: `ip` (every plan) or `ip-nat` (IP with NAT support, Business and up). @default "ip" */
            characteristic: z.enum(Object.keys(RATE_LIMIT_CHARACTERISTICS) as [RateLimitCharacteristic, ...RateLimitCharacteristic[]]).default("ip"),
        })
        .transform((l) => ({ ...l, mitigationTimeoutSeconds: l.mitigationTimeoutSeconds ?? l.periodSeconds }))
        .prefault({ requestsPerPeriod: requests, periodSeconds: period });

export const CloudFrontConfig = z.strictObject({
    /** Which edge locations serve the distribution (cost vs. latency). */
    priceClass: z.enum(PRICE_CLASSES).default("PriceClass_100"),
    /**
     * Route 53 hosted zone of `edge.hostname`: ACM DNS validation records and the alias record go there.
     * Required in `cloudfront` mode; in `both` mode the validation records go to the Cloudflare zone.
     */
    route53ZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, { message: "must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ" }).optional(),
    /** WAF rate-based rule: requests per client IP per 5 minutes before blocking (AWS minimum 10). */
    wafRateLimitPer5Min: z.number().int().min(10).max(2_000_000_000).default(2000),
    /** Days the CloudFront access logs are kept in their S3 bucket. */
    logRetentionDays: z.number().int().min(1).max(3650).default(90),
    /** TTL (seconds) of static assets at the edge (the cache policy's default TTL). */
    staticTtlSeconds: z.number().int().min(60).max(31_536_000).default(86400),
    /** TTL (seconds) of API responses that send no Cache-Control (0 = never cached unless the origin says so). */
    apiTtlSeconds: z.number().int().min(0).max(300).default(0),
    /**
     * Largest request body (KiB) the WAF lets through on API paths (`/api/*`), instead of the common rule
     * set's 8 KB `SizeRestrictions_BODY`. AWS WAF inspects at most the first 16, 32, 48 or 64 KB of a
     * CloudFront request body (the web ACL's body inspection limit, set to the smallest that covers this):
     * a larger limit could not be enforced.
     */
    apiMaxBodyKiB: z.number().int().min(1).max(WAF_MAX_BODY_INSPECTION_KIB, { message: `must be at most ${WAF_MAX_BODY_INSPECTION_KIB}: AWS WAF inspects at most the first 64 KB of a CloudFront request body (limits 16, 32, 48 or 64 KB), so a larger body limit could not be enforced` }).default(16),
    /** Days the WAF logs (CloudWatch Logs, KMS-encrypted) are kept. */
    wafLogRetentionDays: LogRetentionDays.default(365),
});

export const CloudflareConfig = z.strictObject({
    /**
     * The zone's Cloudflare plan: which rate-limit periods, mitigation timeouts, characteristics and how many
     * rules per phase the rulesets may use (`catalog/cloudflarePlans.ts`). Required: nothing else knows it.
     */
    plan: z.enum(CLOUDFLARE_PLANS, { message: `must be the zone's Cloudflare plan: ${CLOUDFLARE_PLANS.join(", ")}` }),
    /** Cloudflare zone id of the zone that holds `edge.hostname` (32 hex characters). */
    zoneId: z.string().regex(/^[0-9a-f]{32}$/, { message: "must be a Cloudflare zone id (32 lower-case hex characters)" }),
    /** Edge TTL of static assets, seconds. */
    staticEdgeTtlSeconds: z.number().int().min(60).max(31_536_000).default(86400),
    /** Browser TTL of static assets, seconds. */
    staticBrowserTtlSeconds: z.number().int().min(60).max(31_536_000).default(3600),
    /** Cookie whose presence means a logged-in session: requests carrying it bypass the cache. */
    sessionCookie: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: "must be a cookie name (letters, digits, _.-)" }).default("session"),
    /** Strict per-IP limit on the authentication endpoints (`/auth/`, `/login`). */
    authRateLimit: rateLimit(10, 60),
    /** Broader per-IP limit on `/api/`. */
    apiRateLimit: rateLimit(600, 60),
    /** ISO 3166-1 alpha-2 country codes blocked outright. */
    blockedCountries: z.array(z.string().regex(/^[A-Z]{2}$/, { message: "must be an ISO 3166-1 alpha-2 country code such as KP" })).default([]),
    /** Autonomous system numbers blocked outright. */
    blockedAsns: z.array(z.number().int().min(1).max(4_294_967_295)).default([]),
    /** Path prefixes behind a managed challenge (admin consoles). */
    adminPaths: z.array(z.string().regex(/^\/[\w./-]*$/, { message: "must be a URL path starting with /" })).min(1).default(["/admin"]),
    /** Health-check paths exempt from the custom firewall rules. */
    healthCheckPaths: z.array(z.string().regex(/^\/[\w./-]*$/, { message: "must be a URL path starting with /" })).default(["/healthz", "/readyz"]),
});

export const EdgeConfig = z.strictObject({
    /** `cloudfront`, `cloudflare`, or `both` (Cloudflare in front of CloudFront). */
    mode: z.enum(EDGE_MODES, { message: `must be one of ${EDGE_MODES.join(", ")}` }),
    /** The public hostname users reach (and the name on the edge certificate). */
    hostname,
    cloudfront: CloudFrontConfig.optional(),
    cloudflare: CloudflareConfig.optional(),
});
export type EdgeConfig = z.output<typeof EdgeConfig>;
export type CloudFrontConfig = z.output<typeof CloudFrontConfig>;
export type CloudflareConfig = z.output<typeof CloudflareConfig>;

/**
 * `cloudflare:apiToken`: the Cloudflare provider's API token. Keep it `secure:` in the stack file
 * (`pulumi config set --secret cloudflare:apiToken ...`); the program passes it on as a Pulumi secret.
 */
export const CloudflareApiToken = z.string().min(1, { message: "must be a Cloudflare API token" }).optional();

/**
 * Problems with the Cloudflare ranges the origin admits when Cloudflare is the last hop: malformed or
 * stale data, or more ranges than the NLB's security group can hold.
 */
export function cloudflareRangeProblems(data: { ranges: CloudflareRanges; problems: string[] }, today: Date): string[] {
    const out = [...data.problems];
    if (data.problems.length === 0) {
        const age = ageInDays(data.ranges.recordedOn, today);
        if (age > CLOUDFLARE_RANGES_MAX_AGE_DAYS) out.push(`Cloudflare's ranges were recorded on ${data.ranges.recordedOn}, ${age} days ago (more than ${CLOUDFLARE_RANGES_MAX_AGE_DAYS}): refresh catalog/cloudflareIpRanges.ts from https://www.cloudflare.com/ips/`);
        if (age < -1) out.push(`recordedOn ${data.ranges.recordedOn} is in the future`);
        if (data.ranges.ipv4.length > SECURITY_GROUP_RULE_QUOTA) out.push(`${data.ranges.ipv4.length} IPv4 ranges exceed the ${SECURITY_GROUP_RULE_QUOTA} rules one security group holds`);
    }
    return out;
}

export const usesCloudFront = (e: EdgeConfig) => e.mode === "cloudfront" || e.mode === "both";
export const usesCloudflare = (e: EdgeConfig) => e.mode === "cloudflare" || e.mode === "both";

const KEY = "scaling-topology:edge";

/** Rules the CloudflareEdge component creates per phase for this config (its tests hold it to this). */
export function cloudflareRuleCounts(cf: CloudflareConfig, mode: EdgeMode, recoveryRole?: "primary" | "secondary"): Record<keyof (typeof CLOUDFLARE_PLAN_LIMITS)["free"]["rules"], number> {
    // A disaster-recovery secondary makes no rulesets: the primary's serve the zone.
    if (recoveryRole === "secondary") return { http_request_cache_settings: 0, http_ratelimit: 0, http_request_firewall_custom: 0, http_request_late_transform: 0 };
    return {
        http_request_cache_settings: 2, // static paths, session bypass
        http_ratelimit: [cf.authRateLimit, cf.apiRateLimit].filter((l) => l.enabled).length,
        // health-check skip, geo/ASN block when any is listed, admin challenge
        http_request_firewall_custom: 2 + (cf.blockedCountries.length + cf.blockedAsns.length > 0 ? 1 : 0),
        // the origin header, when Cloudflare is the hop in front of the gateway or a primary's standby origin needs
        // it; and with CloudFront behind Cloudflare, the header CloudFront's WAF requires
        http_request_late_transform: (mode === "cloudflare" || recoveryRole === "primary" ? 1 : 0) + (mode === "both" ? 1 : 0),
    };
}

/** What the zone's plan does not offer: rate-limit periods, timeouts, characteristics, rule counts. */
export function cloudflarePlanProblems(cf: CloudflareConfig, mode: EdgeMode, recoveryRole?: "primary" | "secondary"): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    for (const name of ["authRateLimit", "apiRateLimit"] as const) {
        const l = cf[name];
        if (!l.enabled) continue;
        for (const p of rateLimitProblems(cf.plan, l)) problems.push({ key: `${KEY}.cloudflare.${name}.${p.field}`, value: l[p.field], message: p.message });
    }
    const counts = cloudflareRuleCounts(cf, mode, recoveryRole);
    const limits = CLOUDFLARE_PLAN_LIMITS[cf.plan].rules;
    for (const [phase, n] of Object.entries(counts) as Array<[keyof typeof limits, number]>) {
        if (n <= limits[phase]) continue;
        const hint = phase === "http_ratelimit" ? "; turn one off ({ enabled: false }) or move the zone to a plan with more" : "";
        problems.push({ key: `${KEY}.cloudflare.plan`, value: cf.plan, message: `allows ${limits[phase]} ${phase} rule(s) per zone, and this config needs ${n}${hint}` });
    }
    return problems;
}

/** Cross-key checks of the edge config. */
export const edgeChecks: ConfigCheck[] = [
    {
        needs: ["edge"],
        check: (c) => {
            const edge = c.edge;
            const problems: ConfigProblem[] = [];
            if (usesCloudFront(edge) && !edge.cloudfront) {
                problems.push({ key: `${KEY}.cloudfront`, value: undefined, message: `is required when edge.mode is "${edge.mode}" (at least {} for the defaults)` });
            }
            if (usesCloudflare(edge) && !edge.cloudflare) {
                problems.push({ key: `${KEY}.cloudflare`, value: undefined, message: `is required when edge.mode is "${edge.mode}" (it needs the zoneId)` });
            }
            if (!usesCloudFront(edge) && edge.cloudfront) {
                problems.push({ key: `${KEY}.cloudfront`, value: edge.cloudfront, message: `is set but edge.mode "${edge.mode}" does not use CloudFront; remove it or use mode "both"` });
            }
            if (!usesCloudflare(edge) && edge.cloudflare) {
                problems.push({ key: `${KEY}.cloudflare`, value: edge.cloudflare, message: `is set but edge.mode "${edge.mode}" does not use Cloudflare; remove it or use mode "both"` });
            }
            if (edge.mode === "cloudfront" && edge.cloudfront && !edge.cloudfront.route53ZoneId) {
                problems.push({ key: `${KEY}.cloudfront.route53ZoneId`, value: undefined, message: "is required in mode \"cloudfront\": the certificate's DNS validation records and the alias record go to this hosted zone" });
            }
            // The last hop in front of the origin must be one the NLB can admit alone.
            if (edge.mode === "cloudflare") {
                for (const message of cloudflareRangeProblems(CLOUDFLARE_RANGES, new Date())) {
                    problems.push({ key: `${KEY}.mode`, value: edge.mode, message: `Cloudflare is the hop in front of the origin, but its address ranges (catalog/cloudflareIpRanges.ts) cannot lock the origin down: ${message}` });
                }
            }
            const cf = edge.cloudflare;
            // The recovery role, when that domain parsed (a secondary makes no rulesets; a primary adds the origin header).
            if (cf) problems.push(...cloudflarePlanProblems(cf, edge.mode, (c as { recovery?: { role: "primary" | "secondary" } }).recovery?.role));
            if (cf && cf.apiRateLimit.enabled && cf.authRateLimit.enabled && cf.apiRateLimit.requestsPerPeriod / cf.apiRateLimit.periodSeconds < cf.authRateLimit.requestsPerPeriod / cf.authRateLimit.periodSeconds) {
                problems.push({ key: `${KEY}.cloudflare.authRateLimit`, value: cf.authRateLimit, message: "must be stricter (fewer requests per second) than cloudflare.apiRateLimit" });
            }
            return problems;
        },
    },
    {
        // A disaster-recovery standby has no CloudFront of its own: Cloudflare's load balancer reaches its origin.
        needs: ["edge", "recovery"],
        check: ({ edge, recovery }) => recovery?.role === "secondary" && edge.mode !== "cloudflare" && usesCloudflare(edge)
            ? cloudflareRangeProblems(CLOUDFLARE_RANGES, new Date()).map((message) => ({ key: `${KEY}.mode`, value: edge.mode, message: `Cloudflare's load balancer is the hop in front of this standby's origin, but its address ranges (catalog/cloudflareIpRanges.ts) cannot lock the origin down: ${message}` }))
            : [],
    },
    {
        needs: ["edge", "cloudflareApiToken"],
        check: ({ edge, cloudflareApiToken }) =>
            usesCloudflare(edge) && !cloudflareApiToken
                ? [{ key: "cloudflare:apiToken", value: undefined, message: `is required when edge.mode is "${edge.mode}"; set it with: pulumi config set --secret cloudflare:apiToken <token>` }]
                : [],
    },
];

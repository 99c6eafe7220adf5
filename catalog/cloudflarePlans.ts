/** Pure data (no Pulumi imports): the edge config and the CloudflareEdge component read it. */

/** Cloudflare plans a zone can be on. */
export const CLOUDFLARE_PLANS = ["free", "pro", "business", "enterprise"] as const;
export type CloudflarePlan = (typeof CLOUDFLARE_PLANS)[number];

/**
 * Period values (seconds) the ruleset engine accepts for rate-limit counting periods and mitigation
 * timeouts; which of them a zone may use depends on its plan (`CLOUDFLARE_PLAN_LIMITS`).
 * Source: Cloudflare docs, "Rate limiting rules > Availability" (partial `waf/rate-limiting-availability-by-plan`).
 */
export const CLOUDFLARE_PERIOD_VALUES = [10, 15, 20, 30, 40, 45, 60, 90, 120, 180, 240, 300, 480, 600, 900, 1200, 1800, 2400, 3600, 65535, 86400] as const;

/** Rate-limit counting characteristics this program offers, as the ruleset engine names them. */
export const RATE_LIMIT_CHARACTERISTICS = {
    /** Client IP (every plan). */
    ip: "ip.src",
    /** IP with NAT support (Business and Enterprise): separates clients behind one NAT address. */
    "ip-nat": "cf.unique_visitor_id",
} as const;
export type RateLimitCharacteristic = keyof typeof RATE_LIMIT_CHARACTERISTICS;

export interface CloudflarePlanLimits {
    /** Longest rate-limit counting period, seconds (of `CLOUDFLARE_PERIOD_VALUES`). */
    maxPeriodSeconds: number;
    /** Longest mitigation timeout, seconds (of `CLOUDFLARE_PERIOD_VALUES`). */
    maxMitigationTimeoutSeconds: number;
    /** Any integer timeout up to the maximum, not only the listed values (Enterprise, through the API). */
    customMitigationTimeout: boolean;
    /** Counting characteristics allowed (besides `cf.colo.id`, which every rule carries). */
    characteristics: readonly RateLimitCharacteristic[];
    /** Rules per zone and phase. */
    rules: { http_ratelimit: number; http_request_firewall_custom: number; http_request_cache_settings: number; http_request_late_transform: number };
}

/**
 * What each plan allows, as of 2026-11. Rate limiting (periods, timeouts, characteristics, rule counts) and
 * custom rules (5 / 20 / 100 / 1,000) from the Cloudflare docs' availability tables; cache rules and
 * request-header transform rules (10 / 25 / 50 / 300) from the Rules availability tables. Enterprise rate
 * limiting counts 100 rules (Advanced Rate Limiting; the contract may say otherwise).
 */
export const CLOUDFLARE_PLAN_LIMITS: Record<CloudflarePlan, CloudflarePlanLimits> = {
    free: {
        maxPeriodSeconds: 10, maxMitigationTimeoutSeconds: 10, customMitigationTimeout: false, characteristics: ["ip"],
        rules: { http_ratelimit: 1, http_request_firewall_custom: 5, http_request_cache_settings: 10, http_request_late_transform: 10 },
    },
    pro: {
        maxPeriodSeconds: 60, maxMitigationTimeoutSeconds: 3600, customMitigationTimeout: false, characteristics: ["ip"],
        rules: { http_ratelimit: 2, http_request_firewall_custom: 20, http_request_cache_settings: 25, http_request_late_transform: 25 },
    },
    business: {
        maxPeriodSeconds: 600, maxMitigationTimeoutSeconds: 86400, customMitigationTimeout: false, characteristics: ["ip", "ip-nat"],
        rules: { http_ratelimit: 5, http_request_firewall_custom: 100, http_request_cache_settings: 50, http_request_late_transform: 50 },
    },
    enterprise: {
        maxPeriodSeconds: 65535, maxMitigationTimeoutSeconds: 86400, customMitigationTimeout: true, characteristics: ["ip", "ip-nat"],
        rules: { http_ratelimit: 100, http_request_firewall_custom: 1000, http_request_cache_settings: 300, http_request_late_transform: 300 },
    },
};

/** The periods a plan offers for counting. */
export const periodsOf = (plan: CloudflarePlan) => CLOUDFLARE_PERIOD_VALUES.filter((p) => p <= CLOUDFLARE_PLAN_LIMITS[plan].maxPeriodSeconds);
/** The mitigation timeouts a plan offers (Enterprise: also any integer up to the maximum). */
export const mitigationTimeoutsOf = (plan: CloudflarePlan) => CLOUDFLARE_PERIOD_VALUES.filter((p) => p <= CLOUDFLARE_PLAN_LIMITS[plan].maxMitigationTimeoutSeconds);

/** A rate limit as the plan check sees it. */
export interface RateLimitSpec {
    periodSeconds: number;
    mitigationTimeoutSeconds: number;
    characteristic: RateLimitCharacteristic;
}

/** Why a rate limit is not offered on a plan (empty when it is), field by field. */
export function rateLimitProblems(plan: CloudflarePlan, l: RateLimitSpec): Array<{ field: keyof RateLimitSpec; message: string }> {
    const limits = CLOUDFLARE_PLAN_LIMITS[plan];
    const out: Array<{ field: keyof RateLimitSpec; message: string }> = [];
    if (!periodsOf(plan).includes(l.periodSeconds as never)) {
        out.push({ field: "periodSeconds", message: `is not a counting period the ${plan} plan offers: ${periodsOf(plan).join(", ")} (seconds)` });
    }
    const timeouts = mitigationTimeoutsOf(plan);
    const timeoutOk = limits.customMitigationTimeout ? l.mitigationTimeoutSeconds >= 0 && l.mitigationTimeoutSeconds <= limits.maxMitigationTimeoutSeconds : timeouts.includes(l.mitigationTimeoutSeconds as never);
    if (!timeoutOk) {
        out.push({ field: "mitigationTimeoutSeconds", message: limits.customMitigationTimeout ? `must be 0-${limits.maxMitigationTimeoutSeconds} seconds on the ${plan} plan` : `is not a mitigation timeout the ${plan} plan offers: ${timeouts.join(", ")} (seconds)` });
    }
    if (!limits.characteristics.includes(l.characteristic)) {
        out.push({ field: "characteristic", message: `"${l.characteristic}" is not a counting characteristic of the ${plan} plan (allowed: ${limits.characteristics.join(", ")})` });
    }
    return out;
}

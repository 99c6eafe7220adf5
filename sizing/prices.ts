/**
 * On-demand prices, one region (eu-west-1, Europe (Ireland)), USD per hour, each with its source and
 * the date the figure was taken. The one place the cost report reads prices from.
 *
 * `estimate: true` marks figures that were not read off the price page for this region on that date
 * (scaled from another region or size, or recalled list prices): check them on the source page before
 * quoting a cost. Sizes of the same family scale linearly on every AWS price page, which is how the
 * larger sizes were derived.
 */
import { INSTANCE_TYPES, isInstanceTypeName, PRICE_SOURCE as EC2_PRICE_SOURCE } from "../catalog/instances";

export interface Price {
    /** USD per hour, on-demand. */
    usdPerHour: number;
    /** Where the figure comes from. */
    source: string;
    /** When it was taken (YYYY-MM). */
    asOf: string;
    /** True when the figure is an estimate rather than read off the source for this region. */
    estimate: boolean;
    /** How an estimate was made. */
    note?: string;
}

export const PRICE_REGION = "eu-west-1";
/** Hours in a month as AWS bills them (365 x 24 / 12). */
export const HOURS_PER_MONTH = 730;

const AURORA = "https://aws.amazon.com/rds/aurora/pricing/ (Aurora PostgreSQL, Standard, eu-west-1)";
const CACHE = "https://aws.amazon.com/elasticache/pricing/ (on-demand nodes, eu-west-1)";

/** `usdPerHour` of a family's `large` size, doubled per size step (the AWS price pages scale this way). */
function family(prefix: string, sizes: string[], largeUsdPerHour: number, source: string, asOf: string, note: string): Record<string, Price> {
    const mult: Record<string, number> = { medium: 0.5, large: 1, xlarge: 2, "2xlarge": 4, "4xlarge": 8, "8xlarge": 16, "12xlarge": 24, "16xlarge": 32 };
    return Object.fromEntries(sizes.map((s) => [`${prefix}.${s}`, { usdPerHour: Math.round(largeUsdPerHour * mult[s] * 10000) / 10000, source, asOf, estimate: true, note }]));
}

/**
 * EC2 instances (EKS worker nodes): the compute domain's instance table (`catalog/instances.ts`) holds
 * them, with its source and date; read through here so the report has one price lookup.
 */
export function ec2Price(instanceType: string): Price | undefined {
    if (!isInstanceTypeName(instanceType)) return undefined;
    const usdPerHour = (INSTANCE_TYPES[instanceType].onDemandUsdPerHour as Record<string, number>)[PRICE_REGION];
    if (usdPerHour === undefined) return undefined;
    return { usdPerHour, source: EC2_PRICE_SOURCE.source, asOf: "2025-06", estimate: true, note: EC2_PRICE_SOURCE.retrieved };
}

/** Aurora PostgreSQL instances (Aurora Standard storage configuration; I/O-Optimized costs ~30% more per hour). */
export const AURORA_PRICES: Record<string, Price> = {
    ...family("db.r7g", ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"], 0.304, AURORA, "2025-06",
        "us-east-1 list price $0.276/h for db.r7g.large x ~1.10 eu-west-1 uplift; other sizes scaled linearly"),
    ...family("db.t4g", ["medium", "large"], 0.16, AURORA, "2025-06",
        "us-east-1 list price $0.146/h for db.t4g.large x ~1.10 eu-west-1 uplift; medium half of it (burstable: CPU credits)"),
    ...family("db.r6g", ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"], 0.286, AURORA, "2025-06",
        "us-east-1 list price $0.260/h for db.r6g.large x ~1.10 eu-west-1 uplift; other sizes scaled linearly"),
};

/** ElastiCache nodes, Redis OSS engine (Valkey nodes are listed 20% lower: see `cacheNodePrice`). */
export const CACHE_PRICES: Record<string, Price> = {
    ...family("cache.r7g", ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"], 0.2428, CACHE, "2025-06",
        "us-east-1 list price $0.219/h for cache.r7g.large x ~1.11 eu-west-1 uplift; other sizes scaled linearly"),
    "cache.t4g.micro": { usdPerHour: 0.0176, source: CACHE, asOf: "2025-06", estimate: true, note: "us-east-1 list price $0.016/h x ~1.10 eu-west-1 uplift (burstable)" },
    "cache.t4g.small": { usdPerHour: 0.0352, source: CACHE, asOf: "2025-06", estimate: true, note: "us-east-1 list price $0.032/h x ~1.10 eu-west-1 uplift (burstable)" },
    "cache.t4g.medium": { usdPerHour: 0.0715, source: CACHE, asOf: "2025-06", estimate: true, note: "us-east-1 list price $0.065/h x ~1.10 eu-west-1 uplift (burstable)" },
    ...family("cache.m7g", ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"], 0.175, CACHE, "2025-06",
        "us-east-1 list price $0.158/h for cache.m7g.large x ~1.11 eu-west-1 uplift; other sizes scaled linearly"),
};

/** Flat-rate items. */
export const FIXED_PRICES = {
    eksCluster: { usdPerHour: 0.10, source: "https://aws.amazon.com/eks/pricing/ (standard support, every region)", asOf: "2025-06", estimate: false },
    natGateway: { usdPerHour: 0.048, source: "https://aws.amazon.com/vpc/pricing/ (NAT gateway hour, eu-west-1; data processing $0.048/GB not included)", asOf: "2025-06", estimate: true, note: "hourly charge only; per-GB processing excluded" },
    networkLoadBalancer: { usdPerHour: 0.0252, source: "https://aws.amazon.com/elasticloadbalancing/pricing/ (NLB hour, eu-west-1; LCUs not included)", asOf: "2025-06", estimate: true, note: "hourly charge only; LCU charges excluded" },
} satisfies Record<string, Price>;

/** Valkey nodes are priced 20% below Redis OSS nodes of the same type (ElastiCache pricing page). */
export const VALKEY_DISCOUNT = 0.2;

export function auroraPrice(instanceClass: string): Price | undefined {
    return AURORA_PRICES[instanceClass];
}

export function cacheNodePrice(nodeType: string, engine: "redis" | "valkey" = "redis"): Price | undefined {
    const p = CACHE_PRICES[nodeType];
    if (!p || engine === "redis") return p;
    return { ...p, usdPerHour: Math.round(p.usdPerHour * (1 - VALKEY_DISCOUNT) * 10000) / 10000, note: `${p.note}; Valkey 20% below Redis OSS` };
}

/** Monthly cost of `count` units at `price`, rounded to cents. */
export function monthly(price: Price | undefined, count: number): number {
    return price ? Math.round(price.usdPerHour * HOURS_PER_MONTH * count * 100) / 100 : 0;
}

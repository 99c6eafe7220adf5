/**
 * EC2 instance types the node groups may use: a plain typed data table, shared by the capacity check
 * and the sizing/cost model.
 *
 * - `vcpu`, `memoryMiB`: from the EC2 instance type specifications (`aws ec2 describe-instance-types`:
 *   `VCpuInfo.DefaultVCpus`, `MemoryInfo.SizeInMiB`).
 * - `maxEnis`, `ipv4PerEni`: `NetworkInfo.MaximumNetworkInterfaces` / `Ipv4AddressesPerInterface`; they
 *   give the VPC CNI max pods, `maxEnis x (ipv4PerEni - 1) + 2` (the EKS `eni-max-pods.txt` values).
 * - `onDemandUsdPerHour`: Linux, shared tenancy, on-demand list price by region (USD per hour).
 *
 * Recorded 2026-11-30 (`INSTANCE_TYPES_RECORDED`; prices: `PRICE_SOURCE`). Node groups may use only these
 * types: the capacity check needs their figures. A type missing here is added with its figures from
 * `aws ec2 describe-instance-types --instance-types <type>`.
 */

/** When the table's shapes were checked against `aws ec2 describe-instance-types`. */
export const INSTANCE_TYPES_RECORDED = "2026-11-30";

export type CpuArchitecture = "x86_64" | "arm64";

export interface InstanceType {
    vcpu: number;
    memoryMiB: number;
    maxEnis: number;
    ipv4PerEni: number;
    architecture: CpuArchitecture;
    /** Burstable (T family): CPU credits, unsuitable for sustained load. */
    burstable: boolean;
    /** On-demand USD/hour by region; regions not listed are unknown (not zero). */
    onDemandUsdPerHour: Record<string, number>;
}

/** Where and when the prices in {@link INSTANCE_TYPES} come from. */
export const PRICE_SOURCE = {
    source: "https://aws.amazon.com/ec2/pricing/on-demand/ (Linux, shared tenancy, eu-west-1 / Europe (Ireland))",
    retrieved: "2025-06 (list prices as recorded then; not re-fetched by the offline plan: check before budgeting)",
} as const;

const t = (vcpu: number, memoryMiB: number, maxEnis: number, ipv4PerEni: number, architecture: CpuArchitecture, euWest1: number, burstable = false): InstanceType => ({
    vcpu,
    memoryMiB,
    maxEnis,
    ipv4PerEni,
    architecture,
    burstable,
    onDemandUsdPerHour: { "eu-west-1": euWest1 },
});

/** The instance type table, by API name. */
export const INSTANCE_TYPES = {
    // Burstable, general purpose (dev system nodes at most).
    "t3.medium": t(2, 4096, 3, 6, "x86_64", 0.0456, true),
    "t3.large": t(2, 8192, 3, 12, "x86_64", 0.0912, true),
    // General purpose, Intel.
    "m5.large": t(2, 8192, 3, 10, "x86_64", 0.107),
    "m5.xlarge": t(4, 16384, 4, 15, "x86_64", 0.214),
    "m6i.large": t(2, 8192, 3, 10, "x86_64", 0.107),
    "m6i.xlarge": t(4, 16384, 4, 15, "x86_64", 0.214),
    "m6i.2xlarge": t(8, 32768, 4, 15, "x86_64", 0.428),
    "m6i.4xlarge": t(16, 65536, 8, 30, "x86_64", 0.856),
    "m7i.large": t(2, 8192, 3, 10, "x86_64", 0.1124),
    "m7i.xlarge": t(4, 16384, 4, 15, "x86_64", 0.2247),
    "m7i.2xlarge": t(8, 32768, 4, 15, "x86_64", 0.4494),
    // General purpose, AMD (about 10% cheaper than m6i).
    "m6a.large": t(2, 8192, 3, 10, "x86_64", 0.0963),
    "m6a.xlarge": t(4, 16384, 4, 15, "x86_64", 0.1926),
    "m6a.2xlarge": t(8, 32768, 4, 15, "x86_64", 0.3852),
    // General purpose, Graviton (arm64 images only).
    "m6g.large": t(2, 8192, 3, 10, "arm64", 0.086),
    "m6g.xlarge": t(4, 16384, 4, 15, "arm64", 0.172),
    "m6g.2xlarge": t(8, 32768, 4, 15, "arm64", 0.344),
    "m7g.large": t(2, 8192, 3, 10, "arm64", 0.0912),
    "m7g.xlarge": t(4, 16384, 4, 15, "arm64", 0.1824),
    "m7g.2xlarge": t(8, 32768, 4, 15, "arm64", 0.3648),
    // Compute optimised.
    "c6i.large": t(2, 4096, 3, 10, "x86_64", 0.096),
    "c6i.xlarge": t(4, 8192, 4, 15, "x86_64", 0.192),
    "c6i.2xlarge": t(8, 16384, 4, 15, "x86_64", 0.384),
    // Memory optimised.
    "r6i.large": t(2, 16384, 3, 10, "x86_64", 0.141),
    "r6i.xlarge": t(4, 32768, 4, 15, "x86_64", 0.282),
} satisfies Record<string, InstanceType>;

export type InstanceTypeName = keyof typeof INSTANCE_TYPES;

export const INSTANCE_TYPE_NAMES = Object.keys(INSTANCE_TYPES) as InstanceTypeName[];

export function isInstanceTypeName(name: string): name is InstanceTypeName {
    return Object.prototype.hasOwnProperty.call(INSTANCE_TYPES, name);
}

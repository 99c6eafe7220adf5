/**
 * The hardware the sizing chooses from: EC2 worker instance shapes, Aurora instance classes and
 * ElastiCache node types, with the figures the derivation needs. Pure data and formulas.
 */
import { auroraMaxConnections, INSTANCE_CLASS_MEMORY_GIB } from "./connections";
import { groupNodeAllocatable } from "./capacity";
import { isInstanceTypeName } from "../catalog/instances";

/** What a node offers Deployments' pods after kubelet reservations and the DaemonSets every node runs. */
export interface Allocatable {
    cpuMillicores: number;
    memoryMiB: number;
    pods: number;
}

/**
 * Per-node allocatable of a node group planned with the smallest of its instance types (per dimension),
 * from the compute domain's tables (`catalog/instances.ts`, `sizing/capacity.ts`); undefined when a type
 * is not in the instance table.
 */
export function nodeAllocatable(instanceTypes: readonly string[], prefixDelegation: boolean): Allocatable | undefined {
    if (instanceTypes.length === 0 || !instanceTypes.every(isInstanceTypeName)) return undefined;
    const a = groupNodeAllocatable(instanceTypes, prefixDelegation);
    return { cpuMillicores: a.cpuMillis, memoryMiB: a.memoryMiB, pods: a.pods };
}

/** An Aurora PostgreSQL instance class. */
export interface DbClass {
    instanceClass: string;
    vcpu: number;
    /** vCPUs the class sustains: all of them, or the baseline share of burstable (db.t*) classes. */
    sustainedVcpu: number;
    memoryGiB: number;
    /** Default `max_connections` (`sizing/connections.ts`: LEAST(DBInstanceClassMemory / 9531392, 5000)). */
    maxConnections: number;
}

/** Aurora allows at most 15 readers per cluster. */
export const AURORA_MAX_READERS = 15;
/** vCPUs by size of the classes Aurora PostgreSQL offers (RDS instance class table). */
const DB_VCPU_BY_SIZE: Record<string, number> = { medium: 2, large: 2, xlarge: 4, "2xlarge": 8, "4xlarge": 16, "8xlarge": 32, "12xlarge": 48, "16xlarge": 64, "24xlarge": 96 };
/** Baseline CPU of burstable classes (EC2 burstable performance instances: t3/t4g medium 20%, large 30%). */
const BURST_BASELINE: Record<string, number> = { medium: 0.2, large: 0.3 };

/** Figures of an Aurora PostgreSQL class (`db.r7g.xlarge`), or undefined when unknown. */
export function dbClassOf(instanceClass: string): DbClass | undefined {
    const gib = INSTANCE_CLASS_MEMORY_GIB[instanceClass];
    const [, fam, size] = instanceClass.split(".");
    const vcpu = DB_VCPU_BY_SIZE[size];
    if (gib === undefined || !vcpu) return undefined;
    const burst = fam?.startsWith("t") ? BURST_BASELINE[size] ?? 0.2 : 1;
    return { instanceClass, vcpu, sustainedVcpu: vcpu * burst, memoryGiB: gib, maxConnections: auroraMaxConnections(instanceClass) };
}

/** db.r7g classes, smallest first: the ladder the derivation chooses the writer/reader class from. */
export const DB_CLASSES: DbClass[] = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"].map((s) => dbClassOf(`db.r7g.${s}`)!);

/** An ElastiCache node type. */
export interface CacheNodeType {
    nodeType: string;
    /** Memory the node type offers, GiB (ElastiCache "supported node types" table). */
    memoryGiB: number;
    /** Share of `load.redis.opsPerShardPerSecond` a shard of this type sustains. */
    opsShare: number;
}

/** Memory (GiB) of ElastiCache node types by family and size (ElastiCache "supported node types"). */
const CACHE_MEMORY_GIB: Record<string, Record<string, number>> = {
    t4g: { micro: 0.5, small: 1.37, medium: 3.09 },
    m6g: { large: 6.38, xlarge: 12.93, "2xlarge": 26.04, "4xlarge": 52.26, "8xlarge": 103.68, "12xlarge": 157.12, "16xlarge": 209.55 },
    m7g: { large: 6.38, xlarge: 12.93, "2xlarge": 26.04, "4xlarge": 52.26, "8xlarge": 103.68, "12xlarge": 157.12, "16xlarge": 209.55 },
    r6g: { large: 13.07, xlarge: 26.32, "2xlarge": 52.82, "4xlarge": 105.81, "8xlarge": 209.55, "12xlarge": 317.77, "16xlarge": 419.09 },
    r7g: { large: 13.07, xlarge: 26.32, "2xlarge": 52.82, "4xlarge": 105.81, "8xlarge": 209.55, "12xlarge": 317.77, "16xlarge": 419.09 },
};

/** Figures of an ElastiCache node type (`cache.r7g.large`), or undefined when unknown. Burstable t4g nodes sustain a quarter of the commands (an estimate). */
export function cacheNodeTypeOf(nodeType: string): CacheNodeType | undefined {
    const [, fam, size] = nodeType.split(".");
    const gib = CACHE_MEMORY_GIB[fam]?.[size];
    return gib === undefined ? undefined : { nodeType, memoryGiB: gib, opsShare: fam === "t4g" ? 0.25 : 1 };
}

/** ElastiCache keeps 25% of memory out of the dataset by default (`reserved-memory-percent`). */
export const CACHE_RESERVED_MEMORY_SHARE = 0.25;
/** ElastiCache limits for cluster-mode replication groups: 500 shards, 500 nodes per cluster. */
export const CACHE_MAX_SHARDS = 500;
export const CACHE_MAX_NODES = 500;
/** Scale the node type up before scaling out past this many shards (fewer, larger shards reshard less often). */
export const CACHE_PREFERRED_MAX_SHARDS = 10;

/** cache.r7g types, smallest first: the ladder the derivation chooses from. */
export const CACHE_NODE_TYPES: CacheNodeType[] = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"].map((s) => cacheNodeTypeOf(`cache.r7g.${s}`)!);

/** EKS managed node groups hold at most 450 nodes each (EKS service quota). */
export const NODE_GROUP_MAX_NODES = 450;

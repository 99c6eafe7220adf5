/**
 * Derives the topology from the load model: HPA min/max per service, node group min/max (bin-packing),
 * Aurora class and reader min/max, PgBouncer pools and replicas within the connection budget, Redis
 * shards/replicas/node type. Pure functions, no Pulumi.
 *
 * Maxima carry the peak x (1 + headroom); minima carry the peak x offPeakShare. Explicit values (from the
 * compute and data config) replace derived ones; the capacity report (`report.ts`) then checks that
 * what is deployed still carries the target. Where the design runs out (15 readers, 5,000 connections,
 * 500 cache nodes, 450 nodes per node group) the derivation takes the documented next step (bigger
 * class or node type, more shards) and otherwise reports a problem naming the load key: it never
 * under-provisions silently.
 */
import type { LoadConfig } from "../config/core";
import { Demand, demandOf, scaleDemand } from "./load";
import {
    Allocatable, AURORA_MAX_READERS, CACHE_MAX_NODES, CACHE_MAX_SHARDS, CACHE_NODE_TYPES, CACHE_PREFERRED_MAX_SHARDS,
    CACHE_RESERVED_MEMORY_SHARE, CacheNodeType, cacheNodeTypeOf, DB_CLASSES, DbClass, dbClassOf, NODE_GROUP_MAX_NODES,
    nodeAllocatable,
} from "./catalog";
import { AWS_RESERVED_CONNECTIONS } from "./connections";
import { wholeNumber } from "./numbers";

export const LOAD_KEY = "scaling-topology:load";

/** A limit the load runs into: which load key, the value, and the limit with the next step. */
export interface SizingProblem {
    key: string;
    value: unknown;
    message: string;
}

export interface MinMax {
    min: number;
    max: number;
}

/** A workload whose pods the node groups must hold. */
export interface Workload {
    name: string;
    /** Node group role it schedules onto (shared evenly by the groups of that role)... */
    role: NodeRole;
    /** ...unless it names its node group. */
    nodeGroup?: string;
    cpuMillicores: number;
    memoryMiB: number;
    replicas: MinMax;
}

/** As `scaling-topology:cluster.nodeGroups[].role`: `system` (tainted for add-ons) or `application`. */
export type NodeRole = "system" | "application";

/** What the sizing knows about a service beyond its load figures (from the compute config). */
export interface ServiceSpec {
    name: string;
    /** Pod requests. @default 500m / 512 MiB */
    cpuMillicores?: number;
    memoryMiB?: number;
    /** Explicit HPA bounds (override the derived ones). */
    replicas?: Partial<MinMax>;
    /** Node group it runs on. @default shared by the application groups */
    nodeGroup?: string;
}

/** The Gateway's Envoy proxies, the cluster's ingress (from the compute config). */
export interface IngressSpec {
    cpuMillicores?: number;
    memoryMiB?: number;
    replicas?: Partial<MinMax>;
    nodeGroup?: string;
}

/** A node group to size (from the compute config). */
export interface NodeGroupSpec {
    name: string;
    role: NodeRole;
    /** Instance types; the group is planned with the smallest (per dimension), priced at the first. */
    instanceTypes: string[];
    /** Explicit scaling bounds (override the derived ones). */
    size?: Partial<MinMax>;
}

/** Explicit data-tier settings (from the data config); every field optional. */
export interface DataSpec {
    aurora?: {
        instanceClass?: string;
        readers?: Partial<MinMax>;
        /** Connections kept out of PgBouncer's budget (`aurora.connectionHeadroom`). @default 20 */
        connectionHeadroom?: number;
    };
    pgbouncer?: {
        readWrite?: PoolSpec;
        readOnly?: PoolSpec;
        /** Requests per PgBouncer pod. @default 500m / 256 MiB */
        cpuMillicores?: number;
        memoryMiB?: number;
    };
    redis?: { nodeType?: string; shards?: number; replicasPerShard?: number; engine?: "redis" | "valkey" };
}

/** Explicit PgBouncer pool settings; each field optional. */
export interface PoolSpec {
    replicas?: Partial<MinMax>;
    poolSize?: number;
    reservePoolSize?: number;
    maxClientConn?: number;
}

/** Lookups the derivation uses: the compute and data domains' tables, through `catalog.ts`. */
export interface Catalog {
    /** Per-node allocatable of a group of these instance types, or undefined when a type is unknown. */
    nodeAllocatable(instanceTypes: readonly string[], prefixDelegation: boolean): Allocatable | undefined;
    /** Classes the derivation chooses from, smallest first. */
    dbClasses: DbClass[];
    /** Any class by name (explicit config). */
    dbClass(instanceClass: string): DbClass | undefined;
    /** Node types the derivation chooses from, smallest first. */
    cacheNodeTypes: CacheNodeType[];
    cacheNodeType(nodeType: string): CacheNodeType | undefined;
}

export const DEFAULT_CATALOG: Catalog = {
    nodeAllocatable,
    dbClasses: DB_CLASSES,
    dbClass: dbClassOf,
    cacheNodeTypes: CACHE_NODE_TYPES,
    cacheNodeType: cacheNodeTypeOf,
};

export interface SizingInput {
    load: LoadConfig;
    environment: "dev" | "prod";
    /** Services (from the compute config); those without one get the defaults. @default one per `load.services` entry */
    services?: ServiceSpec[];
    /** @default a `system` group of m7g.large and an `application` group of m7g.xlarge */
    nodeGroups?: NodeGroupSpec[];
    /** VPC CNI prefix delegation (110 pods per node). @default true */
    prefixDelegation?: boolean;
    ingress?: IngressSpec;
    /** Add-ons on the system group. @default SYSTEM_WORKLOADS */
    systemWorkloads?: Workload[];
    data?: DataSpec;
    catalog?: Catalog;
}

export interface ServiceSizing {
    name: string;
    rpsPerPod: number;
    cpuMillicores: number;
    memoryMiB: number;
    replicas: MinMax;
    nodeGroup?: string;
    /** True when the bounds came from config rather than the derivation. */
    explicit: boolean;
}

export interface NodeGroupSizing {
    name: string;
    role: NodeRole;
    instanceTypes: string[];
    size: MinMax;
    explicit: boolean;
    /** Nodes the workloads need at their maxima / minima (first-fit decreasing). */
    nodesForMax: number;
    nodesForMin: number;
    allocatable: Allocatable;
}

export interface PoolSizing {
    /** PgBouncer replicas (HPA bounds). */
    replicas: MinMax;
    /** Server connections per database per replica (`default_pool_size`). */
    poolSize: number;
    /** Extra server connections under load (`reserve_pool_size`). */
    reservePoolSize: number;
    /** Client connections one replica accepts (`max_client_conn`). */
    maxClientConn: number;
}

export interface Topology {
    demand: Demand;
    services: ServiceSizing[];
    /** Envoy proxy replicas of the Gateway. */
    ingress: MinMax;
    /** ... and what one replica requests. */
    ingressRequests: { cpuMillicores: number; memoryMiB: number };
    nodeGroups: NodeGroupSizing[];
    workloads: Workload[];
    aurora: { instanceClass: string; vcpu: number; /** Queries/s one instance serves at the CPU target. */ perInstanceQps: number; maxConnections: number; readers: MinMax; explicit: boolean };
    pgbouncer: { readWrite: PoolSizing; readOnly: PoolSizing };
    redis: { nodeType: string; memoryGiB: number; opsShare: number; shards: number; replicasPerShard: number; engine: "redis" | "valkey"; explicit: boolean };
    problems: SizingProblem[];
}

/** Pod requests of workloads the sizing adds itself. */
export const DEFAULT_SERVICE_REQUESTS = { cpuMillicores: 500, memoryMiB: 512 };
export const INGRESS_REQUESTS = { cpuMillicores: 1000, memoryMiB: 512 };
export const PGBOUNCER_REQUESTS = { cpuMillicores: 500, memoryMiB: 256 };
/**
 * Add-ons on the system group when the compute config does not list them (`sizing/capacity.ts`
 * `systemWorkloads` does when it exists): CoreDNS x3, metrics-server x2, EBS CSI controller x2,
 * cluster-autoscaler x2, VPA recommender; requests as those components set them, rounded up.
 */
export const SYSTEM_WORKLOADS: Workload[] = [
    { name: "coredns", role: "system", cpuMillicores: 100, memoryMiB: 170, replicas: { min: 3, max: 3 } },
    { name: "metrics-server", role: "system", cpuMillicores: 100, memoryMiB: 200, replicas: { min: 2, max: 2 } },
    { name: "ebs-csi-controller", role: "system", cpuMillicores: 60, memoryMiB: 240, replicas: { min: 2, max: 2 } },
    { name: "cluster-autoscaler", role: "system", cpuMillicores: 100, memoryMiB: 600, replicas: { min: 2, max: 2 } },
    { name: "vpa-recommender", role: "system", cpuMillicores: 50, memoryMiB: 500, replicas: { min: 1, max: 1 } },
    { name: "envoy-gateway", role: "system", cpuMillicores: 100, memoryMiB: 256, replicas: { min: 2, max: 2 } },
    { name: "aws-load-balancer-controller", role: "system", cpuMillicores: 100, memoryMiB: 256, replicas: { min: 2, max: 2 } },
];
export const DEFAULT_NODE_GROUPS: NodeGroupSpec[] = [
    { name: "system", role: "system", instanceTypes: ["m7g.large"] },
    { name: "application", role: "application", instanceTypes: ["m7g.xlarge"] },
];
/** Highly available floor for every replicated thing: one per zone would be 3; two survive a node loss. */
export const MIN_REPLICAS = 2;
/** PgBouncer `max_client_conn` per replica when the stack does not set one (the `pgbouncer` schema's default). */
export const PGBOUNCER_MAX_CLIENT_CONN = 2000;

const ceil = Math.ceil;
/** binPack stops counting here (EKS node groups hold at most 450 nodes): more is "does not fit". */
const BIN_PACK_MAX_NODES = 100_000;

/**
 * First-fit decreasing of the workloads' pods into nodes of one allocatable shape.
 * Identical pods of one workload are placed in bulk, so the cost is O(workloads x nodes).
 */
export function binPack(pods: { cpuMillicores: number; memoryMiB: number; count: number }[], alloc: Allocatable): number {
    const nodes: { cpu: number; mem: number; pods: number }[] = [];
    const sorted = [...pods].filter((p) => p.count > 0).sort((a, b) => b.cpuMillicores - a.cpuMillicores || b.memoryMiB - a.memoryMiB);
    for (const p of sorted) {
        if (p.cpuMillicores > alloc.cpuMillicores || p.memoryMiB > alloc.memoryMiB || alloc.pods < 1) return Infinity;
        let left = p.count;
        for (const n of nodes) {
            if (left === 0) break;
            const fit = Math.min(Math.floor(n.cpu / p.cpuMillicores), Math.floor(n.mem / p.memoryMiB), n.pods, left);
            if (fit <= 0) continue;
            n.cpu -= fit * p.cpuMillicores; n.mem -= fit * p.memoryMiB; n.pods -= fit; left -= fit;
        }
        const perNode = Math.min(Math.floor(alloc.cpuMillicores / p.cpuMillicores), Math.floor(alloc.memoryMiB / p.memoryMiB), alloc.pods);
        // Requests that are not positive (raw config the schemas have not judged yet) fit no node.
        if (!(perNode >= 1)) return Infinity;
        while (left > 0) {
            // Far beyond any node group EKS allows: the count only has to say "does not fit".
            if (nodes.length >= BIN_PACK_MAX_NODES) return Infinity;
            const fit = Math.min(perNode, left);
            nodes.push({ cpu: alloc.cpuMillicores - fit * p.cpuMillicores, mem: alloc.memoryMiB - fit * p.memoryMiB, pods: alloc.pods - fit });
            left -= fit;
        }
    }
    return nodes.length;
}

/** Replica bounds for a rate: min carries rate x offPeakShare, max carries rate x (1 + headroom). */
function boundsFor(load: LoadConfig, rate: number, perReplica: number, floor = MIN_REPLICAS): MinMax {
    const max = Math.max(floor, ceil((rate * (1 + load.headroom)) / perReplica));
    const min = Math.min(max, Math.max(floor, ceil((rate * load.offPeakShare) / perReplica)));
    return { min, max };
}

export function deriveTopology(input: SizingInput): Topology {
    const { load } = input;
    const catalog = input.catalog ?? DEFAULT_CATALOG;
    const problems: SizingProblem[] = [];
    const demand = demandOf(load);
    const atMax = scaleDemand(demand, 1 + load.headroom);
    const atMin = scaleDemand(demand, load.offPeakShare);
    const peakKey = `${LOAD_KEY}.peakConcurrentUsers`;

    // ---- services (HPA) ----
    // The compute config's services when it lists them; else one per measured service in the load.
    const specs = new Map((input.services ?? []).map((s) => [s.name, s]));
    const names = input.services ? [...specs.keys()] : Object.keys(load.services);
    const services: ServiceSizing[] = names.map((name) => {
        const spec = specs.get(name);
        const measured = load.services[name];
        if (!measured) {
            problems.push({ key: `${LOAD_KEY}.services`, value: Object.keys(load.services), message: `has no measured capacity for service "${name}"; add services.${name}.rpsPerPod (requests per second one pod carries at its HPA target)` });
        }
        const rpsPerPod = measured?.rpsPerPod ?? Infinity;
        const derived = measured ? boundsFor(load, demand.serviceRps[name], rpsPerPod) : { min: MIN_REPLICAS, max: MIN_REPLICAS };
        const replicas = { min: spec?.replicas?.min ?? derived.min, max: spec?.replicas?.max ?? Math.max(derived.max, spec?.replicas?.min ?? 0) };
        return {
            name, rpsPerPod,
            cpuMillicores: spec?.cpuMillicores ?? DEFAULT_SERVICE_REQUESTS.cpuMillicores,
            memoryMiB: spec?.memoryMiB ?? DEFAULT_SERVICE_REQUESTS.memoryMiB,
            replicas,
            nodeGroup: spec?.nodeGroup,
            explicit: spec?.replicas?.min !== undefined || spec?.replicas?.max !== undefined,
        };
    });
    const ingressDerived = boundsFor(load, demand.originRps, load.ingressRpsPerPod);
    const ingressReplicas = { min: input.ingress?.replicas?.min ?? ingressDerived.min, max: input.ingress?.replicas?.max ?? Math.max(ingressDerived.max, input.ingress?.replicas?.min ?? 0) };

    // ---- Aurora: the smallest class whose writer carries the writes and whose readers (<= 15) and
    //      connection budget carry the reads; the next step past a limit is the next class up ----
    const auroraSpec = input.data?.aurora;
    const explicitClass = auroraSpec?.instanceClass ? catalog.dbClass(auroraSpec.instanceClass) : undefined;
    const classes = auroraSpec?.instanceClass ? (explicitClass ? [explicitClass] : []) : catalog.dbClasses;
    if (auroraSpec?.instanceClass && !explicitClass) {
        problems.push({ key: "scaling-topology:aurora.instanceClass", value: auroraSpec.instanceClass, message: "is not a class the sizing knows (sizing/connections.ts)" });
    }
    const perInstance = (c: DbClass) => perInstanceQps(load, c);
    const connectionsFor = (qps: number) => ceil((qps * load.database.queryMilliseconds) / 1000);
    // What PgBouncer may use of one instance: max_connections - AWS's reserved - the configured headroom.
    const budget = (c: DbClass) => c.maxConnections - AWS_RESERVED_CONNECTIONS - (auroraSpec?.connectionHeadroom ?? 20);
    const pgbReplicasFor = (qps: number, clientConns: number, maxClientConn: number): MinMax => {
        const max = Math.max(MIN_REPLICAS, ceil((qps * (1 + load.headroom)) / load.pgbouncer.queriesPerReplicaPerSecond), ceil(clientConns / maxClientConn));
        const min = Math.min(max, Math.max(MIN_REPLICAS, ceil((qps * load.offPeakShare) / load.pgbouncer.queriesPerReplicaPerSecond)));
        return { min, max };
    };
    const appPodsMax = services.reduce((n, s) => n + s.replicas.max, 0);
    const clientConns = appPodsMax * load.pgbouncer.clientConnectionsPerPod;
    const pgSpec = input.data?.pgbouncer;
    const rwMaxClients = pgSpec?.readWrite?.maxClientConn ?? PGBOUNCER_MAX_CLIENT_CONN;
    const roMaxClients = pgSpec?.readOnly?.maxClientConn ?? PGBOUNCER_MAX_CLIENT_CONN;
    const rwReplicas = pgbReplicasFor(demand.dbWriteQps, clientConns, rwMaxClients);
    const roReplicas = pgbReplicasFor(demand.dbReadQps, clientConns, roMaxClients);
    // A replica's pool carries what the replica relays at its CPU target (Little's law), no more;
    // within a budget of server connections it shrinks to fit (the report then shows the lower capacity).
    const poolWanted = Math.max(5, connectionsFor(load.pgbouncer.queriesPerReplicaPerSecond));
    const reserveWanted = Math.max(1, ceil(poolWanted / 5));
    const poolFor = (replicas: MinMax, serverBudget: number, maxClientConn: number): PoolSizing => {
        const perReplica = Math.max(2, Math.floor(serverBudget / replicas.max));
        const reserve = Math.min(reserveWanted, Math.max(1, Math.floor(perReplica / 6)));
        return { replicas, poolSize: Math.min(poolWanted, perReplica - reserve), reservePoolSize: reserve, maxClientConn };
    };
    // Every PgBouncer pod at its maximum must fit ONE instance per endpoint (the writer after a failover;
    // the reader endpoint balances by DNS, so one reader can end up with every read-only connection):
    // the budget check of sizing/connections.ts.
    const serverConns = (replicas: MinMax) => replicas.max * (poolWanted + reserveWanted);

    let chosen: { c: DbClass; readers: MinMax } | undefined;
    let lastReason = "";
    if (explicitClass) {
        // An explicit class is taken as given; the capacity report judges it against the target.
        const cap = perInstance(explicitClass);
        const readersMax = Math.min(AURORA_MAX_READERS, Math.max(1, ceil(atMax.dbReadQps / cap)));
        chosen = { c: explicitClass, readers: { min: Math.min(readersMax, Math.max(1, ceil(atMin.dbReadQps / cap))), max: readersMax } };
    }
    for (const c of chosen ? [] : classes) {
        const cap = perInstance(c);
        if (atMax.dbWriteQps > cap) {
            lastReason = `the writer needs ${fmt(atMax.dbWriteQps)} writes/s at peak + headroom; ${c.instanceClass} carries ${fmt(cap)} at ${pct(load.database.targetUtilization)} CPU`;
            continue;
        }
        const tight = [["read-write", rwReplicas, atMax.dbWriteQps], ["read-only", roReplicas, atMax.dbReadQps]] as const;
        const short = tight.find(([, r, qps]) => serverConns(r) > budget(c) && connectionsFor(qps) > budget(c));
        if (short) {
            lastReason = `the ${short[0]} pool needs ${fmt(connectionsFor(short[2]))} server connections on one instance; ${c.instanceClass} allows ${budget(c)} (max_connections ${c.maxConnections}, at most 5,000 per instance)`;
            continue;
        }
        // Readers: enough for the reads at peak + headroom; at least one (the failover target).
        const readersMax = Math.max(1, ceil(atMax.dbReadQps / cap));
        if (readersMax > AURORA_MAX_READERS) {
            lastReason = `reads need ${readersMax} readers of ${c.instanceClass}; Aurora allows ${AURORA_MAX_READERS}`;
            continue;
        }
        const readersMin = Math.min(readersMax, Math.max(1, ceil(atMin.dbReadQps / cap)));
        chosen = { c, readers: { min: readersMin, max: readersMax } };
        break;
    }
    if (!chosen) {
        const c = classes[classes.length - 1] ?? catalog.dbClasses[catalog.dbClasses.length - 1];
        problems.push({
            key: peakKey, value: load.peakConcurrentUsers,
            message: `exceeds what one Aurora cluster can carry: ${lastReason} (limits: one writer, ${AURORA_MAX_READERS} readers, 5,000 connections per instance). `
                + "Next steps: a higher load.redisAbsorbedShare, or sharding the database across clusters",
        });
        chosen = { c, readers: { min: AURORA_MAX_READERS, max: AURORA_MAX_READERS } };
    }
    const readers = { min: auroraSpec?.readers?.min ?? chosen.readers.min, max: auroraSpec?.readers?.max ?? Math.max(chosen.readers.max, auroraSpec?.readers?.min ?? 0) };
    if (readers.max > AURORA_MAX_READERS) {
        problems.push({ key: "scaling-topology:aurora.readerAutoscaling.maxReaders", value: readers.max, message: `Aurora allows at most ${AURORA_MAX_READERS} readers per cluster` });
    }
    const c = chosen.c;
    const merge = (d: PoolSizing, e?: PoolSpec): PoolSizing => ({
        replicas: { min: e?.replicas?.min ?? d.replicas.min, max: e?.replicas?.max ?? Math.max(d.replicas.max, e?.replicas?.min ?? 0) },
        poolSize: e?.poolSize ?? d.poolSize,
        reservePoolSize: e?.reservePoolSize ?? d.reservePoolSize,
        maxClientConn: e?.maxClientConn ?? d.maxClientConn,
    });
    const readWrite = merge(poolFor(rwReplicas, budget(c), rwMaxClients), pgSpec?.readWrite);
    const readOnly = merge(poolFor(roReplicas, budget(c), roMaxClients), pgSpec?.readOnly);

    // ---- Redis: shards for memory and for commands; scale the node type up before going past 10 shards ----
    const redisSpec = input.data?.redis;
    const replicasPerShard = redisSpec?.replicasPerShard ?? (input.environment === "prod" ? 2 : 1);
    const shardsForMemory = (t: CacheNodeType) => ceil((atMax.workingSetBytes * (1 + load.headroom)) / (t.memoryGiB * 1024 ** 3 * (1 - CACHE_RESERVED_MEMORY_SHARE)));
    const shardsForOps = (t: CacheNodeType) => ceil(atMax.redisOps / (load.redis.opsPerShardPerSecond * t.opsShare));
    const shardsFor = (t: CacheNodeType) => Math.max(1, shardsForMemory(t), shardsForOps(t));
    const explicitType = redisSpec?.nodeType ? catalog.cacheNodeType(redisSpec.nodeType) : undefined;
    const types = redisSpec?.nodeType ? (explicitType ? [explicitType] : []) : catalog.cacheNodeTypes;
    if (redisSpec?.nodeType && !explicitType) {
        problems.push({ key: "scaling-topology:redis.nodeType", value: redisSpec.nodeType, message: "is not a node type the sizing knows (sizing/catalog.ts)" });
    }
    const pool = types.length > 0 ? types : catalog.cacheNodeTypes;
    // The node type follows the working set (scale up before out past 10 shards); commands add shards.
    const nodeType = pool.find((t) => shardsForMemory(t) <= CACHE_PREFERRED_MAX_SHARDS) ?? pool[pool.length - 1];
    // Past the first type, keep at least 10 shards: the step up is an online vertical scale of the same
    // shards (no resharding), and throughput (shards x commands per shard) never shrinks as load grows.
    const steppedUp = !redisSpec?.nodeType && pool.indexOf(nodeType) > 0;
    const shards = redisSpec?.shards ?? Math.max(shardsFor(nodeType), steppedUp ? CACHE_PREFERRED_MAX_SHARDS : 1);
    const maxShardsByNodes = Math.floor(CACHE_MAX_NODES / (replicasPerShard + 1));
    if (shards > CACHE_MAX_SHARDS || shards > maxShardsByNodes) {
        problems.push({
            ...(redisSpec?.shards !== undefined
                ? { key: "scaling-topology:redis.shards", value: shards }
                : shardsForOps(nodeType) >= shards
                    ? { key: peakKey, value: load.peakConcurrentUsers }
                    : { key: `${LOAD_KEY}.dailyActiveUsers`, value: load.dailyActiveUsers }),
            message: `needs ${shards} shards of ${nodeType.nodeType} x ${replicasPerShard + 1} nodes; an ElastiCache cluster holds at most ${CACHE_MAX_SHARDS} shards and ${CACHE_MAX_NODES} nodes. Next step: split the cache by key space across replication groups`,
        });
    }

    const pgbRequests = { cpuMillicores: pgSpec?.cpuMillicores ?? PGBOUNCER_REQUESTS.cpuMillicores, memoryMiB: pgSpec?.memoryMiB ?? PGBOUNCER_REQUESTS.memoryMiB };
    // ---- node groups: bin-pack every workload's pods into each group's allocatable shape ----
    const ingressRequests = { cpuMillicores: input.ingress?.cpuMillicores ?? INGRESS_REQUESTS.cpuMillicores, memoryMiB: input.ingress?.memoryMiB ?? INGRESS_REQUESTS.memoryMiB };
    const workloads: Workload[] = [
        ...(input.systemWorkloads ?? SYSTEM_WORKLOADS),
        ...services.map((s) => ({ name: s.name, role: "application" as const, nodeGroup: s.nodeGroup, cpuMillicores: s.cpuMillicores, memoryMiB: s.memoryMiB, replicas: s.replicas })),
        { name: "envoy-proxy", role: "application", nodeGroup: input.ingress?.nodeGroup, ...ingressRequests, replicas: ingressReplicas },
        { name: "pgbouncer-rw", role: "application", ...pgbRequests, replicas: readWrite.replicas },
        { name: "pgbouncer-ro", role: "application", ...pgbRequests, replicas: readOnly.replicas },
    ];
    const groups = input.nodeGroups ?? DEFAULT_NODE_GROUPS;
    const nodeGroups: NodeGroupSizing[] = groups.map((g, i) => {
        const alloc = catalog.nodeAllocatable(g.instanceTypes, input.prefixDelegation ?? true);
        const groupKey = `scaling-topology:cluster.nodeGroups[${i}]`;
        if (!alloc) {
            problems.push({ key: `${groupKey}.instanceTypes`, value: g.instanceTypes, message: "are not all in the instance table (catalog/instances.ts)" });
            return { name: g.name, role: g.role, instanceTypes: g.instanceTypes, size: { min: g.size?.min ?? 1, max: g.size?.max ?? 1 }, explicit: true, nodesForMax: 0, nodesForMin: 0, allocatable: { cpuMillicores: 0, memoryMiB: 0, pods: 0 } };
        }
        const mine = workloadsOn(workloads, groups, g);
        const need = (which: "min" | "max") => binPack(mine.map((w) => ({ cpuMillicores: w.cpuMillicores, memoryMiB: w.memoryMiB, count: ceil(w.replicas[which] * w.share) })), alloc);
        const nodesForMax = need("max");
        const nodesForMin = need("min");
        if (!Number.isFinite(nodesForMax)) {
            const big = mine.find((w) => w.cpuMillicores > alloc.cpuMillicores || w.memoryMiB > alloc.memoryMiB);
            problems.push({ key: `${groupKey}.instanceTypes`, value: g.instanceTypes, message: `node group "${g.name}": one pod of ${big?.name ?? "a workload"} does not fit one node (allocatable ${alloc.cpuMillicores}m / ${alloc.memoryMiB} MiB)` });
        }
        const derived = { min: Math.max(MIN_REPLICAS, nodesForMin), max: Math.max(MIN_REPLICAS, nodesForMax) };
        if (derived.max > NODE_GROUP_MAX_NODES && g.size?.max === undefined && Number.isFinite(nodesForMax)) {
            problems.push({
                key: peakKey, value: load.peakConcurrentUsers,
                message: `needs ${derived.max} ${g.instanceTypes[0]} nodes in node group "${g.name}"; an EKS managed node group holds at most ${NODE_GROUP_MAX_NODES}. Next step: larger instance types or more node groups of this role`,
            });
        }
        const size = { min: g.size?.min ?? derived.min, max: g.size?.max ?? Math.max(derived.max, g.size?.min ?? 0) };
        return { name: g.name, role: g.role, instanceTypes: g.instanceTypes, size, explicit: g.size?.min !== undefined || g.size?.max !== undefined, nodesForMax, nodesForMin, allocatable: alloc };
    });

    return {
        demand, services, ingress: ingressReplicas, ingressRequests, nodeGroups, workloads,
        aurora: { instanceClass: c.instanceClass, vcpu: c.vcpu, perInstanceQps: perInstance(c), maxConnections: c.maxConnections, readers, explicit: auroraSpec?.instanceClass !== undefined || auroraSpec?.readers !== undefined },
        pgbouncer: { readWrite, readOnly },
        redis: { nodeType: nodeType.nodeType, memoryGiB: nodeType.memoryGiB, opsShare: nodeType.opsShare, shards, replicasPerShard, engine: redisSpec?.engine ?? "valkey", explicit: redisSpec?.nodeType !== undefined || redisSpec?.shards !== undefined },
        problems,
    };
}

/**
 * The workloads a node group holds, each with the share of its replicas that lands there: those naming
 * the group in full; those of the group's role naming no group, split evenly across the role's groups.
 */
export function workloadsOn(workloads: Workload[], groups: NodeGroupSpec[], g: NodeGroupSpec): Array<Workload & { share: number }> {
    const sameRole = groups.filter((x) => x.role === g.role).length;
    return workloads.flatMap((w) => (w.nodeGroup === g.name ? [{ ...w, share: 1 }] : !w.nodeGroup && w.role === g.role ? [{ ...w, share: 1 / sameRole }] : []));
}

/** Queries per second one instance of a class serves at the database CPU target. */
export const perInstanceQps = (load: LoadConfig, c: DbClass) => c.sustainedVcpu * load.database.queriesPerVcpuPerSecond * load.database.targetUtilization;

export const fmt = (n: number) => (Number.isFinite(n) ? wholeNumber(n) : "unbounded");
const pct = (x: number) => `${Math.round(x * 100)}%`;

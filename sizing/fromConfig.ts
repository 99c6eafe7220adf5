/**
 * Sizing from load targets: the bridge between the stack config and the pure sizing
 * functions (`sizing/derive.ts`, `sizing/report.ts`).
 *
 * - `fillDerivedSizing` runs before validation: every sizing field a stack leaves out (node group
 *   min/max, service and ingress replicas, Aurora class and readers, PgBouncer replicas and pools,
 *   Redis node type, shards and replicas) is filled from the derivation, so the compute and data
 *   schemas, and the components, see complete values.
 * - `sizingChecks` runs after validation: the topology as configured (explicit or derived) must carry
 *   the load targets; a limit or a component below the target is a config error naming the load key
 *   and the limiting component.
 */
import type { ConfigCheck, RawConfig, StackConfig } from "../config";
import type { ConfigProblem } from "../config/errors";
import { LoadConfig } from "../config/core";
import { planSizing, ReportInput, SizingReport } from "./report";
import { deriveTopology, NodeGroupSpec, SizingInput, Topology, Workload } from "./derive";
import { systemWorkloads } from "./capacity";
import { wholeNumber } from "./numbers";

const P = "scaling-topology";

/** The sizing's view of a validated stack config: the load targets and every explicit sizing value. */
export function sizingInputOf(c: StackConfig): ReportInput {
    const a = c.aurora;
    const pool = (p: StackConfig["pgbouncer"]["readWrite"]) => ({
        replicas: { min: p.minReplicas, max: p.maxReplicas }, poolSize: p.defaultPoolSize, reservePoolSize: p.reservePoolSize, maxClientConn: p.maxClientConn,
    });
    return {
        load: c.load,
        environment: c.environment,
        natGateways: c.network.natGateways === "single" ? 1 : c.network.availabilityZones.length,
        prefixDelegation: c.cluster.prefixDelegation,
        nodeGroups: c.cluster.nodeGroups.map((g) => ({ name: g.name, role: g.role, instanceTypes: g.instanceTypes, size: { min: g.minSize, max: g.maxSize } })),
        systemWorkloads: systemWorkloads(c).map((w): Workload => ({ name: w.name, role: "system", nodeGroup: w.nodeGroup, cpuMillicores: w.cpuMillis, memoryMiB: w.memoryMiB, replicas: { min: w.replicas, max: w.replicas } })),
        services: c.services.map((s) => ({ name: s.name, cpuMillicores: s.resources.cpuMillis, memoryMiB: s.resources.memoryMiB, replicas: s.replicas, nodeGroup: s.nodeGroup })),
        ingress: { cpuMillicores: c.ingress.resources.cpuMillis, memoryMiB: c.ingress.resources.memoryMiB, replicas: c.ingress.replicas, nodeGroup: c.ingress.nodeGroup },
        data: {
            aurora: {
                instanceClass: a.instanceClass,
                readers: { min: a.readerAutoscaling?.minReaders ?? a.readers, max: a.readerAutoscaling?.maxReaders ?? a.readers },
                connectionHeadroom: a.connectionHeadroom,
            },
            pgbouncer: { readWrite: pool(c.pgbouncer.readWrite), readOnly: pool(c.pgbouncer.readOnly), cpuMillicores: c.pgbouncer.cpuMillis, memoryMiB: c.pgbouncer.memoryMiB },
            redis: { nodeType: c.redis.nodeType, shards: c.redis.shards, replicasPerShard: c.redis.replicasPerShard, engine: c.redis.engine },
        },
    };
}

/** The topology and its capacity and cost report for a validated stack config, with the problems. */
export function sizingOf(c: StackConfig): { topology: Topology; report: SizingReport; problems: ConfigProblem[] } {
    return planSizing(sizingInputOf(c));
}

export const sizingChecks: ConfigCheck[] = [
    {
        // What the design can carry at all (the load alone, every sizing derived): one writer, 15 readers,
        // 5,000 connections per instance, 500 cache nodes, 450 nodes per node group.
        needs: ["load", "environment"],
        check: (c) => deriveTopology({ load: c.load, environment: c.environment }).problems,
    },
    {
        // What the stack as configured (explicit or derived values) carries: every component >= the target.
        needs: ["load", "environment", "network", "cluster", "services", "ingress", "aurora", "pgbouncer", "redis"],
        check: (c) => {
            const designLimits = new Set(deriveTopology({ load: c.load, environment: c.environment }).problems.map((p) => p.message));
            const { topology, problems } = sizingOf(c);
            return [...problems.filter((p) => !designLimits.has(p.message)), ...podAddressProblems(c, topology)];
        },
    },
];

/**
 * The VPC CNI gives every pod an address of the private subnets: at the node groups' maxima, the nodes'
 * addresses must fit them. With prefix delegation a node holds /28 prefixes (16 addresses) for its pods
 * plus one warm prefix (`WARM_PREFIX_TARGET=1`); without, one address per pod slot plus a primary per ENI
 * (up to 4 on the sizes in the instance table). AWS keeps 5 addresses of every subnet.
 */
export function podAddressProblems(c: StackConfig, t: Topology): ConfigProblem[] {
    const prefix = c.network.subnetPrefixLengths.private;
    const available = c.network.availabilityZones.length * (2 ** (32 - prefix) - 5);
    const perNode = (pods: number) => (c.cluster.prefixDelegation ? (Math.ceil(pods / 16) + 1) * 16 : pods + 4 + 4);
    const needed = t.nodeGroups.reduce((n, g) => n + g.size.max * perNode(g.allocatable.pods + 4), 0);
    if (needed <= available) return [];
    return [{
        key: `${P}:network.subnetPrefixLengths.private`,
        value: prefix,
        message: `the node groups at their maxima (${t.nodeGroups.map((g) => `${g.name} ${g.size.max}`).join(", ")}, sized for load.peakConcurrentUsers ${c.load.peakConcurrentUsers}) need up to ${wholeNumber(needed)} pod and node addresses; ${c.network.availabilityZones.length} private /${prefix} subnets offer ${wholeNumber(available)}. Use a shorter private prefix (and a larger network.cidr if needed)`,
    }];
}

// ---- filling omitted sizing fields before validation ----

/** Upper bounds of the compute and data schemas' sizing fields. */
const LIMITS = { nodeGroupSize: 1000, podReplicas: 10_000, pgbouncerReplicas: 100, readers: 15, shards: 500 };

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const decode = (v: unknown): unknown => {
    if (typeof v !== "string") return v;
    try { return JSON.parse(v); } catch { return v; }
};
const clone = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)));

/**
 * The same raw config without any sizing field (everything derived from the load): what the
 * reference profiles plan, and what a stack that states only its load gets.
 */
export function withoutSizing(raw: RawConfig): RawConfig {
    const out: RawConfig = { ...raw };
    const edit = (k: string, f: (v: any) => void) => {
        const v = clone(decode(raw[`${P}:${k}`]));
        if (v === undefined || v === null || typeof v !== "object") return;
        f(v);
        out[`${P}:${k}`] = v;
    };
    const drop = (o: unknown, ...fields: string[]) => { if (isObj(o)) for (const f of fields) delete o[f]; };
    edit("cluster", (c) => (Array.isArray(c.nodeGroups) ? c.nodeGroups : []).forEach((g: unknown) => drop(g, "minSize", "maxSize")));
    edit("services", (ss) => (Array.isArray(ss) ? ss : []).forEach((s: unknown) => drop(s, "replicas")));
    edit("ingress", (i) => drop(i, "replicas"));
    edit("aurora", (a) => { drop(a, "instanceClass", "readers"); drop(a.readerAutoscaling, "minReaders", "maxReaders"); });
    edit("pgbouncer", (p) => ["readWrite", "readOnly"].forEach((k) => drop(p[k], "minReplicas", "maxReplicas", "defaultPoolSize", "reservePoolSize")));
    edit("redis", (r) => drop(r, "nodeType", "shards", "replicasPerShard"));
    return out;
}

/**
 * Fills the sizing fields a stack leaves out with the values derived from its load (pure; raw values
 * in, raw values out). Present values are kept as given (validation and the sizing check judge them);
 * a config whose load does not parse is returned unchanged (its errors are reported as usual).
 */
export function fillDerivedSizing(raw: RawConfig): RawConfig {
    const loadParsed = LoadConfig.safeParse(decode(raw[`${P}:load`]));
    if (!loadParsed.success) return raw;
    const get = (k: string) => clone(decode(raw[`${P}:${k}`]));
    const cluster = get("cluster"), services = get("services"), ingress = get("ingress");
    const aurora = get("aurora"), pgbouncer = get("pgbouncer"), redis = get("redis");
    const env = decode(raw[`${P}:environment`]) === "prod" ? "prod" : "dev";

    // What the stack fixes explicitly (well-formed values only; validation reports the rest).
    const groups: NodeGroupSpec[] | undefined = isObj(cluster) && Array.isArray(cluster.nodeGroups)
        ? cluster.nodeGroups.filter(isObj).map((g: Obj) => ({
            name: String(g.name), role: g.role === "system" ? "system" : "application",
            instanceTypes: Array.isArray(g.instanceTypes) ? g.instanceTypes.map(String) : [],
            size: { min: num(g.minSize), max: num(g.maxSize) },
        }))
        : undefined;
    const pool = (p: unknown) => (isObj(p) ? { replicas: { min: num(p.minReplicas), max: num(p.maxReplicas) }, poolSize: num(p.defaultPoolSize), reservePoolSize: num(p.reservePoolSize), maxClientConn: num(p.maxClientConn) } : undefined);
    const stripUndefined = <T extends Obj>(o: T | undefined): T | undefined => (o ? JSON.parse(JSON.stringify(o)) : undefined);
    const input: SizingInput = {
        load: loadParsed.data,
        environment: env,
        prefixDelegation: isObj(cluster) && typeof cluster.prefixDelegation === "boolean" ? cluster.prefixDelegation : true,
        nodeGroups: groups,
        services: Array.isArray(services)
            ? services.filter(isObj).map((s: Obj) => ({
                name: String(s.name), nodeGroup: str(s.nodeGroup),
                cpuMillicores: num(s.resources?.cpuMillis), memoryMiB: num(s.resources?.memoryMiB),
                replicas: isObj(s.replicas) ? { min: num(s.replicas.min), max: num(s.replicas.max) } : undefined,
            }))
            : undefined,
        ingress: isObj(ingress)
            ? { cpuMillicores: num(ingress.resources?.cpuMillis), memoryMiB: num(ingress.resources?.memoryMiB), nodeGroup: str(ingress.nodeGroup), replicas: isObj(ingress.replicas) ? { min: num(ingress.replicas.min), max: num(ingress.replicas.max) } : undefined }
            : undefined,
        data: stripUndefined({
            aurora: isObj(aurora)
                ? {
                    instanceClass: str(aurora.instanceClass),
                    readers: isObj(aurora.readerAutoscaling)
                        ? { min: num(aurora.readerAutoscaling.minReaders) ?? num(aurora.readers), max: num(aurora.readerAutoscaling.maxReaders) }
                        : num(aurora.readers) !== undefined ? { min: num(aurora.readers), max: num(aurora.readers) } : undefined,
                    connectionHeadroom: num(aurora.connectionHeadroom),
                }
                : undefined,
            pgbouncer: isObj(pgbouncer) ? { readWrite: pool(pgbouncer.readWrite), readOnly: pool(pgbouncer.readOnly), cpuMillicores: num(pgbouncer.cpuMillis), memoryMiB: num(pgbouncer.memoryMiB) } : undefined,
            redis: isObj(redis) ? { nodeType: str(redis.nodeType), shards: num(redis.shards), replicasPerShard: num(redis.replicasPerShard), engine: redis.engine === "redis" ? "redis" as const : "valkey" as const } : undefined,
        }),
    };
    const t = deriveTopology(stripUndefined(input) as SizingInput);

    const out: RawConfig = { ...raw };
    const put = (k: string, v: unknown) => { out[`${P}:${k}`] = v; };
    // Filled values stay within the schemas' bounds; where the load needs more, the capacity check
    // refuses the stack naming the load key and the component (never a silent under-provision).
    const fill = (o: Obj, field: string, value: number | string, max = Infinity) => { if (o[field] === undefined) o[field] = typeof value === "number" ? Math.min(value, max) : value; };

    if (isObj(cluster) && Array.isArray(cluster.nodeGroups)) {
        for (const g of cluster.nodeGroups.filter(isObj)) {
            const sized = t.nodeGroups.find((x) => x.name === String(g.name));
            if (!sized) continue;
            fill(g, "minSize", sized.size.min, LIMITS.nodeGroupSize);
            fill(g, "maxSize", Math.max(sized.size.max, num(g.minSize) ?? 0), LIMITS.nodeGroupSize);
        }
        put("cluster", cluster);
    }
    if (Array.isArray(services)) {
        for (const s of services.filter(isObj)) {
            const sized = t.services.find((x) => x.name === String(s.name));
            if (!sized) continue;
            // Only a missing value is derived: a value of the wrong type stays for validation to report.
            if (s.replicas === undefined) s.replicas = {};
            if (!isObj(s.replicas)) continue;
            fill(s.replicas, "min", sized.replicas.min, LIMITS.podReplicas);
            fill(s.replicas, "max", sized.replicas.max, LIMITS.podReplicas);
        }
        put("services", services);
    }
    if (isObj(ingress)) {
        if (ingress.replicas === undefined) ingress.replicas = {};
        if (isObj(ingress.replicas)) {
            fill(ingress.replicas, "min", t.ingress.min, LIMITS.podReplicas);
            fill(ingress.replicas, "max", t.ingress.max, LIMITS.podReplicas);
        }
        put("ingress", ingress);
    }
    if (isObj(aurora)) {
        fill(aurora, "instanceClass", t.aurora.instanceClass);
        fill(aurora, "readers", t.aurora.readers.min, LIMITS.readers);
        if (aurora.readerAutoscaling === undefined && t.aurora.readers.max > t.aurora.readers.min) aurora.readerAutoscaling = {};
        if (isObj(aurora.readerAutoscaling)) {
            fill(aurora.readerAutoscaling, "minReaders", Math.max(t.aurora.readers.min, num(aurora.readers) ?? 0), LIMITS.readers);
            fill(aurora.readerAutoscaling, "maxReaders", Math.max(t.aurora.readers.max, num(aurora.readerAutoscaling.minReaders) ?? 0), LIMITS.readers);
        }
        put("aurora", aurora);
    }
    if (isObj(pgbouncer)) {
        for (const [k, sized] of [["readWrite", t.pgbouncer.readWrite], ["readOnly", t.pgbouncer.readOnly]] as const) {
            if (pgbouncer[k] === undefined) pgbouncer[k] = {};
            if (!isObj(pgbouncer[k])) continue;
            const p = pgbouncer[k];
            fill(p, "minReplicas", sized.replicas.min, LIMITS.pgbouncerReplicas);
            fill(p, "maxReplicas", sized.replicas.max, LIMITS.pgbouncerReplicas);
            fill(p, "defaultPoolSize", sized.poolSize);
            fill(p, "reservePoolSize", sized.reservePoolSize);
        }
        put("pgbouncer", pgbouncer);
    }
    if (isObj(redis)) {
        fill(redis, "nodeType", t.redis.nodeType);
        fill(redis, "shards", t.redis.shards, LIMITS.shards);
        fill(redis, "replicasPerShard", t.redis.replicasPerShard);
        put("redis", redis);
    }
    return out;
}

/**
 * The capacity and cost report: what the topology (derived or explicit) carries, what limits it, and
 * what it costs on demand. Pure functions, no Pulumi.
 *
 * Every component's capacity is stated in peak requests per second at the edge (through the load
 * model's inverses), so the smallest is the topology's capacity and its component the bottleneck.
 * Capacities are at the target utilization (HPA targets, the database CPU target), not at 100%.
 */
import type { LoadConfig } from "../config/core";
import type { QuotaNeed } from "./quotas";
import type { OversizeWarning } from "./waste";
import { peakRpsFor, usersForRps } from "./load";
import { binPack, deriveTopology, fmt, LOAD_KEY, SizingInput, SizingProblem, Topology, workloadsOn } from "./derive";
import { CACHE_RESERVED_MEMORY_SHARE } from "./catalog";
import { auroraPrice, cacheNodePrice, ec2Price, FIXED_PRICES, monthly, Price, PRICE_REGION } from "./prices";

export interface SizingItem {
    /** Component, e.g. `node group workload`, `aurora readers`. */
    component: string;
    count: { min: number; max: number };
    /** What one counted unit is (`m7g.xlarge node`, `db.r7g.large instance`, `pod`). */
    unit: string;
    /** Capacity in the component's own terms, for people. */
    capacity: string;
    /** Peak requests per second (at the edge) the component carries at `count.max`; absent when load-independent. */
    capacityPeakRps?: number;
    /** On-demand cost at `count.max` for a month; 0 for pods (their nodes are costed). */
    monthlyCostUsd: number;
    /** On-demand cost at `count.min`. */
    monthlyCostUsdAtMin: number;
    /** True when the price used is marked as an estimate in `sizing/prices.ts`. */
    priceEstimate?: boolean;
}

export interface SizingReport {
    targets: { dailyActiveUsers: number; peakConcurrentUsers: number; peakRps: number };
    capacity: { dailyActiveUsers: number; peakConcurrentUsers: number; peakRps: number };
    /** Configured headroom (capacity kept above the target). */
    headroom: number;
    /** capacity.peakRps / targets.peakRps - 1. */
    actualHeadroom: number;
    /** The component with the smallest capacity. */
    bottleneck: string;
    /** On-demand monthly cost with every autoscaled count at its maximum (an upper bound). */
    monthlyCostUsd: number;
    /** ... and at the minima (the floor). */
    monthlyCostUsdAtMin: number;
    priceRegion: string;
    items: SizingItem[];
    /** Account quotas the maxima need (`quotas.ts`); set by `stackSizingReport`. */
    quotas?: QuotaNeed[];
    /** Components whose explicit sizing is far above what the load needs (`waste.ts`). */
    oversized?: OversizeWarning[];
    /** Their monthly cost above the need, in total. */
    oversizedMonthlyUsd?: number;
    /** Monthly cost at the maxima with every sizing field derived from the load. */
    derivedMonthlyCostUsd?: number;
}

export interface ReportInput extends SizingInput {
    /** NAT gateways the network runs (1 for `single`, 3 for `perAz`). @default 3 */
    natGateways?: number;
}

const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;
const cost = (price: Price | undefined, n: number) => monthly(price, n);

/** The largest share f in (0, 1] of the workloads' maxima that fits `nodes` nodes (binary search over the bin-packing). */
function fittingShare(t: Topology, group: Topology["nodeGroups"][number], nodes: number): number {
    const mine = workloadsOn(t.workloads, t.nodeGroups, group);
    const fits = (f: number) => binPack(mine.map((w) => ({ cpuMillicores: w.cpuMillicores, memoryMiB: w.memoryMiB, count: Math.ceil(w.replicas.max * f * w.share) })), group.allocatable) <= nodes;
    if (fits(1)) return 1;
    let lo = 0, hi = 1;
    for (let i = 0; i < 20; i++) {
        const mid = (lo + hi) / 2;
        if (fits(mid)) lo = mid; else hi = mid;
    }
    return lo;
}

/** Builds the report from a derived (or explicitly overridden) topology. */
export function reportOf(input: ReportInput, t: Topology = deriveTopology(input)): SizingReport {
    const load: LoadConfig = input.load;
    const items: SizingItem[] = [];
    const add = (i: SizingItem) => items.push(i);

    add({ component: "EKS control plane", count: { min: 1, max: 1 }, unit: "cluster", capacity: "-", monthlyCostUsd: cost(FIXED_PRICES.eksCluster, 1), monthlyCostUsdAtMin: cost(FIXED_PRICES.eksCluster, 1), priceEstimate: FIXED_PRICES.eksCluster.estimate });

    // Workloads first: the node groups' capacity is the share of their maxima they can hold.
    const workloadRps: number[] = [];
    for (const s of t.services) {
        const rps = s.replicas.max * s.rpsPerPod;
        const peak = peakRpsFor.service(load, s.name, rps);
        workloadRps.push(peak);
        add({ component: `service ${s.name} (HPA)`, count: s.replicas, unit: `pod (${s.cpuMillicores}m, ${s.memoryMiB} MiB)`, capacity: `${fmt(rps)} rps at ${fmt(s.rpsPerPod)} rps/pod`, capacityPeakRps: peak, monthlyCostUsd: 0, monthlyCostUsdAtMin: 0 });
    }
    const ingressRps = t.ingress.max * load.ingressRpsPerPod;
    workloadRps.push(peakRpsFor.origin(load, ingressRps));
    add({ component: "Envoy proxies of the Gateway (HPA)", count: t.ingress, unit: `pod (${t.ingressRequests.cpuMillicores}m, ${t.ingressRequests.memoryMiB} MiB)`, capacity: `${fmt(ingressRps)} rps`, capacityPeakRps: peakRpsFor.origin(load, ingressRps), monthlyCostUsd: 0, monthlyCostUsdAtMin: 0 });
    add({ component: "network load balancer", count: { min: 1, max: 1 }, unit: "NLB", capacity: "scales by AWS", monthlyCostUsd: cost(FIXED_PRICES.networkLoadBalancer, 1), monthlyCostUsdAtMin: cost(FIXED_PRICES.networkLoadBalancer, 1), priceEstimate: true });

    for (const g of t.nodeGroups) {
        const price = ec2Price(g.instanceTypes[0]);
        const share = g.nodesForMax > 0 ? fittingShare(t, g, g.size.max) : 1;
        const loadDependent = g.role === "application";
        const peak = loadDependent ? share * Math.min(...workloadRps) : undefined;
        add({
            component: `node group ${g.name}`, count: g.size, unit: `${g.instanceTypes[0]} node`,
            capacity: `${g.size.max} x (${g.allocatable.cpuMillicores}m, ${g.allocatable.memoryMiB} MiB, ${g.allocatable.pods} pods); the maxima need ${g.nodesForMax}`,
            capacityPeakRps: peak, monthlyCostUsd: cost(price, g.size.max), monthlyCostUsdAtMin: cost(price, g.size.min), priceEstimate: price?.estimate ?? true,
        });
    }
    const nat = input.natGateways ?? 3;
    add({ component: "NAT gateways", count: { min: nat, max: nat }, unit: "NAT gateway", capacity: "up to 100 Gbps each", monthlyCostUsd: cost(FIXED_PRICES.natGateway, nat), monthlyCostUsdAtMin: cost(FIXED_PRICES.natGateway, nat), priceEstimate: true });

    // Database.
    const db = load.database;
    const perInstance = t.aurora.perInstanceQps;
    const aPrice = auroraPrice(t.aurora.instanceClass);
    add({ component: "Aurora writer", count: { min: 1, max: 1 }, unit: `${t.aurora.instanceClass} instance`, capacity: `${fmt(perInstance)} writes/s at ${round(db.targetUtilization * 100)}% CPU; max_connections ${t.aurora.maxConnections}`, capacityPeakRps: peakRpsFor.dbWrites(load, perInstance), monthlyCostUsd: cost(aPrice, 1), monthlyCostUsdAtMin: cost(aPrice, 1), priceEstimate: aPrice?.estimate ?? true });
    const reads = perInstance * t.aurora.readers.max;
    add({ component: "Aurora readers (autoscaled)", count: t.aurora.readers, unit: `${t.aurora.instanceClass} instance`, capacity: `${fmt(reads)} reads/s`, capacityPeakRps: peakRpsFor.dbReads(load, reads), monthlyCostUsd: cost(aPrice, t.aurora.readers.max), monthlyCostUsdAtMin: cost(aPrice, t.aurora.readers.min), priceEstimate: aPrice?.estimate ?? true });
    const pgb = t.workloads.find((w) => w.name === "pgbouncer-rw");
    // Application pods running per peak request per second (at each service's measured capacity).
    const podsPerPeakRps = t.services.reduce((n, sv) => n + (Number.isFinite(sv.rpsPerPod) ? (1 - load.edgeAbsorbedShare) * (load.services[sv.name]?.trafficShare ?? 1) / sv.rpsPerPod : 0), 0);
    for (const [label, p, rate] of [["read-write", t.pgbouncer.readWrite, peakRpsFor.dbWrites], ["read-only", t.pgbouncer.readOnly, peakRpsFor.dbReads]] as const) {
        // A replica relays at most its CPU-bound rate and what its pool's server connections turn over.
        const byCpu = p.replicas.max * load.pgbouncer.queriesPerReplicaPerSecond;
        const byPool = (p.replicas.max * p.poolSize * 1000) / db.queryMilliseconds;
        const qps = Math.min(byCpu, byPool);
        // ... and accepts at most replicas x max_client_conn client connections, which the application
        // pods open (clientConnectionsPerPod each; their number grows with the request rate).
        const clients = p.replicas.max * p.maxClientConn;
        const byClients = podsPerPeakRps > 0 ? clients / load.pgbouncer.clientConnectionsPerPod / podsPerPeakRps : Infinity;
        add({
            component: `PgBouncer ${label} (HPA)`, count: p.replicas, unit: `pod (${pgb?.cpuMillicores ?? 500}m, ${pgb?.memoryMiB ?? 256} MiB)`,
            capacity: `${fmt(qps)} queries/s, ${fmt(clients)} clients; pool ${p.poolSize}+${p.reservePoolSize} per replica`,
            capacityPeakRps: Math.min(rate(load, qps), byClients), monthlyCostUsd: 0, monthlyCostUsdAtMin: 0,
        });
    }

    // Cache.
    const r = t.redis;
    const nodes = r.shards * (r.replicasPerShard + 1);
    const cPrice = cacheNodePrice(r.nodeType, r.engine);
    const usableBytes = r.shards * r.memoryGiB * 1024 ** 3 * (1 - CACHE_RESERVED_MEMORY_SHARE);
    const dauCapacity = usableBytes / load.redis.bytesPerDailyActiveUser;
    const ops = r.shards * load.redis.opsPerShardPerSecond * r.opsShare;
    add({
        component: `ElastiCache ${r.engine}`, count: { min: nodes, max: nodes }, unit: `${r.nodeType} node (${r.shards} shards x ${r.replicasPerShard + 1})`,
        capacity: `${fmt(ops)} ops/s; ${round(usableBytes / 1024 ** 3, 1)} GiB usable = ${fmt(dauCapacity)} daily actives`,
        capacityPeakRps: peakRpsFor.redisOps(load, ops), monthlyCostUsd: cost(cPrice, nodes), monthlyCostUsdAtMin: cost(cPrice, nodes), priceEstimate: cPrice?.estimate ?? true,
    });

    const limiting = items.filter((i) => i.capacityPeakRps !== undefined).sort((a, b) => a.capacityPeakRps! - b.capacityPeakRps!)[0];
    const peakRps = t.demand.peakRps;
    const capRps = limiting?.capacityPeakRps ?? Infinity;
    const total = (k: "monthlyCostUsd" | "monthlyCostUsdAtMin") => round(items.reduce((s, i) => s + i[k], 0), 2);
    return {
        targets: { dailyActiveUsers: load.dailyActiveUsers, peakConcurrentUsers: load.peakConcurrentUsers, peakRps: round(peakRps) },
        capacity: { dailyActiveUsers: Math.floor(dauCapacity), peakConcurrentUsers: Math.floor(usersForRps(load, capRps)), peakRps: Math.floor(capRps) },
        headroom: load.headroom,
        actualHeadroom: round(capRps / peakRps - 1, 3),
        bottleneck: limiting?.component ?? "none",
        monthlyCostUsd: total("monthlyCostUsd"),
        monthlyCostUsdAtMin: total("monthlyCostUsdAtMin"),
        priceRegion: PRICE_REGION,
        items,
    };
}

/**
 * Problems of a sized topology: the derivation's limits, plus every component whose capacity is below
 * the target (explicit values too small for the load). Each names the load key and the component.
 */
export function sizingProblems(report: SizingReport, t: Topology): SizingProblem[] {
    const problems = [...t.problems];
    for (const i of report.items) {
        if (i.capacityPeakRps !== undefined && i.capacityPeakRps < report.targets.peakRps) {
            problems.push({
                key: `${LOAD_KEY}.peakConcurrentUsers`, value: report.targets.peakConcurrentUsers,
                message: `needs ${fmt(report.targets.peakRps)} rps at peak, but ${i.component} (${i.count.min}-${i.count.max} x ${i.unit}) carries ${fmt(i.capacityPeakRps)} (${i.capacity}); raise its maximum or remove the explicit value so it is derived`,
            });
        }
    }
    if (report.capacity.dailyActiveUsers < report.targets.dailyActiveUsers) {
        problems.push({
            key: `${LOAD_KEY}.dailyActiveUsers`, value: report.targets.dailyActiveUsers,
            message: `the Redis working set does not fit: ${report.items.find((i) => i.component.startsWith("ElastiCache"))?.capacity}; add shards or a larger node type, or remove the explicit values so they are derived`,
        });
    }
    return problems;
}

/** Derives, reports and checks in one go. */
export function planSizing(input: ReportInput): { topology: Topology; report: SizingReport; problems: SizingProblem[] } {
    const topology = deriveTopology(input);
    const report = reportOf(input, topology);
    return { topology, report, problems: sizingProblems(report, topology) };
}

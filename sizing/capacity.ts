/**
 * Node capacity and the capacity check: pure functions, no Pulumi.
 *
 * The check: for every node group, the sum over the workloads placed on it of `maxReplicas x requests`
 * (CPU, memory, pods) must fit `maxSize x per-node allocatable`, where per-node allocatable is what the
 * kubelet leaves after kube-reserved, system-reserved and the eviction threshold, minus the DaemonSets
 * every node runs. Each replica must also fit on one node. A group with several instance types is
 * planned with its smallest (the autoscaler may launch any of them).
 *
 * {@link stackWorkloads} lists every workload of a stack (services, the Gateway's Envoy proxies, PgBouncer,
 * system add-ons); a caller that adds its own passes the longer list to {@link capacityReport}.
 */
import type { StackConfig } from "../config";
import type { ConfigProblem } from "../config/errors";
import { INSTANCE_TYPES, InstanceTypeName } from "../catalog/instances";

/** Pods per node with VPC CNI prefix delegation (the kubelet's default maximum, and EKS's cap below 30 vCPUs). */
export const PREFIX_DELEGATION_MAX_PODS = 110;

/** VPC CNI max pods: one IP per pod on each ENI, minus each ENI's primary IP, plus 2 host-network pods. */
export function maxPods(type: InstanceTypeName, prefixDelegation: boolean): number {
    const t = INSTANCE_TYPES[type];
    return prefixDelegation ? PREFIX_DELEGATION_MAX_PODS : t.maxEnis * (t.ipv4PerEni - 1) + 2;
}

/** EKS kube-reserved CPU (millicores): 6% of the first core, 1% of the second, 0.5% of the next two, 0.25% above four. */
export function kubeReservedCpuMillis(vcpu: number): number {
    const tiers: Array<[number, number]> = [[1, 60], [1, 10], [2, 5], [Infinity, 2.5]];
    let left = vcpu;
    let millis = 0;
    for (const [cores, perCore] of tiers) {
        const n = Math.min(left, cores);
        millis += n * perCore;
        left -= n;
        if (left <= 0) break;
    }
    return millis;
}

/** EKS kube-reserved memory (MiB): 255 MiB + 11 MiB per pod the node may run. */
export const kubeReservedMemoryMiB = (pods: number) => 255 + 11 * pods;

/**
 * System-reserved (OS daemons: systemd, journald, containerd's own overhead beyond kube-reserved).
 * EKS AMIs reserve none by default; we keep a margin so the plan does not count on memory the OS uses.
 */
export const SYSTEM_RESERVED = { cpuMillis: 100, memoryMiB: 100 } as const;

/** The kubelet's hard eviction threshold `memory.available<100Mi`. */
export const EVICTION_HARD_MEMORY_MIB = 100;

/**
 * DaemonSets on every node, with their requests (from the EKS managed add-ons' default manifests,
 * rounded up). The EKS managed `kube-proxy` requests 100m CPU; `aws-node` 25m; EBS CSI node 3 containers.
 */
export const DAEMONSETS: ReadonlyArray<{ name: string; cpuMillis: number; memoryMiB: number }> = [
    { name: "aws-node (VPC CNI + network policy agent)", cpuMillis: 25, memoryMiB: 64 },
    { name: "kube-proxy", cpuMillis: 100, memoryMiB: 32 },
    { name: "ebs-csi-node", cpuMillis: 30, memoryMiB: 120 },
    { name: "eks-pod-identity-agent", cpuMillis: 25, memoryMiB: 32 },
];

export interface NodeAllocatable {
    cpuMillis: number;
    memoryMiB: number;
    pods: number;
}

/** What one node of this type offers to pods, before DaemonSets. */
export function allocatable(type: InstanceTypeName, prefixDelegation: boolean): NodeAllocatable {
    const t = INSTANCE_TYPES[type];
    const pods = maxPods(type, prefixDelegation);
    return {
        cpuMillis: t.vcpu * 1000 - kubeReservedCpuMillis(t.vcpu) - SYSTEM_RESERVED.cpuMillis,
        memoryMiB: t.memoryMiB - kubeReservedMemoryMiB(pods) - SYSTEM_RESERVED.memoryMiB - EVICTION_HARD_MEMORY_MIB,
        pods,
    };
}

/** What one node offers to Deployments: allocatable minus the DaemonSets. */
export function allocatableForWorkloads(type: InstanceTypeName, prefixDelegation: boolean): NodeAllocatable {
    const a = allocatable(type, prefixDelegation);
    return {
        cpuMillis: a.cpuMillis - DAEMONSETS.reduce((s, d) => s + d.cpuMillis, 0),
        memoryMiB: a.memoryMiB - DAEMONSETS.reduce((s, d) => s + d.memoryMiB, 0),
        pods: a.pods - DAEMONSETS.length,
    };
}

/** The smallest per-node offer over a group's instance types (per dimension). */
export function groupNodeAllocatable(types: readonly string[], prefixDelegation: boolean): NodeAllocatable {
    const each = types.map((t) => allocatableForWorkloads(t as InstanceTypeName, prefixDelegation));
    return {
        cpuMillis: Math.min(...each.map((a) => a.cpuMillis)),
        memoryMiB: Math.min(...each.map((a) => a.memoryMiB)),
        pods: Math.min(...each.map((a) => a.pods)),
    };
}

/** One workload's peak demand on a node group. */
export interface WorkloadDemand {
    /** What it is, as the error names it: `service "api"`, `Envoy proxies (gateway)`, `PgBouncer`. */
    name: string;
    /** Config key the demand comes from (blamed when it does not fit), e.g. `scaling-topology:services[0].replicas.max`. */
    key: string;
    /** Node group name it runs on. */
    nodeGroup: string;
    /** Maximum replicas. */
    replicas: number;
    /** Requests per replica. */
    cpuMillis: number;
    memoryMiB: number;
}

/**
 * System add-ons on the system node group (requests from their charts/add-on defaults, or as this
 * program sets them in components/).
 */
export function systemWorkloads(c: StackConfig): WorkloadDemand[] {
    const system = c.cluster.nodeGroups.find((g) => g.role === "system")!.name;
    const w = (name: string, replicas: number, cpuMillis: number, memoryMiB: number, key = "scaling-topology:cluster"): WorkloadDemand => ({ name, key, nodeGroup: system, replicas, cpuMillis, memoryMiB });
    return [
        w("coredns", c.cluster.corednsReplicas, 100, 70, "scaling-topology:cluster.corednsReplicas"),
        w("metrics-server", 2, 100, 200),
        w("ebs-csi-controller", 2, 60, 240),
        w("cluster-autoscaler", c.cluster.autoscaler.replicas, AUTOSCALER_RESOURCES.cpuMillis, AUTOSCALER_RESOURCES.memoryMiB, "scaling-topology:cluster.autoscaler.replicas"),
        w("vpa-recommender", 1, VPA_RESOURCES.recommender.cpuMillis, VPA_RESOURCES.recommender.memoryMiB, "scaling-topology:cluster.vpa"),
        ...(c.cluster.vpa.updater ? [w("vpa-updater", 1, VPA_RESOURCES.updater.cpuMillis, VPA_RESOURCES.updater.memoryMiB, "scaling-topology:cluster.vpa.updater")] : []),
        ...(c.cluster.vpa.admissionController ? [w("vpa-admission-controller", 2, VPA_RESOURCES.admissionController.cpuMillis, VPA_RESOURCES.admissionController.memoryMiB, "scaling-topology:cluster.vpa.admissionController")] : []),
        w("envoy-gateway (controller)", GATEWAY_CONTROLLER_RESOURCES.replicas, GATEWAY_CONTROLLER_RESOURCES.cpuMillis, GATEWAY_CONTROLLER_RESOURCES.memoryMiB, "scaling-topology:ingress"),
        w("aws-load-balancer-controller", LOAD_BALANCER_CONTROLLER_RESOURCES.replicas, LOAD_BALANCER_CONTROLLER_RESOURCES.cpuMillis, LOAD_BALANCER_CONTROLLER_RESOURCES.memoryMiB, "scaling-topology:ingress"),
        ...Object.entries(EXTERNAL_SECRETS_RESOURCES).map(([part, r]) => w(`external-secrets ${part}`, r.replicas, r.cpuMillis, r.memoryMiB)),
        w("database-roles Job", 1, DATABASE_ROLES_JOB_RESOURCES.cpuMillis, DATABASE_ROLES_JOB_RESOURCES.memoryMiB),
    ];
}

/** External Secrets Operator's pods on the system nodes, as components/externalSecrets.ts sets them. */
export const EXTERNAL_SECRETS_RESOURCES = {
    controller: { replicas: 2, cpuMillis: 50, memoryMiB: 128 },
    webhook: { replicas: 2, cpuMillis: 50, memoryMiB: 128 },
    certController: { replicas: 1, cpuMillis: 50, memoryMiB: 128 },
} as const;

/** The database-roles Job's pod (runs on a system node while a deploy applies the roles SQL). */
export const DATABASE_ROLES_JOB_RESOURCES = { cpuMillis: 50, memoryMiB: 64 } as const;

/** Requests the ClusterAutoscaler component sets (one place, shared with the check). */
export const AUTOSCALER_RESOURCES = { cpuMillis: 100, memoryMiB: 600, memoryLimitMiB: 600 } as const;
/** The Envoy Gateway controller (the chart's requests; the Gateway component sets them). */
export const GATEWAY_CONTROLLER_RESOURCES = { replicas: 2, cpuMillis: 100, memoryMiB: 256 } as const;
/** The AWS Load Balancer Controller (provisions the origin NLB). */
export const LOAD_BALANCER_CONTROLLER_RESOURCES = { replicas: 2, cpuMillis: 100, memoryMiB: 256 } as const;
/** Requests the VerticalPodAutoscaler component sets. */
export const VPA_RESOURCES = {
    recommender: { cpuMillis: 50, memoryMiB: 500 },
    updater: { cpuMillis: 50, memoryMiB: 500 },
    admissionController: { cpuMillis: 50, memoryMiB: 200 },
} as const;

/** Requests the Grafana component sets (Grafana and its dashboard sidecar). */
export const GRAFANA_RESOURCES = {
    grafana: { cpuMillis: 100, memoryMiB: 256 },
    sidecar: { cpuMillis: 50, memoryMiB: 64 },
} as const;

/** The application node group the monitoring workloads (Grafana) run on: the first one. */
export function monitoringNodeGroup(c: Pick<StackConfig, "cluster">): string | undefined {
    return c.cluster.nodeGroups.find((g) => g.role === "application")?.name;
}

/** Every workload the stack's node groups carry: services, the Gateway's Envoy proxies, PgBouncer, Grafana, system add-ons. */
export function stackWorkloads(c: StackConfig): WorkloadDemand[] {
    const monitoring = monitoringNodeGroup(c);
    return [
        ...c.services.map((s, i) => ({ name: `service "${s.name}"`, key: `scaling-topology:services[${i}].replicas.max`, nodeGroup: s.nodeGroup, replicas: s.replicas.max, cpuMillis: s.resources.cpuMillis, memoryMiB: s.resources.memoryMiB })),
        { name: "Envoy proxies (gateway)", key: "scaling-topology:ingress.replicas.max", nodeGroup: c.ingress.nodeGroup, replicas: c.ingress.replicas.max, cpuMillis: c.ingress.resources.cpuMillis, memoryMiB: c.ingress.resources.memoryMiB },
        ...pgbouncerWorkloads(c),
        ...(monitoring ? [{ name: "grafana", key: "scaling-topology:observability", nodeGroup: monitoring, replicas: 1, cpuMillis: GRAFANA_RESOURCES.grafana.cpuMillis + GRAFANA_RESOURCES.sidecar.cpuMillis, memoryMiB: GRAFANA_RESOURCES.grafana.memoryMiB + GRAFANA_RESOURCES.sidecar.memoryMiB }] : []),
        ...systemWorkloads(c),
    ];
}

/** Requests of the PgBouncer exporter sidecar (every PgBouncer pod runs one). */
export const EXPORTER_RESOURCES = { cpuMillis: 20, memoryMiB: 32 } as const;

/** The application node group PgBouncer runs on: the configured one, else the first application group. */
export function pgbouncerNodeGroup(c: Pick<StackConfig, "pgbouncer" | "cluster">): string | undefined {
    return c.pgbouncer.nodeGroup ?? c.cluster.nodeGroups.find((g) => g.role === "application")?.name;
}

/** PgBouncer's pods at maxReplicas (PgBouncer container + exporter), for the node capacity check. */
export function pgbouncerWorkloads(c: Pick<StackConfig, "pgbouncer" | "cluster">): WorkloadDemand[] {
    const nodeGroup = pgbouncerNodeGroup(c);
    if (!nodeGroup) return [];
    return (["readWrite", "readOnly"] as const).map((p) => ({
        name: `PgBouncer ${p}`,
        key: `scaling-topology:pgbouncer.${p}.maxReplicas`,
        nodeGroup,
        replicas: c.pgbouncer[p].maxReplicas,
        cpuMillis: c.pgbouncer.cpuMillis + EXPORTER_RESOURCES.cpuMillis,
        memoryMiB: c.pgbouncer.memoryMiB + EXPORTER_RESOURCES.memoryMiB,
    }));
}

export interface GroupCapacity {
    nodeGroup: string;
    key: string;
    maxSize: number;
    perNode: NodeAllocatable;
    total: NodeAllocatable;
    demand: NodeAllocatable;
    workloads: WorkloadDemand[];
}

/** Capacity vs peak demand per node group. */
export function capacityReport(c: StackConfig, workloads: WorkloadDemand[] = stackWorkloads(c)): GroupCapacity[] {
    return c.cluster.nodeGroups.map((g, i) => {
        const perNode = groupNodeAllocatable(g.instanceTypes, c.cluster.prefixDelegation);
        const mine = workloads.filter((w) => w.nodeGroup === g.name);
        return {
            nodeGroup: g.name,
            key: `scaling-topology:cluster.nodeGroups[${i}].maxSize`,
            maxSize: g.maxSize,
            perNode,
            total: { cpuMillis: perNode.cpuMillis * g.maxSize, memoryMiB: perNode.memoryMiB * g.maxSize, pods: perNode.pods * g.maxSize },
            demand: {
                cpuMillis: mine.reduce((s, w) => s + w.replicas * w.cpuMillis, 0),
                memoryMiB: mine.reduce((s, w) => s + w.replicas * w.memoryMiB, 0),
                pods: mine.reduce((s, w) => s + w.replicas, 0),
            },
            workloads: mine,
        };
    });
}

const fmtCpu = (m: number) => `${(m / 1000).toFixed(m % 1000 === 0 ? 0 : 2)} vCPU`;
const fmtMem = (m: number) => `${(m / 1024).toFixed(1)} GiB`;
const DIMENSIONS = [
    { dim: "cpuMillis", label: "CPU", fmt: fmtCpu },
    { dim: "memoryMiB", label: "memory", fmt: fmtMem },
    { dim: "pods", label: "pods", fmt: (n: number) => `${n} pods` },
] as const;

/** The capacity check: one problem per workload that cannot fit, naming it and its node group. */
export function capacityProblems(c: StackConfig, workloads: WorkloadDemand[] = stackWorkloads(c)): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    for (const g of capacityReport(c, workloads)) {
        const group = c.cluster.nodeGroups.find((x) => x.name === g.nodeGroup)!;
        const where = `node group "${g.nodeGroup}" (${group.instanceTypes.join("/")}, ${fmtCpu(g.perNode.cpuMillis)}, ${fmtMem(g.perNode.memoryMiB)}, ${g.perNode.pods} pods allocatable per node after reserved and DaemonSets)`;
        // A replica larger than a node never schedules.
        for (const w of g.workloads) {
            const too = DIMENSIONS.filter(({ dim }) => dim !== "pods" && w[dim as "cpuMillis" | "memoryMiB"] > g.perNode[dim]);
            if (too.length > 0) {
                problems.push({ key: w.key.replace(/replicas\.max$/, "resources"), value: { cpuMillis: w.cpuMillis, memoryMiB: w.memoryMiB }, message: `${w.name}: one replica requests more ${too.map((d) => d.label).join(" and ")} than one node of ${where} offers` });
            }
        }
        const over = DIMENSIONS.filter(({ dim }) => g.demand[dim] > g.total[dim]);
        if (over.length === 0) continue;
        const biggest = (dim: (typeof DIMENSIONS)[number]["dim"]) => [...g.workloads].sort((a, b) => share(b, dim) - share(a, dim));
        for (const d of over) {
            const top = biggest(d.dim);
            const culprit = top[0];
            const needed = Math.ceil(g.demand[d.dim] / g.perNode[d.dim]);
            const breakdown = top.slice(0, 4).map((w) => `${w.name} ${w.replicas} x ${d.dim === "pods" ? "1 pod" : d.fmt(w[d.dim])}`).join(", ");
            problems.push({
                key: culprit.key,
                value: culprit.replicas,
                message: `${culprit.name} cannot fit at its maximum: the workloads on ${where} need ${d.fmt(g.demand[d.dim])} of ${d.label} at max replicas (${breakdown}${top.length > 4 ? ", ..." : ""}) but ${g.maxSize} nodes offer ${d.fmt(g.total[d.dim])}; raise ${g.key} to at least ${needed}, use larger instance types, or lower maxReplicas/requests`,
            });
        }
    }
    return problems;
}

function share(w: WorkloadDemand, dim: "cpuMillis" | "memoryMiB" | "pods"): number {
    return dim === "pods" ? w.replicas : w.replicas * w[dim];
}

/**
 * The account limits (AWS Service Quotas) a stack's maxima need: EC2 vCPUs per instance family and
 * purchase option at every node group's maximum, and the other per-region limits the topology counts on.
 * Pure: a validated stack config in, a list out. Quota names and codes as the Service Quotas console
 * shows them; defaults are AWS's for a new account (what an account actually has:
 * `aws service-quotas get-service-quota --service-code <service> --quota-code <code>`).
 */
import type { StackConfig } from "../config";
import { INSTANCE_TYPES, InstanceTypeName } from "../catalog/instances";

export interface QuotaNeed {
    /** Service Quotas service code (`ec2`, `eks`, `rds`, `elasticache`, `vpc`, `elasticloadbalancing`, `codebuild`). */
    service: string;
    /** Quota code, where it is one fixed code. */
    code?: string;
    /** Quota name as the console shows it. */
    name: string;
    /** What the stack needs at its maxima (vCPUs, count). */
    need: number;
    /** AWS's default for a new account, when fixed; undefined when AWS sets it per account. */
    defaultValue?: number;
    /** What the need is made of. */
    detail: string;
}

/** EC2 vCPU quotas by instance family letter(s), on-demand and spot (Service Quotas, service `ec2`). */
const EC2_VCPU_QUOTAS: Array<{ families: RegExp; onDemand: { code: string; name: string }; spot: { code: string; name: string } }> = [
    {
        families: /^(a|c|d|h|i|m|r|t|z)$/,
        onDemand: { code: "L-1216C47A", name: "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances" },
        spot: { code: "L-34B43A08", name: "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests" },
    },
    { families: /^(g|vt)$/, onDemand: { code: "L-DB2E81BA", name: "Running On-Demand G and VT instances" }, spot: { code: "L-3819A6DF", name: "All G and VT Spot Instance Requests" } },
    { families: /^p$/, onDemand: { code: "L-417A185B", name: "Running On-Demand P instances" }, spot: { code: "L-7212CCBC", name: "All P Spot Instance Requests" } },
    { families: /^x$/, onDemand: { code: "L-7295265B", name: "Running On-Demand X instances" }, spot: { code: "L-E3A00192", name: "All X Spot Instance Requests" } },
    { families: /^f$/, onDemand: { code: "L-74FC7D96", name: "Running On-Demand F instances" }, spot: { code: "L-88CF9481", name: "All F Spot Instance Requests" } },
    { families: /^inf$/, onDemand: { code: "L-1945791B", name: "Running On-Demand Inf instances" }, spot: { code: "L-B5D1601B", name: "All Inf Spot Instance Requests" } },
];

/** `m6i.2xlarge` -> `m`, `inf2.xlarge` -> `inf`, `vt1.3xlarge` -> `vt`. */
export const instanceFamily = (type: string) => /^([a-z]+?)\d/.exec(type)?.[1] ?? type;

/** vCPUs of the largest type of a node group: what `maxSize` nodes can hold at worst. */
const maxVcpu = (types: string[]) => Math.max(...types.map((t) => INSTANCE_TYPES[t as InstanceTypeName]?.vcpu ?? 0));

/** Every quota the stack's maxima need, EC2 vCPUs first. */
export function quotaNeeds(c: StackConfig): QuotaNeed[] {
    const out: QuotaNeed[] = [];
    const vcpu = new Map<string, { quota: { code: string; name: string }; need: number; parts: string[] }>();
    for (const g of c.cluster.nodeGroups) {
        const family = instanceFamily(g.instanceTypes[0]);
        const q = EC2_VCPU_QUOTAS.find((x) => x.families.test(family));
        const quota = q ? (g.capacityType === "SPOT" ? q.spot : q.onDemand) : { code: "", name: `vCPUs of family ${family.toUpperCase()} (${g.capacityType === "SPOT" ? "spot" : "on-demand"})` };
        const v = g.maxSize * maxVcpu(g.instanceTypes);
        const e = vcpu.get(quota.name) ?? { quota, need: 0, parts: [] };
        e.need += v;
        e.parts.push(`${g.name} ${g.maxSize} x ${maxVcpu(g.instanceTypes)} vCPU`);
        vcpu.set(quota.name, e);
    }
    for (const e of vcpu.values()) out.push({ service: "ec2", code: e.quota.code || undefined, name: e.quota.name, need: e.need, detail: `node groups at maxSize with their largest type: ${e.parts.join(" + ")}` });

    const zones = c.network.availabilityZones.length;
    const nat = c.network.natGateways === "single" ? 1 : zones;
    out.push({ service: "ec2", code: "L-0263D0A3", name: "EC2-VPC Elastic IPs", need: nat, defaultValue: 5, detail: `one per public NAT gateway (${nat})` });
    out.push({ service: "vpc", code: "L-FE5A380F", name: "NAT gateways per Availability Zone", need: 1, defaultValue: 5, detail: `${nat} NAT gateway(s) over ${zones} zones` });
    out.push({ service: "vpc", code: "L-F678F1CE", name: "VPCs per Region", need: 1, defaultValue: 5, detail: "the stack's VPC" });
    out.push({ service: "elasticloadbalancing", code: "L-69A177A2", name: "Network Load Balancers per Region", need: 1, defaultValue: 50, detail: "the ingress NLB" });
    out.push({ service: "eks", code: "L-6D54EA21", name: "Managed node groups per cluster", need: c.cluster.nodeGroups.length, defaultValue: 30, detail: c.cluster.nodeGroups.map((g) => g.name).join(", ") });
    const largest = [...c.cluster.nodeGroups].sort((a, b) => b.maxSize - a.maxSize)[0];
    out.push({ service: "eks", code: "L-BD136A63", name: "Nodes per managed node group", need: largest.maxSize, defaultValue: 450, detail: `${largest.name} at maxSize` });
    const readers = c.aurora.readerAutoscaling?.maxReaders ?? c.aurora.readers;
    out.push({ service: "rds", code: "L-7B6409FD", name: "DB instances", need: 1 + readers, defaultValue: 40, detail: `Aurora writer + ${readers} readers at the autoscaling maximum` });
    const cacheNodes = c.redis.shards * (c.redis.replicasPerShard + 1);
    out.push({ service: "elasticache", name: "Nodes per Region", need: cacheNodes, defaultValue: 300, detail: `${c.redis.shards} shards x ${c.redis.replicasPerShard + 1} nodes` });
    out.push({ service: "elasticache", name: "Nodes per cluster (cluster mode enabled)", need: cacheNodes, defaultValue: 90, detail: "one replication group" });
    if (c.cluster.apiAccess.endpoint === "private" && c.cluster.apiAccess.runner) {
        out.push({ service: "codebuild", name: `Concurrently running builds for Linux/${c.cluster.apiAccess.runner.computeType.replace("BUILD_GENERAL1_", "").toLowerCase()} environment`, need: 2, detail: "the CI runner: a deploy and a preview job at once" });
    }
    return out;
}

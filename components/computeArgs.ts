/**
 * Stack config -> compute component args: small pure functions (no resources), so the sizing model
 * (issue 7) can swap derived figures in and tests can check the mapping alone.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";
import type { ServiceConfig } from "../config/compute";
import { INSTANCE_TYPES, InstanceTypeName } from "../sizing/instances";
import { AUTOSCALER_RESOURCES, VPA_RESOURCES } from "../sizing/capacity";
import type { ClusterArgs } from "./cluster";
import type { ClusterAutoscalerArgs } from "./clusterAutoscaler";
import type { IngressArgs } from "./ingress";
import type { ScalableServiceArgs } from "./scalableService";
import type { VerticalPodAutoscalerArgs } from "./verticalPodAutoscaler";

/** Tolerations and node selector of the system node groups (see `SYSTEM_TAINT` in cluster.ts). */
export const SYSTEM_NODE_PLACEMENT = {
    nodeSelector: { "node-role": "system" },
    tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists", effect: "NoSchedule" }],
};
const applicationPlacement = (nodeGroup: string) => ({ "node-role": "application", "eks.amazonaws.com/nodegroup": nodeGroup });

export function clusterArgs(c: StackConfig, clusterName: string, subnetIds: pulumi.Input<string>[]): ClusterArgs {
    return {
        clusterName,
        region: c.region,
        kubernetesVersion: c.cluster.kubernetesVersion,
        subnetIds,
        endpointPublicAccessCidrs: c.cluster.endpointPublicAccessCidrs,
        adminRoleNames: c.cluster.adminRoleNames,
        logRetentionDays: c.cluster.logRetentionDays,
        prefixDelegation: c.cluster.prefixDelegation,
        corednsReplicas: c.cluster.corednsReplicas,
        addonVersions: c.cluster.addonVersions,
        nodeGroups: c.cluster.nodeGroups.map((g) => ({
            name: g.name,
            role: g.role,
            instanceTypes: g.instanceTypes,
            architecture: INSTANCE_TYPES[g.instanceTypes[0] as InstanceTypeName].architecture,
            capacityType: g.capacityType,
            minSize: g.minSize,
            maxSize: g.maxSize,
            diskSizeGiB: g.diskSizeGiB,
            labels: g.labels,
        })),
        protect: c.environment === "prod",
    };
}

export function autoscalerArgs(c: StackConfig, clusterName: string, clusterNameOutput?: pulumi.Input<string>): ClusterAutoscalerArgs {
    return {
        clusterName,
        clusterNameOutput,
        region: c.region,
        kubernetesVersion: c.cluster.kubernetesVersion,
        ...c.cluster.autoscaler,
        cpuMillis: AUTOSCALER_RESOURCES.cpuMillis,
        memoryMiB: AUTOSCALER_RESOURCES.memoryMiB,
        ...SYSTEM_NODE_PLACEMENT,
    };
}

export function vpaArgs(c: StackConfig): VerticalPodAutoscalerArgs {
    return {
        recommender: VPA_RESOURCES.recommender,
        updater: c.cluster.vpa.updater ? VPA_RESOURCES.updater : undefined,
        admissionController: c.cluster.vpa.admissionController ? VPA_RESOURCES.admissionController : undefined,
        ...SYSTEM_NODE_PLACEMENT,
    };
}

export function ingressArgs(c: StackConfig): IngressArgs {
    const i = c.ingress;
    return {
        minReplicas: i.replicas.min,
        maxReplicas: i.replicas.max,
        cpuMillis: i.resources.cpuMillis,
        memoryMiB: i.resources.memoryMiB,
        memoryLimitMiB: i.resources.memoryLimitMiB,
        targetCpuUtilization: i.targetCpuUtilization,
        nodeSelector: applicationPlacement(i.nodeGroup),
        sourceCidrs: i.sourceCidrs,
    };
}

export function serviceArgs(s: ServiceConfig, extra: Pick<ScalableServiceArgs, "vpaDependsOn" | "ingressClassName"> = {}): ScalableServiceArgs {
    return {
        serviceName: s.name,
        team: s.team,
        image: s.image,
        port: s.port,
        readinessPath: s.readinessPath,
        livenessPath: s.livenessPath,
        ingressPath: s.ingressPath,
        minReplicas: s.replicas.min,
        maxReplicas: s.replicas.max,
        cpuMillis: s.resources.cpuMillis,
        memoryMiB: s.resources.memoryMiB,
        cpuLimitMillis: s.resources.cpuLimitMillis,
        memoryLimitMiB: s.resources.memoryLimitMiB,
        targetCpuUtilization: s.hpa.cpuUtilization,
        targetMemoryUtilization: s.hpa.memoryUtilization,
        scaleUpPercentPer15s: s.hpa.scaleUpPercentPer15s,
        scaleDownStabilizationSeconds: s.hpa.scaleDownStabilizationSeconds,
        scaleDownPercentPerMinute: s.hpa.scaleDownPercentPerMinute,
        vpaMode: s.vpa.mode,
        vpaControlledResources: s.vpa.controlledResources,
        pdbMaxUnavailable: s.pdbMaxUnavailable,
        zoneSpread: s.zoneSpread,
        nodeSelector: applicationPlacement(s.nodeGroup),
        ...extra,
    };
}

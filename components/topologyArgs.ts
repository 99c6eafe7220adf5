/**
 * Stack config -> component args: the one place where the validated (and sized) stack config becomes each
 * component's typed args. Small pure functions (no resources), so tests can check the mapping alone.
 */
import * as pulumi from "@pulumi/pulumi";
import { upstreamsOf } from "../catalog/images";
import { deployedImages } from "../config/images";
import type { ImageCacheArgs } from "./imageCache";
import type { StackConfig } from "../config";
import type { ServiceConfig } from "../config/compute";
import type { AuroraConfig, PgBouncerConfig, PgBouncerPoolConfig, RedisConfig } from "../config/data";
import { INSTANCE_TYPES, InstanceTypeName } from "../catalog/instances";
import { AUTOSCALER_RESOURCES, GATEWAY_CONTROLLER_RESOURCES, LOAD_BALANCER_CONTROLLER_RESOURCES, VPA_RESOURCES } from "../sizing/capacity";
import type { AuroraPostgresArgs } from "./aurora";
import type { PgBouncerArgs } from "./pgbouncer";
import type { DatabaseRolesArgs } from "./databaseRoles";
import type { RedisCacheArgs } from "./redis";
import type { ClusterArgs } from "./cluster";
import { codebuildRunsOn, type CodeBuildRunnerArgs } from "./ciRunner";
import type { ClusterAutoscalerArgs } from "./clusterAutoscaler";
import type { GatewayArgs } from "./gateway";
import type { LoadBalancerControllerArgs } from "./loadBalancerController";
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
        endpointPublicAccessCidrs: c.cluster.apiAccess.endpoint === "public" ? c.cluster.apiAccess.publicAccessCidrs : [],
        adminRoleNames: c.cluster.adminRoleNames,
        accessEntries: [
            { roleName: c.cluster.apiAccess.deployRoleName, access: "admin" as const },
            ...(c.cluster.apiAccess.previewRoleName ? [{ roleName: c.cluster.apiAccess.previewRoleName, access: "view" as const }] : []),
        ].filter((e) => !c.cluster.adminRoleNames.includes(e.roleName)),
        existingClusterCreatorArn: c.cluster.apiAccess.existingClusterCreatorArn,
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

/** CodeBuild project name of the in-VPC runner (`cluster.apiAccess.runner.projectName`, else `<prefix>-gha-runner`). */
export function runnerProjectName(c: StackConfig, prefix: string): string | undefined {
    const r = c.cluster.apiAccess.endpoint === "private" ? c.cluster.apiAccess.runner : undefined;
    return r && (r.projectName ?? `${prefix}-gha-runner`);
}

/** The GitHub Actions `runs-on` label of the jobs that deploy and preview this stack. */
export function ciRunsOn(c: StackConfig, prefix: string): string {
    const project = runnerProjectName(c, prefix);
    return project ? codebuildRunsOn(project) : c.cluster.apiAccess.runsOn ?? "ubuntu-24.04";
}

/** The in-VPC runner's args (without the network placement), or undefined with a public endpoint. */
export function runnerArgs(c: StackConfig, prefix: string): Omit<CodeBuildRunnerArgs, "vpcId" | "subnetIds" | "clusterSecurityGroupId"> | undefined {
    const r = c.cluster.apiAccess.endpoint === "private" ? c.cluster.apiAccess.runner : undefined;
    if (!r) return undefined;
    return {
        projectName: runnerProjectName(c, prefix)!,
        githubRepository: r.githubRepository,
        connectionArn: r.connectionArn,
        computeType: r.computeType,
        timeoutMinutes: r.timeoutMinutes,
        logRetentionDays: c.cluster.logRetentionDays,
        protect: c.environment === "prod",
    };
}

/** The pull-through cache's upstreams and logins: every registry the deployed images come from. */
export function imageCacheArgs(c: StackConfig, namePrefix: string): Omit<ImageCacheArgs, "nodeRoleName"> {
    return {
        region: c.region,
        namePrefix,
        upstreams: upstreamsOf(deployedImages(c)),
        credentials: {
            ...(c.images.dockerHubUsername && c.dockerHubAccessToken ? { "docker-hub": { username: c.images.dockerHubUsername, accessToken: pulumi.secret(c.dockerHubAccessToken) } } : {}),
            ...(c.images.ghcrUsername && c.ghcrAccessToken ? { ghcr: { username: c.images.ghcrUsername, accessToken: pulumi.secret(c.ghcrAccessToken) } } : {}),
        },
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

/** The Gateway's data plane (Envoy proxies) from `scaling-topology:ingress`, its controller on the system nodes. */
export function gatewayArgs(c: StackConfig): Pick<GatewayArgs, "hostname" | "minReplicas" | "maxReplicas" | "cpuMillis" | "memoryMiB" | "memoryLimitMiB" | "targetCpuUtilization" | "nodeSelector" | "controllerNodeSelector" | "controllerTolerations" | "controllerReplicas" | "controllerCpuMillis" | "controllerMemoryMiB" | "vpcCidr" | "trustedHops"> {
    const i = c.ingress;
    return {
        hostname: c.edge.hostname,
        minReplicas: i.replicas.min,
        maxReplicas: i.replicas.max,
        cpuMillis: i.resources.cpuMillis,
        memoryMiB: i.resources.memoryMiB,
        memoryLimitMiB: i.resources.memoryLimitMiB,
        targetCpuUtilization: i.targetCpuUtilization,
        nodeSelector: applicationPlacement(i.nodeGroup),
        controllerNodeSelector: SYSTEM_NODE_PLACEMENT.nodeSelector,
        controllerTolerations: SYSTEM_NODE_PLACEMENT.tolerations,
        controllerReplicas: GATEWAY_CONTROLLER_RESOURCES.replicas,
        controllerCpuMillis: GATEWAY_CONTROLLER_RESOURCES.cpuMillis,
        controllerMemoryMiB: GATEWAY_CONTROLLER_RESOURCES.memoryMiB,
        vpcCidr: c.network.cidr,
        // Each edge hop appends the address it saw to X-Forwarded-For.
        trustedHops: (c.edge.cloudflare ? 1 : 0) + (c.edge.cloudfront ? 1 : 0),
    };
}

/** The AWS Load Balancer Controller on the system nodes. */
export function loadBalancerControllerArgs(c: StackConfig, clusterName: string, clusterNameOutput: pulumi.Input<string>, vpcId: pulumi.Input<string>): LoadBalancerControllerArgs {
    return {
        clusterName,
        clusterNameOutput,
        region: c.region,
        vpcId,
        replicas: LOAD_BALANCER_CONTROLLER_RESOURCES.replicas,
        cpuMillis: LOAD_BALANCER_CONTROLLER_RESOURCES.cpuMillis,
        memoryMiB: LOAD_BALANCER_CONTROLLER_RESOURCES.memoryMiB,
        ...SYSTEM_NODE_PLACEMENT,
    };
}

export function serviceArgs(s: ServiceConfig, extra: Pick<ScalableServiceArgs, "vpaDependsOn" | "gateway" | "allowFromNamespaces"> = {}): ScalableServiceArgs {
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

// ---- data ----

type Placement = "vpcId" | "subnetIds" | "availabilityZones" | "allowedSecurityGroupIds" | "identifier" | "protect" | "tags";

/** The Aurora component's sizing and settings from `scaling-topology:aurora`. */
export function auroraArgs(a: AuroraConfig): Omit<AuroraPostgresArgs, Placement> {
    return {
        engineVersion: a.engineVersion,
        instanceClass: a.instanceClass,
        readerInstanceClass: a.readerInstanceClass,
        readers: a.readers,
        readerAutoscaling: a.readerAutoscaling && {
            minReaders: a.readerAutoscaling.minReaders,
            maxReaders: a.readerAutoscaling.maxReaders,
            metric: a.readerAutoscaling.metric,
            target: a.readerAutoscaling.target,
            scaleInCooldownSeconds: a.readerAutoscaling.scaleInCooldownSeconds,
            scaleOutCooldownSeconds: a.readerAutoscaling.scaleOutCooldownSeconds,
        },
        databaseName: a.databaseName,
        masterUsername: a.masterUsername,
        backupRetentionDays: a.backupRetentionDays,
        backupWindow: a.backupWindow,
        maintenanceWindow: a.maintenanceWindow,
        performanceInsightsRetentionDays: a.performanceInsightsRetentionDays,
        monitoringIntervalSeconds: a.monitoringIntervalSeconds,
        logMinDurationMs: a.logMinDurationMs,
        logRetentionDays: a.logRetentionDays,
        maxConnections: a.maxConnections,
    };
}

/** The database roles: one per service, owning its schema (`services[].database`). */
export function databaseRolesArgs(c: StackConfig): Pick<DatabaseRolesArgs, "roles" | "databaseName"> {
    return {
        roles: c.services.map((s) => ({ role: s.database.role, schema: s.database.schema ?? s.database.role })),
        databaseName: c.aurora.databaseName,
    };
}

/** The Redis component's sizing and settings from `scaling-topology:redis`. */
export function redisArgs(r: RedisConfig): Omit<RedisCacheArgs, Exclude<Placement, "availabilityZones">> {
    return {
        engine: r.engine,
        engineVersion: r.engineVersion,
        nodeType: r.nodeType,
        shards: r.shards,
        replicasPerShard: r.replicasPerShard,
        maxmemoryPolicy: r.maxmemoryPolicy,
        snapshotRetentionDays: r.snapshotRetentionDays,
        snapshotWindow: r.snapshotWindow,
        maintenanceWindow: r.maintenanceWindow,
        logRetentionDays: r.logRetentionDays,
    };
}

/** The PgBouncer component's pools and settings from `scaling-topology:pgbouncer`. */
export function pgbouncerArgs(p: PgBouncerConfig): Pick<PgBouncerArgs, "metricsNamespaces" | "namespace" | "readWrite" | "readOnly" | "maxPreparedStatements" | "serverLifetimeSeconds" | "dnsMaxTtlSeconds" | "queryWaitTimeoutSeconds" | "cpuMillis" | "memoryMiB"> {
    const pool = (x: PgBouncerPoolConfig) => ({ minReplicas: x.minReplicas, maxReplicas: x.maxReplicas, defaultPoolSize: x.defaultPoolSize, reservePoolSize: x.reservePoolSize, maxClientConn: x.maxClientConn, targetCpuPercent: x.targetCpuPercent });
    return {
        namespace: p.namespace,
        metricsNamespaces: p.metricsNamespaces,
        readWrite: pool(p.readWrite),
        readOnly: pool(p.readOnly),
        maxPreparedStatements: p.maxPreparedStatements,
        serverLifetimeSeconds: p.serverLifetimeSeconds,
        dnsMaxTtlSeconds: p.dnsMaxTtlSeconds,
        queryWaitTimeoutSeconds: p.queryWaitTimeoutSeconds,
        cpuMillis: p.cpuMillis,
        memoryMiB: p.memoryMiB,
    };
}

export { pgbouncerNodeGroup } from "../sizing/capacity";

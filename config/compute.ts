/**
 * Config of the compute domain: `scaling-topology:cluster`, `scaling-topology:ingress` and
 * `scaling-topology:services`. Sizing fields are plain numbers (millicores, MiB, counts) so that the
 * sizing model can derive them.
 */
import { z } from "zod";
import type { ConfigCheck } from "./index";
import type { ConfigProblem } from "./errors";
import { cidrSchema, LogRetentionDays } from "./network";
import { INSTANCE_TYPE_NAMES, INSTANCE_TYPES, INSTANCE_TYPES_RECORDED, isInstanceTypeName } from "../catalog/instances";
import { AutoscalerKubernetesVersion, CLUSTER_AUTOSCALER_RELEASES } from "../catalog/kubernetesReleases";

/** Kubernetes minors the program supports: those with a matching cluster-autoscaler release. */
export const KUBERNETES_VERSIONS = Object.keys(CLUSTER_AUTOSCALER_RELEASES) as AutoscalerKubernetesVersion[];

/** The managed add-ons the Cluster installs. */
export const EKS_ADDONS = ["vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns", "aws-ebs-csi-driver", "metrics-server"] as const;

const count = (min: number, max: number) => z.number().int().min(min).max(max);
const dnsLabel = z.string().regex(/^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/, { message: "must be a DNS label: lowercase letters, digits and '-', 1-32 characters, starting with a letter" });
const labelValue = z.string().regex(/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/, { message: "must be a Kubernetes label value: letters, digits and - _ ., starting and ending with a letter or digit" }).max(63);
const labelKey = z.string().regex(/^([a-z0-9.-]{1,253}\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, { message: "must be a Kubernetes label key" });

const InstanceType = z.string().refine(isInstanceTypeName, { message: `must be an instance type of catalog/instances.ts (${INSTANCE_TYPES_RECORDED}): ${INSTANCE_TYPE_NAMES.join(", ")}` });

/**
 * Node labels also become cluster-autoscaler ASG tags `k8s.io/cluster-autoscaler/node-template/label/<key>`
 * (scale from zero): AWS tag keys are at most 128 characters, and an ASG holds at most 50 tags (EKS adds 5,
 * the component 2 labels and a taint).
 */
const ASG_LABEL_TAG_PREFIX = "k8s.io/cluster-autoscaler/node-template/label/";
const NodeLabels = z.record(
    labelKey.refine((k) => ASG_LABEL_TAG_PREFIX.length + k.length <= 128, { message: `must be at most ${128 - ASG_LABEL_TAG_PREFIX.length} characters: it becomes the ASG tag key ${ASG_LABEL_TAG_PREFIX}<key> (AWS tag keys: 128)` }),
    labelValue,
).refine((l) => Object.keys(l).length <= 40, { message: "at most 40 labels: each becomes a tag of the node group's auto scaling group (AWS: 50 tags, 8 taken by EKS and this component)" });

const roleName = z.string().regex(/^[\w+=,.@-]{1,64}$/, { message: "must be an IAM role name (1-64 of letters, digits and +=,.@_-; no path)" });

/** CodeBuild compute types a GitHub Actions runner project may use (Linux containers). */
export const RUNNER_COMPUTE_TYPES = ["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE", "BUILD_GENERAL1_XLARGE"] as const;

/**
 * A CodeBuild-hosted GitHub Actions runner in the private subnets: CodeBuild starts one build per queued
 * workflow job (webhook event WORKFLOW_JOB_QUEUED) whose `runs-on` is `codebuild-<project>-<run id>-<attempt>`.
 */
export const CodeBuildRunnerConfig = z.strictObject({
    type: z.literal("codebuild"),
    /** The GitHub repository (`owner/name`) whose workflow jobs the runner takes. */
    githubRepository: z.string().regex(/^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9_.-]{1,100}$/, { message: "must be a GitHub repository as owner/name" }),
    /**
     * ARN of an AWS CodeConnections connection to GitHub, created once in the console (the GitHub App
     * handshake needs a person; README "Bootstrap from an empty account").
     */
    connectionArn: z.string().regex(/^arn:aws[\w-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]{36}$/, { message: "must be a CodeConnections connection ARN such as arn:aws:codeconnections:eu-west-1:123456789012:connection/<uuid>" }),
    /** CodeBuild project name (also in the workflows' `runs-on` label). @default `<cluster name>-gha-runner` */
    projectName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{1,100}$/, { message: "must be a CodeBuild project name (2-101 of letters, digits, - and _)" }).optional(),
    /** CodeBuild compute type of each job. @default "BUILD_GENERAL1_MEDIUM" (4 vCPU, 7 GiB) */
    computeType: z.enum(RUNNER_COMPUTE_TYPES).default("BUILD_GENERAL1_MEDIUM"),
    /** Job timeout in minutes (a prod `pulumi up` can take an hour). @default 120 */
    timeoutMinutes: z.number().int().min(5).max(480).default(120),
});
export type CodeBuildRunnerConfig = z.output<typeof CodeBuildRunnerConfig>;

/**
 * `cluster.apiAccess`: `public` (the API endpoint answers the listed CIDRs only: the egress addresses of the
 * runners that deploy) or `private` (no public endpoint; deploys and previews run on a runner inside the VPC).
 */
export const ApiAccess = z.strictObject({
    /** `public`: public endpoint limited to `publicAccessCidrs`; `private`: VPC only, through `runner`. */
    endpoint: z.enum(["public", "private"], { message: "must be public (CIDR allow-list) or private (in-VPC runner)" }),
    /** CIDRs allowed to reach the public endpoint (the deploying runners' egress); `public` only, at least one. */
    publicAccessCidrs: z.array(cidrSchema(0, 32)).optional(),
    /** GitHub Actions `runs-on` label of the jobs that deploy and preview, `public` only. @default "ubuntu-24.04" */
    runsOn: z.string().regex(/^[\w.-]{1,100}$/, { message: "must be a runner label" }).optional(),
    /** The in-VPC runner, `private` only (required there). */
    runner: CodeBuildRunnerConfig.optional(),
    /** IAM role the deploy workflow assumes (`vars.AWS_DEPLOY_ROLE_ARN`): cluster-admin access entry. */
    deployRoleName: roleName,
    /** IAM role the pull-request preview assumes (`vars.AWS_PREVIEW_ROLE_ARN`): view access entry. */
    previewRoleName: roleName.optional(),
    /**
     * Clusters created before the creator's admin stopped being bootstrapped only: the ARN of the IAM role
     * that created the cluster. Its hidden bootstrap access entry is imported (and so shown and managed);
     * leave out on new clusters (there is nothing to import).
     */
    existingClusterCreatorArn: z.string().regex(/^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@-]{1,64}$/, { message: "must be an IAM role ARN without a path, e.g. arn:aws:iam::123456789012:role/deploy" }).optional(),
});
export type ApiAccess = z.output<typeof ApiAccess>;

export const NodeGroupConfig = z.strictObject({
    /** Managed node group name (unique in the cluster). */
    name: dnsLabel,
    /**
     * `system`: cluster add-ons (CoreDNS, autoscaler, metrics-server, VPA), tainted `CriticalAddonsOnly`
     * so application pods stay off. `application`: everything else.
     */
    role: z.enum(["system", "application"]),
    /** Instance types (one architecture, similar sizes: the autoscaler plans with the smallest). */
    instanceTypes: z.array(InstanceType).min(1).max(10),
    /** `ON_DEMAND` or `SPOT`. */
    capacityType: z.enum(["ON_DEMAND", "SPOT"]),
    /** Scaling bounds; the cluster autoscaler moves the desired size between them. */
    minSize: count(0, 1000),
    maxSize: count(1, 1000),
    /** Root volume (gp3, encrypted) size in GiB. @default 50 */
    diskSizeGiB: count(20, 2000).default(50),
    /** Extra node labels. */
    labels: NodeLabels.default({}),
}).refine((g) => g.minSize <= g.maxSize, { message: "minSize must not exceed maxSize", path: ["minSize"] })
    // Types outside the table are reported by InstanceType (a failed refinement does not stop this one).
    .refine((g) => new Set(g.instanceTypes.filter(isInstanceTypeName).map((i) => INSTANCE_TYPES[i].architecture)).size <= 1, { message: "instance types of one node group must share a CPU architecture", path: ["instanceTypes"] });
export type NodeGroupConfig = z.output<typeof NodeGroupConfig>;

/** `scaling-topology:cluster`: the EKS cluster, its node groups and cluster add-ons. */
export const ClusterConfig = z.strictObject({
    /** Kubernetes minor, pinned (upgrades are deliberate, one minor at a time). */
    kubernetesVersion: z.enum(KUBERNETES_VERSIONS as [AutoscalerKubernetesVersion, ...AutoscalerKubernetesVersion[]]),
    /**
     * Replaced by `apiAccess` (kept only to name the replacement in the error: an empty list meant a private
     * endpoint that the shipped workflows could not reach).
     */
    endpointPublicAccessCidrs: z.unknown().optional(),
    /** How deploys, previews and people reach the Kubernetes API (README "Cluster access"). */
    apiAccess: ApiAccess,
    /** IAM role names (in the stack's account) given cluster-admin through an EKS access entry. */
    adminRoleNames: z.array(roleName).default([]),
    /** Control-plane log retention in CloudWatch Logs (days). @default 90 */
    logRetentionDays: LogRetentionDays.default(90),
    /**
     * VPC CNI prefix delegation: each ENI slot holds a /28 prefix, so max pods per node is 110 rather
     * than `ENIs x (IPs per ENI - 1) + 2` (29 on an m6i.large). @default true
     */
    prefixDelegation: z.boolean().default(true),
    /** CoreDNS replicas (spread across zones). @default 2 */
    corednsReplicas: count(2, 20).default(2),
    /**
     * Managed add-on versions to pin (`aws eks describe-addon-versions --kubernetes-version <minor>`);
     * unlisted add-ons get EKS's default version for the minor at creation. @default {}
     */
    addonVersions: z.partialRecord(z.enum(EKS_ADDONS), z.string().regex(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/, { message: "must be an EKS add-on version such as v1.20.4-eksbuild.1" })).default({}),
    /** Managed node groups: at least one `system` and one `application` group. */
    nodeGroups: z.array(NodeGroupConfig).min(2)
        .refine((gs) => new Set(gs.map((g) => g.name)).size === gs.length, { message: "node group names must be unique" })
        .refine((gs) => gs.some((g) => g.role === "system") && gs.some((g) => g.role === "application"), { message: "needs at least one node group with role system and one with role application" }),
    /** Cluster autoscaler settings. */
    autoscaler: z.strictObject({
        /**
         * How to choose the node group to grow (cluster-autoscaler FAQ). `priority` is not offered: it needs
         * a priorities ConfigMap this program does not manage. @default "least-waste"
         */
        expander: z.enum(["least-waste", "random", "most-pods", "price"]).default("least-waste"),
        /** Nodes below this requested/allocatable ratio are scale-down candidates. @default 0.5 */
        scaleDownUtilizationThreshold: z.number().min(0.1).max(0.9).default(0.5),
        /** How long a node must be unneeded before removal (minutes). @default 10 */
        scaleDownUnneededMinutes: count(1, 120).default(10),
        /** No scale-down for this long after a scale-up (minutes). @default 10 */
        scaleDownDelayAfterAddMinutes: count(0, 120).default(10),
        /** Replicas (leader election; 2 = a warm standby). @default 2 */
        replicas: count(1, 3).default(2),
    }).prefault({}),
    /** Vertical Pod Autoscaler: the recommender always runs; updater and admission controller only when on. */
    vpa: z.strictObject({
        /** Evicts pods whose VPA mode is Recreate/Auto to apply new requests. @default false */
        updater: z.boolean().default(false),
        /** Mutating webhook that applies recommendations at pod creation (Initial/Recreate/Auto). @default false */
        admissionController: z.boolean().default(false),
    }).prefault({}),
});
export type ClusterConfig = z.output<typeof ClusterConfig>;

/** Per-replica resources: requests (what scheduling and the capacity check count) and limits. */
const Resources = z.strictObject({
    /** CPU request per replica, millicores. */
    cpuMillis: count(10, 64000),
    /** Memory request per replica, MiB. */
    memoryMiB: count(16, 262144),
    /** CPU limit, millicores; unset = no CPU limit (no CFS throttling; requests still guarantee a share). */
    cpuLimitMillis: count(10, 64000).optional(),
    /** Memory limit, MiB. @default memoryMiB (a pod never uses memory the scheduler did not reserve) */
    memoryLimitMiB: count(16, 262144).optional(),
}).refine((r) => r.cpuLimitMillis === undefined || r.cpuLimitMillis >= r.cpuMillis, { message: "cpuLimitMillis must be >= cpuMillis", path: ["cpuLimitMillis"] })
    .refine((r) => r.memoryLimitMiB === undefined || r.memoryLimitMiB >= r.memoryMiB, { message: "memoryLimitMiB must be >= memoryMiB", path: ["memoryLimitMiB"] });

const Replicas = z.strictObject({
    /** At least 2: one replica can be disrupted (PDB) while another serves. */
    min: z.number().int().min(2, { message: "must be at least 2: with one replica a PDB cannot allow any disruption and a node drain takes the service down" }).max(10000),
    max: count(2, 10000),
}).refine((r) => r.min <= r.max, { message: "min must not exceed max", path: ["min"] });

/**
 * `scaling-topology:ingress`: the data plane in front of the services, the Envoy proxies of the Gateway
 * (Envoy Gateway) behind the origin NLB. The key keeps its name: stacks upgrade without editing their
 * config, and it still names the role (the cluster's ingress), not the software. The sources the NLB
 * admits are not configurable: they follow `edge.mode` (README "Only the edge reaches the load balancer").
 */
export const IngressConfig = z.strictObject({
    /** Envoy proxy replicas (HPA bounds). */
    replicas: Replicas,
    /** Requests and limits of one Envoy proxy. */
    resources: Resources,
    /** HPA CPU utilization target (% of request). @default 70 */
    targetCpuUtilization: count(10, 100).default(70),
    /** Node group the proxies run on. */
    nodeGroup: dnsLabel,
});
export type IngressConfig = z.output<typeof IngressConfig>;

const image = z.string().regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+(:[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/, { message: "must be an image reference with a pinned tag or digest (registry/repo:tag)" })
    .refine((s) => !/:latest$/.test(s), { message: "must pin a version: `latest` moves" });

const VpaResource = z.enum(["cpu", "memory"]);

/**
 * A PostgreSQL role or schema name of a service: lowercase, at most 57 characters, because the credential
 * rotation's alternate login is `<role>_clone` (63 is PostgreSQL's limit). Names PostgreSQL, Aurora or this
 * program reserve are refused.
 */
export const DATABASE_RESERVED_ROLES = ["app_clients", "pgbouncer", "pgbouncer_stats", "public", "postgres", "rdsadmin", "admin"];
const databaseName = z.string()
    .regex(/^[a-z][a-z0-9_]{0,56}$/, { message: "must be a lowercase letter, then lowercase letters, digits or _ (at most 57 characters: the rotation adds _clone)" })
    .refine((s) => !/^(pg_|rds)/.test(s) && !s.endsWith("_clone") && !DATABASE_RESERVED_ROLES.includes(s), { message: `must not start with pg_ or rds, end with _clone, or be one of ${DATABASE_RESERVED_ROLES.join(", ")}` });

/** A service's own database access: its role (never the master user) and the schema it owns. */
export const ServiceDatabaseConfig = z.strictObject({
    /** Login role of the service: PgBouncer authenticates it; the database-roles Job creates it and `<role>_clone`. */
    role: databaseName,
    /** Schema the role owns (its tables; search_path). No other service's role may use it. @default role */
    schema: databaseName.optional(),
}, { error: (iss) => (iss.input === undefined ? "is required: every service connects to the database as a role of its own, e.g. { role: api }" : undefined) });
export type ServiceDatabaseConfig = z.output<typeof ServiceDatabaseConfig>;

export const ServiceConfig = z.strictObject({
    /** Service name: the Deployment, Service, HPA, PDB and namespace are named after it. */
    name: dnsLabel,
    /** The service's database role and schema (required: no service shares a role or uses the master user). */
    database: ServiceDatabaseConfig,
    /** Owning team (label `team`). */
    team: dnsLabel,
    /** Container image with a pinned tag or digest. */
    image,
    /** Container port serving HTTP. */
    port: count(1024, 65535),
    /** Readiness probe path (taken out of the Service when it fails). */
    readinessPath: z.string().startsWith("/"),
    /** Liveness probe path (restarted when it fails). */
    livenessPath: z.string().startsWith("/"),
    /** Path prefix routed to this service from the Gateway (an HTTPRoute); unset = not exposed. */
    ingressPath: z.string().startsWith("/").optional(),
    replicas: Replicas,
    resources: Resources,
    /** HPA: utilization targets (% of requests) and scaling behavior. */
    hpa: z.strictObject({
        cpuUtilization: count(10, 100).optional(),
        memoryUtilization: count(10, 100).optional(),
        /** Scale up by at most this % of current replicas per 15 s (and at least 4 pods). @default 100 */
        scaleUpPercentPer15s: count(10, 1000).default(100),
        /** Scale-down stabilization window (s): the highest recommendation over it wins. @default 300 */
        scaleDownStabilizationSeconds: count(0, 3600).default(300),
        /** Scale down by at most this % of current replicas per minute. @default 10 */
        scaleDownPercentPerMinute: count(1, 100).default(10),
    }).refine((h) => h.cpuUtilization !== undefined || h.memoryUtilization !== undefined, { message: "needs cpuUtilization and/or memoryUtilization" }),
    /**
     * VPA object: `Off` (the default) only recommends. Any other mode acts on requests, and must not
     * act on a resource the HPA scales on (the two would fight).
     */
    vpa: z.strictObject({
        mode: z.enum(["Off", "Initial", "Recreate", "InPlaceOrRecreate", "Auto"]).default("Off"),
        controlledResources: z.array(VpaResource).min(1).default(["cpu", "memory"]),
    }).prefault({}),
    /** PodDisruptionBudget maxUnavailable (pods). @default 1 */
    pdbMaxUnavailable: count(1, 1000).default(1),
    /**
     * Zone spread: `DoNotSchedule` guarantees the skew; `ScheduleAnyway` prefers it. A managed node
     * group spans the three zones in one ASG, so the autoscaler cannot choose the zone of a new node:
     * `ScheduleAnyway` avoids pods stuck pending. @default "ScheduleAnyway"
     */
    zoneSpread: z.enum(["DoNotSchedule", "ScheduleAnyway"]).default("ScheduleAnyway"),
    /** Node group (name) the service runs on. */
    nodeGroup: dnsLabel,
}).superRefine((s, ctx) => {
    if (s.vpa.mode === "Off") return;
    const hpaResources = [s.hpa.cpuUtilization !== undefined ? "cpu" : undefined, s.hpa.memoryUtilization !== undefined ? "memory" : undefined].filter(Boolean);
    const clash = s.vpa.controlledResources.filter((r) => hpaResources.includes(r));
    if (clash.length > 0) {
        ctx.addIssue({
            code: "custom",
            path: ["vpa"],
            message: `VPA mode ${s.vpa.mode} would act on ${clash.join(" and ")}, which the HPA also scales on; use mode Off (recommend only) or controlledResources without ${clash.join(", ")}`,
        });
    }
});
export type ServiceConfig = z.output<typeof ServiceConfig>;

/** `scaling-topology:services`: the application services (one ScalableService each). */
export const ServicesConfig = z.array(ServiceConfig).min(1)
    .refine((ss) => new Set(ss.map((s) => s.name)).size === ss.length, { message: "service names must be unique" });
export type ServicesConfig = z.output<typeof ServicesConfig>;

const ACCESS_KEY = "scaling-topology:cluster.apiAccess";

/** Why an API access model cannot work: each problem names its key, the value and what is allowed. */
export function apiAccessProblems(a: ApiAccess, environment: string, legacyCidrs: unknown, region?: string): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    if (legacyCidrs !== undefined) {
        problems.push({ key: "scaling-topology:cluster.endpointPublicAccessCidrs", value: legacyCidrs, message: "was replaced by cluster.apiAccess: { endpoint: public, publicAccessCidrs: [...] } or { endpoint: private, runner: {...} } (README \"Cluster access\"); remove it" });
    }
    if (a.endpoint === "public") {
        if (!a.publicAccessCidrs || a.publicAccessCidrs.length === 0) {
            problems.push({ key: `${ACCESS_KEY}.publicAccessCidrs`, value: a.publicAccessCidrs, message: "must list at least one CIDR (the deploying runners' egress addresses) when endpoint is public: an empty list would open the API to the whole internet" });
        }
        const open = (a.publicAccessCidrs ?? []).filter((c) => c.endsWith("/0"));
        if (open.length > 0 && environment === "prod") {
            problems.push({ key: `${ACCESS_KEY}.publicAccessCidrs`, value: open, message: "must not contain 0.0.0.0/0 in prod: list the runners' egress CIDRs, or use endpoint: private with a runner" });
        }
        if (a.runner) problems.push({ key: `${ACCESS_KEY}.runner`, value: a.runner, message: "is only used with endpoint: private; remove it, or make the endpoint private" });
    } else {
        if (!a.runner) {
            problems.push({ key: `${ACCESS_KEY}.runner`, value: undefined, message: "is required when endpoint is private: nothing outside the VPC can reach the API, so deploys and previews need a runner inside it ({ type: codebuild, githubRepository, connectionArn })" });
        }
        const connectionRegion = a.runner?.connectionArn.split(":")[3];
        if (region && connectionRegion && connectionRegion !== region) {
            problems.push({ key: `${ACCESS_KEY}.runner.connectionArn`, value: a.runner!.connectionArn, message: `is a connection in ${connectionRegion}; CodeBuild in aws:region ${region} can only use a connection of its own region (create one there)` });
        }
        if (a.publicAccessCidrs !== undefined) problems.push({ key: `${ACCESS_KEY}.publicAccessCidrs`, value: a.publicAccessCidrs, message: "is only used with endpoint: public; remove it" });
        if (a.runsOn !== undefined) problems.push({ key: `${ACCESS_KEY}.runsOn`, value: a.runsOn, message: "is derived from the runner's project name with endpoint: private; remove it" });
    }
    if (a.previewRoleName !== undefined && a.previewRoleName === a.deployRoleName) {
        problems.push({ key: `${ACCESS_KEY}.previewRoleName`, value: a.previewRoleName, message: "must differ from deployRoleName: previews get view access, deploys cluster-admin" });
    }
    return problems;
}

/** Cross-key checks: every workload names an application node group (the capacity check is sizing's). */
export const computeChecks: ConfigCheck[] = [
    {
        needs: ["cluster", "environment", "region"],
        check: (c) => apiAccessProblems(c.cluster.apiAccess, c.environment, c.cluster.endpointPublicAccessCidrs, c.region),
    },
    {
        needs: ["cluster", "services", "ingress"],
        check: (c) => {
            const groups = new Set(c.cluster.nodeGroups.filter((g) => g.role === "application").map((g) => g.name));
            const known = [...groups].join(", ");
            const refs = [
                ...c.services.map((s, i) => ({ key: `scaling-topology:services[${i}].nodeGroup`, value: s.nodeGroup })),
                { key: "scaling-topology:ingress.nodeGroup", value: c.ingress.nodeGroup },
            ];
            const bad = refs.filter((r) => !groups.has(r.value)).map((r) => ({ ...r, message: `is not an application node group of scaling-topology:cluster.nodeGroups (${known}); system groups are tainted for cluster add-ons` }));
            return bad;
        },
    },
];

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { externalSecret, namespaceSecretStore } from "./externalSecrets";

/** Where a service's connection settings are mounted (one file per key of its connection Secret). */
export const CONNECTION_DIR = "/etc/app/connection";

/**
 * A service's connection settings, synced by External Secrets from Secrets Manager into Secret
 * `<service>-connection` in its namespace and mounted as files under {@link CONNECTION_DIR}: `PGHOST` (PgBouncer
 * read-write), `PGHOST_READONLY`, `PGPORT`, `PGDATABASE`, `PGUSER`, `PGPASSWORD` (the service's own role,
 * rotated), `PGSSLMODE`, `PGSSLROOTCERT` (path of `pgbouncer-ca.crt` beside them), `REDIS_CONFIGURATION_ENDPOINT`,
 * `REDIS_PORT`, `REDIS_TLS`, `REDIS_AUTH_TOKEN`. Files, not environment variables: a rotation reaches running
 * pods (kubelet updates the files), and no secret is in the pod spec.
 */
export interface ServiceConnectionArgs {
    region: string;
    /** The cluster's IAM OIDC provider (IRSA of the namespace's SecretStore). */
    oidcProviderArn: pulumi.Input<string>;
    oidcIssuerUrl: pulumi.Input<string>;
    /** The External Secrets Operator release (CRDs, webhook). */
    externalSecretsDependsOn: pulumi.Input<pulumi.Resource>[];
    database: {
        /** The service's role; its secret's AWSCURRENT version holds the login (`role` or `role_clone`). */
        role: string;
        secretArn: pulumi.Input<string>;
        kmsKeyArn: pulumi.Input<string>;
        databaseName: string;
        readWriteHost: string;
        readOnlyHost: string;
        port: number;
        /** PEM of the CA of PgBouncer's certificate. */
        caCert: pulumi.Input<string>;
    };
    redis: {
        /** Secret with `authToken`, `configurationEndpoint`, `port`. */
        secretArn: pulumi.Input<string>;
        kmsKeyArn: pulumi.Input<string>;
    };
}

export type VpaMode = "Off" | "Initial" | "Recreate" | "InPlaceOrRecreate" | "Auto";
export type ScaledResource = "cpu" | "memory";

/** Arguments of {@link ScalableService}. */
export interface ScalableServiceArgs {
    /** Name of the Kubernetes objects (Deployment, Service, HPA, PDB, VPA, labels). @default the component name */
    serviceName?: string;
    /** Owning team (label `team`). */
    team: string;
    /** Namespace created for the service. @default the component's service name */
    namespace?: string;
    /** Container image with a pinned tag or digest (`latest` is refused). */
    image: string;
    /**
     * The reference the pods pull `image` by, e.g. through the ECR pull-through cache (`ImageCache.image`).
     * @default image
     */
    pullImage?: pulumi.Input<string>;
    /** HTTP container port. */
    port: number;
    /** Probe paths. */
    readinessPath: string;
    livenessPath: string;
    /** HPA bounds. minReplicas >= 2. */
    minReplicas: number;
    maxReplicas: number;
    /** Requests per replica (millicores, MiB). */
    cpuMillis: number;
    memoryMiB: number;
    /** CPU limit; unset = none. */
    cpuLimitMillis?: number;
    /** Memory limit. @default memoryMiB */
    memoryLimitMiB?: number;
    /** HPA targets (% of requests): at least one. */
    targetCpuUtilization?: number;
    targetMemoryUtilization?: number;
    /** Scale-up: at most this % per 15 s (and at least 4 pods). @default 100 */
    scaleUpPercentPer15s?: number;
    /** @default 300 */
    scaleDownStabilizationSeconds?: number;
    /** @default 10 */
    scaleDownPercentPerMinute?: number;
    /** VPA mode; `Off` (default) only recommends. */
    vpaMode?: VpaMode;
    /** Resources the VPA controls. @default ["cpu", "memory"] */
    vpaControlledResources?: ScaledResource[];
    /** PDB maxUnavailable. @default 1 */
    pdbMaxUnavailable?: number;
    /** Zone spread. @default "ScheduleAnyway" */
    zoneSpread?: "DoNotSchedule" | "ScheduleAnyway";
    /** Node selector (e.g. `{ "node-role": "application" }`). */
    nodeSelector?: Record<string, string>;
    /** Route this path prefix from the gateway (an `HTTPRoute`); needs `gateway`. */
    ingressPath?: string;
    /**
     * The Gateway the route attaches to: its `parentRef`, the labels its listener requires on a route's
     * namespace, and the namespace of its proxies (admitted by the NetworkPolicy). Required with `ingressPath`.
     */
    gateway?: ServiceGatewayRef;
    /**
     * Namespaces whose pods may connect to this service (NetworkPolicy, enforced by the VPC CNI's network
     * policy agent); pods of the service's own namespace always may. @default the gateway's proxy namespace
     * when `ingressPath` is set, else []
     */
    allowFromNamespaces?: string[];
    /** UID/GID the container runs as. @default 10001 */
    runAsUser?: number;
    /** Resources VPA objects must wait for (the VPA chart that installs the CRD). */
    vpaDependsOn?: pulumi.Input<pulumi.Resource>[];
    /** `app.kubernetes.io/part-of`. @default the Pulumi project */
    partOf?: string;
    /** Database and cache settings, mounted from a Secret of the service's namespace; none when absent. */
    connection?: ServiceConnectionArgs;
}

/** What a service needs of the Gateway it is routed from (see `Gateway` in gateway.ts). */
export interface ServiceGatewayRef {
    parentRef: { group: string; kind: string; name: string; namespace: string; sectionName?: string };
    routeNamespaceLabels: Record<string, string>;
    proxyNamespace: string;
}

const DEFAULTS = { scaleUpPercentPer15s: 100, scaleDownStabilizationSeconds: 300, scaleDownPercentPerMinute: 10, vpaMode: "Off" as VpaMode, vpaControlledResources: ["cpu", "memory"] as ScaledResource[], pdbMaxUnavailable: 1, zoneSpread: "ScheduleAnyway" as const, runAsUser: 10001 };

/** Resources the VPA would act on that the HPA also scales on (empty = no conflict). */
export function vpaHpaConflict(a: Pick<ScalableServiceArgs, "vpaMode" | "vpaControlledResources" | "targetCpuUtilization" | "targetMemoryUtilization">): ScaledResource[] {
    if ((a.vpaMode ?? DEFAULTS.vpaMode) === "Off") return [];
    const hpa: ScaledResource[] = [...(a.targetCpuUtilization !== undefined ? ["cpu" as const] : []), ...(a.targetMemoryUtilization !== undefined ? ["memory" as const] : [])];
    return (a.vpaControlledResources ?? DEFAULTS.vpaControlledResources).filter((r) => hpa.includes(r));
}

/**
 * The unit application teams deploy: a namespace (Pod Security `restricted`), a Deployment with
 * requests/limits, readiness and liveness probes, a restricted security context, zone and node spread;
 * a Service; an `autoscaling/v2` HPA with scale-up/scale-down behavior; a VPA object (recommend-only by
 * default, and never acting on a resource the HPA scales on); a PodDisruptionBudget; a NetworkPolicy
 * admitting only its own namespace and the gateway's proxies; optionally an `HTTPRoute` from the Gateway;
 * with `connection`, a SecretStore and ExternalSecret syncing its connection Secret (see {@link ServiceConnectionArgs}), mounted as files.
 */
export class ScalableService extends pulumi.ComponentResource {
    public readonly namespace: k8s.core.v1.Namespace;
    public readonly deployment: k8s.apps.v1.Deployment;
    public readonly service: k8s.core.v1.Service;
    public readonly hpa: k8s.autoscaling.v2.HorizontalPodAutoscaler;
    public readonly pdb: k8s.policy.v1.PodDisruptionBudget;
    public readonly vpa: k8s.apiextensions.CustomResource;
    /** The `HTTPRoute` from the gateway, when `ingressPath` is set. */
    public readonly route?: k8s.apiextensions.CustomResource;
    /** In-cluster DNS name of the Service. */
    public readonly serviceHost: pulumi.Output<string>;
    /** Name of the connection Secret the pods mount (with `connection`). */
    public readonly connectionSecretName?: string;

    constructor(name: string, args: ScalableServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:compute:ScalableService", name, {}, opts);
        const svc = args.serviceName ?? name;
        const fail = (msg: string) => { throw new pulumi.ResourceError(msg, this); };
        if (args.minReplicas < 2) fail(`minReplicas must be >= 2 (got ${args.minReplicas}): a PDB must be able to allow one disruption while another replica serves`);
        if (args.minReplicas > args.maxReplicas) fail(`minReplicas (${args.minReplicas}) exceeds maxReplicas (${args.maxReplicas})`);
        if (!/(:[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/.test(args.image.replace(/^[^/]*\//, "")) || /:latest$/.test(args.image)) fail(`image "${args.image}" must pin a tag or digest other than latest`);
        if (args.targetCpuUtilization === undefined && args.targetMemoryUtilization === undefined) fail("the HPA needs targetCpuUtilization and/or targetMemoryUtilization");
        const conflict = vpaHpaConflict(args);
        if (args.ingressPath && !args.gateway) fail(`ingressPath "${args.ingressPath}" needs a gateway to route from`);
        if (conflict.length > 0) fail(`vpaMode ${args.vpaMode} would act on ${conflict.join(" and ")}, which the HPA scales on: use vpaMode "Off" or vpaControlledResources without ${conflict.join(", ")}`);

        const version = args.image.includes("@") ? args.image.split("@sha256:")[1].slice(0, 12) : args.image.slice(args.image.lastIndexOf(":") + 1);
        const selector = { "app.kubernetes.io/name": svc, "app.kubernetes.io/instance": svc };
        const labels = { ...selector, "app.kubernetes.io/version": version, "app.kubernetes.io/component": "server", "app.kubernetes.io/part-of": args.partOf ?? pulumi.getProject(), "app.kubernetes.io/managed-by": "pulumi", team: args.team };
        const uid = args.runAsUser ?? DEFAULTS.runAsUser;

        this.namespace = new k8s.core.v1.Namespace(`${name}-ns`, {
            metadata: {
                name: args.namespace ?? svc,
                labels: {
                    team: args.team,
                    "app.kubernetes.io/managed-by": "pulumi",
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                    ...(args.ingressPath && args.gateway ? args.gateway.routeNamespaceLabels : {}),
                },
            },
        }, { parent: this });
        const namespace = this.namespace.metadata.name;
        const meta = { name: svc, namespace, labels };

        const sa = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: meta, automountServiceAccountToken: false }, { parent: this });

        // Connection settings: a SecretStore that may read this service's database secret and the cache's
        // token secret only, and the ExternalSecret rendering them into `<service>-connection`.
        const c = args.connection;
        let connection: k8s.apiextensions.CustomResource | undefined;
        if (c) {
            const { store } = namespaceSecretStore(this, name, {
                namespace,
                storeName: `${svc}-secrets`,
                region: c.region,
                oidcProviderArn: c.oidcProviderArn,
                oidcIssuerUrl: c.oidcIssuerUrl,
                secretArns: [c.database.secretArn, c.redis.secretArn],
                kmsKeyArns: [c.database.kmsKeyArn, c.redis.kmsKeyArn],
                dependsOn: [...c.externalSecretsDependsOn, this.namespace],
                labels,
            });
            this.connectionSecretName = `${svc}-connection`;
            connection = externalSecret(this, `${name}-connection`, {
                namespace,
                targetName: this.connectionSecretName,
                store,
                labels,
                refreshInterval: "5m",
                keys: [
                    { secretKey: "username", secretArn: c.database.secretArn, property: "username" },
                    { secretKey: "password", secretArn: c.database.secretArn, property: "password" },
                    { secretKey: "redisAuthToken", secretArn: c.redis.secretArn, property: "authToken" },
                    { secretKey: "redisEndpoint", secretArn: c.redis.secretArn, property: "configurationEndpoint" },
                    { secretKey: "redisPort", secretArn: c.redis.secretArn, property: "port" },
                ],
                template: {
                    PGHOST: c.database.readWriteHost,
                    PGHOST_READONLY: c.database.readOnlyHost,
                    PGPORT: String(c.database.port),
                    PGDATABASE: c.database.databaseName,
                    PGUSER: "{{ .username }}",
                    PGPASSWORD: "{{ .password }}",
                    PGSSLMODE: "verify-full",
                    PGSSLROOTCERT: `${CONNECTION_DIR}/pgbouncer-ca.crt`,
                    "pgbouncer-ca.crt": c.database.caCert,
                    REDIS_CONFIGURATION_ENDPOINT: "{{ .redisEndpoint }}",
                    REDIS_PORT: "{{ .redisPort }}",
                    REDIS_TLS: "true",
                    REDIS_AUTH_TOKEN: "{{ .redisAuthToken }}",
                },
            });
        }

        const spread = (topologyKey: string, whenUnsatisfiable: string) => ({ maxSkew: 1, topologyKey, whenUnsatisfiable, labelSelector: { matchLabels: selector } });
        this.deployment = new k8s.apps.v1.Deployment(`${name}-deployment`, {
            metadata: meta,
            spec: {
                replicas: args.minReplicas, // the HPA owns it after creation (ignoreChanges)
                revisionHistoryLimit: 5,
                selector: { matchLabels: selector },
                strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
                template: {
                    metadata: { labels },
                    spec: {
                        serviceAccountName: sa.metadata.name,
                        automountServiceAccountToken: false,
                        nodeSelector: { "kubernetes.io/os": "linux", ...(args.nodeSelector ?? {}) },
                        topologySpreadConstraints: [
                            spread("topology.kubernetes.io/zone", args.zoneSpread ?? DEFAULTS.zoneSpread),
                            spread("kubernetes.io/hostname", "ScheduleAnyway"),
                        ],
                        terminationGracePeriodSeconds: 30,
                        securityContext: { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: "RuntimeDefault" } },
                        containers: [{
                            name: svc,
                            image: args.pullImage ?? args.image,
                            imagePullPolicy: "IfNotPresent",
                            ports: [{ name: "http", containerPort: args.port, protocol: "TCP" }],
                            resources: {
                                requests: { cpu: `${args.cpuMillis}m`, memory: `${args.memoryMiB}Mi` },
                                limits: { memory: `${args.memoryLimitMiB ?? args.memoryMiB}Mi`, ...(args.cpuLimitMillis ? { cpu: `${args.cpuLimitMillis}m` } : {}) },
                            },
                            readinessProbe: { httpGet: { path: args.readinessPath, port: "http" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
                            livenessProbe: { httpGet: { path: args.livenessPath, port: "http" }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
                            // Endpoints and the NLB stop sending before the process gets SIGTERM.
                            lifecycle: { preStop: { sleep: { seconds: 5 } } },
                            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } },
                            ...(c ? { env: [{ name: "APP_CONNECTION_DIR", value: CONNECTION_DIR }] } : {}),
                            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }, ...(c ? [{ name: "connection", mountPath: CONNECTION_DIR, readOnly: true }] : [])],
                        }],
                        volumes: [
                            { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
                            ...(c ? [{ name: "connection", secret: { secretName: `${svc}-connection`, defaultMode: 0o440 } }] : []),
                        ],
                    },
                },
            },
        }, { parent: this, ignoreChanges: ["spec.replicas"], dependsOn: connection ? [connection] : [] });

        this.service = new k8s.core.v1.Service(`${name}-svc`, {
            metadata: meta,
            spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }] },
        }, { parent: this });
        this.serviceHost = pulumi.interpolate`${svc}.${namespace}.svc.cluster.local`;

        const target = { apiVersion: "apps/v1", kind: "Deployment", name: this.deployment.metadata.name };
        const metric = (resource: ScaledResource, utilization: number) => ({ type: "Resource", resource: { name: resource, target: { type: "Utilization", averageUtilization: utilization } } });
        this.hpa = new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${name}-hpa`, {
            metadata: meta,
            spec: {
                scaleTargetRef: target,
                minReplicas: args.minReplicas,
                maxReplicas: args.maxReplicas,
                metrics: [
                    ...(args.targetCpuUtilization !== undefined ? [metric("cpu", args.targetCpuUtilization)] : []),
                    ...(args.targetMemoryUtilization !== undefined ? [metric("memory", args.targetMemoryUtilization)] : []),
                ],
                behavior: {
                    scaleUp: {
                        stabilizationWindowSeconds: 0,
                        selectPolicy: "Max",
                        policies: [
                            { type: "Percent", value: args.scaleUpPercentPer15s ?? DEFAULTS.scaleUpPercentPer15s, periodSeconds: 15 },
                            { type: "Pods", value: 4, periodSeconds: 15 },
                        ],
                    },
                    scaleDown: {
                        stabilizationWindowSeconds: args.scaleDownStabilizationSeconds ?? DEFAULTS.scaleDownStabilizationSeconds,
                        selectPolicy: "Max",
                        policies: [{ type: "Percent", value: args.scaleDownPercentPerMinute ?? DEFAULTS.scaleDownPercentPerMinute, periodSeconds: 60 }],
                    },
                },
            },
        }, { parent: this });

        this.vpa = new k8s.apiextensions.CustomResource(`${name}-vpa`, {
            apiVersion: "autoscaling.k8s.io/v1",
            kind: "VerticalPodAutoscaler",
            metadata: meta,
            spec: {
                targetRef: target,
                updatePolicy: { updateMode: args.vpaMode ?? DEFAULTS.vpaMode },
                resourcePolicy: {
                    containerPolicies: [{ containerName: svc, controlledResources: args.vpaControlledResources ?? DEFAULTS.vpaControlledResources, controlledValues: "RequestsAndLimits" }],
                },
            },
        }, { parent: this, dependsOn: args.vpaDependsOn });

        this.pdb = new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, {
            metadata: meta,
            spec: { maxUnavailable: args.pdbMaxUnavailable ?? DEFAULTS.pdbMaxUnavailable, selector: { matchLabels: selector }, unhealthyPodEvictionPolicy: "AlwaysAllow" },
        }, { parent: this });

        if (args.ingressPath && args.gateway) {
            this.route = new k8s.apiextensions.CustomResource(`${name}-route`, {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "HTTPRoute",
                metadata: meta,
                spec: {
                    parentRefs: [args.gateway.parentRef],
                    rules: [{
                        matches: [{ path: { type: "PathPrefix", value: args.ingressPath } }],
                        backendRefs: [{ group: "", kind: "Service", name: this.service.metadata.name, port: 80 }],
                    }],
                },
            }, { parent: this });
        }

        // Default deny for ingress traffic: only the gateway's proxies (when routed) and the service's own
        // namespace reach its pods.
        const allowed = args.allowFromNamespaces ?? (args.ingressPath && args.gateway ? [args.gateway.proxyNamespace] : []);
        new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, {
            metadata: meta,
            spec: {
                podSelector: { matchLabels: selector },
                policyTypes: ["Ingress"],
                ingress: [{
                    from: [
                        { podSelector: {} },
                        ...allowed.map((ns) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } })),
                    ],
                    ports: [{ port: "http", protocol: "TCP" }],
                }],
            },
        }, { parent: this });

        this.registerOutputs({ namespace, serviceHost: this.serviceHost });
    }
}

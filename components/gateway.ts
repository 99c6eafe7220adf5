import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartImage, ContainerImage, imageReference, pullReference } from "./containerImage";

/**
 * The pinned Envoy Gateway release (envoyproxy/gateway v1.9.2, a patch of the 1.9 line released
 * 2026-08-15 and supported until 2027-02-14; Kubernetes 1.33-1.36; bundles the Gateway API CRDs v1.6.1):
 * its chart, its control-plane image and the Envoy proxy image it runs by default, both pinned by the
 * digest of the tag's multi-architecture index.
 */
export const ENVOY_GATEWAY_RELEASE = {
    chart: "oci://docker.io/envoyproxy/gateway-helm",
    version: "v1.9.2",
    gatewayApiVersion: "v1.6.1",
    controllerImage: { repository: "docker.io/envoyproxy/gateway", tag: "v1.9.2", digest: "sha256:9d67017c442a70e6ae9f1a358e6c80eb653c67c2e40823d9a991e0daf37ba926" },
    proxyImage: { repository: "docker.io/envoyproxy/envoy", tag: "distroless-v1.39.1", digest: "sha256:eb2c01c13125d1629637cb4e4cce7207009fb7cc2c8027f9742758549d15b6f4" },
} as const;

/** Envoy Gateway shifts a privileged listener port by 10000 in the proxy container (no NET_BIND_SERVICE). */
export const listenerContainerPort = (port: number) => (port < 1024 ? port + 10_000 : port);
/** The proxy's readiness endpoint (Envoy Gateway's bootstrap): the NLB health-checks it. */
export const ENVOY_READINESS = { port: 19003, path: "/ready" } as const;
/** The proxy's Prometheus endpoint (Envoy Gateway's default telemetry). */
export const ENVOY_METRICS = { port: 19001, path: "/stats/prometheus" } as const;

/** Arguments of {@link Gateway}. */
export interface GatewayArgs {
    /** The public hostname the listener serves (requests for any other Host get 404). */
    hostname: string;
    /** Replica bounds of the Envoy proxies (HPA). minReplicas >= 2. */
    minReplicas: number;
    maxReplicas: number;
    /** Requests per proxy pod. */
    cpuMillis: number;
    memoryMiB: number;
    /** Memory limit, MiB. @default memoryMiB */
    memoryLimitMiB?: number;
    /** HPA CPU target, % of the request. @default 70 */
    targetCpuUtilization?: number;
    /** Node selector placing the proxies (e.g. `{ "node-role": "application" }`). */
    nodeSelector?: Record<string, string>;
    /** Placement of the Envoy Gateway controller (the system nodes). */
    controllerNodeSelector?: Record<string, string>;
    controllerTolerations?: Array<Record<string, string>>;
    /** Controller replicas (leader-elected). @default 2 */
    controllerReplicas?: number;
    /** Requests of one controller replica. @default 100m / 256 MiB (the chart's) */
    controllerCpuMillis?: number;
    controllerMemoryMiB?: number;
    /** Namespace of the controller and the proxies. @default "envoy-gateway-system" */
    namespace?: string;
    /**
     * Origin lockdown: the proxies answer 401 to any request without this header carrying this value
     * (Envoy Gateway `SecurityPolicy.apiKeyAuth`, reading the value from a Kubernetes Secret), and strip the
     * header before a service sees it. Header: letters, digits and dashes; value: letters and digits.
     */
    originVerify: { header: string; value: pulumi.Input<string> };
    /** ACM certificate for `hostname`: the NLB terminates TLS on 443 with it and forwards plain HTTP to the proxies. */
    tlsCertificateArn: pulumi.Input<string>;
    /** VPC of the cluster: the NLB's security group lives there. */
    vpcId: pulumi.Input<string>;
    /** The VPC's CIDR: the NLB's security group may send to the proxies there and nowhere else. */
    vpcCidr: string;
    /**
     * Managed prefix lists of the only sources the NLB admits, on 443: CloudFront's origin-facing list, or
     * one holding Cloudflare's ranges. At least one; each counts its max entries against the security
     * group's rule quota (60 by default).
     */
    sourcePrefixListIds: pulumi.Input<string>[];
    /**
     * Proxies between the client and the NLB, each appending to `X-Forwarded-For` (CloudFront: 1,
     * Cloudflare: 1, Cloudflare then CloudFront: 2): the proxies take the client address that far from
     * the right.
     */
    trustedHops: number;
    /** `loadBalancerClass` of the AWS Load Balancer Controller that provisions the NLB. */
    loadBalancerClass: string;
    /** Resources the NLB Service waits for (the load balancer controller's release). */
    loadBalancerDependsOn?: pulumi.Input<pulumi.Resource>[];
    /** Control-plane image. @default {@link ENVOY_GATEWAY_RELEASE}.controllerImage */
    controllerImage?: ContainerImage;
    /** Proxy image. @default {@link ENVOY_GATEWAY_RELEASE}.proxyImage */
    proxyImage?: ContainerImage;
    /** ECR pull-through cache registry host (`ImageCache.registry`): both images are pulled through it. @default their upstreams */
    imageRegistry?: pulumi.Input<string>;
    /** Tags for the AWS resources (the NLB's security group). */
    tags?: Record<string, string>;
}

const DEFAULTS = { targetCpuUtilization: 70, namespace: "envoy-gateway-system", controllerReplicas: 2, controllerCpuMillis: 100, controllerMemoryMiB: 256 };
const RELEASE_NAME = "envoy-gateway";
const LISTENER = { name: "http", port: 80 } as const;
/** Label a namespace needs for its HTTPRoutes to attach to this gateway. */
export const ROUTE_NAMESPACE_LABEL = "gateway.scaling-topology/routes";

/**
 * The request path inside the cluster, on the Gateway API: Envoy Gateway from its pinned chart, one
 * `GatewayClass`/`EnvoyProxy`/`Gateway`, and the Envoy proxies it runs for that Gateway (HPA, PDB, zone
 * spread, restricted pods), behind an internet-facing NLB that the AWS Load Balancer Controller
 * provisions for the Service declared here: TLS ends at the NLB (ACM certificate), IP targets (no node
 * ports), and the NLB's own security group admits 443 from the edge's prefix lists only.
 *
 * Services attach with an `HTTPRoute` to {@link Gateway.parentRef} from a namespace labelled
 * {@link Gateway.routeNamespaceLabels}. Every route behind this Gateway needs the origin header
 * (`SecurityPolicy` on the Gateway; its value in a Kubernetes Secret, never in a spec).
 */
export class Gateway extends pulumi.ComponentResource {
    public readonly namespace: k8s.core.v1.Namespace;
    public readonly release: k8s.helm.v3.Release;
    public readonly gateway: k8s.apiextensions.CustomResource;
    public readonly securityPolicy: k8s.apiextensions.CustomResource;
    /** The Secret holding the origin header's value (the only object that does). */
    public readonly originVerifySecret: k8s.core.v1.Secret;
    public readonly service: k8s.core.v1.Service;
    public readonly securityGroup: aws.ec2.SecurityGroup;
    /** The NLB's DNS name (unknown in preview): the origin the edge points at. */
    public readonly hostname: pulumi.Output<string>;
    /** What an HTTPRoute puts in `spec.parentRefs`. */
    public readonly parentRef: { group: string; kind: string; name: string; namespace: string; sectionName: string };
    /** Labels a namespace needs for its routes to be accepted. */
    public readonly routeNamespaceLabels: Record<string, string>;
    /** Namespace of the proxies (what a service's NetworkPolicy admits). */
    public readonly proxyNamespace: string;

    constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:compute:Gateway", name, {}, opts);
        const fail = (msg: string): never => { throw new pulumi.ResourceError(msg, this); };
        if (args.minReplicas < 2) fail(`minReplicas must be >= 2 (got ${args.minReplicas}): one proxy pod is a single point of failure`);
        if (args.minReplicas > args.maxReplicas) fail(`minReplicas (${args.minReplicas}) exceeds maxReplicas (${args.maxReplicas})`);
        if (!/^[A-Za-z0-9-]+$/.test(args.originVerify.header)) fail(`originVerify.header "${args.originVerify.header}" must be letters, digits and dashes`);
        if (args.sourcePrefixListIds.length === 0) fail("sourcePrefixListIds must name at least one prefix list: the NLB admits nothing else");
        if (!Number.isInteger(args.trustedHops) || args.trustedHops < 1) fail(`trustedHops must be a positive integer (got ${args.trustedHops})`);
        const ns = args.namespace ?? DEFAULTS.namespace;
        const gatewayName = name;
        const tags = args.tags ?? {};
        this.proxyNamespace = ns;
        this.routeNamespaceLabels = { [ROUTE_NAMESPACE_LABEL]: gatewayName };
        this.parentRef = { group: "gateway.networking.k8s.io", kind: "Gateway", name: gatewayName, namespace: ns, sectionName: LISTENER.name };

        this.namespace = new k8s.core.v1.Namespace(`${name}-ns`, {
            metadata: {
                name: ns,
                labels: {
                    "app.kubernetes.io/name": "envoy-gateway",
                    "app.kubernetes.io/managed-by": "pulumi",
                    // Controller and proxies run as non-root on unprivileged ports: restricted.
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                    // The load balancer controller adds a readiness gate: a proxy is Ready only once the NLB
                    // sends it traffic, so a rollout never drains the last registered targets.
                    "elbv2.k8s.aws/pod-readiness-gate-inject": "enabled",
                },
            },
        }, { parent: this });

        const controllerImage = args.controllerImage ?? ENVOY_GATEWAY_RELEASE.controllerImage;
        const controllerRef = imageReference(controllerImage);
        const controllerMemory = args.controllerMemoryMiB ?? DEFAULTS.controllerMemoryMiB;
        const controllerReplicas = args.controllerReplicas ?? DEFAULTS.controllerReplicas;
        this.release = new k8s.helm.v3.Release(`${name}-release`, {
            name: RELEASE_NAME,
            chart: ENVOY_GATEWAY_RELEASE.chart,
            version: ENVOY_GATEWAY_RELEASE.version,
            namespace: this.namespace.metadata.name,
            atomic: true,
            cleanupOnFail: true,
            timeout: 600,
            values: {
                deployment: {
                    // The chart writes `repository:tag` (the shutdown-manager sidecar of every proxy uses the same image).
                    envoyGateway: {
                        image: chartImage(pullReference(controllerRef, args.imageRegistry)),
                        imagePullPolicy: "IfNotPresent",
                        resources: { requests: { cpu: `${args.controllerCpuMillis ?? DEFAULTS.controllerCpuMillis}m`, memory: `${controllerMemory}Mi` }, limits: { memory: `${Math.max(controllerMemory, 1024)}Mi` } },
                    },
                    replicas: controllerReplicas,
                    pod: {
                        nodeSelector: { "kubernetes.io/os": "linux", ...(args.controllerNodeSelector ?? {}) },
                        tolerations: args.controllerTolerations ?? [],
                        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { "app.kubernetes.io/name": "gateway-helm", "app.kubernetes.io/instance": RELEASE_NAME } } }],
                    },
                },
                podDisruptionBudget: { minAvailable: controllerReplicas > 1 ? 1 : 0 },
            },
        }, { parent: this });
        const afterCrds = { parent: this, dependsOn: [this.release] };

        // The proxies' settings: image, resources, placement, HPA, PDB. Their own Service stays ClusterIP: the
        // NLB Service below is declared here so that its hostname is an output the edge can point at.
        const proxyImage = args.proxyImage ?? ENVOY_GATEWAY_RELEASE.proxyImage;
        const proxyLabels = { "app.kubernetes.io/name": "envoy", "gateway.envoyproxy.io/owning-gateway-name": gatewayName, "gateway.envoyproxy.io/owning-gateway-namespace": ns };
        const envoyProxy = new k8s.apiextensions.CustomResource(`${name}-proxy-config`, {
            apiVersion: "gateway.envoyproxy.io/v1alpha1",
            kind: "EnvoyProxy",
            metadata: { name: `${gatewayName}-proxy`, namespace: ns },
            spec: {
                provider: {
                    type: "Kubernetes",
                    kubernetes: {
                        // Containers keep Envoy Gateway's security context (non-root 65532, no privilege escalation, all
                        // capabilities dropped, RuntimeDefault seccomp: Pod Security restricted); Envoy writes to its root fs.
                        envoyDeployment: {
                            strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
                            container: {
                                image: pullReference(imageReference(proxyImage), args.imageRegistry),
                                resources: {
                                    requests: { cpu: `${args.cpuMillis}m`, memory: `${args.memoryMiB}Mi` },
                                    limits: { memory: `${args.memoryLimitMiB ?? args.memoryMiB}Mi` },
                                },
                            },
                            pod: {
                                nodeSelector: { "kubernetes.io/os": "linux", ...(args.nodeSelector ?? {}) },
                                topologySpreadConstraints: [
                                    { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: proxyLabels } },
                                    { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: proxyLabels } },
                                ],
                            },
                        },
                        envoyHpa: {
                            minReplicas: args.minReplicas,
                            maxReplicas: args.maxReplicas,
                            metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: args.targetCpuUtilization ?? DEFAULTS.targetCpuUtilization } } }],
                        },
                        envoyPDB: { minAvailable: 1 },
                        envoyService: { type: "ClusterIP" },
                    },
                },
                // Connections drain before a proxy exits (the NLB deregisters it first).
                shutdown: { drainTimeout: "60s", minDrainDuration: "15s" },
            },
        }, afterCrds);

        const gatewayClass = new k8s.apiextensions.CustomResource(`${name}-class`, {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "GatewayClass",
            metadata: { name: gatewayName },
            spec: {
                controllerName: "gateway.envoyproxy.io/gatewayclass-controller",
                parametersRef: { group: "gateway.envoyproxy.io", kind: "EnvoyProxy", name: envoyProxy.metadata.name, namespace: ns },
            },
        }, afterCrds);

        this.gateway = new k8s.apiextensions.CustomResource(`${name}-gateway`, {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "Gateway",
            metadata: { name: gatewayName, namespace: ns },
            spec: {
                gatewayClassName: gatewayClass.metadata.name,
                listeners: [{
                    // Plain HTTP inside the VPC: TLS ends at the NLB, which only the edge reaches.
                    name: LISTENER.name,
                    protocol: "HTTP",
                    port: LISTENER.port,
                    hostname: args.hostname,
                    allowedRoutes: { kinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }], namespaces: { from: "Selector", selector: { matchLabels: this.routeNamespaceLabels } } },
                }],
            },
            // The proxies' pods get the load balancer controller's readiness gate: its webhook must be up first.
        }, { ...afterCrds, dependsOn: [this.release, envoyProxy, ...(args.loadBalancerDependsOn ?? [])] as pulumi.Input<pulumi.Resource>[] });
        const targetRefs = [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: gatewayName }];

        // Origin lockdown: the value lives in a Secret only; the policy names the Secret.
        const secret = this.originVerifySecret = new k8s.core.v1.Secret(`${name}-origin-verify`, {
            metadata: { name: `${gatewayName}-origin-verify`, namespace: ns, labels: { "app.kubernetes.io/managed-by": "pulumi" } },
            type: "Opaque",
            stringData: {
                edge: pulumi.output(args.originVerify.value).apply((v) => {
                    if (!/^[A-Za-z0-9]+$/.test(v)) throw new pulumi.ResourceError("originVerify.value must be letters and digits only", this);
                    return v;
                }),
            },
        }, { parent: this });
        this.securityPolicy = new k8s.apiextensions.CustomResource(`${name}-origin-lockdown`, {
            apiVersion: "gateway.envoyproxy.io/v1alpha1",
            kind: "SecurityPolicy",
            metadata: { name: `${gatewayName}-origin-lockdown`, namespace: ns },
            spec: {
                targetRefs,
                apiKeyAuth: {
                    credentialRefs: [{ group: "", kind: "Secret", name: secret.metadata.name }],
                    extractFrom: [{ headers: [args.originVerify.header] }],
                    // Services never see the edge's secret.
                    sanitize: true,
                },
            },
        }, { ...afterCrds, dependsOn: [this.release, this.gateway] });

        new k8s.apiextensions.CustomResource(`${name}-client-traffic`, {
            apiVersion: "gateway.envoyproxy.io/v1alpha1",
            kind: "ClientTrafficPolicy",
            metadata: { name: `${gatewayName}-client-traffic`, namespace: ns },
            spec: {
                targetRefs,
                // The client address: the edge hops append to X-Forwarded-For (the NLB does not, it ends TLS).
                clientIPDetection: { xForwardedFor: { numTrustedHops: args.trustedHops } },
                headers: { withUnderscoresAction: "RejectRequest" },
            },
        }, { ...afterCrds, dependsOn: [this.release, this.gateway] });

        // The NLB's own security group: 443 from the edge's prefix lists only; out to the proxies in the VPC.
        const containerPort = listenerContainerPort(LISTENER.port);
        this.securityGroup = new aws.ec2.SecurityGroup(`${name}-nlb-sg`, {
            vpcId: args.vpcId,
            description: `Origin NLB of ${args.hostname}: HTTPS from the edge only`,
            tags: { ...tags, Name: `${name}-nlb-sg` },
        }, { parent: this });
        args.sourcePrefixListIds.forEach((prefixListId, i) => new aws.vpc.SecurityGroupIngressRule(`${name}-nlb-sg-edge-${i}`, {
            securityGroupId: this.securityGroup.id,
            description: "HTTPS from the edge in front of the origin",
            ipProtocol: "tcp",
            fromPort: 443,
            toPort: 443,
            prefixListId,
        }, { parent: this }));
        for (const [role, port] of [["traffic", containerPort], ["health", ENVOY_READINESS.port]] as const) {
            new aws.vpc.SecurityGroupEgressRule(`${name}-nlb-sg-${role}`, {
                securityGroupId: this.securityGroup.id,
                description: role === "traffic" ? "to the Envoy proxies' listener" : "health checks of the Envoy proxies",
                ipProtocol: "tcp",
                fromPort: port,
                toPort: port,
                cidrIpv4: args.vpcCidr,
            }, { parent: this });
        }

        this.service = new k8s.core.v1.Service(`${name}-nlb`, {
            metadata: {
                name: `${gatewayName}-nlb`,
                namespace: ns,
                labels: { "app.kubernetes.io/name": "envoy", "app.kubernetes.io/managed-by": "pulumi" },
                annotations: {
                    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
                    "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
                    "service.beta.kubernetes.io/aws-load-balancer-security-groups": this.securityGroup.id,
                    "service.beta.kubernetes.io/aws-load-balancer-manage-backend-security-group-rules": "true",
                    "service.beta.kubernetes.io/aws-load-balancer-ssl-cert": args.tlsCertificateArn,
                    "service.beta.kubernetes.io/aws-load-balancer-ssl-ports": "https",
                    "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                    "service.beta.kubernetes.io/aws-load-balancer-backend-protocol": "tcp",
                    "service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol": "http",
                    "service.beta.kubernetes.io/aws-load-balancer-healthcheck-port": String(ENVOY_READINESS.port),
                    "service.beta.kubernetes.io/aws-load-balancer-healthcheck-path": ENVOY_READINESS.path,
                    "service.beta.kubernetes.io/aws-load-balancer-attributes": "load_balancing.cross_zone.enabled=true",
                    "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes": "deregistration_delay.timeout_seconds=30",
                },
            },
            spec: {
                type: "LoadBalancer",
                loadBalancerClass: args.loadBalancerClass,
                // IP targets: the NLB sends to pod IPs, so no node port is allocated or opened.
                allocateLoadBalancerNodePorts: false,
                selector: proxyLabels,
                // HTTPS only: no port 80 on the load balancer.
                ports: [{ name: "https", port: 443, targetPort: containerPort, protocol: "TCP" }],
            },
        }, { parent: this, dependsOn: [this.gateway, ...(args.loadBalancerDependsOn ?? [])] as pulumi.Input<pulumi.Resource>[] });

        this.hostname = this.service.status.apply((s) => s?.loadBalancer?.ingress?.[0]?.hostname);
        this.registerOutputs({ hostname: this.hostname, securityGroupId: this.securityGroup.id });
    }
}

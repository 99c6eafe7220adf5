import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** The pinned ingress-nginx release (kubernetes/ingress-nginx: chart 4.15.1 = controller v1.15.1, supports Kubernetes 1.31-1.35). */
export const INGRESS_NGINX_CHART = { chart: "ingress-nginx", version: "4.15.1", repo: "https://kubernetes.github.io/ingress-nginx" } as const;

/** Arguments of {@link Ingress}. */
export interface IngressArgs {
    /** Replicas bounds of the controller (HPA). minReplicas >= 2. */
    minReplicas: number;
    maxReplicas: number;
    /** Requests per controller pod. */
    cpuMillis: number;
    memoryMiB: number;
    /** Memory limit, MiB. @default memoryMiB */
    memoryLimitMiB?: number;
    /** HPA CPU target, % of the request. @default 70 */
    targetCpuUtilization?: number;
    /** Node selector placing the controller (e.g. `{ "node-role": "application" }`). */
    nodeSelector?: Record<string, string>;
    /** CIDRs the NLB admits. @default ["0.0.0.0/0"] */
    sourceCidrs?: string[];
    /** Namespace to create for the controller. @default "ingress-nginx" */
    namespace?: string;
    /**
     * Origin lockdown: the controller answers 403 to any request without this header and value, so
     * traffic that bypasses the edge (CloudFront/Cloudflare) never reaches a service. The header name is
     * letters, digits and dashes; the value letters and digits (a `RandomPassword` without specials).
     * @default undefined (no check)
     */
    originVerify?: { header: string; value: pulumi.Input<string> };
    /**
     * ACM certificate for the public hostname: the NLB terminates TLS on 443 with it (TLS 1.3/1.2 policy)
     * and forwards to the controller's HTTP port. The edges connect with HTTPS and verify the origin
     * certificate against the public hostname (the Host header they forward), which the controller's
     * self-signed default certificate would fail.
     * @default undefined (443 passes TLS through to the controller)
     */
    tlsCertificateArn?: pulumi.Input<string>;
    /**
     * Registry host (and path prefix) of the controller and admission-webhook images, e.g. the ECR
     * pull-through cache's `<account>.dkr.ecr.<region>.amazonaws.com/k8s`; tags and digests stay the chart's.
     * @default the chart's (registry.k8s.io)
     */
    imageRegistry?: pulumi.Input<string>;
}

const DEFAULTS = { targetCpuUtilization: 70, sourceCidrs: ["0.0.0.0/0"], namespace: "ingress-nginx" };

const RELEASE_NAME = "ingress-nginx";
/** Labels of the controller pods as the chart sets them (the Service below selects them). */
const CONTROLLER_LABELS = { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/instance": RELEASE_NAME, "app.kubernetes.io/component": "controller" };

/**
 * ingress-nginx from its pinned chart, behind an internet-facing AWS network load balancer (cross-zone,
 * client IPs preserved with `externalTrafficPolicy: Local`). The chart's own Service is turned off and
 * the LoadBalancer Service is declared here, so its hostname is a real output of a resource: the edge
 * points CloudFront/Cloudflare at {@link Ingress.hostname}.
 *
 * The controller autoscales on CPU (HPA), keeps a PDB, spreads over zones and runs with a restricted
 * security context; snippet annotations stay off.
 */
export class Ingress extends pulumi.ComponentResource {
    public readonly namespace: k8s.core.v1.Namespace;
    public readonly release: k8s.helm.v3.Release;
    public readonly service: k8s.core.v1.Service;
    /** The NLB's DNS name, e.g. `a1b2...-0123.elb.eu-west-1.amazonaws.com` (unknown in preview). */
    public readonly hostname: pulumi.Output<string>;
    /** IngressClass name services reference. */
    public readonly ingressClassName = "nginx";

    constructor(name: string, args: IngressArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:compute:Ingress", name, {}, opts);
        if (args.minReplicas < 2) throw new pulumi.ResourceError(`minReplicas must be >= 2 (got ${args.minReplicas}): one controller pod is a single point of failure`, this);
        if (args.minReplicas > args.maxReplicas) throw new pulumi.ResourceError(`minReplicas (${args.minReplicas}) exceeds maxReplicas (${args.maxReplicas})`, this);
        const ns = args.namespace ?? DEFAULTS.namespace;

        this.namespace = new k8s.core.v1.Namespace(`${name}-ns`, {
            metadata: {
                name: ns,
                labels: {
                    "app.kubernetes.io/name": "ingress-nginx",
                    "app.kubernetes.io/managed-by": "pulumi",
                    // The controller binds 80/443 inside its pod as non-root (NET_BIND_SERVICE): baseline, not restricted.
                    "pod-security.kubernetes.io/enforce": "baseline",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
            },
        }, { parent: this });

        const memoryLimit = args.memoryLimitMiB ?? args.memoryMiB;
        if (args.originVerify && !/^[A-Za-z0-9-]+$/.test(args.originVerify.header)) {
            throw new pulumi.ResourceError(`originVerify.header "${args.originVerify.header}" must be letters, digits and dashes`, this);
        }
        // A controller-wide server snippet (the ConfigMap's, set by the platform; snippet *annotations* stay
        // off): nginx exposes header X-Foo-Bar as $http_x_foo_bar.
        const originCheck = args.originVerify && pulumi.output(args.originVerify.value).apply((value) => {
            if (!/^[A-Za-z0-9]+$/.test(value)) throw new pulumi.ResourceError("originVerify.value must be letters and digits only", this);
            const variable = `$http_${args.originVerify!.header.toLowerCase().replace(/-/g, "_")}`;
            return pulumi.secret(`if (${variable} != "${value}") { return 403; }`);
        });
        this.release = new k8s.helm.v3.Release(`${name}-release`, {
            name: RELEASE_NAME,
            chart: INGRESS_NGINX_CHART.chart,
            version: INGRESS_NGINX_CHART.version,
            repositoryOpts: { repo: INGRESS_NGINX_CHART.repo },
            namespace: this.namespace.metadata.name,
            atomic: true,
            cleanupOnFail: true,
            timeout: 600,
            values: {
                // The chart composes <global.image.registry>/<image>:<tag>@<digest> for the controller and the webhook job.
                ...(args.imageRegistry ? { global: { image: { registry: args.imageRegistry } } } : {}),
                controller: {
                    ingressClassResource: { name: this.ingressClassName, default: true },
                    allowSnippetAnnotations: false,
                    config: {
                        "use-forwarded-headers": "true",
                        "keep-alive-requests": "10000",
                        "upstream-keepalive-connections": "320",
                        ...(originCheck ? { "server-snippet": originCheck } : {}),
                    },
                    service: { enabled: false }, // declared below
                    publishService: { enabled: true, pathOverride: `${ns}/${RELEASE_NAME}-controller` },
                    resources: { requests: { cpu: `${args.cpuMillis}m`, memory: `${args.memoryMiB}Mi` }, limits: { memory: `${memoryLimit}Mi` } },
                    autoscaling: {
                        enabled: true,
                        minReplicas: args.minReplicas,
                        maxReplicas: args.maxReplicas,
                        targetCPUUtilizationPercentage: args.targetCpuUtilization ?? DEFAULTS.targetCpuUtilization,
                    },
                    minAvailable: 1,
                    nodeSelector: { "kubernetes.io/os": "linux", ...(args.nodeSelector ?? {}) },
                    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: CONTROLLER_LABELS } }],
                    admissionWebhooks: { enabled: true },
                    metrics: { enabled: true },
                },
            },
        }, { parent: this });

        this.service = new k8s.core.v1.Service(`${name}-nlb`, {
            metadata: {
                name: `${RELEASE_NAME}-controller`,
                namespace: this.release.status.namespace,
                labels: { ...CONTROLLER_LABELS, "app.kubernetes.io/managed-by": "pulumi" },
                annotations: {
                    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                    "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
                    "service.beta.kubernetes.io/aws-load-balancer-backend-protocol": "tcp",
                    ...(args.tlsCertificateArn !== undefined ? {
                        "service.beta.kubernetes.io/aws-load-balancer-ssl-cert": args.tlsCertificateArn,
                        "service.beta.kubernetes.io/aws-load-balancer-ssl-ports": "https",
                        "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                    } : {}),
                },
            },
            spec: {
                type: "LoadBalancer",
                externalTrafficPolicy: "Local", // client IPs reach nginx; the NLB health-checks nodes that run a controller
                loadBalancerSourceRanges: args.sourceCidrs ?? DEFAULTS.sourceCidrs,
                selector: CONTROLLER_LABELS,
                ports: [
                    { name: "http", port: 80, targetPort: "http", protocol: "TCP" },
                    // With an ACM certificate the NLB terminates TLS and forwards plain HTTP to the controller.
                    { name: "https", port: 443, targetPort: args.tlsCertificateArn !== undefined ? "http" : "https", protocol: "TCP" },
                ],
            },
        }, { parent: this });

        this.hostname = this.service.status.apply((s) => s?.loadBalancer?.ingress?.[0]?.hostname);
        this.registerOutputs({ hostname: this.hostname });
    }
}

/** Pure data and naming (no Pulumi imports): the config checks and the components read it. */

/**
 * Upstream registries an ECR pull-through cache rule can front, by the host an image reference names:
 * the cache's repository prefix, the upstream URL ECR takes, and whether ECR needs a credential (a Secrets
 * Manager secret named `ecr-pullthroughcache/...`). AWS ECR user guide, "Sync an upstream registry".
 */
export const UPSTREAM_REGISTRIES = {
    "docker.io": { prefix: "docker-hub", upstreamUrl: "registry-1.docker.io", credential: "docker-hub" },
    "ghcr.io": { prefix: "ghcr", upstreamUrl: "ghcr.io", credential: "ghcr" },
    "registry.k8s.io": { prefix: "k8s", upstreamUrl: "registry.k8s.io", credential: undefined },
    "quay.io": { prefix: "quay", upstreamUrl: "quay.io", credential: undefined },
    "public.ecr.aws": { prefix: "ecr-public", upstreamUrl: "public.ecr.aws", credential: undefined },
} as const;
export type UpstreamRegistry = keyof typeof UPSTREAM_REGISTRIES;
export type RegistryCredential = "docker-hub" | "ghcr";

/** A parsed image reference. */
export interface ImageRef {
    registry: string;
    repository: string;
    tag?: string;
    digest?: string;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Parses `[registry/]repository[:tag][@sha256:...]` as container runtimes do (Docker Hub without a host; `library/` for single names). */
export function parseImageRef(ref: string): ImageRef | undefined {
    const at = ref.indexOf("@");
    const digest = at >= 0 ? ref.slice(at + 1) : undefined;
    if (digest !== undefined && !DIGEST.test(digest)) return undefined;
    let rest = at >= 0 ? ref.slice(0, at) : ref;
    const slash = rest.indexOf("/");
    const first = slash >= 0 ? rest.slice(0, slash) : "";
    let registry = "docker.io";
    if (slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost")) {
        registry = first;
        rest = rest.slice(slash + 1);
    }
    const colon = rest.lastIndexOf(":");
    const tag = colon >= 0 ? rest.slice(colon + 1) : undefined;
    let repository = colon >= 0 ? rest.slice(0, colon) : rest;
    if (!/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(repository)) return undefined;
    if (tag !== undefined && !/^[\w][\w.-]{0,127}$/.test(tag)) return undefined;
    if (registry === "index.docker.io" || registry === "registry-1.docker.io") registry = "docker.io";
    if (registry === "docker.io" && !repository.includes("/")) repository = `library/${repository}`;
    return { registry, repository, tag, digest };
}

/** True for a private ECR registry host (`<account>.dkr.ecr.<region>.amazonaws.com`): already no anonymous pulls. */
export const isPrivateEcr = (registry: string) => /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(registry);

/**
 * The reference an image is pulled by through the account's pull-through cache: `<cache registry>/<prefix>/<repository>`
 * with the same tag and digest (the cache keeps the upstream manifests, so digests stay valid). Images already in
 * a private ECR registry are returned as they are; any other registry is refused (its pulls would be anonymous).
 * @param cacheRegistry `<account>.dkr.ecr.<region>.amazonaws.com`
 */
export function cachedImageRef(ref: string, cacheRegistry: string): string {
    const r = parseImageRef(ref);
    if (!r) throw new Error(`"${ref}" is not an image reference`);
    if (isPrivateEcr(r.registry)) return ref;
    const upstream = UPSTREAM_REGISTRIES[r.registry as UpstreamRegistry];
    if (!upstream) throw new Error(`"${ref}" comes from ${r.registry}, which the pull-through cache does not front (${Object.keys(UPSTREAM_REGISTRIES).join(", ")}, or a private ECR registry)`);
    return `${cacheRegistry}/${upstream.prefix}/${r.repository}${r.tag ? `:${r.tag}` : ""}${r.digest ? `@${r.digest}` : ""}`;
}

/** The upstream registries (known ones) a set of image references needs. */
export function upstreamsOf(refs: string[]): UpstreamRegistry[] {
    const out = new Set<UpstreamRegistry>();
    for (const ref of refs) {
        const r = parseImageRef(ref);
        if (r && r.registry in UPSTREAM_REGISTRIES) out.add(r.registry as UpstreamRegistry);
    }
    return [...out].sort();
}

/**
 * Images the program deploys besides the application services, pinned. Digests where a published one was
 * verified (README "Images"): ingress-nginx's come from its chart (helm-chart-4.15.1 values.yaml pins them);
 * the others are tag-pinned until their digests are checked with `crane digest` against the registry.
 */
export const PLATFORM_IMAGES = {
    pgbouncer: "docker.io/edoburu/pgbouncer:v1.23.1-p3",
    pgbouncerExporter: "docker.io/prometheuscommunity/pgbouncer-exporter:v0.10.2",
    /** Tag by Kubernetes minor: `CLUSTER_AUTOSCALER_RELEASES` (catalog/kubernetesReleases.ts). */
    clusterAutoscaler: "registry.k8s.io/autoscaling/cluster-autoscaler",
    /** VPA 1.7.1 = the fairwinds `vpa` chart 5.0.0's appVersion. */
    vpaRecommender: "registry.k8s.io/autoscaling/vpa-recommender:1.7.1",
    vpaUpdater: "registry.k8s.io/autoscaling/vpa-updater:1.7.1",
    vpaAdmissionController: "registry.k8s.io/autoscaling/vpa-admission-controller:1.7.1",
    /** Envoy Gateway's control plane and proxy (tags and digests: `ENVOY_GATEWAY_RELEASE`, components/gateway.ts). */
    envoyGateway: "docker.io/envoyproxy/gateway",
    envoyProxy: "docker.io/envoyproxy/envoy",
    /** External Secrets Operator (controller, webhook, cert controller): the tag is the chart's appVersion. */
    externalSecrets: "ghcr.io/external-secrets/external-secrets",
    /** cert-manager v1.21.1 (chart `imageRegistry` + `jetstack/<name>`, the chart's appVersion tag). */
    certManagerController: "quay.io/jetstack/cert-manager-controller:v1.21.1",
    certManagerWebhook: "quay.io/jetstack/cert-manager-webhook:v1.21.1",
    certManagerCainjector: "quay.io/jetstack/cert-manager-cainjector:v1.21.1",
    certManagerStartupapicheck: "quay.io/jetstack/cert-manager-startupapicheck:v1.21.1",
    /** psql of the database-roles Job: the Docker official image through ECR Public. */
    psql: "public.ecr.aws/docker/library/postgres:16.6-alpine",
} as const;

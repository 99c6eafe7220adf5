/**
 * `scaling-topology:images`: every image the program deploys is pulled through the account's ECR
 * pull-through cache (`components/imageCache.ts`), never anonymously from its upstream. Docker Hub and GHCR
 * need a login: the user names here, the tokens as secrets (`scaling-topology:dockerHubAccessToken`,
 * `scaling-topology:ghcrAccessToken`).
 */
import { z } from "zod";
import type { ConfigCheck, StackConfig } from "./index";
import type { ConfigProblem } from "./errors";
import { isPrivateEcr, parseImageRef, PLATFORM_IMAGES, UPSTREAM_REGISTRIES, upstreamsOf } from "../catalog/images";
import { CLUSTER_AUTOSCALER_RELEASES } from "../catalog/kubernetesReleases";
import { AWS_LOAD_BALANCER_CONTROLLER_RELEASE } from "../catalog/awsLoadBalancerController";

const username = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, { message: "must be a registry user name" });

export const ImagesConfig = z.strictObject({
    /** Docker Hub user the cache pulls as (its token: `scaling-topology:dockerHubAccessToken`, secret). */
    dockerHubUsername: username.optional(),
    /** GitHub user the cache pulls GHCR images as (its token with read:packages: `scaling-topology:ghcrAccessToken`, secret). */
    ghcrUsername: username.optional(),
}).prefault({});
export type ImagesConfig = z.output<typeof ImagesConfig>;

/** A registry access token (keep it `secure:` in the stack file). */
export const RegistryToken = z.string().min(1, { message: "must be a registry access token" }).optional();

/** Every image reference the program deploys for this config (before the cache maps them). */
export function deployedImages(c: Pick<StackConfig, "cluster" | "services">): string[] {
    const autoscaler = `${PLATFORM_IMAGES.clusterAutoscaler}:${CLUSTER_AUTOSCALER_RELEASES[c.cluster.kubernetesVersion].image}`;
    return [
        PLATFORM_IMAGES.pgbouncer, PLATFORM_IMAGES.pgbouncerExporter, autoscaler, PLATFORM_IMAGES.vpaRecommender,
        ...(c.cluster.vpa.updater ? [PLATFORM_IMAGES.vpaUpdater] : []),
        ...(c.cluster.vpa.admissionController ? [PLATFORM_IMAGES.vpaAdmissionController] : []),
        PLATFORM_IMAGES.envoyGateway, PLATFORM_IMAGES.envoyProxy,
        `${AWS_LOAD_BALANCER_CONTROLLER_RELEASE.image.repository}:${AWS_LOAD_BALANCER_CONTROLLER_RELEASE.image.tag}@${AWS_LOAD_BALANCER_CONTROLLER_RELEASE.image.digest}`,
        PLATFORM_IMAGES.externalSecrets, PLATFORM_IMAGES.psql,
        PLATFORM_IMAGES.certManagerController, PLATFORM_IMAGES.certManagerWebhook, PLATFORM_IMAGES.certManagerCainjector, PLATFORM_IMAGES.certManagerStartupapicheck,
        ...c.services.map((s) => s.image),
    ];
}

const P = "scaling-topology";

export const imageChecks: ConfigCheck[] = [
    {
        needs: ["services"],
        check: (c) => c.services.flatMap((s, i): ConfigProblem[] => {
            const r = parseImageRef(s.image);
            if (!r || isPrivateEcr(r.registry) || r.registry in UPSTREAM_REGISTRIES) return [];
            return [{ key: `${P}:services[${i}].image`, value: s.image, message: `comes from ${r.registry}, which the ECR pull-through cache does not front: use ${Object.keys(UPSTREAM_REGISTRIES).join(", ")} or a private ECR repository (no anonymous pulls)` }];
        }),
    },
    {
        needs: ["cluster", "services", "images", "dockerHubAccessToken", "ghcrAccessToken"],
        check: (c) => {
            const upstreams = upstreamsOf(deployedImages(c));
            const problems: ConfigProblem[] = [];
            const need = (registry: string, user: string | undefined, userKey: string, token: string | undefined, tokenKey: string) => {
                if (!upstreams.includes(registry as never)) return;
                const why = `images come from ${registry} (${deployedImages(c).filter((i) => parseImageRef(i)?.registry === registry).join(", ")}), which the pull-through cache reaches with a login only`;
                if (!user) problems.push({ key: `${P}:images.${userKey}`, value: undefined, message: `is required: ${why}` });
                if (!token) problems.push({ key: `${P}:${tokenKey}`, value: undefined, message: `is required: ${why}; set it with: pulumi config set --secret ${P}:${tokenKey} <token>` });
            };
            need("docker.io", c.images.dockerHubUsername, "dockerHubUsername", c.dockerHubAccessToken, "dockerHubAccessToken");
            need("ghcr.io", c.images.ghcrUsername, "ghcrUsername", c.ghcrAccessToken, "ghcrAccessToken");
            return problems;
        },
    },
];

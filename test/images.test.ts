/** Images: every image the program deploys comes through the account's ECR pull-through cache. */
import { strict as assert } from "assert";
import { cachedImageRef, parseImageRef, PLATFORM_IMAGES, upstreamsOf } from "../catalog/images";
import { deployedImages } from "../config/images";
import { ConfigError } from "../config/errors";
import { resolveStackConfig } from "../sizing/stackConfig";
import { readStackFiles } from "../plan/stackFiles";
import { PROJECT_DIR } from "../plan/run";
import { ofType, stackConfigValue, stackPlan } from "./helpers";

const ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const DIGEST = "sha256:594ceea76b01c592858f803f9ff4d2cb40542cae2060410b2c95f75907d659e1";

describe("images through the ECR pull-through cache", () => {
    describe("cachedImageRef: upstream reference -> cached reference", () => {
        it("maps each upstream to its cache prefix, keeping tag and digest", () => {
            assert.equal(cachedImageRef("docker.io/edoburu/pgbouncer:v1.23.1-p3", ECR), `${ECR}/docker-hub/edoburu/pgbouncer:v1.23.1-p3`);
            assert.equal(cachedImageRef("ghcr.io/stefanprodan/podinfo:6.14.1", ECR), `${ECR}/ghcr/stefanprodan/podinfo:6.14.1`);
            assert.equal(cachedImageRef(`registry.k8s.io/ingress-nginx/controller:v1.15.1@${DIGEST}`, ECR), `${ECR}/k8s/ingress-nginx/controller:v1.15.1@${DIGEST}`);
            assert.equal(cachedImageRef(`quay.io/org/app@${DIGEST}`, ECR), `${ECR}/quay/org/app@${DIGEST}`);
        });
        it("Docker Hub short names get their implicit host and library/ namespace", () => {
            assert.equal(cachedImageRef("nginx:1.27", ECR), `${ECR}/docker-hub/library/nginx:1.27`);
            assert.equal(cachedImageRef("bitnami/redis:7.2", ECR), `${ECR}/docker-hub/bitnami/redis:7.2`);
            assert.deepEqual(parseImageRef("index.docker.io/library/busybox:1"), { registry: "docker.io", repository: "library/busybox", tag: "1", digest: undefined });
        });
        it("a private ECR image stays as it is; an unfronted registry or a malformed reference is refused", () => {
            assert.equal(cachedImageRef(`${ECR}/team/app:1.0`, ECR), `${ECR}/team/app:1.0`);
            assert.throws(() => cachedImageRef("gcr.io/distroless/static:nonroot", ECR), /gcr\.io, which the pull-through cache does not front/);
            assert.throws(() => cachedImageRef("ghcr.io/Bad/Name:1", ECR), /not an image reference/);
            assert.throws(() => cachedImageRef("ghcr.io/a/b@sha256:abc", ECR), /not an image reference/);
        });
    });

    for (const stack of ["dev", "prod"]) {
        describe(`${stack} plan`, () => {
            it("every container of every Deployment and every chart image pulls from the cache", async () => {
                const plan = await stackPlan(stack);
                const registry = plan.outputs.imageCacheRegistry as string;
                assert.match(registry, /^\d{12}\.dkr\.ecr\.eu-west-1\.amazonaws\.com$/);
                const workloads = [...ofType(plan, "kubernetes:apps/v1:Deployment"), ...ofType(plan, "kubernetes:batch/v1:Job"), ...ofType(plan, "kubernetes:batch/v1:CronJob")];
                const containers = workloads.flatMap((d) => {
                    const spec = (d.type.endsWith("CronJob") ? (d.props as any).spec.jobTemplate.spec : (d.props as any).spec).template.spec;
                    return [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
                });
                assert.ok(containers.length >= 3);
                for (const c of containers) assert.ok(String(c.image).startsWith(`${registry}/`), `${c.name}: ${c.image}`);
                const values = (name: string) => (ofType(plan, "kubernetes:helm.sh/v3:Release").find((r) => r.name.endsWith(name))!.props as any).values;
                assert.equal(values("-cluster-autoscaler-release").image.repository, `${registry}/k8s/autoscaling/cluster-autoscaler`);
                assert.equal(values("-vpa-release").recommender.image.repository, `${registry}/k8s/autoscaling/vpa-recommender`);
                assert.equal(values("-vpa-release").recommender.image.tag, "1.7.1");
                const eso = values("-external-secrets-release");
                for (const img of [eso.image, eso.webhook.image, eso.certController.image]) assert.equal(img.repository, `${registry}/ghcr/external-secrets/external-secrets`);
                // cert-manager renders <imageRegistry>/jetstack/cert-manager-*.
                assert.equal(values("-cert-manager-release").imageRegistry, `${registry}/quay`);
            });

            it("one pull-through cache rule per upstream the images need; Docker Hub and GHCR with an ecr-pullthroughcache/ credential", async () => {
                const plan = await stackPlan(stack);
                const cfg = resolveStackConfig(stack, readStackFiles(PROJECT_DIR, stack).config);
                const rules = ofType(plan, "aws:ecr/pullThroughCacheRule:PullThroughCacheRule").map((r) => r.props as any);
                const expected = upstreamsOf(deployedImages(cfg));
                assert.deepEqual(expected, ["docker.io", "ghcr.io", "public.ecr.aws", "quay.io", "registry.k8s.io"]);
                assert.deepEqual(rules.map((r) => r.upstreamRegistryUrl).sort(), ["ghcr.io", "public.ecr.aws", "quay.io", "registry-1.docker.io", "registry.k8s.io"]);
                const secrets = ofType(plan, "aws:secretsmanager/secret:Secret").filter((s) => String((s.props as any).name).startsWith("ecr-pullthroughcache/"));
                assert.equal(secrets.length, 2);
                for (const r of rules) assert.equal(r.credentialArn !== undefined, ["ghcr.io", "registry-1.docker.io"].includes(r.upstreamRegistryUrl), r.upstreamRegistryUrl);
                const values = ofType(plan, "aws:secretsmanager/secretVersion:SecretVersion").filter((v) => v.name.includes("-images-"));
                assert.ok(values.every((v) => (v.props as any).secretString === "[secret]"), "the tokens stay secrets");
                for (const s of secrets) assert.equal(Boolean(s.opts.protect), stack === "prod", `${s.name} protected in prod only`);
            });

            it("cached repositories are KMS-encrypted (customer key through the template's role); nodes may import upstream images", async () => {
                const plan = await stackPlan(stack);
                const templates = ofType(plan, "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate").map((t) => t.props as any);
                assert.equal(templates.length, 5);
                for (const t of templates) {
                    assert.deepEqual(t.appliedFors, ["PULL_THROUGH_CACHE"]);
                    assert.equal(t.encryptionConfigurations[0].encryptionType, "KMS");
                    assert.match(t.encryptionConfigurations[0].kmsKey, /^arn:aws:kms:/);
                    assert.match(t.customRoleArn, /^arn:aws:iam::\d{12}:role\//);
                }
                // Registry logins are encrypted with the cache's key, which the pull-through service role may
                // use through Secrets Manager only.
                const key = ofType(plan, "aws:kms/key:Key").find((k) => k.name.endsWith("-images-key"))!;
                const keyPolicy = JSON.parse((key.props as any).policy);
                const slr = keyPolicy.Statement.find((x: any) => x.Sid === "PullThroughCacheReadsLogins");
                assert.deepEqual(slr.Action, "kms:Decrypt");
                assert.match(slr.Condition.ArnEquals["aws:PrincipalArn"], /:role\/aws-service-role\/pullthroughcache\.ecr\.amazonaws\.com\/AWSServiceRoleForECRPullThroughCache$/);
                assert.equal(slr.Condition.StringEquals["kms:ViaService"], "secretsmanager.eu-west-1.amazonaws.com");
                for (const sec of ofType(plan, "aws:secretsmanager/secret:Secret").filter((x) => String((x.props as any).name).startsWith("ecr-pullthroughcache/"))) {
                    assert.equal((sec.props as any).kmsKeyId, templates[0].encryptionConfigurations[0].kmsKey);
                }
                const node = JSON.parse((ofType(plan, "aws:iam/rolePolicy:RolePolicy").find((p) => p.name.endsWith("-images-node-pull"))!.props as any).policy);
                assert.deepEqual(node.Statement[0].Action, ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"]);
                assert.deepEqual(node.Statement[0].Resource.map((r: string) => r.split("/")[1]).sort(), ["docker-hub", "ecr-public", "ghcr", "k8s", "quay"]);
            });
        });
    }

    it("preview mode: the rules, templates and node rights plan before the account is known to the cluster", async () => {
        const plan = await stackPlan("prod", true);
        assert.equal(ofType(plan, "aws:ecr/pullThroughCacheRule:PullThroughCacheRule").length, 5);
        assert.equal(ofType(plan, "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate").length, 5);
        const containers = ofType(plan, "kubernetes:apps/v1:Deployment").flatMap((d) => (d.props as any).spec.template.spec.containers);
        for (const c of containers) assert.ok(c.image === "[unknown]" || /\.dkr\.ecr\./.test(c.image), `${c.name}: ${c.image}`);
    });

    describe("config", () => {
        const problemsOf = (stack: string, overrides: Record<string, unknown>) => {
            try {
                resolveStackConfig(stack, { ...readStackFiles(PROJECT_DIR, stack).config, ...overrides });
            } catch (e) {
                if (ConfigError.isInstance(e)) return e.problems;
                throw e;
            }
            return [];
        };
        it("a registry login the images need is required, naming the key and the images", () => {
            const ps = problemsOf("dev", { "scaling-topology:dockerHubAccessToken": undefined, "scaling-topology:images": JSON.stringify({ ghcrUsername: "bot" }) });
            assert.deepEqual(ps.map((p) => p.key).sort(), ["scaling-topology:dockerHubAccessToken", "scaling-topology:images.dockerHubUsername"]);
            assert.match(ps[0].message, /edoburu\/pgbouncer/);
        });
        it("the login error names exactly the images from that registry (platform images too, not only services)", () => {
            const services = stackConfigValue("dev", "scaling-topology:services");
            const ps = problemsOf("dev", {
                "scaling-topology:ghcrAccessToken": undefined,
                "scaling-topology:services": JSON.stringify([{ ...services[0], image: "quay.io/example/api:1.0" }]),
            });
            assert.deepEqual(ps.map((p) => p.key), ["scaling-topology:ghcrAccessToken"]);
            assert.match(ps[0].message, /images come from ghcr\.io \(ghcr\.io\/external-secrets\/external-secrets\)/);
            assert.doesNotMatch(ps[0].message, /podinfo|quay/);
        });
        it("a registry token in plain text is refused, its value never shown", () => {
            const e = (() => {
                try {
                    resolveStackConfig("dev", { ...readStackFiles(PROJECT_DIR, "dev").config, "scaling-topology:dockerHubAccessToken": "dckr_pat_plaintext" }, undefined, { secretKeys: ["cloudflare:apiToken", "scaling-topology:ghcrAccessToken"] });
                } catch (x) {
                    return x as ConfigError;
                }
                throw new Error("expected a ConfigError");
            })();
            const p = e.problems.find((x) => x.key === "scaling-topology:dockerHubAccessToken")!;
            assert.match(p.message, /must be stored encrypted; set it with: pulumi config set --secret scaling-topology:dockerHubAccessToken/);
            assert.doesNotMatch(e.message, /dckr_pat_plaintext/);
        });
        it("a service image from a registry the cache does not front is refused", () => {
            const services = stackConfigValue("prod", "scaling-topology:services");
            const ps = problemsOf("prod", { "scaling-topology:services": JSON.stringify([{ ...services[0], image: "gcr.io/example/api:1.0" }]) });
            assert.equal(ps.length, 1);
            assert.equal(ps[0].key, "scaling-topology:services[0].image");
            assert.match(ps[0].message, /gcr\.io, which the ECR pull-through cache does not front/);
        });
        it("the gateway's and the load balancer controller's images keep their published digests through the cache", async () => {
            const plan = await stackPlan("prod");
            const registry = plan.outputs.imageCacheRegistry as string;
            const values = (name: string) => (ofType(plan, "kubernetes:helm.sh/v3:Release").find((r) => r.name.endsWith(name))!.props as any).values;
            const eg = values("-gateway-release").deployment.envoyGateway.image;
            assert.equal(eg.repository, `${registry}/docker-hub/envoyproxy/gateway`);
            assert.match(eg.tag, /^v[\d.]+@sha256:[0-9a-f]{64}$/);
            const lbc = values("-lb-controller-release").image;
            assert.equal(lbc.repository, `${registry}/ecr-public/eks/aws-load-balancer-controller`);
            assert.match(lbc.tag, /^v[\d.]+@sha256:[0-9a-f]{64}$/);
            const proxy = ofType(plan, "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy")[0].props as any;
            assert.match(proxy.spec.provider.kubernetes.envoyDeployment.container.image, new RegExp(`^${registry.replace(/\./g, "\\.")}/docker-hub/envoyproxy/envoy:[\\w.-]+@sha256:[0-9a-f]{64}$`));
        });
    });
});

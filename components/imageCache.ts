import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { cachedImageRef, RegistryCredential, UPSTREAM_REGISTRIES, UpstreamRegistry } from "../catalog/images";
import { dataKeyPolicy } from "./dataKeys";

/** A registry login ECR uses to pull from an upstream that refuses (or rate-limits) anonymous pulls. */
export interface RegistryLogin {
    username: string;
    /** Access token (Docker Hub personal access token; GitHub token with read:packages). Keep it a Pulumi secret. */
    accessToken: pulumi.Input<string>;
}

/** Arguments of {@link ImageCache}. */
export interface ImageCacheArgs {
    /** AWS region of the cache (the registry host names it). */
    region: string;
    /** Upstream registries to front (one pull-through cache rule each). */
    upstreams: UpstreamRegistry[];
    /** Logins for the upstreams that need one (`docker.io`, `ghcr.io`). */
    credentials?: Partial<Record<RegistryCredential, RegistryLogin>>;
    /** Name of the node role: it gets the rights to import upstream images into the cache on first pull. */
    nodeRoleName: pulumi.Input<string>;
    /** Prefix of the account-wide names (secrets, templates' description): two stacks in one account differ. */
    namePrefix: string;
    /** Prod: Pulumi `protect` on the key and the credential secrets. @default false */
    protect?: boolean;
    /** Tags for every AWS resource, besides the provider's default tags. */
    tags?: Record<string, string>;
}

/**
 * An ECR pull-through cache for every upstream registry the program's images come from, so that nodes never
 * pull anonymously through the NAT addresses (Docker Hub rate-limits anonymous pulls per IP):
 * - one `PullThroughCacheRule` per upstream, with a Secrets Manager credential (`ecr-pullthroughcache/...`)
 *   where the upstream needs one;
 * - a repository creation template per prefix: repositories the cache creates are KMS-encrypted with a
 *   customer key (ECR assumes a role the template names to use it), scan on push, and expire untagged images;
 * - the node role's rights to import an upstream image and create its repository on first pull.
 * {@link ImageCache.image} maps an upstream reference to the cached one (same tag and digest).
 */
export class ImageCache extends pulumi.ComponentResource {
    /** `<account>.dkr.ecr.<region>.amazonaws.com` */
    public readonly registry: pulumi.Output<string>;
    public readonly key: aws.kms.Key;
    public readonly rules: Record<string, aws.ecr.PullThroughCacheRule>;
    /** What the nodes need before the first pull of a new image. */
    public readonly nodePolicy: aws.iam.RolePolicy;

    constructor(name: string, args: ImageCacheArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:compute:ImageCache", name, {}, opts);
        const tags = args.tags ?? {};
        const nameTag = (role: string) => ({ ...tags, Name: `${name}-${role}` });
        const protect = args.protect ?? false;
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        this.registry = pulumi.interpolate`${account}.dkr.ecr.${args.region}.amazonaws.com`;

        for (const u of args.upstreams) {
            const c = UPSTREAM_REGISTRIES[u].credential;
            if (c && !args.credentials?.[c]) throw new pulumi.ResourceError(`upstream ${u} needs credentials.${c} (ECR pulls from it with a login only)`, this);
        }

        // One key for the cached repositories and the registry logins. ECR reads a login as its pull-through
        // service-linked role (created with the first rule, so named by condition, not as a principal that
        // must already exist), through Secrets Manager only.
        const partition = aws.getPartitionOutput({}, { parent: this }).partition;
        const policy = pulumi.all([dataKeyPolicy(this, []), account, partition]).apply(([base, acct, part]) => {
            const doc = JSON.parse(base);
            doc.Statement.push({
                Sid: "PullThroughCacheReadsLogins",
                Effect: "Allow",
                Principal: { AWS: "*" },
                Action: "kms:Decrypt",
                Resource: "*",
                Condition: {
                    ArnEquals: { "aws:PrincipalArn": `arn:${part}:iam::${acct}:role/aws-service-role/pullthroughcache.ecr.amazonaws.com/AWSServiceRoleForECRPullThroughCache` },
                    StringEquals: { "kms:ViaService": `secretsmanager.${args.region}.amazonaws.com`, "kms:CallerAccount": acct },
                },
            });
            return JSON.stringify(doc);
        });
        this.key = new aws.kms.Key(`${name}-key`, {
            description: `ECR pull-through cache of ${args.namePrefix}: cached images and registry logins`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            policy,
            tags: nameTag("key"),
        }, { parent: this, protect, retainOnDelete: protect });
        // ECR creates cached repositories with a customer key only through a role the template names.
        const templateRole = new aws.iam.Role(`${name}-template-role`, {
            assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ecr.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
            tags: nameTag("template-role"),
        }, { parent: this });
        const prefixesOf = args.upstreams.map((u) => UPSTREAM_REGISTRIES[u].prefix);
        const templatePolicy = new aws.iam.RolePolicy(`${name}-template-policy`, {
            role: templateRole.id,
            policy: pulumi.all([this.key.arn, account]).apply(([keyArn, acct]) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    { Effect: "Allow", Action: ["kms:CreateGrant", "kms:RetireGrant", "kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"], Resource: keyArn },
                    { Effect: "Allow", Action: ["ecr:TagResource"], Resource: prefixesOf.map((p) => `arn:aws:ecr:${args.region}:${acct}:repository/${p}/*`) },
                ],
            })),
        }, { parent: this });

        this.rules = {};
        const prefixes: string[] = [];
        for (const u of args.upstreams) {
            const { prefix, upstreamUrl, credential } = UPSTREAM_REGISTRIES[u];
            prefixes.push(prefix);
            let credentialArn: pulumi.Output<string> | undefined;
            if (credential) {
                const login = args.credentials![credential]!;
                // ECR reads pull-through credentials only from secrets named ecr-pullthroughcache/...
                const secret = new aws.secretsmanager.Secret(`${name}-${prefix}-credential`, {
                    name: `ecr-pullthroughcache/${args.namePrefix}-${prefix}`,
                    description: `ECR pull-through cache login for ${upstreamUrl}`,
                    recoveryWindowInDays: 7,
                    kmsKeyId: this.key.arn,
                    tags: nameTag(`${prefix}-credential`),
                }, { parent: this, protect });
                new aws.secretsmanager.SecretVersion(`${name}-${prefix}-credential-value`, {
                    secretId: secret.id,
                    secretString: pulumi.secret(pulumi.output(login.accessToken).apply((accessToken) => JSON.stringify({ username: login.username, accessToken }))),
                }, { parent: this });
                credentialArn = secret.arn;
            }
            new aws.ecr.RepositoryCreationTemplate(`${name}-${prefix}-template`, {
                prefix,
                description: `Repositories the pull-through cache creates for ${upstreamUrl}`,
                appliedFors: ["PULL_THROUGH_CACHE"],
                imageTagMutability: "MUTABLE", // the cache follows the upstream's tags; pods pin digests
                encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: this.key.arn }],
                customRoleArn: templateRole.arn,
                lifecyclePolicy: JSON.stringify({ rules: [{ rulePriority: 1, description: "expire untagged images after 30 days", selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 30 }, action: { type: "expire" } }] }),
                resourceTags: { ...tags, "managed-by": "pulumi", cache: prefix },
            }, { parent: this, dependsOn: [templatePolicy] });
            this.rules[u] = new aws.ecr.PullThroughCacheRule(`${name}-${prefix}`, {
                ecrRepositoryPrefix: prefix,
                upstreamRegistryUrl: upstreamUrl,
                credentialArn,
            }, { parent: this });
        }

        // First pull of an image: ECR imports it from the upstream into a repository it creates (ECR user
        // guide, "IAM permissions required to sync an upstream registry").
        this.nodePolicy = new aws.iam.RolePolicy(`${name}-node-pull`, {
            role: args.nodeRoleName,
            policy: pulumi.all([account]).apply(([acct]) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [{
                    Effect: "Allow",
                    Action: ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
                    Resource: prefixes.map((p) => `arn:aws:ecr:${args.region}:${acct}:repository/${p}/*`),
                }],
            })),
        }, { parent: this });

        this.registerOutputs({ registry: this.registry, keyArn: this.key.arn });
    }

    /** The cached reference of an upstream image (same tag and digest). */
    public image(ref: string): pulumi.Output<string> {
        return this.registry.apply((registry) => cachedImageRef(ref, registry));
    }
}

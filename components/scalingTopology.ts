/**
 * The whole topology as one component: a validated stack config in, the network, cluster, data tier, edge
 * and backups out. `index.ts` is this repository's program around it; any other Pulumi program can
 *  install the package and do the same (`new ScalingTopology("app", loadStackConfig())`, or
 * `await ScalingTopology.create(...)`, which a disaster-recovery secondary needs: it reads its primary first).
 */
import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { StackConfig } from "../config";
import { planSubnets } from "../sizing/subnets";
import { alertThresholds } from "../sizing/alerts";
import { monitoringNodeGroup } from "../sizing/capacity";
import { AuroraPostgres } from "./aurora";
import { BackupPlan } from "./backupPlan";
import { CloudflareEdge } from "./cloudflareEdge";
import { CloudFrontEdge } from "./cloudfrontEdge";
import { CodeBuildRunner } from "./ciRunner";
import { Cluster } from "./cluster";
import { ClusterAutoscaler } from "./clusterAutoscaler";
import { CertificateDns, DnsValidatedCertificate } from "./dnsValidatedCertificate";
import { Gateway } from "./gateway";
import { LoadBalancerController } from "./loadBalancerController";
import { EdgeFailover } from "./edgeFailover";
import { GlobalDataStores } from "./globalDataStores";
import { PrimaryStack, readPrimaryStack } from "./primaryStack";
import { globalLagAlarmMs } from "../sizing/recovery";
import { ImageCache } from "./imageCache";
import { CertManager } from "./certManager";
import { cachedImageRef, PLATFORM_IMAGES, UPSTREAM_REGISTRIES } from "../catalog/images";
import { Network } from "./network";
import { Observability } from "./observability";
import { PgBouncer } from "./pgbouncer";
import { RedisCache } from "./redis";
import { ScalableService } from "./scalableService";
import { auroraArgs, autoscalerArgs, ciRunsOn, clusterArgs, databaseRolesArgs, gatewayArgs, imageCacheArgs, loadBalancerControllerArgs, pgbouncerArgs, pgbouncerNodeGroup, redisArgs, runnerArgs, serviceArgs, SYSTEM_NODE_PLACEMENT, vpaArgs } from "./topologyArgs";
import { CLOUDFLARE_RANGES } from "../catalog/cloudflareIpRanges";
import { DatabaseCredentialRotation } from "./credentialRotation";
import { DatabaseRoles } from "./databaseRoles";
import { ExternalSecretsOperator } from "./externalSecrets";
import { VerticalPodAutoscaler } from "./verticalPodAutoscaler";
import { accountAdministersKey } from "./dataKeys";

/**
 * Arguments of {@link ScalingTopology}: the validated stack config (`loadStackConfig()`), plus how the
 * component names what it creates.
 */
export type ScalingTopologyArgs = StackConfig & {
    /**
     * Prefix of the physical names derived from the stack (EKS cluster, Aurora and ElastiCache identifiers,
     * ...). Two topologies in one AWS account and region need different prefixes.
     * @default `${project}-${stack}`
     */
    namePrefix?: string;
    /**
     * The primary a secondary (`recovery.role: secondary`) joins: what `readPrimaryStack` read and checked.
     * `ScalingTopology.create` reads it; required when constructing a secondary directly.
     */
    primary?: PrimaryStack;
};

/** Header the edge hop in front of the origin sends, and the origin requires. */
export const ORIGIN_VERIFY_HEADER = "X-Origin-Verify";
/** Header Cloudflare sends to CloudFront in mode `both`, and CloudFront's WAF requires. */
export const EDGE_VERIFY_HEADER = "X-Edge-Verify";
/** Namespace of the retired ingress-nginx controller (admitted by the services' NetworkPolicies for one release). */
export const LEGACY_INGRESS_NAMESPACE = "ingress-nginx";
/** AWS's managed prefix list of CloudFront's origin-facing addresses (IPv4). */
export const CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing";

/**
 * Resources of this repository's stacks were created at the top of the stack, before this component
 * existed: each direct child carries an alias to its old URN (its descendants inherit it), so an existing
 * stack's `pulumi up` adopts them instead of replacing them.
 */
function formerlyAtStackRoot(oldName?: string): pulumi.Alias[] {
    return [{ parent: pulumi.rootStackResource, ...(oldName ? { name: oldName } : {}) }];
}

export class ScalingTopology extends pulumi.ComponentResource {
    /** The validated config this topology was built from. */
    public readonly config: StackConfig;
    /** The region's AWS provider (default tags of the stack); children of the component use it. */
    public readonly awsProvider: aws.Provider;
    public readonly network: Network;
    public readonly cluster: Cluster;
    /** The in-VPC GitHub Actions runner (private API endpoint only). */
    public readonly ciRunner?: CodeBuildRunner;
    /** `runs-on` of the workflow jobs that deploy and preview this stack. */
    public readonly ciRunsOn: string;
    public readonly clusterAutoscaler: ClusterAutoscaler;
    /** cert-manager: issues and renews the certificates pods serve. */
    public readonly certManager: CertManager;
    /** The ECR pull-through cache every deployed image comes through. */
    public readonly imageCache: ImageCache;
    public readonly verticalPodAutoscaler: VerticalPodAutoscaler;
    public readonly loadBalancerController: LoadBalancerController;
    /** The Gateway (Envoy Gateway) and its proxies behind the origin NLB: the cluster's ingress. */
    public readonly gateway: Gateway;
    public readonly services: ScalableService[];
    public readonly aurora: AuroraPostgres;
    public readonly redis: RedisCache;
    public readonly pgbouncer: PgBouncer;
    public readonly externalSecrets: ExternalSecretsOperator;
    /** The application's database roles (absent on a disaster-recovery standby: they replicate from the primary). */
    public readonly databaseRoles?: DatabaseRoles;
    /** Secrets Manager rotation of the database credentials (when `aurora.credentialRotation.enabled`). */
    public readonly credentialRotation?: DatabaseCredentialRotation;
    public readonly cloudfrontEdge?: CloudFrontEdge;
    public readonly cloudflareEdge?: CloudflareEdge;
    public readonly backup: BackupPlan;
    public readonly observability: Observability;
    /** Primary role: the Aurora global database and ElastiCache global datastore over this stack's stores. */
    public readonly globalDataStores?: GlobalDataStores;
    /** Secondary role: the health-checked load balancer over both regions' origins. */
    public readonly edgeFailover?: EdgeFailover;

    /** Operator outputs (the stack outputs of this repository's program), by name. */
    public readonly outputs: Record<string, pulumi.Input<unknown>>;

    /**
     * Builds the topology; a secondary (`recovery.role: secondary`) first reads its primary through a
     * StackReference and is refused (`ConfigError`) when it does not match, before any of its resources.
     */
    public static async create(name: string, config: StackConfig, opts?: pulumi.ComponentResourceOptions): Promise<ScalingTopology> {
        const primary = config.recovery?.role === "secondary" ? await readPrimaryStack(config) : undefined;
        return new ScalingTopology(name, { ...config, primary }, opts);
    }

    constructor(name: string, args: ScalingTopologyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:index:ScalingTopology", name, {}, opts);
        const { namePrefix, primary, ...config } = args;
        const recovery = config.recovery;
        const isPrimary = recovery?.role === "primary";
        const isSecondary = recovery?.role === "secondary";
        if (isSecondary && !primary) throw new pulumi.ResourceError("a secondary (recovery.role secondary) needs args.primary: build it with ScalingTopology.create, which reads the primary stack", this);
        this.config = config;
        const project = pulumi.getProject();
        const prefix = namePrefix ?? `${project}-${config.stack}`;
        const protect = config.environment === "prod";
        const baseTags = { project, stack: config.stack, environment: config.environment, "managed-by": "pulumi", ...config.tags };
        const parent = this;
        // The first instance in a stack keeps the provider names the stack has always had.
        const providerName = (role: string) => (name === config.stack ? role : `${name}-${role}`);

        // Explicit providers: regions and default tags are visible in every plan and preview.
        const awsProvider = new aws.Provider(providerName("aws"), { region: config.region as aws.Region, defaultTags: { tags: baseTags } }, { parent, aliases: formerlyAtStackRoot("aws") });
        this.awsProvider = awsProvider;
        const providers = { aws: awsProvider };
        const edge = config.edge;
        const cloudflareProvider = edge.cloudflare
            ? new cloudflare.Provider(providerName("cloudflare"), { apiToken: pulumi.secret(config.cloudflareApiToken!) }, { parent, aliases: formerlyAtStackRoot("cloudflare") }) // required by the config checks
            : undefined;
        // CloudFront takes its certificate and WAF from us-east-1 only.
        const usEast1Provider = edge.cloudfront
            ? new aws.Provider(providerName("aws-us-east-1"), { region: "us-east-1", defaultTags: { tags: baseTags } }, { parent, aliases: formerlyAtStackRoot("aws-us-east-1") })
            : undefined;
        // The zone that holds the public hostname: certificates validate there.
        const edgeDns: CertificateDns = edge.cloudflare
            ? { cloudflareZoneId: edge.cloudflare.zoneId, cloudflareProvider: cloudflareProvider! }
            : { route53ZoneId: edge.cloudfront!.route53ZoneId! }; // required in mode "cloudfront" by the config checks
        const child = (extra: pulumi.ComponentResourceOptions = {}): pulumi.ComponentResourceOptions => ({ parent, aliases: formerlyAtStackRoot(), ...extra });

        // ---- network ----
        const network = new Network(`${name}-net`, {
            region: config.region,
            cidr: config.network.cidr,
            subnets: planSubnets(config.network)!, // validated by the config checks
            natGateways: config.network.natGateways,
            clusterName: `${prefix}-eks`,
            flowLogs: config.network.flowLogs,
            protect,
        }, child({ providers }));
        this.network = network;

        // ---- compute: cluster, node groups, autoscaler, VPA, load balancer controller, gateway, services ----
        // EKS in the private subnets; everything in-cluster goes through cluster.k8sProvider.
        const cluster = new Cluster(`${name}-eks`, clusterArgs(config, `${prefix}-eks`, network.privateSubnetIds), child({ providers }));
        this.cluster = cluster;
        const k8sProviders = { aws: awsProvider, kubernetes: cluster.k8sProvider };
        // A private API endpoint is reached by deploys and previews from a runner inside the VPC.
        const runner = runnerArgs(config, prefix);
        this.ciRunner = runner && new CodeBuildRunner(`${name}-ci-runner`, {
            ...runner,
            vpcId: network.vpcId,
            subnetIds: network.privateSubnetIds,
            clusterSecurityGroupId: cluster.clusterSecurityGroupId,
        }, { parent, providers });
        this.ciRunsOn = ciRunsOn(config, prefix);
        // Every image through the account's ECR pull-through cache: no anonymous pulls through the NAT addresses.
        const images = new ImageCache(`${name}-images`, { ...imageCacheArgs(config, prefix), nodeRoleName: cluster.nodeRole.name }, { parent, providers });
        this.imageCache = images;
        const pulls = { dependsOn: [images] };
        this.clusterAutoscaler = new ClusterAutoscaler(`${name}-cluster-autoscaler`, {
            ...autoscalerArgs(config, cluster.clusterName, cluster.name),
            imageRepository: images.registry.apply((r) => cachedImageRef(PLATFORM_IMAGES.clusterAutoscaler, r)),
        }, child({ providers: k8sProviders, ...pulls }));
        this.verticalPodAutoscaler = new VerticalPodAutoscaler(`${name}-vpa`, {
            ...vpaArgs(config),
            images: { recommender: images.image(PLATFORM_IMAGES.vpaRecommender), updater: images.image(PLATFORM_IMAGES.vpaUpdater), admissionController: images.image(PLATFORM_IMAGES.vpaAdmissionController) },
        }, child({ providers: k8sProviders, ...pulls }));
        // Origin lockdown: one secret header, generated here because both sides need it: the edge hop in
        // front of the gateway sends it, the gateway refuses requests without it (traffic that bypassed the edge).
        // A standby region shares the primary's value: the edge sends one header to both regions' origins.
        const originVerify = {
            header: ORIGIN_VERIFY_HEADER,
            value: primary ? primary.originVerifySecret : new random.RandomPassword(`${name}-origin-verify`, { length: 48, special: false }, child()).result,
        };
        // The NLB terminates TLS with a regional certificate for the public hostname, so the edges' HTTPS
        // connections verify (they check the origin certificate against the Host they forward).
        const originCertificate = new DnsValidatedCertificate(`${name}-origin-cert`, {
            hostname: edge.hostname,
            dns: edgeDns,
            // ACM gives every certificate for one name in one account the same validation record: with
            // CloudFront, its us-east-1 certificate creates it and this one validates through it.
            // A standby region's certificate validates through the record the primary created (one per name and account).
            createValidationRecord: !edge.cloudfront && !isSecondary,
            purpose: "origin load balancer",
        }, child({ providers }));
        // Only the hop in front of the origin reaches its NLB: CloudFront's origin-facing prefix list, or a
        // prefix list of Cloudflare's published ranges (catalog/, checked fresh and well-formed by the config).
        // A standby's origin is reached by Cloudflare's load balancer directly (it has no CloudFront of its own).
        const cloudfrontInFront = !!edge.cloudfront && !isSecondary;
        const sourcePrefixListIds: pulumi.Input<string>[] = cloudfrontInFront
            ? [aws.ec2.getManagedPrefixListOutput({ name: CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST }, { provider: awsProvider, parent }).id]
            : [new aws.ec2.ManagedPrefixList(`${name}-cloudflare-ranges`, {
                name: `${prefix}-cloudflare-ipv4`,
                addressFamily: "IPv4",
                maxEntries: CLOUDFLARE_RANGES.ranges.ipv4.length,
                entries: CLOUDFLARE_RANGES.ranges.ipv4.map((cidr) => ({ cidr, description: `Cloudflare, recorded ${CLOUDFLARE_RANGES.ranges.recordedOn}` })),
                tags: { Name: `${prefix}-cloudflare-ipv4` },
            }, { parent, provider: awsProvider }).id];
        this.loadBalancerController = new LoadBalancerController(`${name}-lb-controller`, {
            ...loadBalancerControllerArgs(config, cluster.clusterName, cluster.name, network.vpcId),
            imageRegistry: images.registry,
        }, { parent, providers: k8sProviders, ...pulls });
        // The Gateway's proxies behind an internet-facing NLB; the edge points at gateway.hostname.
        const gateway = new Gateway(`${name}-gateway`, {
            ...gatewayArgs(config),
            // Each edge hop in front of this origin appends to X-Forwarded-For.
            trustedHops: cloudfrontInFront && edge.cloudflare ? 2 : 1,
            originVerify,
            tlsCertificateArn: originCertificate.certificateArn,
            vpcId: network.vpcId,
            sourcePrefixListIds,
            loadBalancerClass: this.loadBalancerController.loadBalancerClass,
            loadBalancerDependsOn: [this.loadBalancerController.release],
            imageRegistry: images.registry,
        }, { parent, providers: k8sProviders, dependsOn: [this.loadBalancerController.release, images] });
        this.gateway = gateway;
        // ---- data: Aurora, PgBouncer, Redis ----
        // Aurora and Redis in the isolated subnets; their security groups admit the EKS cluster security group
        // only (EKS attaches it to the managed nodes, and VPC CNI pods use their node's security groups).
        const dataIngress: pulumi.Input<string>[] = [cluster.clusterSecurityGroupId];
        // Multi-region recovery: a primary replicates its credentials secret to each secondary region under a
        // key of that region; a secondary reads the replica in its own region.
        const recoveryRegions = isPrimary ? recovery!.secondaryRegions ?? [] : [];
        const secretReplicaRegions = recoveryRegions.map((region) => {
            const provider = new aws.Provider(providerName(`aws-${region}`), { region: region as aws.Region, defaultTags: { tags: baseTags } }, { parent });
            // The replica's own customer key in its region (a replica cannot use a key of another region).
            // The account administers the key (as the default key policy, written out); Secrets Manager uses it
            // on behalf of the principals the account's IAM policies allow.
            const account = aws.getCallerIdentityOutput({}, { parent, provider });
            const partition = aws.getPartitionOutput({}, { parent, provider });
            const key = new aws.kms.Key(`${name}-secrets-kms-${region}`, {
                description: `${prefix}: replicas of the data tier's secrets in ${region}`,
                enableKeyRotation: true,
                deletionWindowInDays: 30,
                policy: pulumi.all([partition.partition, account.accountId]).apply(([part, acct]) => JSON.stringify({ Version: "2012-10-17", Statement: [accountAdministersKey(part, acct)] })),
                tags: { Name: `${name}-secrets-kms-${region}` },
            }, { parent, provider, protect, retainOnDelete: protect });
            new aws.kms.Alias(`${name}-secrets-kms-${region}-alias`, { name: `alias/${prefix}-secrets`, targetKeyId: key.keyId }, { parent, provider });
            return { region, kmsKeyId: key.arn };
        });
        const replicatedSecret = primary && aws.secretsmanager.getSecretVersionOutput({ secretId: primary.info.aurora.secretName }, { parent, provider: awsProvider });
        const aurora = new AuroraPostgres(`${name}-aurora`, {
            ...auroraArgs(config.aurora),
            global: primary
                ? {
                    role: "secondary",
                    globalClusterIdentifier: primary.info.aurora.globalClusterIdentifier,
                    instances: recovery!.standbyAuroraInstances,
                    masterPassword: pulumi.secret(replicatedSecret!.secretString.apply((t) => JSON.parse(t).password as string)),
                    secretArn: replicatedSecret!.arn,
                }
                : isPrimary ? { role: "primary", secretReplicaRegions } : undefined,
            identifier: `${prefix}-aurora`,
            masterPasswordRotated: config.aurora.credentialRotation.enabled,
            vpcId: network.vpcId,
            subnetIds: network.isolatedSubnetIds,
            availabilityZones: network.availabilityZones,
            allowedSecurityGroupIds: dataIngress,
            protect,
        }, child({ providers }));
        this.aurora = aurora;
        this.redis = new RedisCache(`${name}-redis`, {
            ...redisArgs(config.redis),
            identifier: `${prefix}-redis`,
            vpcId: network.vpcId,
            subnetIds: network.isolatedSubnetIds,
            allowedSecurityGroupIds: dataIngress,
            protect,
            globalSecondaryOf: primary?.info.redis.globalReplicationGroupId,
            inheritedAuthToken: primary && pulumi.secret(aws.secretsmanager.getSecretVersionOutput({ secretId: primary.info.redis.secretName! }, { parent, provider: awsProvider }).secretString.apply((t) => JSON.parse(t).authToken as string)),
            secretReplicaRegions: isPrimary ? secretReplicaRegions : undefined,
        }, child({ providers }));
        // A primary heads an Aurora global database and an ElastiCache global datastore over its existing stores.
        this.globalDataStores = isPrimary ? new GlobalDataStores(`${name}-global`, {
            auroraClusterArn: aurora.cluster.arn,
            globalClusterIdentifier: `${prefix}-global`,
            replicationGroupId: this.redis.replicationGroup.replicationGroupId,
            globalReplicationGroupIdSuffix: `${prefix}-cache`,
            protect,
        }, { parent, dependsOn: [...aurora.instances, this.redis] }) : undefined;
        // PgBouncer in the cluster: a read-write pool on the writer endpoint, a read-only pool on the reader endpoint.

        // ---- credentials: External Secrets, database roles, rotation ----
        // Secrets Manager is the source of every credential pods use; External Secrets syncs each namespace's
        // own into Kubernetes Secrets (README "Credentials and rotation").
        // Certificates pods serve (PgBouncer's) are issued and renewed in the cluster.
        this.certManager = new CertManager(`${name}-cert-manager`, {
            ...SYSTEM_NODE_PLACEMENT,
            imageRegistry: pulumi.interpolate`${images.registry}/${UPSTREAM_REGISTRIES["quay.io"].prefix}`,
        }, { parent, providers: k8sProviders, dependsOn: [images] });
        this.externalSecrets = new ExternalSecretsOperator(`${name}-external-secrets`, {
            ...SYSTEM_NODE_PLACEMENT,
            imageRepository: images.registry.apply((r) => cachedImageRef(PLATFORM_IMAGES.externalSecrets, r)),
        }, child({ providers: k8sProviders, ...pulls }));
        const eso = [this.externalSecrets.release];
        const irsa = { region: config.region, oidcProviderArn: cluster.oidcProviderArn, oidcIssuerUrl: cluster.oidcIssuerUrl };
        // A standby creates no roles and rotates nothing: the roles replicate with the database, their secrets
        // (rotated in the primary) replicate into this region under the primary's replica key.
        const replicaKeyArn = primary ? primary.info.secretReplicaKeyArns![config.region] : undefined; // checked by readPrimaryStack
        const roleSecretKmsKeyArn: pulumi.Input<string> = replicaKeyArn ?? aurora.kmsKey.arn;
        const roleSecretArns: Record<string, pulumi.Input<string>> = primary
            ? Object.fromEntries(config.services.map((s) => [s.database.role, aws.secretsmanager.getSecretOutput({ name: `${primary.info.aurora.roleSecretPrefix}/roles/${s.database.role}` }, { parent, provider: awsProvider }).arn]))
            : {};
        this.databaseRoles = primary ? undefined : new DatabaseRoles(`${name}-db-roles`, {
            ...databaseRolesArgs(config),
            secretNamePrefix: `${prefix}-aurora`,
            image: images.image(PLATFORM_IMAGES.psql),
            writerEndpoint: aurora.writerEndpoint,
            port: aurora.port,
            masterSecretArn: aurora.secretArn,
            kmsKeyArn: aurora.kmsKey.arn,
            ...irsa,
            externalSecretsDependsOn: eso,
            ...SYSTEM_NODE_PLACEMENT,
            protect,
            secretReplicaRegions: isPrimary ? secretReplicaRegions : undefined,
        }, child({ providers: k8sProviders, dependsOn: [aurora, images] }));
        if (this.databaseRoles) Object.assign(roleSecretArns, this.databaseRoles.roleSecretArns);
        const rolesJob = this.databaseRoles ? [this.databaseRoles.job] : [];
        const rotation = config.aurora.credentialRotation;
        this.credentialRotation = rotation.enabled && this.databaseRoles ? new DatabaseCredentialRotation(`${name}-rotation`, {
            identifier: prefix,
            region: config.region,
            vpcId: network.vpcId,
            subnetIds: network.privateSubnetIds,
            databaseSecurityGroupId: aurora.securityGroup.id,
            masterSecretArn: aurora.secretArn,
            kmsKeyArn: aurora.kmsKey.arn,
            roleSecretArns: this.databaseRoles.roleSecretArns,
            afterDays: rotation.afterDays,
            dependsOn: rolesJob,
        }, child({ providers })) : undefined;

        // PgBouncer in the cluster: a read-write pool on the writer endpoint, a read-only pool on the reader
        // endpoint; it authenticates the services' roles (from Secrets Manager) and never the master user.
        this.pgbouncer = new PgBouncer(`${name}-pgbouncer`, {
            ...pgbouncerArgs(config.pgbouncer),
            writerEndpoint: aurora.writerEndpoint,
            readerEndpoint: aurora.readerEndpoint,
            port: aurora.port,
            databaseName: aurora.databaseName,
            roles: config.services.map((s) => ({ role: s.database.role, secretArn: roleSecretArns[s.database.role] })),
            roleSecretKmsKeyArns: [roleSecretKmsKeyArn],
            ...irsa,
            externalSecretsDependsOn: eso,
            poolsDependOn: rolesJob,
            clientNamespaces: config.services.map((s) => s.name),
            // The AMP managed scraper (Observability) scrapes the exporters from its ENIs in the private subnets.
            metricsSourceCidrs: planSubnets(config.network)!.private.map((s) => s.cidr),
            nodeSelector: { "node-role": "application", "eks.amazonaws.com/nodegroup": pgbouncerNodeGroup(config)! },
            certManager: { dependsOn: [this.certManager.release] },
            image: images.image(PLATFORM_IMAGES.pgbouncer),
            exporterImage: images.image(PLATFORM_IMAGES.pgbouncerExporter),
        }, child({ providers: k8sProviders, dependsOn: [aurora, images] }));

        // ---- services: each reads its connection Secret (its own role, PgBouncer hosts, Redis endpoint and token) ----
        this.services = config.services.map((s) => new ScalableService(
            `${name}-svc-${s.name}`,
            {
                ...serviceArgs(s, {
                    vpaDependsOn: [this.verticalPodAutoscaler.release],
                    gateway,
                    // The retired ingress-nginx keeps reaching the services while a running stack moves to the
                    // gateway: `pulumi up` deletes it only after the edge points at the new origin, and the
                    // NetworkPolicies change earlier (README "Moving a running stack to the Gateway").
                    allowFromNamespaces: [gateway.proxyNamespace, LEGACY_INGRESS_NAMESPACE],
                }),
                pullImage: images.image(s.image),
                connection: {
                    ...irsa,
                    externalSecretsDependsOn: eso,
                    database: {
                        role: s.database.role,
                        secretArn: roleSecretArns[s.database.role],
                        kmsKeyArn: roleSecretKmsKeyArn,
                        databaseName: aurora.databaseName,
                        readWriteHost: this.pgbouncer.readWriteHost,
                        readOnlyHost: this.pgbouncer.readOnlyHost,
                        port: 5432,
                        caCert: this.pgbouncer.clientCaCert,
                    },
                    redis: { secretArn: this.redis.authTokenSecretArn, kmsKeyArn: this.redis.kmsKey.arn },
                },
            },
            child({ providers: k8sProviders, dependsOn: [gateway.release, gateway.gateway, this.clusterAutoscaler, images] }),
        ));

        // ---- edge: CloudFront, Cloudflare ----
        // Cloudflare (proxy, cache, rate limits, firewall), CloudFront (cache + WAF), or Cloudflare -> CloudFront
        // -> gateway ("both"). Whichever hop reaches the gateway adds the secret origin header. In "both",
        // Cloudflare adds a second secret that CloudFront's WAF requires: no one reaches CloudFront around it.
        // A standby region has no edge of its own: CloudFront aliases and Cloudflare's zone rulesets exist once,
        // in the primary; the standby's edge is the load balancer over both regions (below).
        const edgeVerify = !isSecondary && edge.cloudfront && edge.cloudflare ? {
            header: EDGE_VERIFY_HEADER,
            value: new random.RandomPassword(`${name}-edge-verify`, { length: 48, special: false }, { parent }).result,
        } : undefined;
        // CloudFront's WAF starts requiring that header only once Cloudflare's rule sending it exists (the rule
        // is made below, after the distribution it points at; a promise carries it back).
        let proxyHeaderRuleMade: (r: pulumi.Resource) => void = () => undefined;
        let proxyHeaderRuleFailed: (e: unknown) => void = () => undefined;
        const proxyHeaderRule = new Promise<pulumi.Resource>((resolve, reject) => { proxyHeaderRuleMade = resolve; proxyHeaderRuleFailed = reject; });
        proxyHeaderRule.catch(() => undefined); // a failure surfaces where the edges are built, not as an unhandled rejection
        this.cloudfrontEdge = !isSecondary && edge.cloudfront && new CloudFrontEdge(`${name}-cloudfront`, {
            originDomainName: gateway.hostname,
            originVerifyHeader: originVerify.header,
            originVerifySecret: originVerify.value,
            hostname: edge.hostname,
            usEast1Provider: usEast1Provider!,
            dns: edgeDns,
            priceClass: edge.cloudfront.priceClass,
            wafRateLimitPer5Min: edge.cloudfront.wafRateLimitPer5Min,
            requiredHeader: edgeVerify,
            wafDependsOn: edgeVerify ? [proxyHeaderRule] : [],
            clientIpHeader: edgeVerify ? "CF-Connecting-IP" : undefined, // behind Cloudflare, count the real client
            apiMaxBodyKiB: edge.cloudfront.apiMaxBodyKiB,
            wafLogRetentionDays: edge.cloudfront.wafLogRetentionDays,
            logRetentionDays: edge.cloudfront.logRetentionDays,
            staticTtlSeconds: edge.cloudfront.staticTtlSeconds,
            apiTtlSeconds: edge.cloudfront.apiTtlSeconds,
            protect,
        }, child({ providers })) || undefined;
        try {
            this.cloudflareEdge = !isSecondary && edge.cloudflare && new CloudflareEdge(`${name}-cloudflare`, {
                ...edge.cloudflare,
                hostname: edge.hostname,
                target: this.cloudfrontEdge ? this.cloudfrontEdge.domainName : gateway.hostname,
                // CloudFront adds its own header when it is the hop before the gateway; a primary's edge adds it anyway,
                // for the standby's origin that the load balancer reaches directly (CloudFront overwrites it with the same value).
                originVerify: !this.cloudfrontEdge || isPrimary,
                proxyVerify: edgeVerify,
                originVerifyHeader: originVerify.header,
                originVerifySecret: originVerify.value,
            }, child({ providers: { ...providers, cloudflare: cloudflareProvider! } })) || undefined;
            if (edgeVerify) proxyHeaderRuleMade(this.cloudflareEdge!.rulesets.http_request_late_transform);
        } catch (e) {
            proxyHeaderRuleFailed(e);
            throw e;
        }

        // Health-checked failover: the standby stack knows both regions' origins, so it owns the load balancer.
        this.edgeFailover = primary && recovery!.edgeFailover ? new EdgeFailover(`${name}-edge-failover`, {
            zoneId: edge.cloudflare!.zoneId, // required on a secondary by the config checks
            accountId: recovery!.edgeFailover.cloudflareAccountId,
            hostname: edge.hostname,
            regions: [
                { region: primary.info.region, address: primary.info.edge.originHostname },
                { region: config.region, address: gateway.hostname },
            ],
            healthPath: recovery!.edgeFailover.healthPath,
            intervalSeconds: recovery!.edgeFailover.intervalSeconds,
            consecutiveDown: recovery!.edgeFailover.consecutiveDown,
            originVerify,
            // The primary's pool is its CloudFront, whose WAF also requires Cloudflare's second secret.
            proxyVerify: primary.edgeVerifySecret && { header: EDGE_VERIFY_HEADER, value: primary.edgeVerifySecret },
        }, { parent, providers: { cloudflare: cloudflareProvider! } }) : undefined;

        // ---- backups ----
        // AWS Backup: every resource tagged BACKUP_TAG (components/tags.ts) is covered; prod copies to the DR region and locks the vaults.
        const drProvider = config.backup.disasterRecovery
            ? new aws.Provider(providerName("aws-dr"), { region: config.backup.disasterRecovery.region as aws.Region, defaultTags: { tags: baseTags } }, { parent, aliases: formerlyAtStackRoot("aws-dr") })
            : undefined;
        this.backup = new BackupPlan(`${name}-backup`, {
            rules: (["daily", "weekly", "monthly"] as const).map((r) => ({ name: r, ...config.backup[r] })),
            continuous: config.backup.continuous.enabled ? { retentionDays: config.backup.continuous.retentionDays } : undefined,
            timezone: config.backup.timezone,
            startWindowMinutes: config.backup.startWindowMinutes,
            completionWindowMinutes: config.backup.completionWindowMinutes,
            disasterRecovery: drProvider && { provider: drProvider, retentionDays: config.backup.disasterRecovery?.retentionDays },
            vaultLock: config.backup.vaultLock,
            notificationEmail: config.backup.notificationEmail,
            protect,
        }, child({ providers }));

        // ---- observability: AMP (scraper, rules, alert manager), CloudWatch alarms and dashboards, one alert topic ----
        // New with this component: no alias (nothing to adopt from the stack root).
        this.observability = new Observability(`${name}-observability`, {
            thresholds: alertThresholds(config),
            notifications: { email: config.observability.notifications.email ?? config.backup.notificationEmail, webhookUrl: config.observability.notifications.webhookUrl },
            scrapeIntervalSeconds: config.observability.scrapeIntervalSeconds,
            cluster: { arn: cluster.cluster.arn, name: cluster.name, clusterName: `${prefix}-eks`, subnetIds: network.privateSubnetIds, securityGroupId: cluster.clusterSecurityGroupId },
            addonDependsOn: Object.values(cluster.nodeGroups),
            auroraClusterIdentifier: aurora.clusterIdentifier,
            redis: { replicationGroupId: `${prefix}-redis`, shards: config.redis.shards, replicasPerShard: config.redis.replicasPerShard },
            cloudfront: this.cloudfrontEdge ? { distributionId: this.cloudfrontEdge.distributionId, usEast1Provider: usEast1Provider! } : undefined,
            backupVaultName: this.backup.vaultName,
            certificateArns: [originCertificate.certificateArn],
            grafana: { nodeSelector: { "node-role": "application", "eks.amazonaws.com/nodegroup": monitoringNodeGroup(config)! } },
            region: config.region,
            protect,
        }, { parent, providers: k8sProviders });
        // The region-loss RPO is the global database's replication lag: a standby watches it (the metric is
        // its cluster's, in its region) and pages when it exceeds what the recovery figures assume.
        if (isSecondary) {
            new aws.cloudwatch.MetricAlarm(`${name}-global-db-lag`, {
                namespace: "AWS/RDS",
                metricName: "AuroraGlobalDBReplicationLag",
                dimensions: { DBClusterIdentifier: aurora.clusterIdentifier },
                statistic: "Maximum",
                period: 60,
                evaluationPeriods: 5,
                comparisonOperator: "GreaterThanThreshold",
                threshold: globalLagAlarmMs(config),
                // No data means replication stopped reporting: as bad as lag.
                treatMissingData: "breaching",
                alarmDescription: `Aurora global database replication lag above ${globalLagAlarmMs(config)} ms for 5 min: the region-loss RPO (recovery.expectedReplicationLagSeconds) no longer holds`,
                alarmActions: [this.observability.topic.topicArn],
                okActions: [this.observability.topic.topicArn],
                tags: { Name: `${name}-global-db-lag` },
            }, { parent });
        }

        this.outputs = {
            clusterName: cluster.name,
            clusterEndpoint: cluster.endpoint,
            clusterSecurityGroupId: cluster.clusterSecurityGroupId,
            ciRunsOn: this.ciRunsOn,
            ciRunnerProject: this.ciRunner ? this.ciRunner.project.name : null,
            oidcProviderArn: cluster.oidcProviderArn,
            imageCacheRegistry: images.registry,
            ingressHostname: gateway.hostname,
            originLoadBalancerSecurityGroupId: gateway.securityGroup.id,
            serviceHosts: Object.fromEntries(config.services.map((s, i) => [s.name, this.services[i].serviceHost])),
            auroraWriterEndpoint: aurora.writerEndpoint,
            auroraReaderEndpoint: aurora.readerEndpoint,
            auroraPort: aurora.port,
            auroraSecretArn: aurora.secretArn,
            redisConfigurationEndpoint: this.redis.configurationEndpoint,
            pgbouncerReadWriteHost: this.pgbouncer.readWriteHost,
            pgbouncerReadOnlyHost: this.pgbouncer.readOnlyHost,
            // Clients verify PgBouncer's TLS certificate with it.
            pgbouncerClientCaCert: this.pgbouncer.clientCaCert,
            edgeHostname: edge.hostname,
            cloudfrontDomainName: this.cloudfrontEdge ? this.cloudfrontEdge.domainName : null,
            // The header the origin requires, and its value (secret): see the README's edge section.
            originVerifyHeader: originVerify.header,
            originVerifySecret: pulumi.secret(originVerify.value),
            // The second secret Cloudflare sends to CloudFront in mode both (a standby's edge monitor sends it too).
            edgeVerifySecret: edgeVerify ? pulumi.secret(edgeVerify.value) : null,
            backupVaultName: this.backup.vaultName,
            backupPlanId: this.backup.planId,
            backupDrVaultArn: this.backup.drVaultArn ?? null, // null without disaster-recovery copies
            backupRoleArn: this.backup.roleArn, // the role restore jobs run as (README restore runbook)
            region: config.region,
            environment: config.environment,
            vpcId: network.vpcId,
            publicSubnetIds: network.publicSubnetIds,
            privateSubnetIds: network.privateSubnetIds,
            isolatedSubnetIds: network.isolatedSubnetIds,
            natGatewayIds: network.natGatewayIds,
            // Query endpoint of the AMP workspace (Grafana's datasource, SigV4), and the alert topic.
            prometheusEndpoint: this.observability.prometheusEndpoint,
            alertTopicArn: this.observability.topic.topicArn,
            // What a secondary stack reads through its StackReference (components/primaryStack.ts).
            ...(isPrimary || isSecondary ? {
                recovery: {
                    role: recovery!.role,
                    region: config.region,
                    primaryRegion: primary ? primary.info.region : config.region,
                    secondaryRegions: recoveryRegions,
                    aurora: {
                        engineVersion: config.aurora.engineVersion,
                        instanceClass: config.aurora.instanceClass,
                        globalClusterIdentifier: this.globalDataStores ? this.globalDataStores.globalClusterIdentifier : primary!.info.aurora.globalClusterIdentifier,
                        secretName: primary ? primary.info.aurora.secretName : `${prefix}-aurora/master`,
                        roleSecretPrefix: primary ? primary.info.aurora.roleSecretPrefix : `${prefix}-aurora`,
                    },
                    redis: {
                        engine: config.redis.engine,
                        engineVersion: config.redis.engineVersion,
                        nodeType: config.redis.nodeType,
                        shards: config.redis.shards,
                        globalReplicationGroupId: this.globalDataStores ? this.globalDataStores.globalReplicationGroupId : primary!.info.redis.globalReplicationGroupId,
                        secretName: primary ? primary.info.redis.secretName : `${prefix}-redis/auth-token`,
                    },
                    secretReplicaKeyArns: primary ? primary.info.secretReplicaKeyArns : Object.fromEntries(secretReplicaRegions.map((r) => [r.region, r.kmsKeyId])),
                    load: { peakConcurrentUsers: config.load.peakConcurrentUsers, dailyActiveUsers: config.load.dailyActiveUsers },
                    edge: { hostname: edge.hostname, mode: edge.mode, originHostname: this.cloudfrontEdge ? this.cloudfrontEdge.domainName : gateway.hostname },
                },
            } : {}),
        };
        this.registerOutputs(this.outputs);
    }
}

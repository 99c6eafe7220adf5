/**
 * The scaling topology: validated stack config in, AWS topology out.
 *
 * Config is parsed and checked in full before any resource is constructed: an invalid stack fails
 * with one message listing every problem (see config/).
 */
import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
    AuroraPostgres, BackupPlan, CertificateDns, CloudflareEdge, CloudFrontEdge, Cluster, ClusterAutoscaler, DnsValidatedCertificate,
    Ingress, Network, Observability, PgBouncer, RedisCache, ScalableService, VerticalPodAutoscaler,
} from "./components";
import { autoscalerArgs, clusterArgs, ingressArgs, serviceArgs, vpaArgs } from "./components/computeArgs";
import { loadStackConfig } from "./config";
import { auroraArgs, pgbouncerArgs, pgbouncerNodeGroup, redisArgs } from "./config/data";
import { planSubnets } from "./sizing/subnets";
import { alertThresholds } from "./sizing/alerts";

const config = loadStackConfig();
const prefix = `${pulumi.getProject()}-${config.stack}`;
const baseTags = { project: pulumi.getProject(), stack: config.stack, environment: config.environment, "managed-by": "pulumi", ...config.tags };

// Explicit providers: regions and default tags are visible in every plan and preview.
const awsProvider = new aws.Provider("aws", { region: config.region as aws.Region, defaultTags: { tags: baseTags } });
const providers = { aws: awsProvider };
const edge = config.edge;
const cloudflareProvider = edge.cloudflare
    ? new cloudflare.Provider("cloudflare", { apiToken: pulumi.secret(config.cloudflareApiToken!) }) // required by the config checks
    : undefined;
// CloudFront takes its certificate and WAF from us-east-1 only.
const usEast1Provider = edge.cloudfront ? new aws.Provider("aws-us-east-1", { region: "us-east-1", defaultTags: { tags: baseTags } }) : undefined;
// The zone that holds the public hostname: certificates validate there.
const edgeDns: CertificateDns = edge.cloudflare
    ? { cloudflareZoneId: edge.cloudflare.zoneId, cloudflareProvider: cloudflareProvider! }
    : { route53ZoneId: edge.cloudfront!.route53ZoneId! }; // required in mode "cloudfront" by the config checks

const network = new Network(`${config.stack}-net`, {
    region: config.region,
    cidr: config.network.cidr,
    subnets: planSubnets(config.network)!, // validated by the config checks
    natGateways: config.network.natGateways,
    clusterName: `${prefix}-eks`,
    flowLogs: config.network.flowLogs,
    protect: config.environment === "prod",
}, { providers });

// ---- compute (issue 3): cluster, node groups, autoscaler, VPA, services, ingress ----
// EKS in the private subnets; everything in-cluster goes through cluster.k8sProvider.
const cluster = new Cluster(`${config.stack}-eks`, clusterArgs(config, `${prefix}-eks`, network.privateSubnetIds), { providers });
const k8sProviders = { aws: awsProvider, kubernetes: cluster.k8sProvider };
const clusterAutoscaler = new ClusterAutoscaler(`${config.stack}-cluster-autoscaler`, autoscalerArgs(config, cluster.clusterName, cluster.name), { providers: k8sProviders });
const vpa = new VerticalPodAutoscaler(`${config.stack}-vpa`, vpaArgs(config), { providers: k8sProviders });
// ingress-nginx behind an internet-facing NLB; the edge points at ingress.hostname.
// Origin lockdown: one secret header, generated here because both sides need it: the edge hop in front
// of the ingress sends it, the ingress refuses requests without it (traffic that bypassed the edge).
const originVerify = {
    header: "X-Origin-Verify",
    value: new random.RandomPassword(`${config.stack}-origin-verify`, { length: 48, special: false }).result,
};
// The NLB terminates TLS with a regional certificate for the public hostname, so the edges' HTTPS
// connections verify (they check the origin certificate against the Host they forward).
const originCertificate = new DnsValidatedCertificate(`${config.stack}-origin-cert`, {
    hostname: edge.hostname,
    dns: edgeDns,
    // ACM gives every certificate for one name in one account the same validation record: with
    // CloudFront, its us-east-1 certificate creates it and this one validates through it.
    createValidationRecord: !edge.cloudfront,
    purpose: "origin load balancer",
}, { providers });
const ingress = new Ingress(`${config.stack}-ingress`, { ...ingressArgs(config), originVerify, tlsCertificateArn: originCertificate.certificateArn }, { providers: k8sProviders });
const services = config.services.map((s) => new ScalableService(`${config.stack}-svc-${s.name}`, serviceArgs(s, { vpaDependsOn: [vpa.release], ingressClassName: ingress.ingressClassName }), { providers: k8sProviders, dependsOn: [ingress.release, clusterAutoscaler] }));
export const clusterName = cluster.name;
export const clusterEndpoint = cluster.endpoint;
export const clusterSecurityGroupId = cluster.clusterSecurityGroupId;
export const oidcProviderArn = cluster.oidcProviderArn;
export const ingressHostname = ingress.hostname;
export const serviceHosts = Object.fromEntries(config.services.map((s, i) => [s.name, services[i].serviceHost]));

// ---- data (issue 4): Aurora, PgBouncer, Redis ----
// Aurora and Redis in the isolated subnets; their security groups admit the EKS cluster security group
// only (EKS attaches it to the managed nodes, and VPC CNI pods use their node's security groups).
const dataIngress: pulumi.Input<string>[] = [cluster.clusterSecurityGroupId];
const aurora = new AuroraPostgres(`${config.stack}-aurora`, {
    ...auroraArgs(config.aurora),
    identifier: `${prefix}-aurora`,
    vpcId: network.vpcId,
    subnetIds: network.isolatedSubnetIds,
    availabilityZones: network.availabilityZones,
    allowedSecurityGroupIds: dataIngress,
    protect: config.environment === "prod",
}, { providers });
const redis = new RedisCache(`${config.stack}-redis`, {
    ...redisArgs(config.redis),
    identifier: `${prefix}-redis`,
    vpcId: network.vpcId,
    subnetIds: network.isolatedSubnetIds,
    allowedSecurityGroupIds: dataIngress,
    protect: config.environment === "prod",
}, { providers });
// PgBouncer in the cluster: a read-write pool on the writer endpoint, a read-only pool on the reader endpoint.
const pgbouncer = new PgBouncer(`${config.stack}-pgbouncer`, {
    ...pgbouncerArgs(config.pgbouncer),
    writerEndpoint: aurora.writerEndpoint,
    readerEndpoint: aurora.readerEndpoint,
    port: aurora.port,
    databaseName: aurora.databaseName,
    username: aurora.masterUsername,
    password: aurora.masterPassword,
    nodeSelector: { "node-role": "application", "eks.amazonaws.com/nodegroup": pgbouncerNodeGroup(config)! },
}, { providers: k8sProviders, dependsOn: [aurora] });
export const auroraWriterEndpoint = aurora.writerEndpoint;
export const auroraReaderEndpoint = aurora.readerEndpoint;
export const auroraPort = aurora.port;
export const auroraSecretArn = aurora.secretArn;
export const redisConfigurationEndpoint = redis.configurationEndpoint;
export const pgbouncerReadWriteHost = pgbouncer.readWriteHost;
export const pgbouncerReadOnlyHost = pgbouncer.readOnlyHost;
export const pgbouncerClientCaCert = pgbouncer.clientCaCert; // clients verify PgBouncer's TLS certificate with it

// ---- edge and backups (issue 5): CloudFront, Cloudflare, AWS Backup ----
// Edge in front of the ingress: Cloudflare (proxy, cache, rate limits, firewall), CloudFront (cache + WAF), or
// Cloudflare -> CloudFront -> ingress ("both"). Whichever hop reaches the ingress adds the secret origin header.
const cloudfrontEdge = edge.cloudfront && new CloudFrontEdge(`${config.stack}-cloudfront`, {
    originDomainName: ingress.hostname,
    originVerifyHeader: originVerify.header,
    originVerifySecret: originVerify.value,
    hostname: edge.hostname,
    usEast1Provider: usEast1Provider!,
    dns: edgeDns,
    priceClass: edge.cloudfront.priceClass,
    wafRateLimitPer5Min: edge.cloudfront.wafRateLimitPer5Min,
    clientIpHeader: edge.cloudflare ? "CF-Connecting-IP" : undefined, // behind Cloudflare, count the real client
    logRetentionDays: edge.cloudfront.logRetentionDays,
    staticTtlSeconds: edge.cloudfront.staticTtlSeconds,
    apiTtlSeconds: edge.cloudfront.apiTtlSeconds,
    protect: config.environment === "prod",
}, { providers });
const cloudflareEdge = edge.cloudflare && new CloudflareEdge(`${config.stack}-cloudflare`, {
    ...edge.cloudflare,
    hostname: edge.hostname,
    target: cloudfrontEdge ? cloudfrontEdge.domainName : ingress.hostname,
    originVerify: !cloudfrontEdge, // CloudFront adds its own header when it is the hop before the ingress
    originVerifyHeader: originVerify.header,
    originVerifySecret: originVerify.value,
}, { providers: { ...providers, cloudflare: cloudflareProvider! } });
export const edgeHostname = edge.hostname;
export const cloudfrontDomainName = cloudfrontEdge ? cloudfrontEdge.domainName : null;
/** The header the ingress must require, and its value (secret): see the README's edge section. */
export const originVerifyHeader = originVerify.header;
export const originVerifySecret = pulumi.secret(originVerify.value);

// AWS Backup: every resource tagged BACKUP_TAG (components/tags.ts) is covered; prod copies to the DR region and locks the vaults.
const drProvider = config.backup.disasterRecovery
    ? new aws.Provider("aws-dr", { region: config.backup.disasterRecovery.region as aws.Region, defaultTags: { tags: baseTags } })
    : undefined;
const backup = new BackupPlan(`${config.stack}-backup`, {
    rules: (["daily", "weekly", "monthly"] as const).map((r) => ({ name: r, ...config.backup[r] })),
    continuous: config.backup.continuous.enabled ? { retentionDays: config.backup.continuous.retentionDays } : undefined,
    timezone: config.backup.timezone,
    startWindowMinutes: config.backup.startWindowMinutes,
    completionWindowMinutes: config.backup.completionWindowMinutes,
    disasterRecovery: drProvider && { provider: drProvider, retentionDays: config.backup.disasterRecovery?.retentionDays },
    vaultLock: config.backup.vaultLock,
    notificationEmail: config.backup.notificationEmail,
    protect: config.environment === "prod",
}, { providers });
export const backupVaultName = backup.vaultName;
export const backupPlanId = backup.planId;
export const backupDrVaultArn = backup.drVaultArn ?? null; // null without disaster-recovery copies
export const backupRoleArn = backup.roleArn; // the role restore jobs run as (README restore runbook)

// ---- observability: AMP (scraper, rules, alert manager), CloudWatch alarms and dashboards, one alert topic ----
const observability = new Observability(`${config.stack}-observability`, {
    thresholds: alertThresholds(config),
    notifications: { email: config.observability.notifications.email ?? config.backup.notificationEmail, webhookUrl: config.observability.notifications.webhookUrl },
    scrapeIntervalSeconds: config.observability.scrapeIntervalSeconds,
    cluster: { arn: cluster.cluster.arn, name: cluster.name, clusterName: `${prefix}-eks`, subnetIds: network.privateSubnetIds, securityGroupId: cluster.clusterSecurityGroupId },
    addonDependsOn: Object.values(cluster.nodeGroups),
    auroraClusterIdentifier: aurora.clusterIdentifier,
    redis: { replicationGroupId: `${prefix}-redis`, shards: config.redis.shards, replicasPerShard: config.redis.replicasPerShard },
    cloudfront: cloudfrontEdge ? { distributionId: cloudfrontEdge.distributionId, usEast1Provider: usEast1Provider! } : undefined,
    backupVaultName: backup.vaultName,
    certificateArns: [originCertificate.certificateArn],
    region: config.region,
    protect: config.environment === "prod",
}, { providers: k8sProviders });
export const prometheusEndpoint = observability.prometheusEndpoint;
export const alertTopicArn = observability.topic.topicArn;

// ---- stack outputs ----
export const region = config.region;
export const environment = config.environment;
export const vpcId = network.vpcId;
export const publicSubnetIds = network.publicSubnetIds;
export const privateSubnetIds = network.privateSubnetIds;
export const isolatedSubnetIds = network.isolatedSubnetIds;
export const natGatewayIds = network.natGatewayIds;

/**
 * Every rule of the pack, evaluated in-process over synthetic resources: at least one resource that
 * violates it, one that passes, and a preview-mode case with unknown values (either the engine's
 * "can't run ... during preview" advisory finding, or a pass where an unknown ARN counts as set).
 */
import * as assert from "assert";
import { DEFAULT_POLICY_CONFIG, PolicyConfig } from "../config/policy";
import { AuditResource, evaluatePolicies, Violation } from "../audit/evaluate";
import { RULES } from "../policies/rules";
import { settingsOf } from "../audit/policyConfig";

import { Case, CF, CLUSTER, deployment, DEP, EKS, goodContainer, goodDistribution, hpa, HPA, INSTANCE, LT, pdb, r, RG, RULESET, U, vpa } from "./policyFixtures";
import { PARITY_CASES } from "./policy.parity.cases";

const ZONE = "0123456789abcdef0123456789abcdef";
const rateLimitRuleset = (rules: unknown[]) => r(RULESET, { kind: "zone", name: "rate limits", phase: "http_ratelimit", zoneId: ZONE, rules });
const rlRule = { action: "block", expression: "true", ratelimit: { characteristics: ["ip.src", "cf.colo.id"], period: 60, requestsPerPeriod: 600, mitigationTimeout: 60 } };

/** An Aurora cluster with one instance, a PgBouncer ConfigMap + Deployment + HPA pointing at it. */
function pgbouncerStack(o: { instanceClass: string; maxReplicas: number; maxConnections?: number; ini?: string }): AuditResource[] {
    const cluster = r(CLUSTER, { clusterIdentifier: "app-db", storageEncrypted: true }, { name: "db" });
    const pg = r("aws:rds/parameterGroup:ParameterGroup", { name: "app-db-instance", family: "aurora-postgresql16", parameters: o.maxConnections ? [{ name: "max_connections", value: String(o.maxConnections) }] : [] });
    const writer = r(INSTANCE, { instanceClass: o.instanceClass, dbParameterGroupName: "app-db-instance" }, { name: "db-writer", opts: { dependsOn: [cluster.urn, pg.urn] } });
    const ini = o.ini ?? "[databases]\napp = host=app-db.cluster-abc.eu-west-1.rds.amazonaws.com port=5432 dbname=app\n\n[pgbouncer]\npool_mode = transaction\ndefault_pool_size = 60\nreserve_pool_size = 10\nmax_db_connections = 70\n";
    const cm = r("kubernetes:core/v1:ConfigMap", { metadata: { name: "pgb-config", namespace: "pgbouncer" }, data: { "pgbouncer.ini": ini } });
    const dep = r(DEP, { metadata: { name: "pgb", namespace: "pgbouncer" }, spec: { replicas: 2, template: { spec: { containers: [goodContainer()], volumes: [{ name: "config", configMap: { name: "pgb-config" } }] } } } }, { name: "pgb" });
    const scaler = r(HPA, { metadata: { name: "pgb", namespace: "pgbouncer" }, spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "pgb" }, minReplicas: 2, maxReplicas: o.maxReplicas } });
    return [cluster, pg, writer, cm, dep, scaler];
}

const CASES: Record<string, Case> = {
    "rds-storage-encrypted": {
        violate: [[r(CLUSTER, { storageEncrypted: false })], [r("aws:rds/instance:Instance", {})], [r(CLUSTER, { storageEncrypted: true })]],
        pass: [[r(CLUSTER, { storageEncrypted: true, kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/1" })]],
        unknown: [{ resources: [r(CLUSTER, { storageEncrypted: U })], expect: "cannot-run" }, { resources: [r(CLUSTER, { storageEncrypted: true, kmsKeyId: U })], expect: "pass" }],
        settings: { requireCustomerManagedKey: true },
    },
    "rds-not-publicly-accessible": {
        violate: [[r(INSTANCE, { publiclyAccessible: true })]],
        pass: [[r(INSTANCE, { publiclyAccessible: false })], [r(INSTANCE, {})]],
        unknown: [{ resources: [r(INSTANCE, { publiclyAccessible: U })], expect: "cannot-run" }],
    },
    "rds-backup-retention": {
        violate: [[r(CLUSTER, { backupRetentionPeriod: 7 })], [r(CLUSTER, {})]],
        pass: [[r(CLUSTER, { backupRetentionPeriod: 14 })], [r(CLUSTER, { backupRetentionPeriod: 35 })]],
        unknown: [{ resources: [r(CLUSTER, { backupRetentionPeriod: U })], expect: "cannot-run" }],
        settings: { minimumDays: 14 },
    },
    "rds-deletion-protection": {
        violate: [[r(CLUSTER, { deletionProtection: false })], [r(CLUSTER, {})]],
        pass: [[r(CLUSTER, { deletionProtection: true })]],
        unknown: [{ resources: [r(CLUSTER, { deletionProtection: U })], expect: "cannot-run" }],
    },
    "rds-final-snapshot": {
        violate: [[r(CLUSTER, { skipFinalSnapshot: true })], [r(CLUSTER, { skipFinalSnapshot: false })]],
        pass: [[r(CLUSTER, { skipFinalSnapshot: false, finalSnapshotIdentifier: "prod-db-final" })]],
        unknown: [{ resources: [r(CLUSTER, { skipFinalSnapshot: U })], expect: "cannot-run" }, { resources: [r(CLUSTER, { finalSnapshotIdentifier: U })], expect: "pass" }],
    },
    "rds-iam-authentication": {
        violate: [[r(CLUSTER, {})], [r("aws:rds/instance:Instance", { iamDatabaseAuthenticationEnabled: false })]],
        pass: [[r(CLUSTER, { iamDatabaseAuthenticationEnabled: true })]],
        unknown: [{ resources: [r(CLUSTER, { iamDatabaseAuthenticationEnabled: U })], expect: "cannot-run" }],
    },
    "rds-performance-insights": {
        violate: [[r(INSTANCE, { performanceInsightsEnabled: false })], [r(INSTANCE, { performanceInsightsEnabled: true })]],
        pass: [[r(INSTANCE, { performanceInsightsEnabled: true, performanceInsightsKmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/1" })]],
        unknown: [{ resources: [r(INSTANCE, { performanceInsightsEnabled: U })], expect: "cannot-run" }, { resources: [r(INSTANCE, { performanceInsightsEnabled: true, performanceInsightsKmsKeyId: U })], expect: "pass" }],
    },
    "elasticache-transit-encryption-auth": {
        violate: [[r(RG, { transitEncryptionEnabled: true })], [r(RG, { transitEncryptionEnabled: false, authToken: "[secret]" })], [r(RG, { transitEncryptionEnabled: true, transitEncryptionMode: "preferred", authToken: "[secret]" })]],
        pass: [[r(RG, { transitEncryptionEnabled: true, transitEncryptionMode: "required", authToken: "[secret]" })], [r(RG, { transitEncryptionEnabled: true, userGroupIds: ["app-users"] })]],
        unknown: [{ resources: [r(RG, { transitEncryptionEnabled: U, authToken: "[secret]" })], expect: "cannot-run" }, { resources: [r(RG, { transitEncryptionEnabled: true, authToken: U })], expect: "pass" }],
    },
    "elasticache-at-rest-encryption": {
        violate: [[r(RG, {})], [r(RG, { atRestEncryptionEnabled: false })]],
        pass: [[r(RG, { atRestEncryptionEnabled: true })]],
        unknown: [{ resources: [r(RG, { atRestEncryptionEnabled: U })], expect: "cannot-run" }],
    },
    "elasticache-multi-az-failover": {
        violate: [[r(RG, { automaticFailoverEnabled: true, multiAzEnabled: false, numCacheClusters: 2 })], [r(RG, { automaticFailoverEnabled: true, multiAzEnabled: true, numCacheClusters: 1 })]],
        pass: [[r(RG, { automaticFailoverEnabled: true, multiAzEnabled: true, replicasPerNodeGroup: 2 })], [r(RG, { automaticFailoverEnabled: true, multiAzEnabled: true, numCacheClusters: 3 })]],
        unknown: [{ resources: [r(RG, { automaticFailoverEnabled: true, multiAzEnabled: U, numCacheClusters: 3 })], expect: "cannot-run" }],
    },
    "elasticache-snapshots": {
        violate: [[r(RG, {})], [r(RG, { snapshotRetentionLimit: 0 })]],
        pass: [[r(RG, { snapshotRetentionLimit: 7 })]],
        unknown: [{ resources: [r(RG, { snapshotRetentionLimit: U })], expect: "cannot-run" }],
    },
    "kms-key-rotation": {
        violate: [[r("aws:kms/key:Key", {})], [r("aws:kms/key:Key", { enableKeyRotation: false })]],
        pass: [[r("aws:kms/key:Key", { enableKeyRotation: true })], [r("aws:kms/key:Key", { customerMasterKeySpec: "RSA_2048", keyUsage: "SIGN_VERIFY" })]],
        unknown: [{ resources: [r("aws:kms/key:Key", { enableKeyRotation: U })], expect: "cannot-run" }],
    },
    "no-world-open-data-ports": {
        violate: [
            [r("aws:ec2/securityGroup:SecurityGroup", { ingress: [{ protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: ["0.0.0.0/0"] }] })],
            [r("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { ipProtocol: "tcp", fromPort: 6379, toPort: 6379, cidrIpv4: "0.0.0.0/0" })],
            [r("aws:ec2/securityGroupRule:SecurityGroupRule", { type: "ingress", protocol: "-1", fromPort: 0, toPort: 0, ipv6CidrBlocks: ["::/0"] })],
        ],
        pass: [
            [r("aws:ec2/securityGroup:SecurityGroup", { ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }, { protocol: "tcp", fromPort: 5432, toPort: 5432, securityGroups: ["sg-0app"] }] })],
            [r("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { ipProtocol: "tcp", fromPort: 6379, toPort: 6379, referencedSecurityGroupId: "sg-0app" })],
            [r("aws:ec2/securityGroupRule:SecurityGroupRule", { type: "egress", protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: ["0.0.0.0/0"] })],
        ],
        unknown: [{ resources: [r("aws:ec2/securityGroup:SecurityGroup", { ingress: U })], expect: "cannot-run" }, { resources: [r("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { ipProtocol: "tcp", fromPort: 5432, toPort: 5432, referencedSecurityGroupId: U })], expect: "pass" }],
    },
    "eks-endpoint-not-public": {
        violate: [[r(EKS, { vpcConfig: { endpointPublicAccess: true } })], [r(EKS, { vpcConfig: { publicAccessCidrs: ["0.0.0.0/0"] } })]],
        pass: [[r(EKS, { vpcConfig: { endpointPublicAccess: false, endpointPrivateAccess: true } })], [r(EKS, { vpcConfig: { endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] } })]],
        unknown: [{ resources: [r(EKS, { vpcConfig: { endpointPublicAccess: U } })], expect: "cannot-run" }],
    },
    "eks-secrets-encryption": {
        violate: [[r(EKS, {})], [r(EKS, { encryptionConfig: { resources: ["secrets"] } })]],
        pass: [[r(EKS, { encryptionConfig: { resources: ["secrets"], provider: { keyArn: "arn:aws:kms:eu-west-1:123456789012:key/1" } } })]],
        unknown: [{ resources: [r(EKS, { encryptionConfig: { resources: ["secrets"], provider: { keyArn: U } } })], expect: "pass" }, { resources: [r(EKS, { encryptionConfig: { resources: U, provider: { keyArn: U } } })], expect: "cannot-run" }],
    },
    "eks-control-plane-logging": {
        violate: [[r(EKS, { enabledClusterLogTypes: ["api"] })], [r(EKS, { enabledClusterLogTypes: ["api", "audit", "authenticator"] })]],
        pass: [[r(EKS, { enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"] })]],
        unknown: [{ resources: [r(EKS, { enabledClusterLogTypes: U })], expect: "cannot-run" }],
        settings: { requiredLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"] },
    },
    "launch-template-imdsv2": {
        violate: [[r(LT, {})], [r(LT, { metadataOptions: { httpTokens: "optional" } })], [r(LT, { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 3 } })]],
        pass: [[r(LT, { metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 2 } })]],
        unknown: [{ resources: [r(LT, { metadataOptions: { httpTokens: U } })], expect: "cannot-run" }],
    },
    "ebs-volumes-encrypted": {
        violate: [[r(LT, {})], [r(LT, { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "false", volumeSize: 80 } }] })], [r("aws:ebs/volume:Volume", { size: 10 })]],
        pass: [[r(LT, { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true", volumeSize: 80 } }] })], [r("aws:ebs/volume:Volume", { size: 10, encrypted: true })]],
        unknown: [{ resources: [r(LT, { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: U } }] })], expect: "cannot-run" }],
    },
    "helm-chart-pinned": {
        violate: [[r("kubernetes:helm.sh/v3:Release", { chart: "ingress-nginx", repositoryOpts: { repo: "https://kubernetes.github.io/ingress-nginx" } })],
            [r("kubernetes:helm.sh/v3:Release", { chart: "ingress-nginx", version: "^4.15", repositoryOpts: { repo: "https://kubernetes.github.io/ingress-nginx" } })],
            [r("kubernetes:helm.sh/v3:Release", { chart: "vpa", version: "5.0.0", repositoryOpts: { repo: "http://charts.example.com" } })]],
        pass: [[r("kubernetes:helm.sh/v3:Release", { chart: "ingress-nginx", version: "4.15.1", repositoryOpts: { repo: "https://kubernetes.github.io/ingress-nginx" } })],
            [r("kubernetes:helm.sh/v3:Release", { chart: "oci://public.ecr.aws/karpenter/karpenter", version: "1.8.1" })]],
        unknown: [{ resources: [r("kubernetes:helm.sh/v3:Release", { chart: "x", version: U, repositoryOpts: { repo: "https://x.example.com" } })], expect: "cannot-run" }],
    },
    "k8s-resources-requests-limits": {
        violate: [[deployment(goodContainer({ resources: { requests: { cpu: "1" } } }))], [deployment(goodContainer({ resources: undefined }))],
            [r("kubernetes:batch/v1:CronJob", { spec: { schedule: "0 * * * *", jobTemplate: { spec: { template: { spec: { containers: [{ name: "job", image: "acme/job:1" }] } } } } } })]],
        pass: [[deployment(goodContainer())]],
        unknown: [{ resources: [deployment(goodContainer({ resources: U }))], expect: "cannot-run" }, { resources: [deployment(goodContainer({ resources: { requests: { cpu: U, memory: U }, limits: { memory: U } } }))], expect: "pass" }],
    },
    "k8s-probes": {
        violate: [[deployment(goodContainer({ readinessProbe: undefined }))], [r("kubernetes:apps/v1:StatefulSet", { spec: { template: { spec: { containers: [goodContainer({ livenessProbe: undefined })] } } } })]],
        pass: [[deployment(goodContainer())], [r("kubernetes:batch/v1:Job", { spec: { template: { spec: { containers: [goodContainer({ readinessProbe: undefined, livenessProbe: undefined })] } } } })]],
        unknown: [{ resources: [r(DEP, { spec: { template: { spec: { containers: U } } } })], expect: "cannot-run" }],
    },
    "k8s-image-pinned": {
        violate: [[deployment(goodContainer({ image: "nginx" }))], [deployment(goodContainer({ image: "nginx:latest" }))], [deployment(goodContainer({ image: "registry.local:5000/app" }))]],
        pass: [[deployment(goodContainer({ image: "registry.local:5000/app:2.0.1" }))], [deployment(goodContainer({ image: "nginx@sha256:0123456789abcdef" }))]],
        unknown: [{ resources: [deployment(goodContainer({ image: U }))], expect: "cannot-run" }],
    },
    "k8s-no-privileged": {
        violate: [[deployment(goodContainer({ securityContext: { privileged: true, allowPrivilegeEscalation: false, runAsNonRoot: true } }))], [deployment(goodContainer({ securityContext: { runAsNonRoot: true } }))]],
        pass: [[deployment(goodContainer())]],
        unknown: [{ resources: [deployment(goodContainer({ securityContext: { allowPrivilegeEscalation: U } }))], expect: "cannot-run" }],
    },
    "k8s-run-as-non-root": {
        violate: [[deployment(goodContainer({ securityContext: { allowPrivilegeEscalation: false } }))], [deployment(goodContainer({ securityContext: { allowPrivilegeEscalation: false, runAsUser: 0 } }), { pod: { securityContext: { runAsNonRoot: true } } })]],
        pass: [[deployment(goodContainer())], [deployment(goodContainer({ securityContext: { allowPrivilegeEscalation: false } }), { pod: { securityContext: { runAsNonRoot: true, runAsUser: 10001 } } })]],
        unknown: [{ resources: [deployment(goodContainer({ securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: U } }))], expect: "cannot-run" }],
    },
    "k8s-hpa-min-replicas": {
        violate: [[hpa({ minReplicas: 1 })], [hpa({ minReplicas: undefined })]],
        pass: [[hpa({ minReplicas: 2 })]],
        unknown: [{ resources: [hpa({ minReplicas: U })], expect: "cannot-run" }],
    },
    "k8s-pdb-allows-drain": {
        violate: [[pdb({ maxUnavailable: 0 })], [pdb({ minAvailable: "100%" })], [pdb({ minAvailable: 2 }), deployment(goodContainer(), { replicas: 2 })],
            [pdb({ minAvailable: 2 }), deployment(goodContainer(), { replicas: 5 }), hpa({ minReplicas: 2 })]],
        pass: [[pdb({ maxUnavailable: 1 })], [pdb({ maxUnavailable: "10%" })], [pdb({ minAvailable: 1 }), deployment(goodContainer(), { replicas: 3 })],
            [pdb({ minAvailable: 2 }), deployment(goodContainer(), { replicas: 2, labels: { app: "other" } })]],
        unknown: [{ resources: [pdb({ maxUnavailable: U })], expect: "cannot-run" }],
    },
    "k8s-no-hpa-vpa-conflict": {
        violate: [[vpa({ updatePolicy: { updateMode: "Auto" } }), hpa({})], [vpa({}), hpa({ metrics: [{ type: "Resource", resource: { name: "memory", target: { type: "Utilization", averageUtilization: 70 } } }] })]],
        pass: [[vpa({ updatePolicy: { updateMode: "Off" } }), hpa({})],
            [vpa({ updatePolicy: { updateMode: "Auto" } }), hpa({ metrics: [{ type: "External", external: { metric: { name: "queue_depth" }, target: { type: "AverageValue", averageValue: "30" } } }] })],
            [vpa({ resourcePolicy: { containerPolicies: [{ containerName: "*", controlledResources: ["memory"] }] } }), hpa({ metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } } }] })]],
        unknown: [{ resources: [vpa({ targetRef: { kind: "Deployment", name: U } }), hpa({})], expect: "cannot-run" }],
    },
    "cloudfront-https-only": {
        violate: [[r(CF, goodDistribution({ defaultCacheBehavior: { ...goodDistribution().defaultCacheBehavior, viewerProtocolPolicy: "allow-all" } }))],
            [r(CF, goodDistribution({ origins: [{ originId: "ingress", domainName: "o.example.com", customOriginConfig: { httpPort: 80, httpsPort: 443, originProtocolPolicy: "http-only", originSslProtocols: ["TLSv1.2"] } }] }))]],
        pass: [[r(CF, goodDistribution())]],
        unknown: [{ resources: [r(CF, goodDistribution({ defaultCacheBehavior: { viewerProtocolPolicy: U } }))], expect: "cannot-run" }],
    },
    "cloudfront-tls-minimum": {
        violate: [[r(CF, goodDistribution({ viewerCertificate: { cloudfrontDefaultCertificate: true } }))], [r(CF, goodDistribution({ viewerCertificate: { acmCertificateArn: "arn:aws:acm:us-east-1:1:certificate/a", sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1_2016" } }))],
            [r(CF, goodDistribution({ origins: [{ originId: "ingress", domainName: "o.example.com", customOriginConfig: { httpPort: 80, httpsPort: 443, originProtocolPolicy: "https-only", originSslProtocols: ["TLSv1", "TLSv1.2"] } }] }))]],
        pass: [[r(CF, goodDistribution())]],
        unknown: [{ resources: [r(CF, goodDistribution({ viewerCertificate: U }))], expect: "cannot-run" }],
    },
    "cloudfront-waf-attached": {
        violate: [[r(CF, goodDistribution({ webAclId: undefined }))]],
        pass: [[r(CF, goodDistribution())]],
        unknown: [{ resources: [r(CF, goodDistribution({ webAclId: U }))], expect: "pass" }],
    },
    "cloudfront-cache-policy": {
        violate: [[r(CF, goodDistribution({ orderedCacheBehaviors: [{ pathPattern: "/legacy/*", targetOriginId: "ingress", viewerProtocolPolicy: "https-only", forwardedValues: { queryString: true, cookies: { forward: "all" } } }] }))]],
        pass: [[r(CF, goodDistribution())]],
        unknown: [{ resources: [r(CF, goodDistribution({ defaultCacheBehavior: { ...goodDistribution().defaultCacheBehavior, cachePolicyId: U } }))], expect: "pass" }, { resources: [r(CF, goodDistribution({ orderedCacheBehaviors: U }))], expect: "cannot-run" }],
    },
    "cloudflare-rate-limiting": {
        violate: [[r("cloudflare:index/dnsRecord:DnsRecord", { zoneId: ZONE, name: "app", type: "CNAME", content: "x.example.com", proxied: true, ttl: 1 })],
            [r(RULESET, { kind: "zone", name: "waf", phase: "http_request_firewall_custom", zoneId: ZONE, rules: [{ action: "block", expression: "ip.src.country eq \"KP\"" }] })],
            [rateLimitRuleset([{ ...rlRule, enabled: false }])]],
        pass: [[rateLimitRuleset([rlRule])], [r("aws:s3/bucket:Bucket", {})]],
        unknown: [{ resources: [rateLimitRuleset([rlRule]), r("cloudflare:index/dnsRecord:DnsRecord", { zoneId: U, name: "app" })], expect: "cannot-run" }],
    },
    "stateful-resources-protected": {
        violate: [[r(CLUSTER, { storageEncrypted: true })], [r("aws:kms/key:Key", { enableKeyRotation: true }, { opts: { protect: false } })]],
        pass: [[r(CLUSTER, { storageEncrypted: true }, { opts: { protect: true } })], [r("aws:s3/bucket:Bucket", {})]],
        // Options are never unknown; unknown props do not matter to this rule.
        unknown: [{ resources: [r(RG, { atRestEncryptionEnabled: U }, { opts: { protect: true } })], expect: "pass" }],
    },
    "backup-vault-cmk": {
        violate: [[r("aws:backup/vault:Vault", {})]],
        pass: [[r("aws:backup/vault:Vault", { kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1" })]],
        unknown: [{ resources: [r("aws:backup/vault:Vault", { kmsKeyArn: U })], expect: "pass" }],
    },
    "pgbouncer-pool-within-max-connections": {
        // db.t4g.medium: 4 GiB x 0.9 / 9531392 = 405 max_connections, 402 after the 3 reserved; 70 per pod.
        violate: [[...pgbouncerStack({ instanceClass: "db.t4g.medium", maxReplicas: 6 })], [...pgbouncerStack({ instanceClass: "db.r7g.2xlarge", maxReplicas: 10, maxConnections: 500 })]],
        pass: [[...pgbouncerStack({ instanceClass: "db.t4g.medium", maxReplicas: 5 })], [...pgbouncerStack({ instanceClass: "db.serverless", maxReplicas: 50 })], [...pgbouncerStack({ instanceClass: "db.t4g.medium", maxReplicas: 10, maxConnections: 1000 })], [r("aws:s3/bucket:Bucket", {})]],
        unknown: [{ resources: pgbouncerStack({ instanceClass: "db.t4g.medium", maxReplicas: 6, ini: U }), expect: "cannot-run" }],
    },
    "data-store-alarms": (() => {
        const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
        const GROUP = "aws:elasticache/replicationGroup:ReplicationGroup";
        const db = r(CLUSTER, { clusterIdentifier: "prod-db" }, { name: "prod-db" });
        const cache = r(GROUP, { replicationGroupId: "prod-cache" }, { name: "prod-cache" });
        const dbAlarm = (props: Record<string, unknown>) => r(ALARM, { namespace: "AWS/RDS", metricName: "CPUUtilization", dimensions: { DBClusterIdentifier: "prod-db", Role: "WRITER" }, ...props });
        const cacheAlarm = (props: Record<string, unknown>) => r(ALARM, {
            metricQueries: [{ id: "m0", metric: { namespace: "AWS/ElastiCache", metricName: "EngineCPUUtilization", dimensions: { CacheClusterId: "prod-cache-0001-001" }, stat: "Maximum", period: 60 } }, { id: "result", expression: "MAX([m0])", returnData: true }],
            ...props,
        });
        const other = r(ALARM, { namespace: "AWS/RDS", metricName: "CPUUtilization", dimensions: { DBClusterIdentifier: "other-db", Role: "WRITER" }, alarmActions: ["arn:aws:sns:eu-west-1:1:t"] });
        const byDependency = r(ALARM, { namespace: "AWS/RDS", metricName: "CPUUtilization", dimensions: { DBClusterIdentifier: U }, alarmActions: [U] }, { opts: { dependsOn: [db.urn] } });
        return {
            violate: [[db], [db, dbAlarm({})], [db, dbAlarm({ alarmActions: [] })], [db, other], [db, dbAlarm({ alarmActions: ["arn:aws:sns:eu-west-1:1:t"] }), cache, cacheAlarm({})]],
            pass: [[db, dbAlarm({ alarmActions: ["arn:aws:sns:eu-west-1:1:t"] }), cache, cacheAlarm({ alarmActions: ["arn:aws:sns:eu-west-1:1:t"] })], [db, byDependency], [r("aws:s3/bucket:Bucket", {})]],
            unknown: [{ resources: [db, dbAlarm({ alarmActions: U })], expect: "cannot-run" as const }],
        };
    })(),
    "aurora-backup-plan-selection": (() => {
        const tagged = (name: string, tags: Record<string, string>) => r(CLUSTER, { tags }, { name });
        const byTag = r("aws:backup/selection:Selection", { planId: "p", iamRoleArn: "arn", selectionTags: [{ type: "STRINGEQUALS", key: "backup-plan", value: "standard" }] });
        const provider = r("pulumi:providers:aws", { region: "eu-west-1", defaultTags: JSON.stringify({ tags: { "backup-plan": "standard" } }) }, { name: "aws" });
        const viaProvider = r(CLUSTER, {}, { name: "db-default-tags", opts: { provider: provider.urn } });
        const cluster = r(CLUSTER, {}, { name: "db-by-arn" });
        const byArn = r("aws:backup/selection:Selection", { planId: "p", iamRoleArn: "arn", resources: [U] }, { opts: { dependsOn: [cluster.urn] } });
        return {
            violate: [[tagged("db1", {})], [tagged("db2", { "backup-plan": "none" }), byTag]],
            pass: [[tagged("db3", { "backup-plan": "standard" }), byTag], [provider, viaProvider, byTag], [cluster, byArn]],
            unknown: [{ resources: [tagged("db4", {}), r("aws:backup/selection:Selection", { planId: "p", iamRoleArn: "arn", selectionTags: U })], expect: "cannot-run" as const }],
        };
    })(),
    ...PARITY_CASES,
};

function configFor(rule: string, settings?: Record<string, unknown>): PolicyConfig {
    return { ...DEFAULT_POLICY_CONFIG, config: settings ? { [rule]: settings } : {} };
}

async function findings(rule: string, resources: AuditResource[], settings?: Record<string, unknown>): Promise<Violation[]> {
    const rules = RULES.filter((p) => p.name === rule);
    const report = await evaluatePolicies(resources, { rules, config: configFor(rule, settings), now: new Date("2026-01-01") });
    return report.violations.filter((v) => v.policyName === rule);
}

const isCannotRun = (v: Violation) => /^can't run policy '[a-z0-9-]+' from policy pack 'scaling-topology@v[\d.]+' during preview: /.test(v.message);

describe("policy rules: each one violated, passed and previewed with unknowns", () => {
    it("every rule of the pack has cases, and every case names a rule of the pack", () => {
        assert.deepStrictEqual(Object.keys(CASES).sort(), RULES.map((r) => r.name).sort());
    });

    for (const [rule, c] of Object.entries(CASES)) {
        describe(rule, () => {
            it("reports each violating resource set", async () => {
                for (const [i, resources] of c.violate.entries()) {
                    const vs = await findings(rule, resources, c.settings);
                    assert.ok(vs.length > 0 && vs.every((v) => !isCannotRun(v)), `violating case ${i} of ${rule} yielded ${JSON.stringify(vs)}`);
                    const own = RULES.find((p) => p.name === rule)!;
                    assert.ok(vs.every((v) => v.enforcementLevel === (own.enforcementLevel === "mandatory" ? "mandatory" : "advisory") && v.severity === own.severity));
                    assert.ok(vs.every((v) => v.message.startsWith(own.description)), "messages start with the description, as the engine words them");
                }
            });
            it("passes each compliant resource set", async () => {
                for (const [i, resources] of c.pass.entries()) {
                    const vs = await findings(rule, resources, c.settings);
                    assert.deepStrictEqual(vs, [], `passing case ${i} of ${rule}`);
                }
            });
            it("copes with unknown values in preview", async () => {
                for (const [i, u] of c.unknown.entries()) {
                    const vs = await findings(rule, u.resources, c.settings);
                    if (u.expect === "pass") assert.deepStrictEqual(vs, [], `unknown case ${i} of ${rule} should pass`);
                    else assert.ok(vs.length > 0 && vs.every((v) => isCannotRun(v) && v.enforcementLevel === "advisory"), `unknown case ${i} of ${rule}: ${JSON.stringify(vs)}`);
                }
            });
        });
    }
});

describe("policy pack metadata", () => {
    it("every rule has a unique kebab-case name, description, severity, level, remediation; the engine would accept the pack", () => {
        const { PACK_NAME } = require("../policies/rules") as typeof import("../policies/rules");
        assert.match(PACK_NAME, /^[a-zA-Z0-9-_.]{1,100}$/, "the analyzer's pack name pattern");
        assert.strictEqual(new Set(RULES.map((r) => r.name)).size, RULES.length);
        for (const r of RULES) {
            assert.match(r.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
            assert.notStrictEqual(r.name, "all", "reserved by the engine");
            assert.ok(r.description.length > 20 && r.remediationSteps.length > 20, r.name);
            assert.ok(["low", "medium", "high", "critical"].includes(r.severity), r.name);
            assert.ok(["advisory", "mandatory"].includes(r.enforcementLevel), r.name);
            assert.ok(!r.configSchema?.properties?.enforcementLevel && !r.configSchema?.required?.includes("enforcementLevel"), `${r.name}: the engine refuses enforcementLevel in a config schema`);
            assert.ok(("validateResource" in r && r.validateResource) || ("validateStack" in r && r.validateStack), r.name);
            if (r.framework) {
                const ids: Record<string, RegExp> = { Checkov: /^CKV2?_(AWS|K8S)_\d+$/, "cdk-nag": /^AwsSolutions-[A-Z0-9]+$/, "kube-score": /^[a-z]+(-[a-z]+)*$/ };
                assert.ok(ids[r.framework.name], `${r.name}: framework ${r.framework.name}`);
                assert.match(r.framework.reference, ids[r.framework.name], r.name);
            }
        }
    });

    it("every settings schema is a valid JSON schema (the command compiles them without checking)", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const Ajv = (require("ajv") as typeof import("ajv")).default;
        const ajv = new Ajv({ strict: true });
        const configured = RULES.filter((r) => r.configSchema);
        assert.ok(configured.length > 0);
        for (const r of configured) {
            const schema = { type: "object", properties: r.configSchema!.properties, required: r.configSchema!.required ?? [], additionalProperties: false };
            assert.ok(ajv.validateSchema(schema), `${r.name}: ${ajv.errorsText(ajv.errors)}`);
            assert.doesNotThrow(() => ajv.compile(schema), r.name);
            // With nothing set, the defaults are read off the schema without a validator: the same as it fills in.
            const filled = {};
            new Ajv({ useDefaults: true, strict: false }).compile(schema)(filled);
            assert.deepStrictEqual(settingsOf(r, DEFAULT_POLICY_CONFIG), filled, r.name);
        }
        assert.strictEqual(ajv.validateSchema({ type: "object", properties: { n: { type: "integr" } } }), false, "a misspelt type is caught");
    });

    it("only policies/index.ts constructs the PolicyPack", () => {
        const fs = require("fs") as typeof import("fs");
        const path = require("path") as typeof import("path");
        const root = path.resolve(__dirname, "..");
        const hits: string[] = [];
        const walk = (dir: string) => {
            for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
                if (["node_modules", ".git", "dist"].includes(e.name)) continue;
                const p = path.join(dir, e.name);
                if (e.isDirectory()) walk(p);
                else if (p.endsWith(".ts") && p !== __filename && /new PolicyPack\(/.test(fs.readFileSync(p, "utf8"))) hits.push(path.relative(root, p));
            }
        };
        walk(root);
        assert.deepStrictEqual(hits, [path.join("policies", "index.ts")]);
        const pkg = JSON.parse(fs.readFileSync(path.join(root, "policies", "package.json"), "utf8"));
        const program = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).dependencies;
        assert.deepStrictEqual(pkg.dependencies, { "@pulumi/policy": program["@pulumi/policy"], "@pulumi/pulumi": program["@pulumi/pulumi"] }, "the pack pins what the program pins");
    });
});

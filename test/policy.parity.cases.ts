/**
 * Violating, passing and preview cases of the rules added for parity with Checkov, cdk-nag and
 * kube-score (`policies/rules/workloads.ts`, `logging.ts`, `hardening.ts`); run by `policy.rules.test.ts`
 * with every other rule's cases.
 */
import { AuditResource } from "../audit/evaluate";
import { Case, CF, CLUSTER, deployment, EKS, goodContainer, goodDistribution, INSTANCE, LT, pdb, r, RG, U } from "./policyFixtures";

const DIGEST = `sha256:${"a".repeat(64)}`;
/** A container that passes every pod-security rule. */
const hard = (over: Record<string, unknown> = {}, sc: Record<string, unknown> = {}) => goodContainer({
    image: `ghcr.io/acme/api:1.4.2@${DIGEST}`,
    securityContext: {
        allowPrivilegeEscalation: false, runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" }, ...sc,
    },
    ...over,
});
const SVC = "kubernetes:core/v1:Service";
const SA = "kubernetes:core/v1:ServiceAccount";
const NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role";
const CROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const LG = "aws:cloudwatch/logGroup:LogGroup";
const VPC = "aws:ec2/vpc:Vpc";
const SG = "aws:ec2/securityGroup:SecurityGroup";
const SG_IN = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
const CPG = "aws:rds/clusterParameterGroup:ClusterParameterGroup";
const PG = "aws:rds/parameterGroup:ParameterGroup";
const KEY = "aws:kms/key:Key";
const SECRET = "aws:secretsmanager/secret:Secret";
const ACL = "aws:wafv2/webAcl:WebAcl";
const RHP = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy";
const ARN = "arn:aws:kms:eu-west-1:123456789012:key/1";

const netpol = (spec: Record<string, unknown>, namespace = "app") => r(NP, { metadata: { name: "api", namespace }, spec });
const doc = (...Statement: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement });

/** A bucket and its satellites; `omit`/`over` vary one part. */
function bucketSet(name: string, over: Record<string, Record<string, unknown> | null> = {}): AuditResource[] {
    const b = r("aws:s3/bucket:Bucket", { bucket: name }, { name });
    const parts: [string, string, Record<string, unknown>][] = [
        ["pab", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }],
        ["versioning", "aws:s3/bucketVersioning:BucketVersioning", { versioningConfiguration: { status: "Enabled" } }],
        ["sse", "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: ARN }, bucketKeyEnabled: true }] }],
        ["policy", "aws:s3/bucketPolicy:BucketPolicy", { policy: doc({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } }) }],
        ["lifecycle", "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", { rules: [{ id: "expire", status: "Enabled", expiration: { days: 30 }, abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } }] }],
    ];
    const out = [b];
    for (const [role, type, props] of parts) {
        if (over[role] === null) continue;
        // Half the parts point at the bucket through its id (an output: a recorded dependency), half by its literal name.
        const byDependency = role === "versioning" || role === "policy";
        out.push(r(type, { bucket: byDependency ? U : name, ...props, ...(over[role] ?? {}) }, { name: `${name}-${role}`, opts: byDependency ? { dependsOn: [b.urn] } : {} }));
    }
    return out;
}

const vpcWith = (name: string, extra: (vpc: AuditResource) => AuditResource[]) => {
    const vpc = r(VPC, { cidrBlock: "10.0.0.0/16" }, { name });
    return [vpc, ...extra(vpc)];
};
const dependent = (type: string, props: Record<string, unknown>, on: AuditResource) => r(type, props, { opts: { dependsOn: [on.urn] } });

const badInputs = { name: "bad-inputs", priority: 1, overrideAction: { none: {} }, statement: { managedRuleGroupStatement: { name: "AWSManagedRulesKnownBadInputsRuleSet", vendorName: "AWS" } }, visibilityConfig: { metricName: "b", cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true } };
const rateRule = { name: "rate", priority: 2, action: { block: {} }, statement: { rateBasedStatement: { limit: 2000, aggregateKeyType: "IP" } }, visibilityConfig: { metricName: "r", cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true } };
const withHeaders = (id: unknown) => goodDistribution({
    defaultCacheBehavior: { ...goodDistribution().defaultCacheBehavior, responseHeadersPolicyId: id },
    orderedCacheBehaviors: (goodDistribution().orderedCacheBehaviors as Record<string, unknown>[]).map((b) => ({ ...b, responseHeadersPolicyId: "headers" })),
});

export const PARITY_CASES: Record<string, Case> = {
    "k8s-capabilities-dropped": {
        violate: [[deployment(goodContainer())], [deployment(hard({}, { capabilities: { drop: ["ALL"], add: ["NET_ADMIN"] } }))], [deployment(hard({}, { capabilities: { drop: ["NET_RAW"] } }))]],
        pass: [[deployment(hard())], [deployment(hard({}, { capabilities: { drop: ["all"], add: ["CAP_NET_BIND_SERVICE"] } }))]],
        unknown: [{ resources: [deployment(hard({}, { capabilities: U }))], expect: "cannot-run" }],
        settings: { allowedCapabilities: ["NET_BIND_SERVICE"] },
    },
    "k8s-read-only-root-filesystem": {
        violate: [[deployment(goodContainer())], [deployment(hard({}, { readOnlyRootFilesystem: false }))]],
        pass: [[deployment(hard())]],
        unknown: [{ resources: [deployment(hard({}, { readOnlyRootFilesystem: U }))], expect: "cannot-run" }],
    },
    "k8s-seccomp-profile": {
        violate: [[deployment(goodContainer())], [deployment(hard({}, { seccompProfile: { type: "Unconfined" } }))]],
        pass: [[deployment(hard())], [deployment(goodContainer(), { pod: { securityContext: { seccompProfile: { type: "RuntimeDefault" } } } })]],
        unknown: [{ resources: [deployment(goodContainer(), { pod: { securityContext: { seccompProfile: { type: U } } } })], expect: "cannot-run" }],
    },
    "k8s-no-host-namespaces": {
        violate: [[deployment(hard(), { pod: { hostNetwork: true } })], [deployment(hard({ ports: [{ containerPort: 8080, hostPort: 8080 }] }))], [deployment(hard(), { pod: { hostPID: true } })]],
        pass: [[deployment(hard({ ports: [{ containerPort: 8080, name: "http" }] }), { pod: { hostNetwork: false } })]],
        unknown: [{ resources: [deployment(hard(), { pod: { hostNetwork: U } })], expect: "cannot-run" }],
    },
    "k8s-no-host-path": {
        violate: [[deployment(hard(), { pod: { volumes: [{ name: "sock", hostPath: { path: "/var/run/docker.sock" } }] } })]],
        pass: [[deployment(hard(), { pod: { volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }] } })], [deployment(hard(), { pod: { volumes: [{ name: "logs", hostPath: { path: "/var/log" } }] } })]],
        unknown: [{ resources: [deployment(hard(), { pod: { volumes: U } })], expect: "cannot-run" }],
        settings: { allowedPaths: ["/var/log"] },
    },
    "k8s-service-account-token": {
        violate: [[deployment(hard())], [deployment(hard(), { pod: { serviceAccountName: "api", automountServiceAccountToken: true } })], [r(SA, { metadata: { name: "default", namespace: "app" } })]],
        pass: [[deployment(hard(), { pod: { automountServiceAccountToken: false, serviceAccountName: "api" } })], [deployment(hard(), { pod: { serviceAccountName: "controller" } })],
            [r(SA, { metadata: { name: "default", namespace: "app" }, automountServiceAccountToken: false })], [r(SA, { metadata: { name: "api", namespace: "app" } })]],
        unknown: [{ resources: [deployment(hard(), { pod: { automountServiceAccountToken: U } })], expect: "cannot-run" }],
        settings: { allowedServiceAccounts: ["controller"] },
    },
    "k8s-high-uid-gid": {
        violate: [[deployment(goodContainer())], [deployment(hard(), { pod: { securityContext: { runAsUser: 70, runAsGroup: 70 } } })].map((d) => { (d.props as any).spec.template.spec.containers[0].securityContext = { allowPrivilegeEscalation: false }; return d; })],
        pass: [[deployment(hard())], [deployment(goodContainer({ securityContext: { allowPrivilegeEscalation: false } }), { pod: { securityContext: { runAsUser: 20000, runAsGroup: 20000 } } })]],
        unknown: [{ resources: [deployment(hard({}, { runAsUser: U }))], expect: "cannot-run" }],
    },
    "k8s-image-digest": {
        violate: [[deployment(goodContainer())], [deployment(hard({ image: "nginx@sha256:0123456789abcdef" }))]],
        pass: [[deployment(hard())], [deployment(hard({ image: `registry.local:5000/app@${DIGEST}` }))]],
        unknown: [{ resources: [deployment(hard({ image: U }))], expect: "cannot-run" }],
    },
    "k8s-secrets-not-in-env": {
        violate: [[deployment(hard({ env: [{ name: "DSN", valueFrom: { secretKeyRef: { name: "db", key: "dsn" } } }] }))], [deployment(hard({ envFrom: [{ secretRef: { name: "db" } }] }))]],
        pass: [[deployment(hard({ env: [{ name: "MODE", value: "prod" }, { name: "LEVEL", valueFrom: { configMapKeyRef: { name: "cfg", key: "level" } } }] }))]],
        unknown: [{ resources: [deployment(hard({ env: U }))], expect: "cannot-run" }],
    },
    "k8s-env-unique": {
        violate: [[deployment(hard({ env: [{ name: "MODE", value: "a" }, { name: "LEVEL", value: "1" }, { name: "MODE", value: "b" }] }))]],
        pass: [[deployment(hard({ env: [{ name: "MODE", value: "a" }, { name: "LEVEL", value: "1" }] }))], [deployment(hard())]],
        unknown: [{ resources: [deployment(hard({ env: U }))], expect: "cannot-run" }],
    },
    "k8s-no-default-namespace": {
        violate: [[r(SVC, { metadata: { name: "api" }, spec: { type: "ClusterIP" } })], [r(SVC, { metadata: { name: "api", namespace: "default" }, spec: {} })]],
        pass: [[deployment(hard())], [r(SVC, { metadata: { name: "api", namespace: "app" }, spec: {} })]],
        unknown: [{ resources: [r(SVC, { metadata: { name: "api", namespace: U }, spec: {} })], expect: "pass" }],
    },
    "k8s-network-policy-coverage": {
        violate: [[deployment(hard())], [deployment(hard()), netpol({ podSelector: { matchLabels: { app: "api" } }, policyTypes: ["Ingress"] }, "other")],
            [deployment(hard()), netpol({ podSelector: { matchLabels: { app: "api" } }, policyTypes: ["Egress"], egress: [] })],
            [deployment(hard()), netpol({ podSelector: { matchLabels: { app: "web" } } })]],
        pass: [[deployment(hard()), netpol({ podSelector: { matchLabels: { app: "api" } }, policyTypes: ["Ingress"], ingress: [] })],
            [deployment(hard()), netpol({ podSelector: {} })],
            [deployment(hard()), netpol({ podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["api", "web"] }] } })]],
        unknown: [{ resources: [deployment(hard()), netpol({ podSelector: U })], expect: "cannot-run" }],
    },
    "k8s-rbac-least-privilege": {
        violate: [[r(CROLE, { rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"] }] })], [r(ROLE, { rules: [{ apiGroups: ["apps"], resources: ["deployments"], verbs: ["*"] }] })],
            [r(ROLE, { rules: [{ apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] }] })], [r(CROLE, { rules: [{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["escalate"] }] })],
            [r("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", { roleRef: { kind: "Role", name: "reader" }, subjects: [{ kind: "ServiceAccount", name: "default", namespace: "app" }] })]],
        pass: [[r(ROLE, { rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] }] })],
            [r("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", { roleRef: { kind: "Role", name: "reader" }, subjects: [{ kind: "ServiceAccount", name: "api", namespace: "app" }] })], [r(CROLE, { rules: [{ apiGroups: [""], resources: ["secrets"], resourceNames: ["tls"], verbs: ["get"] }] })]],
        unknown: [{ resources: [r(ROLE, { rules: U })], expect: "cannot-run" }],
    },
    "ingress-nginx-no-snippets": {
        violate: [[r(INGRESS, { metadata: { name: "api", namespace: "app", annotations: { "nginx.ingress.kubernetes.io/server-snippet": "location / { }" } } })],
            [r(RELEASE, { chart: "ingress-nginx", version: "4.15.1", values: { controller: { allowSnippetAnnotations: true } } })]],
        pass: [[r(INGRESS, { metadata: { name: "api", namespace: "app", annotations: { "nginx.ingress.kubernetes.io/proxy-body-size": "8m" } } })],
            [r(RELEASE, { chart: "ingress-nginx", version: "4.15.1", values: { controller: { allowSnippetAnnotations: false } } })]],
        unknown: [{ resources: [r(INGRESS, { metadata: { name: "api", namespace: "app", annotations: U } })], expect: "cannot-run" }],
    },
    "k8s-forbidden-images": {
        violate: [[deployment(hard({ image: `docker.io/kubernetesui/dashboard:v2.7.0@${DIGEST}` }))], [deployment(hard({ image: "registry.k8s.io/git-sync/git-sync:v4.2.1" }))], [deployment(hard({ image: "gcr.io/kubernetes-helm/tiller:v2.16.1" }))]],
        pass: [[deployment(hard())], [deployment(hard({ image: "ghcr.io/acme/dashboard-api:1.0.0" }))]],
        unknown: [{ resources: [deployment(hard({ image: U }))], expect: "cannot-run" }],
    },
    "k8s-service-no-node-port": {
        violate: [[r(SVC, { metadata: { name: "api", namespace: "app" }, spec: { type: "NodePort" } })]],
        pass: [[r(SVC, { metadata: { name: "api", namespace: "app" }, spec: { type: "ClusterIP" } })], [r(SVC, { metadata: { name: "lb", namespace: "app" }, spec: { type: "LoadBalancer", loadBalancerSourceRanges: ["203.0.113.0/24"] } })]],
        unknown: [{ resources: [r(SVC, { metadata: { name: "api", namespace: "app" }, spec: { type: U } })], expect: "cannot-run" }],
    },
    "k8s-pdb-coverage": {
        violate: [[deployment(hard(), { replicas: 3 })], [deployment(hard(), { replicas: 3 }), pdb({})], [deployment(hard(), { replicas: 3 }), pdb({ maxUnavailable: 1, selector: { matchLabels: { app: "web" } } })]],
        pass: [[deployment(hard(), { replicas: 3 }), pdb({ maxUnavailable: 1 })], [deployment(hard(), { replicas: 1 })]],
        unknown: [{ resources: [deployment(hard(), { replicas: 3, labels: U as never }), pdb({ maxUnavailable: 1 })], expect: "cannot-run" }],
    },
    "cloudwatch-log-group-kms": {
        violate: [[r(LG, { name: "/aws/eks/x/cluster", retentionInDays: 90 })]],
        pass: [[r(LG, { name: "/aws/eks/x/cluster", retentionInDays: 90, kmsKeyId: ARN })]],
        unknown: [{ resources: [r(LG, { name: "/aws/eks/x/cluster", kmsKeyId: U })], expect: "pass" }],
    },
    "cloudwatch-log-group-retention": {
        violate: [[r(LG, { name: "a" })], [r(LG, { name: "a", retentionInDays: 14 })], [r(LG, { name: "a", retentionInDays: 0 })]],
        pass: [[r(LG, { name: "a", retentionInDays: 30 })], [r(LG, { name: "a", retentionInDays: 365 })]],
        unknown: [{ resources: [r(LG, { name: "a", retentionInDays: U })], expect: "cannot-run" }],
        settings: { minimumDays: 30 },
    },
    "vpc-flow-logs": {
        violate: [vpcWith("v1", () => []), vpcWith("v2", (v) => [dependent("aws:ec2/flowLog:FlowLog", { vpcId: U, trafficType: "REJECT" }, v)])],
        pass: [vpcWith("v3", (v) => [dependent("aws:ec2/flowLog:FlowLog", { vpcId: U, trafficType: "ALL" }, v)]), [r("aws:s3/bucket:Bucket", {})]],
        unknown: [{ resources: vpcWith("v4", (v) => [dependent("aws:ec2/flowLog:FlowLog", { vpcId: U, trafficType: U }, v)]), expect: "cannot-run" }],
    },
    "wafv2-logging": (() => {
        const acl = r(ACL, { name: "edge", scope: "CLOUDFRONT" }, { name: "acl1" });
        const literal = r(ACL, { name: "edge", scope: "CLOUDFRONT", arn: "arn:aws:wafv2:us-east-1:1:global/webacl/edge/1" }, { name: "acl2" });
        return {
            violate: [[acl], [literal, r("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", { resourceArn: "arn:aws:wafv2:us-east-1:1:global/webacl/other/2", logDestinationConfigs: ["x"] })]],
            pass: [[acl, dependent("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", { resourceArn: U, logDestinationConfigs: [U] }, acl)],
                [literal, r("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", { resourceArn: "arn:aws:wafv2:us-east-1:1:global/webacl/edge/1", logDestinationConfigs: ["x"] })]],
            unknown: [{ resources: [acl, dependent("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", { resourceArn: U, logDestinationConfigs: U }, acl)], expect: "pass" as const }],
        };
    })(),
    "cloudfront-access-logging": {
        violate: [[r(CF, goodDistribution())]],
        pass: [[r(CF, goodDistribution({ loggingConfig: { bucket: "logs.s3.amazonaws.com", prefix: "cloudfront/" } }))]],
        unknown: [{ resources: [r(CF, goodDistribution({ loggingConfig: { bucket: U } }))], expect: "pass" }],
    },
    "rds-statement-logging": {
        violate: [[r(CPG, { family: "aurora-postgresql16", parameters: [] })],
            [r(CPG, { family: "aurora-postgresql16", parameters: [{ name: "log_statement", value: "none" }, { name: "log_min_duration_statement", value: "500" }] })],
            [r(PG, { family: "postgres16", parameters: [{ name: "log_statement", value: "ddl" }, { name: "log_min_duration_statement", value: "-1" }] })]],
        pass: [[r(CPG, { family: "aurora-postgresql16", parameters: [{ name: "log_statement", value: "ddl" }, { name: "log_min_duration_statement", value: "500" }] })],
            [r(PG, { family: "aurora-postgresql16", parameters: [{ name: "track_io_timing", value: "1" }] })], [r(CPG, { family: "aurora-mysql8.0", parameters: [] })]],
        unknown: [{ resources: [r(CPG, { family: "aurora-postgresql16", parameters: U })], expect: "cannot-run" }],
    },
    "rds-log-exports": {
        violate: [[r(CLUSTER, { engine: "aurora-postgresql" })], [r(CLUSTER, { engine: "aurora-postgresql", enabledCloudwatchLogsExports: ["upgrade"] })]],
        pass: [[r(CLUSTER, { engine: "aurora-postgresql", enabledCloudwatchLogsExports: ["postgresql"] })], [r(CLUSTER, { engine: "aurora-mysql" })]],
        unknown: [{ resources: [r(CLUSTER, { engine: "aurora-postgresql", enabledCloudwatchLogsExports: U })], expect: "cannot-run" }],
    },
    "rds-enhanced-monitoring": {
        violate: [[r(INSTANCE, {})], [r(INSTANCE, { monitoringInterval: 60 })]],
        pass: [[r(INSTANCE, { monitoringInterval: 15 })], [r(INSTANCE, { monitoringInterval: 30 })]],
        unknown: [{ resources: [r(INSTANCE, { monitoringInterval: U })], expect: "cannot-run" }],
        settings: { maximumIntervalSeconds: 30 },
    },
    "kms-key-policy": {
        violate: [[r(KEY, { enableKeyRotation: true })], [r(KEY, { policy: doc({ Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:*", Resource: "*" }) })],
            [r(KEY, { isEnabled: false, policy: doc({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::1:root" }, Action: "kms:*", Resource: "*" }) })]],
        pass: [[r(KEY, { policy: doc({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::1:root" }, Action: "kms:*", Resource: "*" }) })],
            [r(KEY, { policy: doc({ Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "kms:CallerAccount": "1" } } }) })]],
        unknown: [{ resources: [r(KEY, { policy: U })], expect: "cannot-run" }],
    },
    "secretsmanager-rotation": (() => {
        const secret = r(SECRET, { name: "db/master" }, { name: "secret1" });
        const named = r(SECRET, { name: "db/other", arn: "arn:aws:secretsmanager:eu-west-1:1:secret:db/other" }, { name: "secret2" });
        return {
            violate: [[secret], [named, r("aws:secretsmanager/secretRotation:SecretRotation", { secretId: "arn:aws:secretsmanager:eu-west-1:1:secret:db/else", rotationRules: { automaticallyAfterDays: 30 } })]],
            pass: [[secret, dependent("aws:secretsmanager/secretRotation:SecretRotation", { secretId: U, rotationLambdaArn: U, rotationRules: { automaticallyAfterDays: 30 } }, secret)],
                [named, r("aws:secretsmanager/secretRotation:SecretRotation", { secretId: "arn:aws:secretsmanager:eu-west-1:1:secret:db/other", rotationRules: { automaticallyAfterDays: 30 } })], [r("aws:s3/bucket:Bucket", {})]],
            unknown: [{ resources: [secret, dependent("aws:secretsmanager/secretRotation:SecretRotation", { secretId: U, rotationRules: U }, secret)], expect: "pass" as const }],
        };
    })(),
    "secretsmanager-cmk": {
        violate: [[r(SECRET, { name: "db" })]],
        pass: [[r(SECRET, { name: "db", kmsKeyId: ARN })]],
        unknown: [{ resources: [r(SECRET, { name: "db", kmsKeyId: U })], expect: "pass" }],
    },
    "s3-bucket-hardening": {
        violate: [[r("aws:s3/bucket:Bucket", { bucket: "bare" }, { name: "bare" })], bucketSet("noversion", { versioning: null }),
            bucketSet("sses3", { sse: { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] } }), bucketSet("public", { pab: { restrictPublicBuckets: false } }),
            bucketSet("plainhttp", { policy: { policy: doc({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::1:root" }, Action: "s3:GetObject", Resource: "*" }) } }), bucketSet("nolifecycle", { lifecycle: null }),
            bucketSet("anonymous", { policy: { policy: doc({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } }, { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" }) } })],
        pass: [bucketSet("good"), [r("aws:sns/topic:Topic", {})]],
        unknown: [{ resources: bucketSet("unknown", { sse: { rules: U } }), expect: "cannot-run" }],
    },
    "sns-topic-hardening": {
        violate: [[r("aws:sns/topic:Topic", {})], [r("aws:sns/topicPolicy:TopicPolicy", { arn: "t", policy: doc({ Effect: "Allow", Principal: "*", Action: "SNS:Publish", Resource: "t" }) })]],
        pass: [[r("aws:sns/topic:Topic", { kmsMasterKeyId: ARN })], [r("aws:sns/topicPolicy:TopicPolicy", { arn: "t", policy: doc({ Effect: "Allow", Principal: { Service: "backup.amazonaws.com" }, Action: "SNS:Publish", Resource: "t" }) })]],
        unknown: [{ resources: [r("aws:sns/topic:Topic", { kmsMasterKeyId: U })], expect: "pass" }, { resources: [r("aws:sns/topicPolicy:TopicPolicy", { arn: "t", policy: U })], expect: "cannot-run" }],
    },
    "vpc-default-security-group-closed": {
        violate: [vpcWith("d1", () => []), vpcWith("d2", (v) => [dependent("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", { vpcId: U, ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, self: true }] }, v)])],
        pass: [vpcWith("d3", (v) => [dependent("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", { vpcId: U }, v)])],
        unknown: [{ resources: vpcWith("d4", (v) => [dependent("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", { vpcId: U, ingress: U }, v)]), expect: "cannot-run" }],
    },
    "no-public-ip-by-default": {
        violate: [[r("aws:ec2/subnet:Subnet", { mapPublicIpOnLaunch: true })], [r(LT, { networkInterfaces: [{ associatePublicIpAddress: "true" }] })]],
        pass: [[r("aws:ec2/subnet:Subnet", { mapPublicIpOnLaunch: false })], [r(LT, {})]],
        unknown: [{ resources: [r("aws:ec2/subnet:Subnet", { mapPublicIpOnLaunch: U })], expect: "cannot-run" }],
    },
    "security-group-descriptions": {
        violate: [[r(SG, {})], [r(SG, { description: "Managed by Pulumi" })], [r(SG, { description: "app", ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["10.0.0.0/8"] }] })], [r(SG_IN, { ipProtocol: "tcp", fromPort: 5432, toPort: 5432 })]],
        pass: [[r(SG, { description: "app", ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["10.0.0.0/8"], description: "https from the VPC" }] })], [r(SG_IN, { ipProtocol: "tcp", fromPort: 5432, toPort: 5432, description: "PostgreSQL from EKS" })]],
        unknown: [{ resources: [r(SG, { description: U })], expect: "pass" }, { resources: [r(SG, { description: "app", ingress: U })], expect: "cannot-run" }],
    },
    "no-world-ingress": {
        violate: [[r(SG, { description: "x", ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }] })], [r(SG_IN, { ipProtocol: "tcp", fromPort: 80, toPort: 80, cidrIpv4: "0.0.0.0/0" })],
            [r(SG_RULE, { type: "ingress", protocol: "-1", fromPort: 0, toPort: 0, ipv6CidrBlocks: ["::/0"] })]],
        pass: [[r(SG, { description: "x", ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }] })], [r(SG_IN, { ipProtocol: "tcp", fromPort: 5432, toPort: 5432, referencedSecurityGroupId: "sg-1" })],
            [r(SG_RULE, { type: "egress", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] })]],
        unknown: [{ resources: [r(SG, { description: "x", ingress: U })], expect: "cannot-run" }],
        settings: { allowedPorts: [443] },
    },
    "iam-least-privilege": {
        violate: [[r("aws:iam/policy:Policy", { policy: doc({ Effect: "Allow", Action: "*", Resource: "*" }) })], [r("aws:iam/rolePolicy:RolePolicy", { role: "r", policy: doc({ Effect: "Allow", Action: ["iam:*"], Resource: "*" }) })],
            [r("aws:iam/policy:Policy", { policy: doc({ Effect: "Allow", Action: "iam:PassRole", Resource: "*" }) })], [r("aws:iam/rolePolicyAttachment:RolePolicyAttachment", { role: "r", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" })],
            [r("aws:iam/role:Role", { assumeRolePolicy: doc({ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }) })],
            [r("aws:iam/policy:Policy", { policy: doc({ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "*" }) })],
            [r("aws:iam/policy:Policy", { policy: doc({ Effect: "Allow", Action: ["ec2:TerminateInstances"], Resource: ["*"] }) })]],
        pass: [[r("aws:iam/policy:Policy", { policy: doc({ Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::b/*" }) })],
            [r("aws:iam/policy:Policy", { policy: doc({ Effect: "Allow", Action: "iam:PassRole", Resource: "*", Condition: { StringEquals: { "iam:PassedToService": "eks.amazonaws.com" } } }) })],
            [r("aws:iam/rolePolicyAttachment:RolePolicyAttachment", { role: "r", policyArn: "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy" })],
            [r("aws:iam/policy:Policy", { policy: doc({ Effect: "Allow", Action: ["autoscaling:DescribeAutoScalingGroups", "ec2:GetInstanceTypesFromInstanceRequirements"], Resource: "*" }, { Effect: "Allow", Action: "autoscaling:SetDesiredCapacity", Resource: "*", Condition: { StringEquals: { "aws:ResourceTag/owner": "me" } } }) })],
            [r("aws:iam/role:Role", { assumeRolePolicy: doc({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }) })]],
        unknown: [{ resources: [r("aws:iam/rolePolicy:RolePolicy", { role: "r", policy: U })], expect: "cannot-run" }],
    },
    "launch-template-no-secrets-in-user-data": {
        violate: [[r(LT, { userData: Buffer.from("#!/bin/bash\nexport AWS_ACCESS_KEY_ID=AKIAABCDEFGHIJKLMNOP\n").toString("base64") })],
            [r(LT, { userData: Buffer.from("#!/bin/bash\necho 'DB_PASSWORD=hunter2hunter2' >> /etc/app.env\n").toString("base64") })],
            [r(LT, { userData: "-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----" })]],
        pass: [[r(LT, { userData: Buffer.from("MIME-Version: 1.0\n\n---\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster:\n    name: prod\n").toString("base64") })], [r(LT, {})],
            [r(LT, { userData: Buffer.from("#!/bin/bash\nPASSWORD=$(aws secretsmanager get-secret-value --secret-id db --query SecretString --output text)\n").toString("base64") })]],
        unknown: [{ resources: [r(LT, { userData: U })], expect: "cannot-run" }],
    },
    "eks-node-group-no-ssh": {
        violate: [[r("aws:eks/nodeGroup:NodeGroup", { remoteAccess: { ec2SshKey: "ops" } })]],
        pass: [[r("aws:eks/nodeGroup:NodeGroup", { nodeRoleArn: "arn" })]],
        unknown: [{ resources: [r("aws:eks/nodeGroup:NodeGroup", { remoteAccess: U })], expect: "cannot-run" }],
    },
    "eks-standard-support": {
        violate: [[r(EKS, {})], [r(EKS, { upgradePolicy: { supportType: "EXTENDED" } })]],
        pass: [[r(EKS, { upgradePolicy: { supportType: "STANDARD" } })]],
        unknown: [{ resources: [r(EKS, { upgradePolicy: { supportType: U } })], expect: "cannot-run" }],
    },
    "rds-minor-version-patching": {
        violate: [[r(INSTANCE, { autoMinorVersionUpgrade: false })], [r("aws:rds/instance:Instance", { autoMinorVersionUpgrade: false })]],
        pass: [[r(INSTANCE, { autoMinorVersionUpgrade: true })], [r(INSTANCE, {})]],
        unknown: [{ resources: [r(INSTANCE, { autoMinorVersionUpgrade: U })], expect: "cannot-run" }],
    },
    "rds-copy-tags-to-snapshot": {
        violate: [[r(CLUSTER, {})], [r("aws:rds/instance:Instance", { copyTagsToSnapshot: false })]],
        pass: [[r(CLUSTER, { copyTagsToSnapshot: true })]],
        unknown: [{ resources: [r(CLUSTER, { copyTagsToSnapshot: U })], expect: "cannot-run" }],
    },
    "rds-force-ssl": {
        violate: [[r(CPG, { family: "aurora-postgresql16", parameters: [] })], [r(PG, { family: "postgres16", parameters: [{ name: "rds.force_ssl", value: "0" }] })]],
        pass: [[r(CPG, { family: "aurora-postgresql16", parameters: [{ name: "rds.force_ssl", value: "1" }] })], [r(PG, { family: "aurora-postgresql16", parameters: [] })]],
        unknown: [{ resources: [r(CPG, { family: "aurora-postgresql16", parameters: U })], expect: "cannot-run" }],
    },
    "elasticache-customer-managed-key": {
        violate: [[r(RG, { atRestEncryptionEnabled: true })]],
        pass: [[r(RG, { atRestEncryptionEnabled: true, kmsKeyId: ARN })]],
        unknown: [{ resources: [r(RG, { kmsKeyId: U })], expect: "pass" }],
    },
    "wafv2-managed-rules": {
        violate: [[r(ACL, { rules: [] })], [r(ACL, { rules: [rateRule] })], [r(ACL, { rules: [{ ...badInputs, overrideAction: { count: {} } }] })], [r(ACL, { rules: [badInputs, { ...rateRule, action: undefined }] })]],
        pass: [[r(ACL, { rules: [badInputs, rateRule] })]],
        unknown: [{ resources: [r(ACL, { rules: U })], expect: "cannot-run" }],
    },
    "cloudfront-security-headers": {
        violate: [[r(CF, goodDistribution())], [r(RHP, { name: "h", securityHeadersConfig: { contentTypeOptions: { override: true } } })],
            [r(RHP, { name: "h", securityHeadersConfig: { strictTransportSecurity: { accessControlMaxAgeSec: 300, override: true } } })]],
        pass: [[r(CF, withHeaders("headers"))], [r(RHP, { name: "h", securityHeadersConfig: { strictTransportSecurity: { accessControlMaxAgeSec: 63072000, includeSubdomains: true, override: true } } })]],
        unknown: [{ resources: [r(CF, withHeaders(U))], expect: "pass" }, { resources: [r(RHP, { name: "h", securityHeadersConfig: U })], expect: "cannot-run" }],
    },
    "acm-certificate-hygiene": {
        violate: [[r("aws:acm/certificate:Certificate", { domainName: "*.example.com", validationMethod: "DNS" })],
            [r("aws:acm/certificate:Certificate", { domainName: "app.example.com", options: { certificateTransparencyLoggingPreference: "DISABLED" } })]],
        pass: [[r("aws:acm/certificate:Certificate", { domainName: "app.example.com", subjectAlternativeNames: ["www.example.com"], validationMethod: "DNS" })]],
        unknown: [{ resources: [r("aws:acm/certificate:Certificate", { domainName: U })], expect: "cannot-run" }],
    },
};

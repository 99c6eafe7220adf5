/**
 * Hardening of the AWS resources around the data and the cluster: KMS key policies, Secrets Manager,
 * S3 buckets, SNS topics, security groups and subnets, IAM, ACM, WAF rules, CloudFront response headers,
 * and how Aurora and EKS stay patched.
 */
import { cdkNag, checkov, isSet, list, onType, PolicyResource, Props, Rule, worldReach } from "./common";
import { refersTo } from "./logging";

const BUCKET = "aws:s3/bucket:Bucket";
const SG = "aws:ec2/securityGroup:SecurityGroup";

/** A policy document input: JSON text (as the providers take it) or an object; undefined when unparsable. */
export function policyDocument(value: unknown): { Statement?: Props[] | Props } | undefined {
    if (typeof value === "string") {
        try {
            return JSON.parse(value);
        } catch {
            return undefined;
        }
    }
    return value && typeof value === "object" ? (value as Props) : undefined;
}

/** The statements of a policy document, always as an array, with Action/Resource/Principal lists normalised. */
export function statements(value: unknown): { effect: string; actions: string[]; resources: string[]; principals: string[]; condition: boolean; raw: Props }[] {
    const doc = policyDocument(value);
    const sts = doc?.Statement === undefined ? [] : Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
    const arr = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
    return sts.map((st: Props) => {
        const p = st.Principal;
        const principals = p === undefined ? [] : typeof p === "string" ? [p] : Object.values(p as Props).flatMap((v) => arr(v));
        return { effect: String(st.Effect), actions: arr(st.Action), resources: arr(st.Resource), principals, condition: st.Condition !== undefined && Object.keys(st.Condition).length > 0, raw: st };
    });
}

/** Indexes of the statements that allow any principal (`"*"`) without a condition. */
function openStatements(value: unknown): number[] {
    return statements(value).flatMap((s, i) => (s.effect === "Allow" && s.principals.includes("*") && !s.condition ? [i] : []));
}

/** Satellite resources of a bucket (versioning, encryption, ...): by dependency or by literal bucket name. */
function bucketParts(resources: PolicyResource[], bucket: PolicyResource, types: string[]): PolicyResource[] {
    return resources.filter((r) => types.includes(r.type) && refersTo(r, bucket, "bucket", ["bucket", "id"]));
}

/** IAM actions that let a principal give itself more (privilege escalation paths). */
const ESCALATION_ACTIONS = [
    "iam:passrole", "iam:createpolicyversion", "iam:setdefaultpolicyversion", "iam:attachrolepolicy", "iam:attachuserpolicy",
    "iam:attachgrouppolicy", "iam:putrolepolicy", "iam:putuserpolicy", "iam:putgrouppolicy", "iam:createaccesskey",
    "iam:createloginprofile", "iam:updateloginprofile", "iam:updateassumerolepolicy", "iam:addusertogroup", "sts:assumerole",
];
/** Reads that hand out data or secrets: never on every resource without a condition. */
const DATA_READ_ACTIONS = ["s3:getobject", "secretsmanager:getsecretvalue", "ssm:getparameter", "ssm:getparameters", "ssm:getparametersbypath", "kms:decrypt", "rds-db:connect", "dynamodb:scan", "dynamodb:getitem"];
/** Verbs of actions that only read metadata; anything else is treated as a write. */
const READ_VERBS = /^(describe|list|get|batchget|head|view|search|lookup)/;
/** AWS managed policies that amount to administrator access. */
const ADMIN_POLICIES = /:policy\/(AdministratorAccess|IAMFullAccess|PowerUserAccess)$/;

function iamFindings(policy: unknown, where: string, report: (m: string) => void) {
    statements(policy).filter((s) => s.effect === "Allow").forEach((s, i) => {
        const actions = s.actions.map((a) => a.toLowerCase());
        if (actions.includes("*") || actions.includes("*:*")) report(`${where}: statement ${i + 1} allows every action ("*").`);
        else if (actions.includes("iam:*")) report(`${where}: statement ${i + 1} allows iam:* (full IAM control).`);
        const escalating = actions.filter((a) => ESCALATION_ACTIONS.includes(a) || (a.endsWith("*") && ESCALATION_ACTIONS.some((e) => e.startsWith(a.slice(0, -1)))));
        if (!s.resources.includes("*") || s.condition) return;
        if (escalating.length > 0) report(`${where}: statement ${i + 1} allows ${escalating.join(", ")} on "*" without a condition (privilege escalation).`);
        const reads = actions.filter((a) => DATA_READ_ACTIONS.includes(a) || (a.endsWith("*") && DATA_READ_ACTIONS.some((d) => d.startsWith(a.slice(0, -1)))));
        if (reads.length > 0) report(`${where}: statement ${i + 1} allows ${reads.join(", ")} on "*" without a condition (data exfiltration).`);
        const writes = actions.filter((a) => a.includes(":") && !READ_VERBS.test(a.split(":")[1]) && !escalating.includes(a) && !reads.includes(a) && a !== "*" && a !== "*:*");
        if (writes.length > 0) report(`${where}: statement ${i + 1} allows ${writes.join(", ")} on "*" without a condition (unconstrained write).`);
    });
}

/** What a credential in user data looks like. */
const USER_DATA_SECRETS: [string, RegExp][] = [
    ["an AWS access key id", /\b(AKIA|ASIA|A3T[A-Z0-9])[A-Z0-9]{16}\b/],
    ["an AWS secret access key", /aws_secret_access_key\s*[=:]/i],
    ["a private key", /-----BEGIN (RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----/],
    ["a password assignment", /(password|passwd|pwd)\s*[=:]\s*["']?[^\s"'$]{4,}/i],
];

/** CloudFront's HSTS minimum: one year, as browsers' preload lists require. */
const HSTS_MIN_SECONDS = 31536000;

export const hardening: Rule[] = [
    {
        name: "kms-key-policy",
        description: "Customer-managed KMS keys carry an explicit key policy that admits no wildcard principal without a condition, and stay enabled.",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Pass `policy` on every `aws.kms.Key` (see `components/dataKeys.ts`): the account administers the key, services use it for named resources only (conditions on the encryption context or source ARN); never `Principal: \"*\"` without a condition; keep `isEnabled` true.",
        framework: checkov("CKV2_AWS_64", "KMS keys define a key policy"),
        tags: ["encryption", "identity"],
        validateResource: onType("aws:kms/key:Key", (props, args, report) => {
            if (props.isEnabled === false) report(`${args.name}: isEnabled is false.`);
            if (!isSet(props, "policy")) {
                report(`${args.name}: no key policy (the implicit default).`);
                return;
            }
            openStatements(props.policy).forEach((i) => report(`${args.name}: statement ${i + 1} allows principal "*" without a condition.`));
        }),
    },
    {
        name: "secretsmanager-rotation",
        description: "Every Secrets Manager secret rotates automatically (a rotation schedule in the stack).",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Add an `aws.secretsmanager.SecretRotation` for the secret (a rotation Lambda, `rotationRules.automaticallyAfterDays` or a `scheduleExpression`), or let RDS own the master password (`manageMasterUserPassword: true`, which creates and rotates its own secret outside the stack).",
        framework: checkov("CKV2_AWS_57", "Secrets Manager secrets rotate automatically"),
        tags: ["secrets", "identity"],
        validateStack: (args, report) => {
            const secrets = args.resources.filter((r) => r.type === "aws:secretsmanager/secret:Secret");
            if (secrets.length === 0) args.notApplicable("no Secrets Manager secret in the stack");
            const rotations = args.resources.filter((r) => r.type === "aws:secretsmanager/secretRotation:SecretRotation");
            for (const s of secrets) {
                if (!rotations.some((rot) => refersTo(rot, s, "secretId", ["arn", "id", "name"]))) report(`${s.name}: no SecretRotation.`, s.urn);
            }
        },
    },
    {
        name: "secretsmanager-cmk",
        description: "Secrets Manager secrets are encrypted with a customer-managed KMS key.",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `kmsKeyId` to a customer-managed `aws.kms.Key` (rotation on) whose policy admits the roles that read the secret.",
        framework: checkov("CKV_AWS_149", "Secrets Manager secrets use a customer KMS key"),
        tags: ["secrets", "encryption"],
        validateResource: onType("aws:secretsmanager/secret:Secret", (props, args, report) => {
            if (!isSet(props, "kmsKeyId")) report(`${args.name}: no kmsKeyId (the aws/secretsmanager key).`);
        }),
    },
    {
        name: "s3-bucket-hardening",
        description: "Every S3 bucket blocks all public access, is versioned, encrypts with a customer KMS key (SSE-KMS), refuses plain HTTP and admits no anonymous principal in its policy, and has a lifecycle that aborts incomplete uploads.",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Give each bucket an `aws.s3.BucketPublicAccessBlock` (all four flags true), an `aws.s3.BucketVersioning` (`status: \"Enabled\"`), an `aws.s3.BucketServerSideEncryptionConfiguration` (`sseAlgorithm: \"aws:kms\"` with `kmsMasterKeyId`), an `aws.s3.BucketPolicy` denying `aws:SecureTransport = false`, and an `aws.s3.BucketLifecycleConfiguration` with `abortIncompleteMultipartUpload`.",
        framework: checkov("CKV_AWS_21", "S3 buckets are versioned"),
        tags: ["storage", "encryption", "network"],
        validateStack: (args, report) => {
            const buckets = args.resources.filter((r) => r.type === BUCKET);
            if (buckets.length === 0) args.notApplicable("no S3 bucket in the stack");
            for (const b of buckets) {
                const say = (m: string) => report(`${b.name}: ${m}`, b.urn);
                const pab = bucketParts(args.resources, b, ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"]);
                const flags = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];
                if (pab.length === 0) say("no BucketPublicAccessBlock.");
                else for (const f of flags.filter((f) => !pab.some((p) => p.props[f] === true))) say(`public access block leaves ${f} off.`);
                const versioning = bucketParts(args.resources, b, ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"]);
                if (!versioning.some((v) => v.props.versioningConfiguration?.status === "Enabled")) say("versioning is not enabled.");
                const sse = bucketParts(args.resources, b, ["aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"]);
                const kms = sse.some((e) => list<Props>(e.props.rules).some((r) => String(r.applyServerSideEncryptionByDefault?.sseAlgorithm ?? "").startsWith("aws:kms") && isSet(r.applyServerSideEncryptionByDefault, "kmsMasterKeyId")));
                if (!kms) say("default encryption is not SSE-KMS with a customer key.");
                const policies = bucketParts(args.resources, b, ["aws:s3/bucketPolicy:BucketPolicy"]);
                const tlsOnly = policies.some((p) => statements(p.props.policy).some((s) => s.effect === "Deny" && String(s.raw.Condition?.Bool?.["aws:SecureTransport"]) === "false"));
                if (!tlsOnly) say("no bucket policy denies requests without TLS (aws:SecureTransport).");
                for (const p of policies) {
                    if (openStatements(p.props.policy).length > 0) say(`${p.name} allows any principal without a condition.`);
                }
                const lifecycles = bucketParts(args.resources, b, ["aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"]);
                if (!lifecycles.some((l) => list<Props>(l.props.rules).some((r) => r.status === "Enabled" && isSet(r, "abortIncompleteMultipartUpload")))) say("no enabled lifecycle rule aborts incomplete multipart uploads.");
            }
        },
    },
    {
        name: "sns-topic-hardening",
        description: "SNS topics are encrypted with a KMS key, and their policies admit no anonymous principal without a condition.",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `kmsMasterKeyId` to a customer-managed key whose policy admits the publishing services; in `aws.sns.TopicPolicy`, name the publishing service and restrict it with `aws:SourceAccount`/`aws:SourceArn`.",
        framework: checkov("CKV_AWS_26", "SNS topics are encrypted"),
        tags: ["encryption", "messaging"],
        validateResource: [
            onType("aws:sns/topic:Topic", (props, args, report) => {
                if (!isSet(props, "kmsMasterKeyId")) report(`${args.name}: no kmsMasterKeyId.`);
            }),
            onType("aws:sns/topicPolicy:TopicPolicy", (props, args, report) => {
                openStatements(props.policy).forEach((i) => report(`${args.name}: statement ${i + 1} allows principal "*" without a condition.`));
            }),
        ],
    },
    {
        name: "vpc-default-security-group-closed",
        description: "The default security group of every VPC is adopted and stripped of all rules, so nothing attached to it by default can talk.",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Declare `aws.ec2.DefaultSecurityGroup` for the VPC with no `ingress` and no `egress` (Pulumi then removes AWS's default rules).",
        framework: checkov("CKV2_AWS_12", "The default security group restricts all traffic"),
        tags: ["network"],
        validateStack: (args, report) => {
            const vpcs = args.resources.filter((r) => r.type === "aws:ec2/vpc:Vpc");
            if (vpcs.length === 0) args.notApplicable("no VPC in the stack");
            const defaults = args.resources.filter((r) => r.type === "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup");
            for (const vpc of vpcs) {
                const mine = defaults.filter((d) => refersTo(d, vpc, "vpcId", ["id"]));
                if (mine.length === 0) report(`${vpc.name}: default security group not managed (it keeps AWS's allow-all rules).`, vpc.urn);
                for (const d of mine) if (list(d.props.ingress).length > 0 || list(d.props.egress).length > 0) report(`${d.name}: the default security group has rules.`, d.urn);
            }
        },
    },
    {
        name: "no-public-ip-by-default",
        description: "Subnets do not hand out public IPs on launch and launch templates do not request one: only load balancers and NAT gateways face the internet.",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `mapPublicIpOnLaunch: false` on subnets and `associatePublicIpAddress: \"false\"` (or omit it) in launch template network interfaces.",
        framework: checkov("CKV_AWS_130", "Subnets do not assign public IPs by default"),
        tags: ["network"],
        validateResource: [
            onType("aws:ec2/subnet:Subnet", (props, args, report) => {
                if (props.mapPublicIpOnLaunch === true) report(`${args.name}: mapPublicIpOnLaunch is true.`);
            }),
            onType("aws:ec2/launchTemplate:LaunchTemplate", (props, args, report) => {
                for (const ni of list<Props>(props.networkInterfaces)) if (String(ni.associatePublicIpAddress) === "true") report(`${args.name}: a network interface requests a public IP.`);
            }),
        ],
    },
    {
        name: "security-group-descriptions",
        description: "Every security group and security group rule says what it is for (a description other than the provider's default).",
        severity: "low",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `description` on each `aws.ec2.SecurityGroup` (changing it later replaces the group: choose it up front), each inline rule, and each `aws.vpc.SecurityGroupIngressRule`/`EgressRule`.",
        framework: checkov("CKV_AWS_23", "Security groups and rules have descriptions"),
        tags: ["network"],
        validateResource: [
            onType(SG, (props, args, report) => {
                // Read without the unknown check: a description computed from outputs is still a description.
                if (!isSet(props, "description") || Object.getOwnPropertyDescriptor(props, "description")?.value === "Managed by Pulumi") report(`${args.name}: no description of its own.`);
                for (const [kind, rules] of [["ingress", props.ingress], ["egress", props.egress]] as const) {
                    list<Props>(rules).forEach((r, i) => {
                        if (!isSet(r, "description")) report(`${args.name}: ${kind} rule ${i + 1} has no description.`);
                    });
                }
            }),
            ...["aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws:ec2/securityGroupRule:SecurityGroupRule"].map((t) => onType(t, (props, args, report) => {
                if (!isSet(props, "description")) report(`${args.name}: no description.`);
            })),
        ],
    },
    {
        name: "no-world-ingress",
        description: "No security group admits 0.0.0.0/0 or ::/0 on any port outside `allowedPorts` (none by default): SSH, RDP, HTTP and all-port rules included.",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Admit clients by security group (`referencedSecurityGroupId`) or by their own CIDRs; the public entry is the load balancer the ingress controller creates, limited by `loadBalancerSourceRanges`. List a port in `allowedPorts` only for a reviewed public listener.",
        framework: cdkNag("AwsSolutions-EC23", "Security groups admit no inbound traffic from the whole internet"),
        tags: ["network"],
        configSchema: { properties: { allowedPorts: { type: "array", items: { type: "integer" }, default: [] } } },
        validateResource: [
            onType(SG, (props, args, report) => {
                list<Props>(props.ingress).forEach((r, i) => worldIngress(r, [...list<string>(r.cidrBlocks), ...list<string>(r.ipv6CidrBlocks)], args.getConfig<{ allowedPorts: number[] }>().allowedPorts, `${args.name} ingress rule ${i + 1}`, report));
            }),
            onType("aws:ec2/securityGroupRule:SecurityGroupRule", (props, args, report) => {
                if (props.type !== "ingress") args.notApplicable("egress rule");
                worldIngress(props, [...list<string>(props.cidrBlocks), ...list<string>(props.ipv6CidrBlocks)], args.getConfig<{ allowedPorts: number[] }>().allowedPorts, args.name, report);
            }),
            onType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", (props, args, report) => {
                worldIngress(props, [props.cidrIpv4, props.cidrIpv6].filter((c) => typeof c === "string"), args.getConfig<{ allowedPorts: number[] }>().allowedPorts, args.name, report);
            }),
        ],
    },
    {
        name: "iam-least-privilege",
        description: "IAM policies grant no `*` or `iam:*` actions, and on `*` without a condition no privilege-escalation action, no secret or data read, no write; no role gets AdministratorAccess, IAMFullAccess or PowerUserAccess; no trust policy admits any principal without a condition.",
        severity: "critical",
        enforcementLevel: "mandatory",
        remediationSteps: "List the actions a role needs on the resources it needs (conditions such as `aws:ResourceTag/...` where ARNs are not known up front); attach narrow managed policies; trust a named service or role ARN.",
        framework: checkov("CKV_AWS_62", "IAM policies do not grant full administrative privileges"),
        tags: ["identity"],
        validateResource: [
            ...["aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy"].map((t) => onType(t, (props, args, report) => iamFindings(props.policy, args.name, report))),
            onType("aws:iam/rolePolicyAttachment:RolePolicyAttachment", (props, args, report) => {
                if (ADMIN_POLICIES.test(String(props.policyArn ?? ""))) report(`${args.name}: attaches ${props.policyArn}.`);
            }),
            onType("aws:iam/role:Role", (props, args, report) => {
                for (const arn of list<string>(props.managedPolicyArns)) if (ADMIN_POLICIES.test(arn)) report(`${args.name}: attaches ${arn}.`);
                for (const p of list<Props>(props.inlinePolicies)) iamFindings(p.policy, `${args.name} inline policy ${p.name}`, report);
                openStatements(props.assumeRolePolicy).forEach((i) => report(`${args.name}: trust statement ${i + 1} lets any principal assume the role.`));
            }),
        ],
    },
    {
        name: "launch-template-no-secrets-in-user-data",
        description: "Launch template user data carries no credentials: no AWS access keys, private keys or password assignments (user data is readable by anyone who can describe the instance, and from IMDS).",
        severity: "critical",
        enforcementLevel: "mandatory",
        remediationSteps: "Give nodes credentials through their instance role (and pods through EKS Pod Identity); fetch secrets at boot from Secrets Manager or SSM Parameter Store with that role instead of embedding them.",
        framework: checkov("CKV_AWS_46", "No hard-coded secrets in EC2 user data"),
        tags: ["compute", "secrets"],
        validateResource: onType("aws:ec2/launchTemplate:LaunchTemplate", (props, args, report) => {
            if (!isSet(props, "userData")) return;
            const raw = String(props.userData);
            const decoded = /^[A-Za-z0-9+/=\s]+$/.test(raw) ? Buffer.from(raw, "base64").toString("utf8") : raw;
            for (const [what, re] of USER_DATA_SECRETS) if (re.test(decoded) || re.test(raw)) report(`${args.name}: user data contains ${what}.`);
        }),
    },
    {
        name: "eks-node-group-no-ssh",
        description: "EKS managed node groups open no SSH access (no `remoteAccess`); nodes are reached through SSM.",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Remove `remoteAccess` from the node group; use SSM Session Manager (AmazonSSMManagedInstanceCore on the node role) for node access.",
        framework: checkov("CKV_AWS_100", "EKS node groups have no implicit SSH access from the internet"),
        tags: ["compute", "network"],
        validateResource: onType("aws:eks/nodeGroup:NodeGroup", (props, args, report) => {
            if (props.remoteAccess) {
                const sgs = list<string>(props.remoteAccess.sourceSecurityGroupIds);
                report(`${args.name}: remoteAccess opens SSH${sgs.length === 0 ? " from 0.0.0.0/0 (no sourceSecurityGroupIds)" : ` from ${sgs.length} security group(s)`}.`);
            }
        }),
    },
    {
        name: "eks-standard-support",
        description: "EKS clusters stay on standard support (`upgradePolicy.supportType: STANDARD`), so a Kubernetes minor past its support window is upgraded by AWS rather than run on extended support.",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `upgradePolicy: { supportType: \"STANDARD\" }` and keep `kubernetesVersion` within EKS standard support (the stack config checks the version against its dated list).",
        framework: checkov("CKV_AWS_339", "EKS clusters run a supported Kubernetes version"),
        tags: ["compute", "versions"],
        validateResource: onType("aws:eks/cluster:Cluster", (props, args, report) => {
            const type = (props.upgradePolicy?.supportType as string | undefined) ?? "EXTENDED";
            if (type !== "STANDARD") report(`${args.name}: upgradePolicy.supportType is ${type}${isSet(props.upgradePolicy, "supportType") ? "" : " (the EKS default)"}.`);
        }),
    },
    {
        name: "rds-minor-version-patching",
        description: "Database instances take minor engine upgrades automatically, unless the stack states its patch process (`patchProcess`: where the reviewed upgrade procedure is written).",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `autoMinorVersionUpgrade: true` (applied in `preferredMaintenanceWindow`), or keep it off and set this policy's `patchProcess` to the document that says who bumps the engine version, how often, and how it is rolled out.",
        framework: checkov("CKV_AWS_226", "DB instances receive minor upgrades"),
        tags: ["data", "versions"],
        configSchema: { properties: { patchProcess: { type: "string", default: "" } } },
        validateResource: ["aws:rds/clusterInstance:ClusterInstance", "aws:rds/instance:Instance"].map((t) => onType(t, (props, args, report) => {
            if (props.autoMinorVersionUpgrade !== false) return;
            if (args.getConfig<{ patchProcess: string }>().patchProcess.trim() === "") report(`${args.name}: autoMinorVersionUpgrade is false and no patch process is stated.`);
        })),
    },
    {
        name: "rds-copy-tags-to-snapshot",
        description: "Aurora clusters and RDS instances copy their tags to snapshots, so backup selection, cost and ownership tags follow the data.",
        severity: "low",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `copyTagsToSnapshot: true` on the cluster (and its instances).",
        framework: checkov("CKV_AWS_313", "RDS clusters copy tags to snapshots"),
        tags: ["data", "backup"],
        validateResource: ["aws:rds/cluster:Cluster", "aws:rds/instance:Instance"].map((t) => onType(t, (props, args, report) => {
            if (props.copyTagsToSnapshot !== true) report(`${args.name}: copyTagsToSnapshot is not true.`);
        })),
    },
    {
        name: "rds-force-ssl",
        description: "PostgreSQL parameter groups refuse unencrypted client connections (`rds.force_ssl = 1`).",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `rds.force_ssl = 1` in the cluster parameter group (family `aurora-postgresql*`; in the instance group for RDS `postgres*`), and connect with `sslmode=verify-full` against the RDS CA bundle.",
        framework: checkov("CKV2_AWS_69", "RDS databases require encryption in transit"),
        tags: ["data", "encryption"],
        validateResource: ["aws:rds/clusterParameterGroup:ClusterParameterGroup", "aws:rds/parameterGroup:ParameterGroup"].map((t) => onType(t, (props, args, report) => {
            const family = String(props.family ?? "");
            const cluster = t.includes("clusterParameterGroup");
            if (!(cluster ? /^aurora-postgresql/.test(family) : /^postgres/.test(family))) args.notApplicable(`family ${family} is not PostgreSQL${cluster ? " (Aurora)" : ""}`);
            const force = list<Props>(props.parameters).find((p) => p.name === "rds.force_ssl");
            if (String(force?.value) !== "1") report(`${args.name}: rds.force_ssl is ${JSON.stringify(force?.value ?? "0")}.`);
        })),
    },
    {
        name: "elasticache-customer-managed-key",
        description: "Redis/Valkey replication groups encrypt at rest with a customer-managed KMS key.",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `kmsKeyId` to a customer-managed `aws.kms.Key` (with `atRestEncryptionEnabled: true`); changing the key of an existing group replaces it: migrate through a snapshot.",
        framework: checkov("CKV_AWS_191", "ElastiCache replication groups use a customer KMS key"),
        tags: ["data", "encryption"],
        validateResource: onType("aws:elasticache/replicationGroup:ReplicationGroup", (props, args, report) => {
            if (!isSet(props, "kmsKeyId")) report(`${args.name}: no kmsKeyId.`);
        }),
    },
    {
        name: "wafv2-managed-rules",
        description: "WAFv2 web ACLs have rules, each with an action, including the managed groups in `requiredManagedRuleGroups` (Known Bad Inputs, which blocks Log4Shell, by default) in blocking mode.",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Add `managedRuleGroupStatement` rules for the required groups with `overrideAction: { none: {} }` (not `count`), and give every rule an `action` or `overrideAction`.",
        framework: checkov("CKV_AWS_192", "WAF blocks Log4j message lookups"),
        tags: ["waf", "edge"],
        configSchema: { properties: { requiredManagedRuleGroups: { type: "array", items: { type: "string" }, default: ["AWSManagedRulesKnownBadInputsRuleSet"] } } },
        validateResource: onType("aws:wafv2/webAcl:WebAcl", (props, args, report) => {
            const rules = list<Props>(props.rules);
            if (rules.length === 0) report(`${args.name}: no rules.`);
            for (const r of rules) if (!r.action && !r.overrideAction) report(`${args.name}: rule ${r.name} has no action.`);
            for (const group of args.getConfig<{ requiredManagedRuleGroups: string[] }>().requiredManagedRuleGroups) {
                const rule = rules.find((r) => r.statement?.managedRuleGroupStatement?.name === group);
                if (!rule) report(`${args.name}: managed rule group ${group} is missing.`);
                else if (rule.overrideAction?.count) report(`${args.name}: managed rule group ${group} only counts (overrideAction count).`);
            }
        }),
    },
    {
        name: "cloudfront-security-headers",
        description: "Every CloudFront cache behavior attaches a response headers policy, and response headers policies send HSTS for at least a year.",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Create an `aws.cloudfront.ResponseHeadersPolicy` with `securityHeadersConfig.strictTransportSecurity: { accessControlMaxAgeSec: 63072000, includeSubdomains: true, override: true }` and pass its id as `responseHeadersPolicyId` on every behavior.",
        framework: checkov("CKV2_AWS_32", "CloudFront distributions attach a response headers policy"),
        tags: ["edge", "encryption"],
        validateResource: [
            onType("aws:cloudfront/distribution:Distribution", (props, args, report) => {
                const behaviors = [...(props.defaultCacheBehavior ? [["default behavior", props.defaultCacheBehavior]] : []), ...list<Props>(props.orderedCacheBehaviors).map((b) => [`behavior ${b.pathPattern}`, b])] as [string, Props][];
                for (const [label, b] of behaviors) if (!isSet(b, "responseHeadersPolicyId")) report(`${args.name}: ${label} has no responseHeadersPolicyId.`);
            }),
            onType("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", (props, args, report) => {
                const hsts: Props | undefined = props.securityHeadersConfig?.strictTransportSecurity;
                if (!hsts) report(`${args.name}: no strictTransportSecurity header.`);
                else if (Number(hsts.accessControlMaxAgeSec ?? 0) < HSTS_MIN_SECONDS) report(`${args.name}: HSTS max-age ${hsts.accessControlMaxAgeSec}s is under a year.`);
            }),
        ],
    },
    {
        name: "acm-certificate-hygiene",
        description: "ACM certificates name exact hosts (no wildcard unless allowed) and keep certificate transparency logging on.",
        severity: "low",
        enforcementLevel: "mandatory",
        remediationSteps: "Request certificates for the exact hostnames (`domainName`, `subjectAlternativeNames`) and leave `options.certificateTransparencyLoggingPreference` at `ENABLED`.",
        framework: checkov("CKV2_AWS_71", "ACM certificates do not use wildcard names"),
        tags: ["edge", "encryption"],
        configSchema: { properties: { allowWildcards: { type: "boolean", default: false } } },
        validateResource: onType("aws:acm/certificate:Certificate", (props, args, report) => {
            if (!args.getConfig<{ allowWildcards: boolean }>().allowWildcards) {
                for (const n of [props.domainName, ...list<string>(props.subjectAlternativeNames)].filter((x) => typeof x === "string")) if (n.startsWith("*")) report(`${args.name}: wildcard name ${n}.`);
            }
            if (props.options?.certificateTransparencyLoggingPreference === "DISABLED") report(`${args.name}: certificate transparency logging is disabled.`);
        }),
    },
];

function worldIngress(rule: Props, cidrs: string[], allowed: number[], where: string, report: (m: string) => void) {
    const reach = worldReach(rule, cidrs);
    if (!reach || (reach.from === reach.to && allowed.includes(reach.from))) return;
    report(`${where}: ${reach.open.join(", ")} may reach ${reach.from === reach.to ? `port ${reach.from}` : `ports ${reach.from}-${reach.to}`}${reach.allProtocols ? " (all protocols)" : ""}.`);
}

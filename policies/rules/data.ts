/**
 * Data rules: Aurora/RDS, ElastiCache, KMS and the security groups in front of them.
 */
import { checkov, isSet, list, onType, Props, Rule, worldReach } from "./common";

const RDS_CLUSTER = "aws:rds/cluster:Cluster";
const RDS_INSTANCE = "aws:rds/instance:Instance";
const RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance";
const REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup";

/** Database and cache ports that must never be reachable from the whole internet. */
export const DATA_PORTS = [5432, 3306, 6379, 6432, 11211, 27017, 9042] as const;


export const dataRules: Rule[] = [
    {
        name: "rds-storage-encrypted",
        description: "Aurora and RDS storage is encrypted at rest; with requireCustomerManagedKey, under a customer-managed KMS key.",
        severity: "critical",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `storageEncrypted: true` (and `kmsKeyId` to a customer-managed `aws.kms.Key` ARN when the stack requires it). Encryption cannot be turned on in place: restore a snapshot into an encrypted cluster.",
        framework: checkov("CKV_AWS_96", "Ensure all data stored in Aurora is securely encrypted at rest"),
        tags: ["data", "encryption"],
        configSchema: { properties: { requireCustomerManagedKey: { type: "boolean", default: false } } },
        validateResource: [RDS_CLUSTER, RDS_INSTANCE].map((t) => onType(t, (props, args, report) => {
            if (props.storageEncrypted !== true) {
                report(`${args.name}: storageEncrypted is ${JSON.stringify(props.storageEncrypted ?? null)}; set it to true.`);
                return;
            }
            const { requireCustomerManagedKey } = args.getConfig<{ requireCustomerManagedKey: boolean }>();
            if (requireCustomerManagedKey && !isSet(props, "kmsKeyId")) {
                report(`${args.name}: encrypted with the AWS-managed key; this stack requires a customer-managed KMS key (kmsKeyId).`);
            }
        })),
    },
    {
        name: "rds-not-publicly-accessible",
        description: "Database instances are not publicly accessible.",
        severity: "critical",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `publiclyAccessible: false` and place the instance in isolated subnets; reach it through the VPC (PgBouncer, bastion via SSM).",
        framework: checkov("CKV_AWS_17", "Ensure all data stored in RDS is not publicly accessible"),
        tags: ["data", "network"],
        validateResource: [RDS_INSTANCE, RDS_CLUSTER_INSTANCE].map((t) => onType(t, (props, args, report) => {
            if (props.publiclyAccessible === true) report(`${args.name}: publiclyAccessible is true.`);
        })),
    },
    {
        name: "rds-backup-retention",
        description: "Automated backups are kept at least `minimumDays` days (the engine default is 1).",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `backupRetentionPeriod` to at least the stack's minimum (7 days by default, 35 in prod).",
        framework: checkov("CKV_AWS_133", "Ensure that RDS instances has backup policy"),
        tags: ["data", "backup"],
        configSchema: { properties: { minimumDays: { type: "integer", minimum: 1, maximum: 35, default: 7 } } },
        validateResource: [RDS_CLUSTER, RDS_INSTANCE].map((t) => onType(t, (props, args, report) => {
            const { minimumDays } = args.getConfig<{ minimumDays: number }>();
            const days = (props.backupRetentionPeriod as number | undefined) ?? 1;
            if (days < minimumDays) report(`${args.name}: backupRetentionPeriod is ${days} day(s); at least ${minimumDays} required.`);
        })),
    },
    {
        name: "rds-deletion-protection",
        description: "Aurora clusters and RDS instances have deletion protection on.",
        severity: "high",
        enforcementLevel: "advisory",
        remediationSteps: "Set `deletionProtection: true` (and `protect: true` on the resource) for prod databases.",
        framework: checkov("CKV_AWS_139", "Ensure that RDS clusters have deletion protection enabled"),
        tags: ["data", "protection"],
        validateResource: [RDS_CLUSTER, RDS_INSTANCE].map((t) => onType(t, (props, args, report) => {
            if (props.deletionProtection !== true) report(`${args.name}: deletionProtection is not true.`);
        })),
    },
    {
        name: "rds-final-snapshot",
        description: "Deleting an Aurora cluster or RDS instance takes a final snapshot.",
        severity: "high",
        enforcementLevel: "advisory",
        remediationSteps: "Set `skipFinalSnapshot: false` and a `finalSnapshotIdentifier`.",
        tags: ["data", "protection", "backup"],
        validateResource: [RDS_CLUSTER, RDS_INSTANCE].map((t) => onType(t, (props, args, report) => {
            if (props.skipFinalSnapshot === true) report(`${args.name}: skipFinalSnapshot is true.`);
            else if (!isSet(props, "finalSnapshotIdentifier")) report(`${args.name}: no finalSnapshotIdentifier (the delete fails or loses the final snapshot).`);
        })),
    },
    {
        name: "rds-iam-authentication",
        description: "Aurora clusters and RDS instances accept IAM database authentication.",
        severity: "medium",
        enforcementLevel: "advisory",
        remediationSteps: "Set `iamDatabaseAuthenticationEnabled: true`; grant `rds-db:connect` to the roles that need it.",
        framework: checkov("CKV_AWS_162", "Ensure RDS cluster has IAM authentication enabled"),
        tags: ["data", "identity"],
        validateResource: [RDS_CLUSTER, RDS_INSTANCE].map((t) => onType(t, (props, args, report) => {
            if (props.iamDatabaseAuthenticationEnabled !== true) report(`${args.name}: iamDatabaseAuthenticationEnabled is not true.`);
        })),
    },
    {
        name: "rds-performance-insights",
        description: "Database instances (Aurora cluster instances, RDS instances) run Performance Insights, encrypted with a customer-managed KMS key.",
        severity: "low",
        enforcementLevel: "advisory",
        remediationSteps: "Set `performanceInsightsEnabled: true` (with a customer-managed `performanceInsightsKmsKeyId`) on each `aws.rds.ClusterInstance` / `aws.rds.Instance`.",
        framework: checkov("CKV_AWS_353", "Ensure that RDS instances have performance insights enabled"),
        tags: ["data", "observability"],
        validateResource: [RDS_INSTANCE, RDS_CLUSTER_INSTANCE].map((t) => onType(t, (props, args, report) => {
            if (props.performanceInsightsEnabled !== true) report(`${args.name}: performanceInsightsEnabled is not true.`);
            else if (!isSet(props, "performanceInsightsKmsKeyId")) report(`${args.name}: Performance Insights uses the AWS-managed key (no performanceInsightsKmsKeyId).`);
        })),
    },
    {
        name: "elasticache-transit-encryption-auth",
        description: "Redis/Valkey replication groups encrypt traffic in transit (TLS required) and require AUTH (token or RBAC user group).",
        severity: "critical",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `transitEncryptionEnabled: true` (mode `required`) and an `authToken` from a `random.RandomPassword`, or `userGroupIds`.",
        framework: checkov("CKV_AWS_31", "Ensure all data stored in the ElastiCache Replication Group is securely encrypted at transit and has auth token"),
        tags: ["data", "encryption", "identity"],
        validateResource: onType(REPLICATION_GROUP, (props, args, report) => {
            if (props.transitEncryptionEnabled !== true) report(`${args.name}: transitEncryptionEnabled is not true.`);
            else if (props.transitEncryptionMode === "preferred") report(`${args.name}: transitEncryptionMode is "preferred" (plain-text clients still accepted); use "required".`);
            if (!isSet(props, "authToken") && list(props.userGroupIds).length === 0) report(`${args.name}: no authToken and no userGroupIds: any client in the network can connect.`);
        }),
    },
    {
        name: "elasticache-at-rest-encryption",
        description: "Redis/Valkey replication groups encrypt data at rest.",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `atRestEncryptionEnabled: true` (optionally with `kmsKeyId`). Requires a replacement of an existing group.",
        framework: checkov("CKV_AWS_29", "Ensure all data stored in the ElastiCache Replication Group is securely encrypted at rest"),
        tags: ["data", "encryption"],
        validateResource: onType(REPLICATION_GROUP, (props, args, report) => {
            if (props.atRestEncryptionEnabled !== true) report(`${args.name}: atRestEncryptionEnabled is not true.`);
        }),
    },
    {
        name: "elasticache-multi-az-failover",
        description: "Redis/Valkey replication groups fail over automatically across zones (automatic failover, multi-AZ, at least one replica).",
        severity: "high",
        enforcementLevel: "advisory",
        remediationSteps: "Set `automaticFailoverEnabled: true`, `multiAzEnabled: true` and at least 2 cache clusters (or 1+ replica per shard).",
        tags: ["data", "availability"],
        validateResource: onType(REPLICATION_GROUP, (props, args, report) => {
            if (props.automaticFailoverEnabled !== true) report(`${args.name}: automaticFailoverEnabled is not true.`);
            if (props.multiAzEnabled !== true) report(`${args.name}: multiAzEnabled is not true.`);
            const replicas = isSet(props, "replicasPerNodeGroup") ? props.replicasPerNodeGroup : (isSet(props, "numCacheClusters") ? props.numCacheClusters - 1 : 0);
            if (replicas < 1) report(`${args.name}: no replica to fail over to.`);
        }),
    },
    {
        name: "elasticache-snapshots",
        description: "Redis/Valkey replication groups keep automatic snapshots.",
        severity: "medium",
        enforcementLevel: "advisory",
        remediationSteps: "Set `snapshotRetentionLimit` to 1 or more days (and a `snapshotWindow` off peak).",
        tags: ["data", "backup"],
        validateResource: onType(REPLICATION_GROUP, (props, args, report) => {
            const days = (props.snapshotRetentionLimit as number | undefined) ?? 0;
            if (days < 1) report(`${args.name}: snapshotRetentionLimit is ${days}: no automatic snapshot.`);
        }),
    },
    {
        name: "kms-key-rotation",
        description: "Symmetric customer-managed KMS keys rotate automatically.",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `enableKeyRotation: true` on the `aws.kms.Key`.",
        framework: checkov("CKV_AWS_7", "Ensure rotation for customer created CMKs is enabled"),
        tags: ["encryption"],
        validateResource: onType("aws:kms/key:Key", (props, args, report) => {
            const spec = (props.customerMasterKeySpec ?? "SYMMETRIC_DEFAULT") as string;
            if (spec !== "SYMMETRIC_DEFAULT") args.notApplicable(`asymmetric or HMAC key (${spec}) cannot rotate automatically`);
            if (props.enableKeyRotation !== true) report(`${args.name}: enableKeyRotation is not true.`);
        }),
    },
    {
        name: "no-world-open-data-ports",
        description: `No security group admits 0.0.0.0/0 or ::/0 to a database or cache port (${DATA_PORTS.join(", ")}).`,
        severity: "critical",
        enforcementLevel: "mandatory",
        remediationSteps: "Allow the data port from the clients' security groups (`referencedSecurityGroupId` / `securityGroups`) only, never from a CIDR covering the internet.",
        tags: ["network", "data"],
        configSchema: { properties: { ports: { type: "array", items: { type: "integer" }, default: [...DATA_PORTS] } } },
        validateResource: [
            onType("aws:ec2/securityGroup:SecurityGroup", (props, args, report) => {
                for (const rule of list(props.ingress)) checkIngress(rule, [...list<string>(rule.cidrBlocks), ...list<string>(rule.ipv6CidrBlocks)], args.getConfig<{ ports: number[] }>().ports, `${args.name} ingress`, report);
            }),
            onType("aws:ec2/securityGroupRule:SecurityGroupRule", (props, args, report) => {
                if (props.type !== "ingress") args.notApplicable("egress rule");
                checkIngress(props, [...list<string>(props.cidrBlocks), ...list<string>(props.ipv6CidrBlocks)], args.getConfig<{ ports: number[] }>().ports, args.name, report);
            }),
            onType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", (props, args, report) => {
                checkIngress(props, [props.cidrIpv4, props.cidrIpv6].filter((c) => typeof c === "string"), args.getConfig<{ ports: number[] }>().ports, args.name, report);
            }),
        ],
    },
];

function checkIngress(rule: Props, cidrs: string[], ports: number[], where: string, report: (m: string) => void) {
    const reach = worldReach(rule, cidrs);
    const hit = reach ? ports.filter((p) => p >= reach.from && p <= reach.to) : [];
    if (reach && hit.length > 0) report(`${where}: ${reach.open.join(", ")} may reach port(s) ${hit.join(", ")}.`);
}

/**
 * The stateful resource types and the input properties whose change makes the provider REPLACE the
 * resource (delete and re-create it, losing its data) rather than update it in place. The plan diff
 * (`plan/diff.ts`) reports a change to any of these as `replace`, and every replace or delete of one of
 * these types as destructive. This is the one place that list lives.
 *
 * Source: `@pulumi/aws` is a bridge over the Terraform AWS provider, and its generated `.d.ts` files do
 * not say which inputs force replacement: the bridged provider's schema does (`ForceNew: true`). The
 * lists below were read from the resource schemas in github.com/hashicorp/terraform-provider-aws at the
 * commits named per type (file@commit), and mapped to Pulumi's camelCase input names (checked against
 * `node_modules/@pulumi/aws/<module>/<resource>.d.ts` by `test/diff.test.ts`). Top-level `region`
 * forces replacement on every regional resource since provider v6 (which `@pulumi/aws` 7 bridges):
 * website/docs/guides/enhanced-region-support.html.markdown@0cb788ce0d5adada2f2b98572dc8462f8ed5738d,
 * "Changing the value of `region` will force resource replacement."
 *
 * When you upgrade `@pulumi/aws` across a major version, re-read these schemas. `pulumi preview --diff`
 * against the real stack (the CI preview job) is the authority; this list makes the offline diff say
 * early, in every pull request, what that preview would.
 */

/** One replacement-forcing input: a dotted path into the resource's inputs. */
export interface ForceNewPath {
    /** `cidrBlock`, or a nested field such as `kubernetesNetworkConfig.serviceIpv4Cidr`. */
    path: string;
    /**
     * Removing the value (set before, absent now) does not replace: the provider suppresses that diff
     * (e.g. `snapshotIdentifier`, whose DiffSuppressFunc ignores a removal).
     */
    removalIsNoop?: boolean;
}

export interface StatefulType {
    /** Pulumi type token. */
    type: string;
    /** What a reviewer calls it. */
    label: string;
    /** The Terraform resource the type bridges, and the schema file@commit the list was read from. */
    terraform: string;
    source: string;
    forceNew: ForceNewPath[];
    /**
     * Replacements the schema forces only under conditions the offline diff does not evaluate (the real
     * preview does); kept here so the README and a reviewer know they exist.
     */
    conditional?: string[];
}

const TF = "hashicorp/terraform-provider-aws";
const paths = (...ps: string[]): ForceNewPath[] => ps.map((path) => ({ path }));

export const STATEFUL_TYPES: StatefulType[] = [
    {
        type: "aws:rds/cluster:Cluster",
        label: "Aurora cluster",
        terraform: "aws_rds_cluster",
        source: `${TF} internal/service/rds/cluster.go@0168cf6844f393420326f1426bf18ed357b56a77`,
        forceNew: [
            ...paths("region", "availabilityZones", "clusterIdentifier", "clusterIdentifierPrefix", "clusterScalabilityType",
                "databaseName", "dbSubnetGroupName", "dbSystemId", "engine", "engineMode", "kmsKeyId", "masterUsername",
                "restoreToPointInTime", "s3Import", "sourceRegion", "storageEncrypted"),
            { path: "snapshotIdentifier", removalIsNoop: true },
        ],
        conditional: ["storageType: forces replacement for non-Aurora engines only (CustomizeDiff ForceNewIf)"],
    },
    {
        type: "aws:rds/clusterInstance:ClusterInstance",
        label: "Aurora instance",
        terraform: "aws_rds_cluster_instance",
        source: `${TF} internal/service/rds/cluster_instance.go@01606926a0c0ab9174aec440f976a48b0baee722`,
        forceNew: paths("region", "availabilityZone", "clusterIdentifier", "customIamInstanceProfile", "dbSubnetGroupName",
            "engine", "identifier", "identifierPrefix"),
    },
    {
        type: "aws:elasticache/replicationGroup:ReplicationGroup",
        label: "ElastiCache replication group",
        terraform: "aws_elasticache_replication_group",
        source: `${TF} internal/service/elasticache/replication_group.go@001b6364c1a3b3045e152f655440a6d47eb44a70`,
        forceNew: paths("region", "atRestEncryptionEnabled", "dataTieringEnabled", "globalReplicationGroupId", "kmsKeyId",
            "networkType", "port", "replicationGroupId", "securityGroupNames", "snapshotArns", "snapshotName", "subnetGroupName"),
        conditional: [
            "engineVersion: a downgrade replaces (CustomizeDiff customizeDiffEngineVersionForceNewOnDowngrade)",
            "engine: valkey -> redis replaces (customizeDiffEngineForceNewOnDowngrade)",
            "nodeGroupConfiguration: significant changes to explicitly configured node groups replace (ForceNewIf)",
        ],
    },
    {
        type: "aws:kms/key:Key",
        label: "KMS key",
        terraform: "aws_kms_key",
        source: `${TF} internal/service/kms/key.go@00a35305dc1b297a6fcdecdfbba33f1e63c3da39`,
        forceNew: paths("region", "customKeyStoreId", "customerMasterKeySpec", "keyUsage", "multiRegion", "xksKeyId"),
    },
    {
        type: "aws:backup/vault:Vault",
        label: "Backup vault",
        terraform: "aws_backup_vault",
        source: `${TF} internal/service/backup/vault.go@fa3f2df0f54f286293c23e283c66aef5ce326658 (same list @050ac11163cab8cdae5936a7f40b0e528ff780df)`,
        forceNew: paths("region", "kmsKeyArn", "name"),
    },
    {
        type: "aws:eks/cluster:Cluster",
        label: "EKS cluster",
        terraform: "aws_eks_cluster",
        source: `${TF} internal/service/eks/cluster.go@00555dc5b38f92abbfa230badea0ed0754cea81e`,
        forceNew: paths("region", "name", "roleArn", "bootstrapSelfManagedAddons", "remoteNetworkConfig",
            "accessConfig.bootstrapClusterCreatorAdminPermissions", "kubernetesNetworkConfig.ipFamily",
            "kubernetesNetworkConfig.serviceIpv4Cidr", "outpostConfig.controlPlaneInstanceType",
            "outpostConfig.controlPlanePlacement.groupName"),
        conditional: [
            "encryptionConfig: removing envelope encryption once enabled replaces (ForceNewIfChange)",
            "computeConfig.nodeRoleArn: changing an existing Auto Mode node role replaces",
        ],
    },
    {
        type: "aws:ec2/vpc:Vpc",
        label: "VPC",
        terraform: "aws_vpc",
        source: `${TF} internal/service/ec2/vpc_.go@00081ce41cc691433ac19bf42227cdabffd0454d`,
        forceNew: paths("region", "cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"),
    },
    {
        type: "aws:ec2/subnet:Subnet",
        label: "subnet",
        terraform: "aws_subnet",
        source: `${TF} internal/service/ec2/vpc_subnet.go@00cda125a19d31754cb0d073cf551264c57955cb`,
        forceNew: paths("region", "availabilityZone", "availabilityZoneId", "cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength",
            "ipv6IpamPoolId", "ipv6Native", "ipv6NetmaskLength", "outpostArn", "vpcId"),
        conditional: ["ipv6CidrBlock: replaces when the subnet was created with assignIpv6AddressOnCreation (ForceNewIf)"],
    },
];

const BY_TYPE = new Map(STATEFUL_TYPES.map((t) => [t.type, t]));

/** The stateful type entry for a type token, if it is one. */
export function statefulType(type: string): StatefulType | undefined {
    return BY_TYPE.get(type);
}

export function isStateful(type: string): boolean {
    return BY_TYPE.has(type);
}

/** The replacement-forcing input paths of a type (empty for types not listed). */
export function replacementPaths(type: string): ForceNewPath[] {
    return BY_TYPE.get(type)?.forceNew ?? [];
}

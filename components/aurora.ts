import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { backupTags } from "./tags";
import { dataStoreKey, dataStoreSecurityGroup } from "./dataStore";

/** Arguments of {@link AuroraPostgres}. */
export interface AuroraPostgresArgs {
    /** VPC of the cluster. */
    vpcId: pulumi.Input<string>;
    /** Subnets of the DB subnet group: the network's isolated subnets (no route to the internet). */
    subnetIds: pulumi.Input<string>[];
    /** Availability zones, in subnet order; instances are spread across them (writer in the first). */
    availabilityZones: string[];
    /**
     * Security groups admitted on the PostgreSQL port (the EKS cluster security group: nodes and pods).
     * Nothing else reaches the cluster. @default []
     */
    allowedSecurityGroupIds?: pulumi.Input<string>[];
    /** Physical cluster identifier (lowercase, hyphens); instances and the final snapshot derive from it. @default the component name */
    identifier?: string;
    /** Aurora PostgreSQL version `major.minor`. */
    engineVersion: string;
    /** Writer's instance class (readers added by autoscaling copy it). */
    instanceClass: string;
    /** Readers' instance class. @default instanceClass */
    readerInstanceClass?: string;
    /** Readers created with the cluster (promotion tiers 1, 2, ...; zones round-robin after the writer's). */
    readers: number;
    /** Reader autoscaling with Application Auto Scaling; off when absent. */
    readerAutoscaling?: {
        /** Fewest readers (>= readers). */
        minReaders: number;
        /** Most readers (<= 15). */
        maxReaders: number;
        /** `cpu` (RDSReaderAverageCPUUtilization) or `connections` (RDSReaderAverageDatabaseConnections). @default "cpu" */
        metric?: "cpu" | "connections";
        /** Target of the metric. @default 60 */
        target?: number;
        /** Seconds between scale-ins. @default 300 */
        scaleInCooldownSeconds?: number;
        /** Seconds between scale-outs. @default 300 */
        scaleOutCooldownSeconds?: number;
    };
    /** Database created in the cluster. @default "app" */
    databaseName?: string;
    /** Master user name. @default "app_admin" */
    masterUsername?: string;
    /** Automated backup retention (days). @default 7 */
    backupRetentionDays?: number;
    /** Daily backup window (UTC). @default "02:00-03:00" */
    backupWindow?: string;
    /** Weekly maintenance window (UTC). @default "sun:04:00-sun:05:00" */
    maintenanceWindow?: string;
    /** Performance Insights retention (days). @default 7 */
    performanceInsightsRetentionDays?: number;
    /** Enhanced monitoring interval (seconds). @default 60 */
    monitoringIntervalSeconds?: number;
    /** `log_min_duration_statement` (ms). @default 500 */
    logMinDurationMs?: number;
    /** Retention of the exported PostgreSQL log (days). @default 30 */
    logRetentionDays?: number;
    /** Explicit `max_connections`; absent keeps AWS's memory-based default. */
    maxConnections?: number;
    /**
     * Production protections: deletion protection, a final snapshot, Pulumi `protect` on the cluster,
     * its instances, KMS key and secret (`retainOnDelete` on the key and secret, which outlive the
     * cluster for its snapshots). @default false
     */
    protect?: boolean;
    /**
     * Secrets Manager rotates the master password (see `DatabaseCredentialRotation`): the generated password
     * is then only the initial one, and Pulumi ignores it on the cluster and the secret after creation, so
     * `pulumi up` never resets a rotated password. @default false
     */
    masterPasswordRotated?: boolean;
    /** Tags for every resource, besides the provider's default tags. */
    tags?: Record<string, string>;
    /**
     * Membership of an Aurora global database (multi-region disaster recovery). `primary`: the cluster is
     * taken into a global cluster created elsewhere (`GlobalDataStores`), so `globalClusterIdentifier` is
     * left to AWS, and the credentials secret replicates to `secretReplicaRegions`. `secondary`: a cluster
     * in another region joined to `globalClusterIdentifier`, with no master user or database of its own
     * (the primary's replicate), `instances` standby instances and no reader autoscaling; `masterPassword`
     * and `secretArn` are the primary's credentials secret, replicated into this region. @default a single-region cluster
     */
    global?:
        | { role: "primary"; secretReplicaRegions: Array<{ region: string; kmsKeyId?: pulumi.Input<string> }> }
        | { role: "secondary"; globalClusterIdentifier: pulumi.Input<string>; instances: number; masterPassword: pulumi.Input<string>; secretArn: pulumi.Input<string> };
}

export const AURORA_DEFAULTS = {
    databaseName: "app",
    masterUsername: "app_admin",
    backupRetentionDays: 7,
    backupWindow: "02:00-03:00",
    maintenanceWindow: "sun:04:00-sun:05:00",
    performanceInsightsRetentionDays: 7,
    monitoringIntervalSeconds: 60,
    logMinDurationMs: 500,
    logRetentionDays: 30,
    metric: "cpu" as const,
    target: 60,
    scaleInCooldownSeconds: 300,
    scaleOutCooldownSeconds: 300,
    port: 5432,
};

/** Aurora allows 15 readers. */
export const MAX_AURORA_READERS = 15;

/** The parameter group family of an engine version: `16.6` -> `aurora-postgresql16`. */
export const auroraFamily = (engineVersion: string) => `aurora-postgresql${engineVersion.split(".")[0]}`;

/**
 * Cluster-level parameters: TLS only, pg_stat_statements, lock and idle-transaction hygiene, and the
 * statement log every instance shares: schema changes (`log_statement = ddl`: DDL text, never row data)
 * and statements slower than `logMinDurationMs`.
 */
export function auroraClusterParameters(a: { logMinDurationMs: number }): Array<{ name: string; value: string; applyMethod: string }> {
    return [
        { name: "rds.force_ssl", value: "1", applyMethod: "immediate" },
        { name: "shared_preload_libraries", value: "pg_stat_statements", applyMethod: "pending-reboot" },
        { name: "pg_stat_statements.track", value: "top", applyMethod: "immediate" },
        { name: "log_lock_waits", value: "1", applyMethod: "immediate" },
        { name: "idle_in_transaction_session_timeout", value: "300000", applyMethod: "immediate" },
        { name: "log_statement", value: "ddl", applyMethod: "immediate" },
        { name: "log_min_duration_statement", value: String(a.logMinDurationMs), applyMethod: "immediate" },
    ];
}

/** Instance-level parameters: I/O timing, and an explicit max_connections when given. */
export function auroraInstanceParameters(a: { maxConnections?: number }): Array<{ name: string; value: string; applyMethod: string }> {
    return [
        { name: "track_io_timing", value: "1", applyMethod: "immediate" },
        ...(a.maxConnections !== undefined ? [{ name: "max_connections", value: String(a.maxConnections), applyMethod: "pending-reboot" }] : []),
    ];
}

/**
 * Aurora PostgreSQL: a writer and readers spread across the zones of the isolated subnets, with
 * promotion tiers, reader autoscaling, cluster and instance parameter groups, storage and Performance
 * Insights encrypted with a customer KMS key, a generated master password (a Pulumi secret end to end,
 * copied to Secrets Manager), IAM auth, log export, enhanced monitoring and backups. In prod: deletion
 * protection, a final snapshot and Pulumi `protect`.
 */
export class AuroraPostgres extends pulumi.ComponentResource {
    public readonly cluster: aws.rds.Cluster;
    public readonly instances: aws.rds.ClusterInstance[];
    public readonly securityGroup: aws.ec2.SecurityGroup;
    public readonly kmsKey: aws.kms.Key;
    /** Writer (cluster) endpoint. */
    public readonly writerEndpoint: pulumi.Output<string>;
    /** Reader endpoint (DNS round robin over the readers). */
    public readonly readerEndpoint: pulumi.Output<string>;
    public readonly port: pulumi.Output<number>;
    public readonly databaseName: string;
    public readonly masterUsername: string;
    /** The master password: a Pulumi secret. */
    public readonly masterPassword: pulumi.Output<string>;
    /** Secrets Manager secret holding the master credentials and endpoints (JSON). */
    public readonly secretArn: pulumi.Output<string>;
    public readonly clusterIdentifier: pulumi.Output<string>;

    constructor(name: string, args: AuroraPostgresArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:data:AuroraPostgres", name, {}, opts);
        const d = AURORA_DEFAULTS;
        const protect = args.protect ?? false;
        const tags = args.tags ?? {};
        const nameTag = (role: string) => ({ ...tags, Name: `${name}-${role}` });
        const identifier = args.identifier ?? name;
        const azs = args.availabilityZones;
        const as = args.readerAutoscaling;
        if (!/^[a-z][a-z0-9-]{0,50}$/.test(identifier)) throw new pulumi.ResourceError(`identifier "${identifier}" must be lowercase letters, digits and hyphens, starting with a letter, at most 51 characters`, this);
        if (args.readers < 0 || args.readers > MAX_AURORA_READERS) throw new pulumi.ResourceError(`readers must be between 0 and ${MAX_AURORA_READERS}, got ${args.readers}`, this);
        if (as && (as.minReaders < args.readers || as.maxReaders < as.minReaders || as.maxReaders > MAX_AURORA_READERS)) {
            throw new pulumi.ResourceError(`readerAutoscaling needs readers (${args.readers}) <= minReaders (${as.minReaders}) <= maxReaders (${as.maxReaders}) <= ${MAX_AURORA_READERS}`, this);
        }
        if (azs.length === 0) throw new pulumi.ResourceError("availabilityZones must not be empty", this);
        this.databaseName = args.databaseName ?? d.databaseName;
        this.masterUsername = args.masterUsername ?? d.masterUsername;
        const stateful = { parent: this, protect };
        const kept = { parent: this, protect, retainOnDelete: protect };

        const logGroupName = `/aws/rds/cluster/${identifier}/postgresql`;
        this.kmsKey = dataStoreKey(this, name, {
            identifier,
            description: `Aurora ${identifier}: storage, Performance Insights, credentials secret, PostgreSQL log`,
            logGroupNames: [logGroupName],
            protect,
            tags: nameTag("kms"),
        });
        this.securityGroup = dataStoreSecurityGroup(this, name, {
            vpcId: args.vpcId,
            description: `Aurora ${identifier}: PostgreSQL from the EKS cluster only`,
            port: d.port,
            allowedSecurityGroupIds: args.allowedSecurityGroupIds ?? [],
            ruleDescription: "PostgreSQL from the EKS cluster (nodes and pods)",
            nameTag,
        });

        const subnetGroup = new aws.rds.SubnetGroup(`${name}-subnets`, {
            name: `${identifier}-isolated`,
            subnetIds: args.subnetIds,
            description: `Aurora ${identifier}: isolated subnets`,
            tags: nameTag("subnets"),
        }, { parent: this });

        const family = auroraFamily(args.engineVersion);
        const clusterParams = new aws.rds.ClusterParameterGroup(`${name}-cluster-params`, {
            name: `${identifier}-cluster-${family}`,
            family,
            description: `Aurora ${identifier} cluster parameters`,
            parameters: auroraClusterParameters({ logMinDurationMs: args.logMinDurationMs ?? d.logMinDurationMs }),
            tags: nameTag("cluster-params"),
        }, { parent: this });
        const instanceParams = new aws.rds.ParameterGroup(`${name}-instance-params`, {
            name: `${identifier}-instance-${family}`,
            family,
            description: `Aurora ${identifier} instance parameters`,
            parameters: auroraInstanceParameters({ maxConnections: args.maxConnections }),
            tags: nameTag("instance-params"),
        }, { parent: this });

        // Exported logs land in this group; creating it sets retention and encryption (RDS would create it without either).
        new aws.cloudwatch.LogGroup(`${name}-postgresql-log`, {
            name: logGroupName,
            retentionInDays: args.logRetentionDays ?? d.logRetentionDays,
            // Slow statements are logged with their text: encrypted with the cluster's customer key.
            kmsKeyId: this.kmsKey.arn,
            tags: nameTag("postgresql-log"),
        }, { parent: this });

        const monitoringRole = new aws.iam.Role(`${name}-monitoring-role`, {
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "monitoring.rds.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
            tags: nameTag("monitoring-role"),
        }, { parent: this });
        new aws.iam.RolePolicyAttachment(`${name}-monitoring-policy`, {
            role: monitoringRole.name,
            policyArn: "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
        }, { parent: this });

        // The master password: generated, a Pulumi secret end to end (state, the cluster input, the secret).
        const password = new random.RandomPassword(`${name}-master-password`, {
            length: 40,
            special: true,
            // RDS forbids / @ " and spaces; PgBouncer's userlist is fine with the rest.
            overrideSpecial: "!#$%^&*()-_=+[]{}<>:?",
        }, { parent: this, additionalSecretOutputs: ["result"] });
        const secondary = args.global?.role === "secondary" ? args.global : undefined;
        const primaryOfGlobal = args.global?.role === "primary" ? args.global : undefined;
        this.masterPassword = pulumi.secret(secondary ? pulumi.output(secondary.masterPassword) : password.result);

        this.cluster = new aws.rds.Cluster(`${name}-cluster`, {
            clusterIdentifier: identifier,
            engine: "aurora-postgresql",
            engineVersion: args.engineVersion,
            // Upgrades are explicit config changes, never drift from an automatic minor upgrade.
            allowMajorVersionUpgrade: false,
            // A secondary has no master user or database of its own: both replicate from the primary.
            ...(secondary
                ? { globalClusterIdentifier: secondary.globalClusterIdentifier }
                : { databaseName: this.databaseName, masterUsername: this.masterUsername, masterPassword: this.masterPassword }),
            port: d.port,
            dbSubnetGroupName: subnetGroup.name,
            vpcSecurityGroupIds: [this.securityGroup.id],
            availabilityZones: azs,
            dbClusterParameterGroupName: clusterParams.name,
            storageEncrypted: true,
            kmsKeyId: this.kmsKey.arn,
            iamDatabaseAuthenticationEnabled: true,
            enabledCloudwatchLogsExports: ["postgresql"],
            backupRetentionPeriod: args.backupRetentionDays ?? d.backupRetentionDays,
            preferredBackupWindow: args.backupWindow ?? d.backupWindow,
            preferredMaintenanceWindow: args.maintenanceWindow ?? d.maintenanceWindow,
            copyTagsToSnapshot: true,
            deletionProtection: protect,
            skipFinalSnapshot: !protect,
            // Stable: derived from the identifier only (no timestamp), so it never shows as a diff.
            finalSnapshotIdentifier: protect ? `${identifier}-final` : undefined,
            applyImmediately: !protect,
            tags: { ...nameTag("cluster"), ...backupTags() },
        }, {
            ...stateful,
            // Aurora places storage in three zones and reports them all; a changed list would replace the cluster.
            // A rotated master password is Secrets Manager's, not the generated one's. In a global database AWS
            // sets the membership (the provider docs' ignoreChanges for a cluster taken into a global cluster)
            // and, on a secondary, the replication source.
            ignoreChanges: [
                "availabilityZones",
                ...(args.masterPasswordRotated ? ["masterPassword"] : []),
                ...(primaryOfGlobal ? ["globalClusterIdentifier"] : []),
                ...(secondary ? ["replicationSourceIdentifier"] : []),
            ],
            dependsOn: [instanceParams],
        });

        const readerClass = args.readerInstanceClass ?? args.instanceClass;
        const instanceCount = secondary ? secondary.instances : 1 + args.readers;
        this.instances = Array.from({ length: instanceCount }, (_, i) => new aws.rds.ClusterInstance(`${name}-${i === 0 ? "writer" : `reader-${i}`}`, {
            identifier: `${identifier}-${i + 1}`,
            clusterIdentifier: this.cluster.id,
            engine: "aurora-postgresql",
            engineVersion: this.cluster.engineVersion,
            instanceClass: i === 0 ? args.instanceClass : readerClass,
            availabilityZone: azs[i % azs.length],
            // The writer gets tier 0; readers 1, 2, ... so failover order is explicit.
            promotionTier: Math.min(i, 15),
            dbParameterGroupName: instanceParams.name,
            dbSubnetGroupName: subnetGroup.name,
            publiclyAccessible: false,
            // Minor versions move by the README's patch process (a reviewed `aurora.engineVersion` change,
            // applied in the maintenance window), so the engine never drifts from the stack's config.
            autoMinorVersionUpgrade: false,
            caCertIdentifier: "rds-ca-rsa2048-g1",
            performanceInsightsEnabled: true,
            performanceInsightsKmsKeyId: this.kmsKey.arn,
            performanceInsightsRetentionPeriod: args.performanceInsightsRetentionDays ?? d.performanceInsightsRetentionDays,
            monitoringInterval: args.monitoringIntervalSeconds ?? d.monitoringIntervalSeconds,
            monitoringRoleArn: monitoringRole.arn,
            preferredMaintenanceWindow: args.maintenanceWindow ?? d.maintenanceWindow,
            copyTagsToSnapshot: true,
            applyImmediately: !protect,
            tags: nameTag(i === 0 ? "writer" : `reader-${i}`),
        }, stateful));

        if (as && !secondary) {
            const target = new aws.appautoscaling.Target(`${name}-readers-target`, {
                serviceNamespace: "rds",
                scalableDimension: "rds:cluster:ReadReplicaCount",
                resourceId: pulumi.interpolate`cluster:${this.cluster.clusterIdentifier}`,
                minCapacity: as.minReaders,
                maxCapacity: as.maxReaders,
                tags: nameTag("readers-target"),
            }, { parent: this, dependsOn: this.instances });
            new aws.appautoscaling.Policy(`${name}-readers-policy`, {
                name: `${identifier}-readers`,
                policyType: "TargetTrackingScaling",
                serviceNamespace: target.serviceNamespace,
                scalableDimension: target.scalableDimension,
                resourceId: target.resourceId,
                targetTrackingScalingPolicyConfiguration: {
                    predefinedMetricSpecification: {
                        predefinedMetricType: (as.metric ?? d.metric) === "cpu" ? "RDSReaderAverageCPUUtilization" : "RDSReaderAverageDatabaseConnections",
                    },
                    targetValue: as.target ?? d.target,
                    scaleInCooldown: as.scaleInCooldownSeconds ?? d.scaleInCooldownSeconds,
                    scaleOutCooldown: as.scaleOutCooldownSeconds ?? d.scaleOutCooldownSeconds,
                },
            }, { parent: this });
        }

        // A secondary reads the primary's secret, replicated into its region; it keeps none of its own.
        const secret = secondary ? undefined : new aws.secretsmanager.Secret(`${name}-master-secret`, {
            name: `${identifier}/master`,
            description: `Aurora ${identifier}: master credentials and endpoints`,
            kmsKeyId: this.kmsKey.arn,
            recoveryWindowInDays: protect ? 30 : 0,
            // Replicas in the secondary regions (region-local keys): the standby reads the credentials there.
            replicas: primaryOfGlobal?.secretReplicaRegions.map((r) => ({ region: r.region, kmsKeyId: r.kmsKeyId })),
            tags: nameTag("master-secret"),
        }, kept);
        if (secret) new aws.secretsmanager.SecretVersion(`${name}-master-secret-value`, {
            secretId: secret.id,
            secretString: pulumi.secret(pulumi.all([this.masterPassword, this.cluster.endpoint, this.cluster.readerEndpoint, this.cluster.port]).apply(([pw, host, ro, port]) => JSON.stringify({
                engine: "postgres", username: this.masterUsername, password: pw, host, readerHost: ro, port, dbname: this.databaseName,
            }))),
        }, { parent: this, ignoreChanges: args.masterPasswordRotated ? ["secretString"] : [] });

        this.writerEndpoint = this.cluster.endpoint;
        this.readerEndpoint = this.cluster.readerEndpoint;
        this.port = this.cluster.port;
        this.secretArn = secret ? secret.arn : pulumi.output(secondary!.secretArn);
        this.clusterIdentifier = this.cluster.clusterIdentifier;
        this.registerOutputs({
            writerEndpoint: this.writerEndpoint,
            readerEndpoint: this.readerEndpoint,
            port: this.port,
            secretArn: this.secretArn,
            securityGroupId: this.securityGroup.id,
        });
    }
}

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { dataStoreKey, dataStoreSecurityGroup } from "./dataStore";

/** Arguments of {@link RedisCache}. */
export interface RedisCacheArgs {
    vpcId: pulumi.Input<string>;
    /** Subnets of the cache subnet group: the network's isolated subnets. */
    subnetIds: pulumi.Input<string>[];
    /** Security groups admitted on the Redis port (the EKS cluster security group). @default [] */
    allowedSecurityGroupIds?: pulumi.Input<string>[];
    /** Replication group id (lowercase, hyphens, <= 40 characters). @default the component name */
    identifier?: string;
    /** `valkey` or `redis` (Redis OSS). @default "valkey" */
    engine?: "valkey" | "redis";
    /** Engine version `major.minor`. */
    engineVersion: string;
    /** Node type, e.g. `cache.r7g.large`. */
    nodeType: string;
    /** Shards (node groups). */
    shards: number;
    /** Replicas per shard (>= 1: automatic failover and multi-AZ need one). */
    replicasPerShard: number;
    /** `maxmemory-policy`. @default "allkeys-lru" */
    maxmemoryPolicy?: string;
    /** Days snapshots are kept (0: none). @default 7 */
    snapshotRetentionDays?: number;
    /** Daily snapshot window (UTC). @default "03:00-04:00" */
    snapshotWindow?: string;
    /** Weekly maintenance window (UTC). @default "sun:05:00-sun:06:00" */
    maintenanceWindow?: string;
    /** Retention of slow and engine logs (days). @default 30 */
    logRetentionDays?: number;
    /** Production protections: a final snapshot, Pulumi `protect` on the group and its KMS key (`retainOnDelete` on the key). @default false */
    protect?: boolean;
    /** Tags for every resource, besides the provider's default tags. */
    tags?: Record<string, string>;
    /**
     * A secondary of an ElastiCache global datastore (multi-region disaster recovery): the group joins
     * `globalReplicationGroupId` and takes engine, version, node type, shards, parameters and AUTH from it
     * (the provider refuses `nodeType` and `numNodeGroups` with it); only its replicas per shard are its own.
     * @default a standalone (or primary) replication group
     */
    globalSecondaryOf?: pulumi.Input<string>;
    /** With `globalSecondaryOf`: the global datastore's AUTH token (the primary's), written to this group's token secret. */
    inheritedAuthToken?: pulumi.Input<string>;
    /** Regions the token secret replicates to (a disaster-recovery primary), each with a key of that region. @default none */
    secretReplicaRegions?: Array<{ region: string; kmsKeyId?: pulumi.Input<string> }>;
}

export const REDIS_DEFAULTS = {
    engine: "valkey" as const,
    maxmemoryPolicy: "allkeys-lru",
    snapshotRetentionDays: 7,
    snapshotWindow: "03:00-04:00",
    maintenanceWindow: "sun:05:00-sun:06:00",
    logRetentionDays: 30,
    port: 6379,
};

/** The parameter group family: valkey 8.x -> `valkey8`, redis 7.x -> `redis7`. */
export const redisFamily = (engine: "valkey" | "redis", version: string) => `${engine}${version.split(".")[0]}`;

/**
 * A parameter of the group. `oss: true` parameters mean the same in a plain `redis-server` /
 * `valkey-server` config, so the real-server test applies exactly these.
 */
export interface RedisParameter { name: string; value: string; oss: boolean }

/** Parameter group settings: eviction for a cache, idle-client cleanup, slow log thresholds. */
export function redisParameters(a: { maxmemoryPolicy?: string }): RedisParameter[] {
    return [
        { name: "cluster-enabled", value: "yes", oss: false },
        { name: "maxmemory-policy", value: a.maxmemoryPolicy ?? REDIS_DEFAULTS.maxmemoryPolicy, oss: true },
        { name: "maxmemory-samples", value: "10", oss: true },
        // Memory ElastiCache keeps outside the dataset for replication buffers and snapshots (fork).
        { name: "reserved-memory-percent", value: "25", oss: false },
        { name: "timeout", value: "300", oss: true },
        { name: "tcp-keepalive", value: "60", oss: true },
        { name: "slowlog-log-slower-than", value: "10000", oss: true },
        { name: "slowlog-max-len", value: "256", oss: true },
        { name: "lazyfree-lazy-eviction", value: "yes", oss: true },
        { name: "lazyfree-lazy-expire", value: "yes", oss: true },
    ];
}

/**
 * An ElastiCache replication group in cluster mode: shards x (1 primary + replicas) across zones,
 * automatic failover and multi-AZ, TLS-only with a generated auth token, at-rest encryption with a
 * customer KMS key, a parameter group, native daily snapshots (AWS Backup does not cover ElastiCache),
 * slow and engine logs to CloudWatch Logs, and a security group that admits only the EKS cluster.
 */
export class RedisCache extends pulumi.ComponentResource {
    public readonly replicationGroup: aws.elasticache.ReplicationGroup;
    public readonly securityGroup: aws.ec2.SecurityGroup;
    public readonly kmsKey: aws.kms.Key;
    /** Cluster-mode configuration endpoint (clients discover the shards from it). */
    public readonly configurationEndpoint: pulumi.Output<string>;
    public readonly port: number;
    /** The auth token: a Pulumi secret. */
    public readonly authToken: pulumi.Output<string>;
    /**
     * Secrets Manager secret (encrypted with the cache's KMS key) holding `{"authToken", "configurationEndpoint",
     * "port"}`: what applications' connection Secrets are synced from.
     */
    public readonly authTokenSecretArn: pulumi.Output<string>;

    constructor(name: string, args: RedisCacheArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:data:RedisCache", name, {}, opts);
        const d = REDIS_DEFAULTS;
        const protect = args.protect ?? false;
        const tags = args.tags ?? {};
        const nameTag = (role: string) => ({ ...tags, Name: `${name}-${role}` });
        const identifier = args.identifier ?? name;
        const engine = args.engine ?? d.engine;
        if (!/^[a-z][a-z0-9-]{0,39}$/.test(identifier) || identifier.endsWith("-")) throw new pulumi.ResourceError(`identifier "${identifier}" must be 1-40 lowercase letters, digits and hyphens, starting with a letter`, this);
        if (args.replicasPerShard < 1) throw new pulumi.ResourceError(`replicasPerShard must be >= 1 for automatic failover and multi-AZ, got ${args.replicasPerShard}`, this);
        if (args.shards < 1) throw new pulumi.ResourceError(`shards must be >= 1, got ${args.shards}`, this);
        this.port = d.port;

        const logTypes = ["slow-log", "engine-log"] as const;
        const logGroupName = (logType: string) => `/elasticache/${identifier}/${logType}`;
        this.kmsKey = dataStoreKey(this, name, {
            identifier,
            description: `ElastiCache ${identifier}: data at rest, snapshots, slow and engine logs`,
            logGroupNames: logTypes.map(logGroupName),
            protect,
            tags: nameTag("kms"),
        });
        this.securityGroup = dataStoreSecurityGroup(this, name, {
            vpcId: args.vpcId,
            description: `ElastiCache ${identifier}: ${engine} from the EKS cluster only`,
            port: d.port,
            allowedSecurityGroupIds: args.allowedSecurityGroupIds ?? [],
            ruleDescription: `${engine} from the EKS cluster (nodes and pods)`,
            nameTag,
        });

        const subnetGroup = new aws.elasticache.SubnetGroup(`${name}-subnets`, {
            name: `${identifier}-isolated`,
            subnetIds: args.subnetIds,
            description: `ElastiCache ${identifier}: isolated subnets`,
            tags: nameTag("subnets"),
        }, { parent: this });

        const family = redisFamily(engine, args.engineVersion);
        const params = new aws.elasticache.ParameterGroup(`${name}-params`, {
            name: `${identifier}-${family}`,
            family,
            description: `ElastiCache ${identifier} parameters`,
            parameters: redisParameters(args).map(({ name: n, value }) => ({ name: n, value })),
            tags: nameTag("params"),
        }, { parent: this });

        const logGroups = logTypes.map((logType) => new aws.cloudwatch.LogGroup(`${name}-${logType}`, {
            name: logGroupName(logType),
            retentionInDays: args.logRetentionDays ?? d.logRetentionDays,
            kmsKeyId: this.kmsKey.arn,
            tags: nameTag(logType),
        }, { parent: this }));

        // Auth token: 16-128 printable characters without / " @; alphanumeric keeps every client happy.
        const token = new random.RandomPassword(`${name}-auth-token`, { length: 64, special: false }, { parent: this, additionalSecretOutputs: ["result"] });
        // A global datastore secondary answers with the datastore's token, the primary's.
        this.authToken = pulumi.secret(args.globalSecondaryOf !== undefined && args.inheritedAuthToken !== undefined ? pulumi.output(args.inheritedAuthToken) : token.result);

        const secondary = args.globalSecondaryOf !== undefined;
        // What a global datastore secondary inherits from the global datastore, and may not set.
        const ownShape = secondary
            ? { globalReplicationGroupId: args.globalSecondaryOf }
            : {
                engine,
                engineVersion: args.engineVersion,
                nodeType: args.nodeType,
                parameterGroupName: params.name,
                clusterMode: "enabled",
                numNodeGroups: args.shards,
                authToken: this.authToken,
                authTokenUpdateStrategy: "ROTATE",
            };
        this.replicationGroup = new aws.elasticache.ReplicationGroup(`${name}-group`, {
            replicationGroupId: identifier,
            description: `${engine} ${args.engineVersion} cache (${args.shards} shards x ${1 + args.replicasPerShard} nodes)${secondary ? ", global datastore secondary" : ""}`,
            ...ownShape,
            port: d.port,
            subnetGroupName: subnetGroup.name,
            securityGroupIds: [this.securityGroup.id],
            replicasPerNodeGroup: args.replicasPerShard,
            automaticFailoverEnabled: true,
            multiAzEnabled: true,
            transitEncryptionEnabled: true,
            transitEncryptionMode: "required",
            atRestEncryptionEnabled: true,
            kmsKeyId: this.kmsKey.arn,
            snapshotRetentionLimit: args.snapshotRetentionDays ?? d.snapshotRetentionDays,
            snapshotWindow: args.snapshotWindow ?? d.snapshotWindow,
            maintenanceWindow: args.maintenanceWindow ?? d.maintenanceWindow,
            // Stable: derived from the identifier only.
            finalSnapshotIdentifier: protect ? `${identifier}-final` : undefined,
            autoMinorVersionUpgrade: true,
            applyImmediately: !protect,
            logDeliveryConfigurations: logGroups.map((lg, i) => ({
                destinationType: "cloudwatch-logs",
                destination: lg.name,
                logFormat: "json",
                logType: i === 0 ? "slow-log" : "engine-log",
            })),
            tags: nameTag("group"),
        }, { parent: this, protect });

        this.configurationEndpoint = this.replicationGroup.configurationEndpointAddress;

        // The token where pods can get it: Secrets Manager, encrypted with the cache's own key, read through
        // External Secrets by each service's SecretStore. Kept with the key in prod.
        const tokenSecret = new aws.secretsmanager.Secret(`${name}-auth-token-secret`, {
            name: `${identifier}/auth-token`,
            description: `ElastiCache ${identifier}: AUTH token and configuration endpoint`,
            kmsKeyId: this.kmsKey.arn,
            recoveryWindowInDays: protect ? 30 : 0,
            replicas: args.secretReplicaRegions?.map((x) => ({ region: x.region, kmsKeyId: x.kmsKeyId })),
            tags: nameTag("auth-token-secret"),
        }, { parent: this, protect, retainOnDelete: protect });
        new aws.secretsmanager.SecretVersion(`${name}-auth-token-secret-value`, {
            secretId: tokenSecret.id,
            secretString: pulumi.secret(pulumi.all([this.authToken, this.configurationEndpoint]).apply(([token, endpoint]) => JSON.stringify({ authToken: token, configurationEndpoint: endpoint, port: d.port }))),
        }, { parent: this });
        this.authTokenSecretArn = tokenSecret.arn;
        this.registerOutputs({
            authTokenSecretArn: this.authTokenSecretArn,
            configurationEndpoint: this.configurationEndpoint,
            port: this.port,
            securityGroupId: this.securityGroup.id,
        });
    }
}

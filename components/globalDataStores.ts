import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of {@link GlobalDataStores}. */
export interface GlobalDataStoresArgs {
    /** ARN of the existing Aurora cluster that becomes the global database's primary. */
    auroraClusterArn: pulumi.Input<string>;
    /** Identifier of the Aurora global cluster (lowercase letters, digits, hyphens; 1-63 characters). */
    globalClusterIdentifier: string;
    /** Id of the existing ElastiCache replication group that becomes the global datastore's primary. */
    replicationGroupId: pulumi.Input<string>;
    /** Suffix of the global datastore's id (AWS prefixes it with a region-specific code). */
    globalReplicationGroupIdSuffix: string;
    /** Description of the global datastore. @default "global datastore of <replicationGroupId>" */
    description?: string;
    /** Prod: deletion protection on the global cluster and Pulumi `protect` on both. @default false */
    protect?: boolean;
    /** Tags of the global cluster, besides the provider's default tags. */
    tags?: Record<string, string>;
}

/**
 * The primary side of multi-region disaster recovery: an Aurora global database that takes in the existing
 * cluster (`sourceDbClusterIdentifier`: the cluster is not recreated, AWS attaches it) and an ElastiCache
 * global datastore over the existing replication group (`primaryReplicationGroupId`). Secondary stacks join
 * both by their identifiers (`globalClusterIdentifier`, `globalReplicationGroupId`).
 *
 * Upgrades: the engine versions of both are then changed through these resources, not the members
 * (the provider ignores the members' engine fields once they belong to a global datastore).
 */
export class GlobalDataStores extends pulumi.ComponentResource {
    public readonly globalCluster: aws.rds.GlobalCluster;
    public readonly globalReplicationGroup: aws.elasticache.GlobalReplicationGroup;
    /** Identifier secondaries join with `globalClusterIdentifier`. */
    public readonly globalClusterIdentifier: pulumi.Output<string>;
    /** Full id (AWS prefix + suffix) secondaries join with `globalReplicationGroupId`. */
    public readonly globalReplicationGroupId: pulumi.Output<string>;

    constructor(name: string, args: GlobalDataStoresArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:data:GlobalDataStores", name, {}, opts);
        const protect = args.protect ?? false;
        if (!/^[a-z][a-z0-9-]{0,62}$/.test(args.globalClusterIdentifier)) throw new pulumi.ResourceError(`globalClusterIdentifier "${args.globalClusterIdentifier}" must be 1-63 lowercase letters, digits and hyphens, starting with a letter`, this);
        if (!/^[a-z][a-z0-9-]{0,39}$/.test(args.globalReplicationGroupIdSuffix)) throw new pulumi.ResourceError(`globalReplicationGroupIdSuffix "${args.globalReplicationGroupIdSuffix}" must be 1-40 lowercase letters, digits and hyphens`, this);

        this.globalCluster = new aws.rds.GlobalCluster(`${name}-aurora`, {
            globalClusterIdentifier: args.globalClusterIdentifier,
            // Engine, version, encryption and database come from the source cluster.
            sourceDbClusterIdentifier: args.auroraClusterArn,
            // Required with sourceDbClusterIdentifier: on destroy, members are removed before the global cluster.
            forceDestroy: true,
            deletionProtection: protect,
            tags: args.tags,
        }, {
            parent: this,
            protect,
            // The API cannot read the source back (provider docs): never a diff after creation.
            ignoreChanges: ["sourceDbClusterIdentifier"],
        });
        this.globalReplicationGroup = new aws.elasticache.GlobalReplicationGroup(`${name}-cache`, {
            globalReplicationGroupIdSuffix: args.globalReplicationGroupIdSuffix,
            primaryReplicationGroupId: args.replicationGroupId,
            globalReplicationGroupDescription: args.description ?? pulumi.interpolate`global datastore of ${args.replicationGroupId}`,
        }, { parent: this, protect });

        this.globalClusterIdentifier = this.globalCluster.globalClusterIdentifier;
        this.globalReplicationGroupId = this.globalReplicationGroup.globalReplicationGroupId;
        this.registerOutputs({ globalClusterIdentifier: this.globalClusterIdentifier, globalReplicationGroupId: this.globalReplicationGroupId });
    }
}

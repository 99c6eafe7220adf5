/**
 * What every data store of the topology (Aurora, ElastiCache) builds the same way: a customer KMS key
 * with rotation and an alias, and a security group that admits its port from the EKS cluster only.
 * Plain functions creating children of the calling component (names `${name}-kms`, `${name}-sg`, ...),
 * so the two components cannot drift apart on either.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { dataKeyPolicy, KeyServiceGrant } from "./dataKeys";

export interface DataStoreKeyArgs {
    /** Physical name of the store: the alias is `alias/<identifier>`. */
    identifier: string;
    /** What the key encrypts, for its description. */
    description: string;
    /** CloudWatch log groups allowed to use the key. */
    logGroupNames: string[];
    /** Service principals allowed to use the key besides CloudWatch Logs. @default [] */
    serviceGrants?: KeyServiceGrant[];
    /** Prod: `protect` and `retainOnDelete`, so snapshots encrypted with it stay readable. */
    protect: boolean;
    tags: Record<string, string>;
}

/** A customer KMS key (rotation on, 30-day deletion window) and its alias. */
export function dataStoreKey(parent: pulumi.Resource, name: string, args: DataStoreKeyArgs): aws.kms.Key {
    const key = new aws.kms.Key(`${name}-kms`, {
        description: args.description,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: dataKeyPolicy(parent, args.logGroupNames, args.serviceGrants),
        tags: args.tags,
    }, { parent, protect: args.protect, retainOnDelete: args.protect });
    new aws.kms.Alias(`${name}-kms-alias`, { name: `alias/${args.identifier}`, targetKeyId: key.keyId }, { parent });
    return key;
}

export interface DataStoreSecurityGroupArgs {
    vpcId: pulumi.Input<string>;
    /** Security group description. */
    description: string;
    /** The store's TCP port. */
    port: number;
    /** Security groups admitted to the port (the EKS cluster security group). */
    allowedSecurityGroupIds: pulumi.Input<string>[];
    /** What the ingress rules admit, for their descriptions. */
    ruleDescription: string;
    nameTag: (role: string) => Record<string, string>;
}

/** A security group with no rule but the store's port from each allowed security group. */
export function dataStoreSecurityGroup(parent: pulumi.Resource, name: string, args: DataStoreSecurityGroupArgs): aws.ec2.SecurityGroup {
    const sg = new aws.ec2.SecurityGroup(`${name}-sg`, { vpcId: args.vpcId, description: args.description, tags: args.nameTag("sg") }, { parent });
    args.allowedSecurityGroupIds.forEach((source, i) => new aws.vpc.SecurityGroupIngressRule(`${name}-ingress-${i + 1}`, {
        securityGroupId: sg.id,
        referencedSecurityGroupId: source,
        ipProtocol: "tcp",
        fromPort: args.port,
        toPort: args.port,
        description: args.ruleDescription,
        tags: args.nameTag(`ingress-${i + 1}`),
    }, { parent }));
    return sg;
}

/**
 * Explicit KMS key policy of the topology's customer keys: the account administers the key (IAM policies
 * and the AWS services acting for the account, as with the default key policy), and CloudWatch Logs may
 * use it for the named log groups only (none: no such statement). The data tier encrypts its exported
 * logs (the PostgreSQL log with statement text, the Redis slow/engine logs) with the data's key; the EKS
 * control-plane and VPC flow logs get keys of their own; the EKS secrets key admits no log group.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** A statement letting an AWS service principal use the key (e.g. CloudFront's log delivery writing SSE-KMS objects). */
export interface KeyServiceGrant {
    sid: string;
    /** Service principal, e.g. `delivery.logs.amazonaws.com`. */
    service: string;
    actions: string[];
}

/**
 * The statement every customer key of the topology starts with: the account administers the key (IAM
 * policies and the AWS services acting for the account decide who uses it, as with the default key policy).
 */
export function accountAdministersKey(partition: string, accountId: string) {
    return { Sid: "AccountAdministers", Effect: "Allow", Principal: { AWS: `arn:${partition}:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" };
}

export function dataKeyPolicy(parent: pulumi.Resource, logGroupNames: string[], serviceGrants: KeyServiceGrant[] = []): pulumi.Output<string> {
    const account = aws.getCallerIdentityOutput({}, { parent });
    const region = aws.getRegionOutput({}, { parent });
    const partition = aws.getPartitionOutput({}, { parent });
    return pulumi.all([account.accountId, region.region, partition.partition]).apply(([acct, reg, part]) => JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            accountAdministersKey(part, acct),
            ...(logGroupNames.length === 0 ? [] : [{
                Sid: "CloudWatchLogsForTheseLogGroups",
                Effect: "Allow",
                Principal: { Service: `logs.${reg}.amazonaws.com` },
                Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                Resource: "*",
                Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": logGroupNames.map((n) => `arn:${part}:logs:${reg}:${acct}:log-group:${n}`) } },
            }]),
            ...serviceGrants.map((g) => ({ Sid: g.sid, Effect: "Allow", Principal: { Service: g.service }, Action: g.actions, Resource: "*" })),
        ],
    }));
}

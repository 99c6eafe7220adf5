/**
 * KMS key policy of the data tier's customer keys: the account administers the key (IAM policies and the
 * AWS services acting for the account, as with the default key policy), and CloudWatch Logs may use it for
 * the named log groups only, so the exported PostgreSQL log (slow statements with their text) and the
 * Redis slow/engine logs are encrypted with the same customer key as the data.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export function dataKeyPolicy(parent: pulumi.Resource, logGroupNames: string[]): pulumi.Output<string> {
    const account = aws.getCallerIdentityOutput({}, { parent });
    const region = aws.getRegionOutput({}, { parent });
    const partition = aws.getPartitionOutput({}, { parent });
    return pulumi.all([account.accountId, region.region, partition.partition]).apply(([acct, reg, part]) => JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "AccountAdministers",
                Effect: "Allow",
                Principal: { AWS: `arn:${part}:iam::${acct}:root` },
                Action: "kms:*",
                Resource: "*",
            },
            {
                Sid: "CloudWatchLogsForTheseLogGroups",
                Effect: "Allow",
                Principal: { Service: `logs.${reg}.amazonaws.com` },
                Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                Resource: "*",
                Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": logGroupNames.map((n) => `arn:${part}:logs:${reg}:${acct}:log-group:${n}`) } },
            },
        ],
    }));
}

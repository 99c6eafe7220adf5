import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accountAdministersKey } from "./dataKeys";

/** Arguments of {@link AlertTopic}. */
export interface AlertTopicArgs {
    /** Email address subscribed to the topic (the recipient confirms). @default none */
    email?: string;
    /** HTTPS endpoint subscribed to the topic (it confirms the subscription). @default none */
    webhookUrl?: string;
    /**
     * Amazon Managed Service for Prometheus workspace ARNs whose alert manager may publish (the topic
     * policy and the key policy admit `aps.amazonaws.com` for these workspaces only). @default []
     */
    ampWorkspaceArns?: pulumi.Input<string>[];
    /** Prod: Pulumi `protect` and `retainOnDelete` on the KMS key. @default false */
    protect?: boolean;
    /** Tags for every resource, besides the provider's default tags. */
    tags?: Record<string, string>;
}

/**
 * One encrypted SNS topic every alarm and the alert manager notify: a customer KMS key (rotation on)
 * whose policy lets CloudWatch alarms and the AMP alert manager of this account use it, the topic
 * encrypted with it, a topic policy for those two services, and the email/HTTPS subscriptions.
 * CloudWatch alarms notify topics of their own region only: a stack with alarms in us-east-1
 * (CloudFront) makes a second one there (the component's provider decides the region).
 */
export class AlertTopic extends pulumi.ComponentResource {
    public readonly topic: aws.sns.Topic;
    public readonly topicArn: pulumi.Output<string>;
    public readonly kmsKey: aws.kms.Key;

    constructor(name: string, args: AlertTopicArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:observability:AlertTopic", name, {}, opts);
        const tags = args.tags ?? {};
        const nameTag = (role: string) => ({ ...tags, Name: `${name}-${role}` });
        const protect = args.protect ?? false;
        const account = aws.getCallerIdentityOutput({}, { parent: this });
        const partition = aws.getPartitionOutput({}, { parent: this });
        const workspaces = pulumi.all(args.ampWorkspaceArns ?? []);

        // The services' documented key statements; the topic policy below limits who publishes (source account, workspace).
        const keyPolicy = pulumi.all([account.accountId, partition.partition, workspaces]).apply(([acct, part, ws]) => JSON.stringify({
            Version: "2012-10-17",
            Statement: [
                accountAdministersKey(part, acct),
                {
                    Sid: "CloudWatchAlarmsPublish",
                    Effect: "Allow",
                    Principal: { Service: "cloudwatch.amazonaws.com" },
                    Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                    Resource: "*",
                },
                ...(ws.length > 0 ? [{
                    Sid: "AmpAlertManagerPublishes",
                    Effect: "Allow",
                    Principal: { Service: "aps.amazonaws.com" },
                    Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                    Resource: "*",
                }] : []),
            ],
        }));
        this.kmsKey = new aws.kms.Key(`${name}-kms`, {
            description: `${name}: alert notifications (SNS)`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            policy: keyPolicy,
            tags: nameTag("kms"),
        }, { parent: this, protect, retainOnDelete: protect });
        this.topic = new aws.sns.Topic(`${name}-topic`, { kmsMasterKeyId: this.kmsKey.arn, tags: nameTag("topic") }, { parent: this });
        this.topicArn = this.topic.arn;
        new aws.sns.TopicPolicy(`${name}-policy`, {
            arn: this.topic.arn,
            policy: pulumi.all([this.topic.arn, account.accountId, partition.partition, workspaces]).apply(([arn, acct, part, ws]) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    { Sid: "AccountManages", Effect: "Allow", Principal: { AWS: `arn:${part}:iam::${acct}:root` }, Action: ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"], Resource: arn },
                    { Sid: "CloudWatchAlarmsPublish", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: "SNS:Publish", Resource: arn, Condition: { StringEquals: { "aws:SourceAccount": acct } } },
                    ...(ws.length > 0 ? [{
                        Sid: "AmpAlertManagerPublishes",
                        Effect: "Allow",
                        Principal: { Service: "aps.amazonaws.com" },
                        Action: ["SNS:Publish", "SNS:GetTopicAttributes"],
                        Resource: arn,
                        Condition: { StringEquals: { "aws:SourceAccount": acct }, ArnEquals: { "aws:SourceArn": ws } },
                    }] : []),
                ],
            })),
        }, { parent: this });
        if (args.email) new aws.sns.TopicSubscription(`${name}-email`, { topic: this.topic.arn, protocol: "email", endpoint: args.email }, { parent: this });
        if (args.webhookUrl) new aws.sns.TopicSubscription(`${name}-webhook`, { topic: this.topic.arn, protocol: "https", endpoint: args.webhookUrl, endpointAutoConfirms: false }, { parent: this });
        this.registerOutputs({ topicArn: this.topicArn });
    }
}

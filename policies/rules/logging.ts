/**
 * Logging and monitoring: CloudWatch log groups (customer key, retention), VPC flow logs, WAF and
 * CloudFront access logs, and what Aurora records (statement log, log export, enhanced monitoring).
 */
import { checkov, isSet, list, onType, PolicyResource, Props, Rule } from "./common";

const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const WEB_ACL = "aws:wafv2/webAcl:WebAcl";
const WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration";

/**
 * Does `r` point at `target`: through a recorded dependency (an input built from the target's outputs),
 * or by a literal input equal to one of the target's literal identifiers?
 */
export function refersTo(r: PolicyResource, target: PolicyResource, key: string, targetKeys: string[]): boolean {
    if (r.dependencies.some((d) => d.urn === target.urn)) return true;
    const v = Object.getOwnPropertyDescriptor(r.props, key)?.value;
    return typeof v === "string" && targetKeys.some((k) => Object.getOwnPropertyDescriptor(target.props, k)?.value === v);
}

/** CloudWatch Logs retention periods the API accepts (days). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export const logging: Rule[] = [
    {
        name: "cloudwatch-log-group-kms",
        description: "CloudWatch log groups are encrypted with a customer-managed KMS key.",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `kmsKeyId` to the ARN of a customer-managed `aws.kms.Key` whose key policy lets `logs.<region>.amazonaws.com` use it for this log group only (condition on `kms:EncryptionContext:aws:logs:arn`; see `components/dataKeys.ts`). Adding a key to an existing group is an in-place update (AssociateKmsKey); only new events are encrypted with it.",
        framework: checkov("CKV_AWS_158", "CloudWatch log groups use a customer KMS key"),
        tags: ["logging", "encryption"],
        validateResource: onType(LOG_GROUP, (props, args, report) => {
            if (!isSet(props, "kmsKeyId")) report(`${args.name}: no kmsKeyId (the CloudWatch Logs service key).`);
        }),
    },
    {
        name: "cloudwatch-log-group-retention",
        description: "CloudWatch log groups keep events for a set period of at least `minimumDays` (never forever, never less than the stack needs).",
        severity: "low",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `retentionInDays` to a CloudWatch Logs period (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, ...) of at least the stack's minimum.",
        framework: checkov("CKV_AWS_66", "CloudWatch log groups set a retention period"),
        tags: ["logging"],
        configSchema: { properties: { minimumDays: { type: "integer", minimum: 1, default: 1 } } },
        validateResource: onType(LOG_GROUP, (props, args, report) => {
            const days = props.retentionInDays as number | undefined;
            const { minimumDays } = args.getConfig<{ minimumDays: number }>();
            if (days === undefined || days === 0) report(`${args.name}: no retentionInDays (events are kept forever).`);
            else if (days < minimumDays) report(`${args.name}: retentionInDays is ${days}; at least ${minimumDays} required.`);
        }),
    },
    {
        name: "vpc-flow-logs",
        description: "Every VPC has a flow log of an accepted traffic type (`ALL` by default: accepted and rejected).",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Add an `aws.ec2.FlowLog` with `vpcId` set to the VPC and `trafficType: \"ALL\"`, delivering to an encrypted log group or bucket.",
        framework: checkov("CKV2_AWS_11", "Every VPC has flow logging"),
        tags: ["logging", "network"],
        configSchema: { properties: { acceptedTrafficTypes: { type: "array", items: { type: "string", enum: ["ALL", "ACCEPT", "REJECT"] }, default: ["ALL"] } } },
        validateStack: (args, report) => {
            const { acceptedTrafficTypes } = args.getConfig<{ acceptedTrafficTypes: string[] }>();
            const vpcs = args.resources.filter((r) => r.type === "aws:ec2/vpc:Vpc");
            if (vpcs.length === 0) args.notApplicable("no VPC in the stack");
            const logs = args.resources.filter((r) => r.type === "aws:ec2/flowLog:FlowLog");
            for (const vpc of vpcs) {
                const mine = logs.filter((l) => refersTo(l, vpc, "vpcId", ["id"]));
                if (mine.length === 0) report(`${vpc.name}: no flow log.`, vpc.urn);
                else if (!mine.some((l) => acceptedTrafficTypes.includes(l.props.trafficType))) report(`${vpc.name}: flow logs capture ${mine.map((l) => l.props.trafficType).join(", ")} traffic; ${acceptedTrafficTypes.join(" or ")} required.`, vpc.urn);
            }
        },
    },
    {
        name: "wafv2-logging",
        description: "Every WAFv2 web ACL sends its request logs to a destination (CloudWatch Logs, S3 or Firehose).",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Add an `aws.wafv2.WebAclLoggingConfiguration` with `resourceArn: webAcl.arn` and `logDestinationConfigs` naming a log group called `aws-waf-logs-*` (same provider/region as the ACL: us-east-1 for CloudFront), redacting authorization and cookie headers.",
        framework: checkov("CKV2_AWS_31", "WAFv2 web ACLs have a logging configuration"),
        tags: ["logging", "waf", "edge"],
        validateStack: (args, report) => {
            const acls = args.resources.filter((r) => r.type === WEB_ACL);
            if (acls.length === 0) args.notApplicable("no WAFv2 web ACL in the stack");
            const configs = args.resources.filter((r) => r.type === WAF_LOGGING);
            for (const acl of acls) {
                if (!configs.some((c) => refersTo(c, acl, "resourceArn", ["arn"]))) report(`${acl.name}: no WebAclLoggingConfiguration.`, acl.urn);
            }
        },
    },
    {
        name: "cloudfront-access-logging",
        description: "CloudFront distributions write access logs (standard logging to S3).",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `loggingConfig: { bucket: logBucket.bucketDomainName, prefix: \"cloudfront/\", includeCookies: false }` with a private, encrypted, versioned bucket.",
        framework: checkov("CKV_AWS_86", "CloudFront distributions have access logging"),
        tags: ["logging", "edge"],
        validateResource: onType("aws:cloudfront/distribution:Distribution", (props, args, report) => {
            if (!isSet(props.loggingConfig, "bucket")) report(`${args.name}: no loggingConfig.bucket.`);
        }),
    },
    {
        name: "rds-statement-logging",
        description: "PostgreSQL parameter groups log statements: `log_statement` (ddl, mod or all) and `log_min_duration_statement` (not -1).",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "In the cluster parameter group (family `aurora-postgresql*`, or `postgres*` for RDS), set `log_statement = ddl` (schema changes, never row data) and `log_min_duration_statement` to a threshold in ms; export the `postgresql` log to CloudWatch.",
        framework: checkov("CKV2_AWS_27", "Aurora PostgreSQL cluster parameter groups enable query logging"),
        tags: ["logging", "data"],
        validateResource: ["aws:rds/clusterParameterGroup:ClusterParameterGroup", "aws:rds/parameterGroup:ParameterGroup"].map((t) => onType(t, (props, args, report) => {
            const family = String(props.family ?? "");
            const cluster = t.includes("clusterParameterGroup");
            // Aurora instance groups inherit the cluster group's statement log; RDS (postgres*) instance groups carry their own.
            if (!(cluster ? /^aurora-postgresql/.test(family) : /^postgres/.test(family))) args.notApplicable(`family ${family} is not PostgreSQL${cluster ? " (Aurora)" : ""}`);
            const params = new Map(list<Props>(props.parameters).map((p) => [String(p.name), String(p.value)]));
            const statement = params.get("log_statement");
            if (!statement || !["ddl", "mod", "all"].includes(statement)) report(`${args.name}: log_statement is ${JSON.stringify(statement ?? "none")}; use ddl, mod or all.`);
            const duration = params.get("log_min_duration_statement");
            if (duration === undefined || duration === "-1") report(`${args.name}: log_min_duration_statement is ${JSON.stringify(duration ?? "-1")} (slow statements not logged).`);
        })),
    },
    {
        name: "rds-log-exports",
        description: "Aurora PostgreSQL clusters export the `postgresql` log to CloudWatch Logs.",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `enabledCloudwatchLogsExports: [\"postgresql\"]` and create the log group `/aws/rds/cluster/<id>/postgresql` first (retention, customer key).",
        framework: checkov("CKV_AWS_324", "RDS clusters capture their logs"),
        tags: ["logging", "data"],
        validateResource: onType("aws:rds/cluster:Cluster", (props, args, report) => {
            if (!/postgres/.test(String(props.engine ?? ""))) args.notApplicable(`engine ${props.engine} is not PostgreSQL`);
            if (!list<string>(props.enabledCloudwatchLogsExports).includes("postgresql")) report(`${args.name}: enabledCloudwatchLogsExports does not include "postgresql".`);
        }),
    },
    {
        name: "rds-enhanced-monitoring",
        description: "Database instances send enhanced monitoring (OS metrics) at an interval of at most `maximumIntervalSeconds`.",
        severity: "low",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `monitoringInterval` (1, 5, 10, 15, 30 or 60 seconds) and `monitoringRoleArn` (a role with AmazonRDSEnhancedMonitoringRole) on each instance.",
        framework: checkov("CKV_AWS_118", "RDS instances have enhanced monitoring"),
        tags: ["observability", "data"],
        configSchema: { properties: { maximumIntervalSeconds: { type: "integer", enum: [1, 5, 10, 15, 30, 60], default: 60 } } },
        validateResource: ["aws:rds/clusterInstance:ClusterInstance", "aws:rds/instance:Instance"].map((t) => onType(t, (props, args, report) => {
            const interval = (props.monitoringInterval as number | undefined) ?? 0;
            const { maximumIntervalSeconds } = args.getConfig<{ maximumIntervalSeconds: number }>();
            if (interval === 0) report(`${args.name}: monitoringInterval is 0 (enhanced monitoring off).`);
            else if (interval > maximumIntervalSeconds) report(`${args.name}: monitoringInterval ${interval}s exceeds ${maximumIntervalSeconds}s.`);
        })),
    },
];

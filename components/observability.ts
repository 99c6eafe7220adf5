import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AlertThresholds, stackAlertRules, Threshold } from "../sizing/alerts";
import { AlertTopic } from "./alertTopic";
import { cloudWatchDashboardBody, grafanaDashboards } from "./dashboards";
import { Grafana } from "./grafana";
import { scrapeConfigYaml } from "./scrapeConfig";

/** Arguments of {@link Observability}. */
export interface ObservabilityArgs {
    /** Every threshold, from the stack config and the sizing model (`sizing/alerts.ts`). */
    thresholds: AlertThresholds;
    /** Alert recipients: an email address and/or an HTTPS endpoint subscribed to the alert topic. */
    notifications: { email?: string; webhookUrl?: string };
    /** Seconds between scrapes (the managed scraper's minimum is 30). @default 30 */
    scrapeIntervalSeconds?: number;
    /** The EKS cluster the managed scraper reads: its ARN, name, subnets (two zones or more) and the cluster security group. */
    cluster: { arn: pulumi.Input<string>; name: pulumi.Input<string>; clusterName: string; subnetIds: pulumi.Input<pulumi.Input<string>[]>; securityGroupId: pulumi.Input<string> };
    /** Resources the cluster add-ons wait for (the node groups: their pods need nodes). @default [] */
    addonDependsOn?: pulumi.Resource[];
    /** Aurora cluster identifier (CloudWatch dimension `DBClusterIdentifier`). */
    auroraClusterIdentifier: pulumi.Input<string>;
    /** ElastiCache replication group (cluster mode): its id and shape give each node's `CacheClusterId`. */
    redis: { replicationGroupId: string; shards: number; replicasPerShard: number };
    /** CloudFront distribution and the us-east-1 provider its metrics live in. @default none */
    cloudfront?: { distributionId: pulumi.Input<string>; usEast1Provider: aws.Provider };
    /** AWS Backup vault whose failed jobs alarm. */
    backupVaultName: pulumi.Input<string>;
    /** Regional ACM certificates whose expiry alarms (the origin's). @default [] */
    certificateArns?: pulumi.Input<string>[];
    /** Grafana (chart, AMP datasource, dashboard sidecar) and where it runs; `false` leaves only the dashboards' ConfigMaps. @default { nodeSelector: {} } */
    grafana?: { nodeSelector?: Record<string, string> } | false;
    /** Region of the regional metrics (the dashboard's default). */
    region: string;
    /** Prod: `protect` on the KMS keys and the workspace. @default false */
    protect?: boolean;
    /** Tags for every AWS resource, besides the provider's default tags. */
    tags?: Record<string, string>;
}

/** ElastiCache's `CacheClusterId` of each node of a cluster-mode replication group: `<group>-<shard 0001>-<node 001>`. */
export function cacheNodeIds(replicationGroupId: string, shards: number, replicasPerShard: number): string[][] {
    return Array.from({ length: shards }, (_, s) => Array.from({ length: 1 + replicasPerShard }, (_, k) =>
        `${replicationGroupId}-${String(s + 1).padStart(4, "0")}-${String(k + 1).padStart(3, "0")}`));
}

/** CloudWatch alarm metric math takes at most 10 metrics: the hit ratio reads hits and misses of 5 nodes per shard. */
const HIT_RATIO_NODES = 5;

/**
 * Observability of the whole topology:
 * - Amazon Managed Service for Prometheus: a workspace, the EKS managed scraper (agentless: PgBouncer's
 *   exporter sidecars, the request path, kube-state-metrics, node-exporter, cluster-autoscaler), the
 *   stack's rules as a rule group namespace, and an alert manager that publishes to the alert topic;
 * - kube-state-metrics and prometheus-node-exporter as EKS community add-ons;
 * - CloudWatch alarms on what AWS manages (Aurora by role, ElastiCache per shard, CloudFront in
 *   us-east-1, AWS Backup, ACM), all notifying the encrypted alert topic, and a CloudWatch dashboard;
 * - Grafana (`Grafana`: the pinned chart, the workspace as datasource through Pod Identity) and its
 *   dashboards (API, database, cache) as ConfigMaps its dashboard sidecar loads.
 */
export class Observability extends pulumi.ComponentResource {
    public readonly topic: AlertTopic;
    public readonly workspace: aws.amp.Workspace;
    public readonly workspaceArn: pulumi.Output<string>;
    public readonly prometheusEndpoint: pulumi.Output<string>;
    public readonly rulesYaml: string;
    public readonly alarms: aws.cloudwatch.MetricAlarm[] = [];
    public readonly dashboardName: pulumi.Output<string>;
    public readonly grafana?: Grafana;

    constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:observability:Observability", name, {}, opts);
        const t = args.thresholds;
        const tags = args.tags ?? {};
        const nameTag = (role: string) => ({ ...tags, Name: `${name}-${role}` });
        const protect = args.protect ?? false;
        const scrapeInterval = args.scrapeIntervalSeconds ?? 30;
        if (scrapeInterval < 30) throw new pulumi.ResourceError(`scrapeIntervalSeconds must be >= 30 (the managed scraper's minimum), got ${scrapeInterval}`, this);

        // The managed scraper tags its destination workspace: declaring the tag keeps updates from removing it.
        // Encrypted at rest with an AWS owned key: a customer key would need the scraper's cross-role
        // configuration (source and target roles) for ingestion (AWS docs, scrapers for CMK workspaces).
        this.workspace = new aws.amp.Workspace(`${name}-amp`, {
            alias: `${args.cluster.clusterName}-metrics`,
            tags: { ...nameTag("amp"), AMPAgentlessScraper: "" },
        }, { parent: this, protect });
        this.workspaceArn = this.workspace.arn;
        this.prometheusEndpoint = this.workspace.prometheusEndpoint;

        this.topic = new AlertTopic(`${name}-alerts`, { ...args.notifications, ampWorkspaceArns: [this.workspace.arn], protect, tags }, { parent: this });
        const topicArn = this.topic.topicArn;

        // Cluster metrics: kube-state-metrics and node-exporter (EKS community add-ons), scraped by AMP.
        // With the cluster in API authentication mode, AMP creates the scraper's access entry itself.
        for (const addonName of ["kube-state-metrics", "prometheus-node-exporter"]) {
            new aws.eks.Addon(`${name}-addon-${addonName}`, {
                clusterName: args.cluster.name,
                addonName,
                resolveConflictsOnCreate: "OVERWRITE",
                resolveConflictsOnUpdate: "OVERWRITE",
                tags: nameTag(`addon-${addonName}`),
            }, { parent: this, dependsOn: args.addonDependsOn ?? [] });
        }
        new aws.amp.Scraper(`${name}-scraper`, {
            alias: `${args.cluster.clusterName}-scraper`,
            source: { eks: { clusterArn: args.cluster.arn, subnetIds: args.cluster.subnetIds, securityGroupIds: [args.cluster.securityGroupId] } },
            destination: { amp: { workspaceArn: this.workspace.arn } },
            scrapeConfiguration: scrapeConfigYaml({ scrapeIntervalSeconds: scrapeInterval, dataPlane: t.dataPlane, clusterName: args.cluster.clusterName }),
            tags: nameTag("scraper"),
        }, { parent: this });

        // The one rules source: the same text the plan, the README and promtool see.
        this.rulesYaml = stackAlertRules(t).yaml;
        new aws.amp.RuleGroupNamespace(`${name}-rules`, { name: "scaling-topology", workspaceId: this.workspace.id, data: this.rulesYaml }, { parent: this });
        new aws.amp.AlertManagerDefinition(`${name}-alertmanager`, {
            workspaceId: this.workspace.id,
            definition: topicArn.apply((arn) => alertManagerDefinition(arn, args.region)),
        }, { parent: this });

        // ---- CloudWatch alarms: every one notifies the topic (and again when it recovers) ----
        const alarm = (role: string, a: Omit<aws.cloudwatch.MetricAlarmArgs, "alarmActions" | "okActions">, provider?: aws.Provider, actions: pulumi.Input<string> = topicArn) => {
            const r = new aws.cloudwatch.MetricAlarm(`${name}-${role}`, {
                treatMissingData: "notBreaching",
                ...a,
                alarmActions: [actions],
                okActions: [actions],
                tags: nameTag(role),
            }, { parent: this, provider });
            this.alarms.push(r);
            return r;
        };
        const describe = (what: string, th: Threshold) => `${what} (threshold from ${th.source})`;
        // Aurora, by role (the WRITER / READER dimension follows failovers).
        for (const role of ["WRITER", "READER"] as const) {
            const dims = { DBClusterIdentifier: args.auroraClusterIdentifier, Role: role };
            const lower = role.toLowerCase();
            alarm(`aurora-${lower}-cpu`, { namespace: "AWS/RDS", metricName: "CPUUtilization", dimensions: dims, statistic: "Average", period: 60, evaluationPeriods: 10, comparisonOperator: "GreaterThanThreshold", threshold: t.auroraCpuPercent.value, alarmDescription: describe(`Aurora ${role} CPU above ${t.auroraCpuPercent.value}%`, t.auroraCpuPercent) });
            alarm(`aurora-${lower}-connections`, { namespace: "AWS/RDS", metricName: "DatabaseConnections", dimensions: dims, statistic: "Maximum", period: 60, evaluationPeriods: 5, comparisonOperator: "GreaterThanThreshold", threshold: t.auroraConnections[role].value, alarmDescription: describe(`Aurora ${role} connections near max_connections`, t.auroraConnections[role]) });
            alarm(`aurora-${lower}-memory`, { namespace: "AWS/RDS", metricName: "FreeableMemory", dimensions: dims, statistic: "Minimum", period: 60, evaluationPeriods: 10, comparisonOperator: "LessThanThreshold", threshold: t.auroraFreeableMemoryBytes[role].value, alarmDescription: describe(`Aurora ${role} freeable memory low`, t.auroraFreeableMemoryBytes[role]) });
        }
        alarm("aurora-replica-lag", { namespace: "AWS/RDS", metricName: "AuroraReplicaLag", dimensions: { DBClusterIdentifier: args.auroraClusterIdentifier, Role: "READER" }, statistic: "Maximum", period: 60, evaluationPeriods: 5, comparisonOperator: "GreaterThanThreshold", threshold: t.auroraReplicaLagMs.value, alarmDescription: describe(`Aurora replica lag above ${t.auroraReplicaLagMs.value} ms`, t.auroraReplicaLagMs) });

        // ElastiCache, per shard: alarms take no SEARCH, and metric math at most 10 metrics.
        cacheNodeIds(args.redis.replicationGroupId, args.redis.shards, args.redis.replicasPerShard).forEach((nodes, s) => {
            const shard = `redis-shard-${s + 1}`;
            const perNode = (metric: string, stat: string, list = nodes) => list.map((id, k) => ({
                id: `${metric.toLowerCase().replace(/[^a-z]/g, "")}${k}`,
                metric: { namespace: "AWS/ElastiCache", metricName: metric, dimensions: { CacheClusterId: id }, stat, period: 60 },
            }));
            const math = (role: string, metric: string, stat: string, fn: string, op: string, th: Threshold, what: string, evaluationPeriods = 5) => {
                const q = perNode(metric, stat);
                alarm(`${shard}-${role}`, {
                    comparisonOperator: op, threshold: th.value, evaluationPeriods, alarmDescription: describe(`${what} (shard ${s + 1})`, th),
                    metricQueries: [...q, { id: "result", expression: `${fn}([${q.map((x) => x.id).join(",")}])`, label: `${metric} ${fn}`, returnData: true }],
                });
            };
            math("engine-cpu", "EngineCPUUtilization", "Maximum", "MAX", "GreaterThanThreshold", t.redisEngineCpuPercent, `ElastiCache engine CPU above ${t.redisEngineCpuPercent.value}%`);
            math("memory", "DatabaseMemoryUsagePercentage", "Maximum", "MAX", "GreaterThanThreshold", t.redisMemoryPercent, `ElastiCache memory above ${t.redisMemoryPercent.value}%`);
            math("connections", "CurrConnections", "Maximum", "MAX", "GreaterThanThreshold", t.redisConnections, "ElastiCache connections near the per-node limit");
            math("evictions", "Evictions", "Sum", "SUM", "GreaterThanThreshold", { value: 0, source: "sustained eviction: the working set does not fit" }, "ElastiCache evicting keys for 15 minutes", 15);
            const hitNodes = nodes.slice(0, HIT_RATIO_NODES);
            const hitsQ = perNode("CacheHits", "Sum", hitNodes);
            const missQ = perNode("CacheMisses", "Sum", hitNodes);
            const sum = (q: Array<{ id: string }>) => `SUM([${q.map((x) => x.id).join(",")}])`;
            alarm(`${shard}-hit-rate`, {
                comparisonOperator: "LessThanThreshold", threshold: t.cacheHitRatio.value, evaluationPeriods: 10,
                alarmDescription: describe(`ElastiCache hit ratio below ${t.cacheHitRatio.value} (shard ${s + 1})`, t.cacheHitRatio),
                metricQueries: [...hitsQ, ...missQ, { id: "result", expression: `${sum(hitsQ)} / (${sum(hitsQ)} + ${sum(missQ)})`, label: "hit ratio", returnData: true }],
            });
        });

        // CloudFront's metrics live in us-east-1: alarm there, on a topic there (alarms notify their own region).
        if (args.cloudfront) {
            const edgeTopic = new AlertTopic(`${name}-alerts-us-east-1`, { ...args.notifications, protect, tags }, { parent: this, provider: args.cloudfront.usEast1Provider });
            alarm("cloudfront-5xx", {
                namespace: "AWS/CloudFront", metricName: "5xxErrorRate", dimensions: { DistributionId: args.cloudfront.distributionId, Region: "Global" },
                statistic: "Average", period: 300, evaluationPeriods: 2, comparisonOperator: "GreaterThanThreshold", threshold: t.cloudfront5xxPercent.value,
                alarmDescription: describe(`CloudFront 5xx error rate above ${t.cloudfront5xxPercent.value}%`, t.cloudfront5xxPercent),
            }, args.cloudfront.usEast1Provider, edgeTopic.topicArn);
        }
        alarm("backup-failed-jobs", {
            namespace: "AWS/Backup", metricName: "NumberOfBackupJobsFailed", dimensions: { BackupVaultName: args.backupVaultName },
            statistic: "Sum", period: 3600, evaluationPeriods: 1, comparisonOperator: "GreaterThanThreshold", threshold: 0,
            alarmDescription: "An AWS Backup job failed: read the job in the AWS Backup console (README: Backups and restore runbook)",
        });
        (args.certificateArns ?? []).forEach((arn, k) => alarm(`certificate-${k + 1}-expiry`, {
            namespace: "AWS/CertificateManager", metricName: "DaysToExpiry", dimensions: { CertificateArn: arn },
            statistic: "Minimum", period: 86400, evaluationPeriods: 1, comparisonOperator: "LessThanThreshold", threshold: t.certificateExpiryDays.value,
            alarmDescription: describe(`ACM certificate expires in under ${t.certificateExpiryDays.value} days`, t.certificateExpiryDays),
        }));

        const dashboard = new aws.cloudwatch.Dashboard(`${name}-dashboard`, {
            dashboardName: `${args.cluster.clusterName}-aws`,
            dashboardBody: pulumi.all([args.auroraClusterIdentifier, args.cloudfront?.distributionId, args.backupVaultName]).apply(([aurora, cf, vault]) => cloudWatchDashboardBody({
                region: args.region, auroraClusterId: aurora, redisReplicationGroupId: args.redis.replicationGroupId, cloudfrontDistributionId: cf, backupVaultName: vault,
            })),
        }, { parent: this });
        this.dashboardName = dashboard.dashboardName;

        // Grafana dashboards for the dashboard sidecar of a Grafana whose datasource is the workspace.
        const ns = new k8s.core.v1.Namespace(`${name}-ns`, {
            metadata: { name: "monitoring", labels: { "app.kubernetes.io/managed-by": "pulumi", "pod-security.kubernetes.io/enforce": "restricted" } },
        }, { parent: this });
        for (const [file, json] of Object.entries(grafanaDashboards(t))) {
            const role = file.replace(/\.json$/, "");
            new k8s.core.v1.ConfigMap(`${name}-dashboard-${role}`, {
                metadata: { name: `dashboard-${role}`, namespace: ns.metadata.name, labels: { grafana_dashboard: "1", "app.kubernetes.io/managed-by": "pulumi" } },
                data: { [file]: JSON.stringify(json) },
            }, { parent: this });
        }

        if (args.grafana !== false) {
            this.grafana = new Grafana(`${name}-grafana`, {
                namespace: ns.metadata.name,
                clusterName: args.cluster.name,
                workspaceArn: this.workspace.arn,
                prometheusEndpoint: this.prometheusEndpoint,
                region: args.region,
                nodeSelector: args.grafana?.nodeSelector,
                tags,
            }, { parent: this, dependsOn: args.addonDependsOn ?? [] });
        }

        this.registerOutputs({ workspaceArn: this.workspaceArn, prometheusEndpoint: this.prometheusEndpoint, topicArn, dashboardName: this.dashboardName });
    }
}

/** The AMP alert manager definition: every alert to the SNS topic (SigV4 in the workspace's region). */
export function alertManagerDefinition(topicArn: string, region: string): string {
    return [
        "alertmanager_config: |",
        "  route:",
        "    receiver: sns",
        "    group_by: [alertname, severity]",
        "    group_wait: 30s",
        "    group_interval: 5m",
        "    repeat_interval: 4h",
        "  receivers:",
        "    - name: sns",
        "      sns_configs:",
        `        - topic_arn: ${topicArn}`,
        "          sigv4:",
        `            region: ${region}`,
        "          subject: '[{{ .CommonLabels.severity }}] {{ .CommonLabels.alertname }}'",
        "          attributes:",
        "            severity: '{{ .CommonLabels.severity }}'",
        "",
    ].join("\n");
}

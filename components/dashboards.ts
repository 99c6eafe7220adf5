/**
 * Dashboards as data (pure: no Pulumi): Grafana dashboards over the AMP workspace (API, database, cache)
 * and the CloudWatch dashboard of the AWS-managed metrics. The queries use the same metric adapter and
 * thresholds as the alert rules, so a panel shows what an alert fires on.
 */
import { AlertThresholds } from "../sizing/alerts";
import { leLabel, REQUEST_METRICS } from "../catalog/requestMetrics";

/** The Grafana datasource uid the dashboards query (the AMP workspace, SigV4). */
export const GRAFANA_DATASOURCE_UID = "amp";

interface Panel { title: string; exprs: Array<{ expr: string; legend?: string }>; unit?: string; threshold?: number }

function grafanaDashboard(uid: string, title: string, panels: Panel[]): Record<string, unknown> {
    return {
        uid,
        title,
        tags: ["scaling-topology"],
        schemaVersion: 39,
        time: { from: "now-6h", to: "now" },
        refresh: "1m",
        panels: panels.map((p, i) => ({
            id: i + 1,
            type: "timeseries",
            title: p.title,
            datasource: { type: "prometheus", uid: GRAFANA_DATASOURCE_UID },
            gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
            fieldConfig: {
                defaults: {
                    unit: p.unit ?? "short",
                    ...(p.threshold !== undefined ? { thresholds: { mode: "absolute", steps: [{ color: "green", value: null }, { color: "red", value: p.threshold }] }, custom: { thresholdsStyle: { mode: "line" } } } : {}),
                },
                overrides: [],
            },
            targets: p.exprs.map((e, j) => ({ refId: String.fromCharCode(65 + j), expr: e.expr, legendFormat: e.legend ?? "" })),
        })),
    };
}

/** The three Grafana dashboards, by file name. */
export function grafanaDashboards(t: AlertThresholds): Record<string, Record<string, unknown>> {
    const m = REQUEST_METRICS[t.dataPlane];
    const q = (p: number) => `histogram_quantile(${p}, sum by (le) (rate(${m.durationBucket}[5m])))${m.leUnit === "ms" ? " / 1000" : ""}`;
    const budget = 1 - t.availability.value;
    return {
        "api.json": grafanaDashboard("scaling-api", "API performance", [
            { title: "Requests per second", exprs: [{ expr: `sum(rate(${m.requests}[5m]))`, legend: "rps" }], unit: "reqps" },
            { title: "Latency p50 / p95 / p99", exprs: [{ expr: q(0.5), legend: "p50" }, { expr: q(0.95), legend: "p95" }, { expr: q(0.99), legend: "p99" }], unit: "s", threshold: t.latencySeconds.value },
            { title: "5xx ratio", exprs: [{ expr: "slo:request_errors:ratio_rate5m", legend: "5xx" }], unit: "percentunit", threshold: t.errorRatio.value },
            { title: "Error budget left (30 days)", exprs: [{ expr: `1 - (sum(increase(${m.errors5xx}[30d])) / sum(increase(${m.requests}[30d]))) / ${+budget.toPrecision(6)}`, legend: "budget left" }], unit: "percentunit" },
            { title: `Requests slower than ${t.latencySeconds.value * 1000} ms`, exprs: [{ expr: "slo:request_slow:ratio_rate5m", legend: "slow" }, { expr: `sum(rate(${m.durationBucket}{le="${leLabel(m, t.latencySeconds.value * 1000)}"}[5m]))`, legend: "fast rps" }], unit: "percentunit" },
            { title: "HPA replicas vs maximum", exprs: [{ expr: "kube_horizontalpodautoscaler_status_current_replicas", legend: "{{namespace}}/{{horizontalpodautoscaler}}" }, { expr: "kube_horizontalpodautoscaler_spec_max_replicas", legend: "max {{horizontalpodautoscaler}}" }] },
        ]),
        "database.json": grafanaDashboard("scaling-database", "Database (PgBouncer)", [
            { title: "Client connections (active / waiting)", exprs: [{ expr: "sum by (pod) (pgbouncer_pools_client_active_connections)", legend: "active {{pod}}" }, { expr: "sum by (pod) (pgbouncer_pools_client_waiting_connections)", legend: "waiting {{pod}}" }] },
            { title: "Oldest waiting client", exprs: [{ expr: "max by (pod) (pgbouncer_pools_client_maxwait_seconds)", legend: "{{pod}}" }], unit: "s", threshold: t.pgbouncerMaxWaitSeconds.value },
            { title: "Server connections (active / idle)", exprs: [{ expr: "sum by (pod) (pgbouncer_pools_server_active_connections)", legend: "active {{pod}}" }, { expr: "sum by (pod) (pgbouncer_pools_server_idle_connections)", legend: "idle {{pod}}" }] },
            { title: "Server connections, all pods (Aurora side)", exprs: [{ expr: "sum(pgbouncer_pools_server_active_connections + pgbouncer_pools_server_idle_connections + pgbouncer_pools_server_used_connections)", legend: "total" }], threshold: t.auroraConnections.WRITER.value },
        ]),
        "cache.json": grafanaDashboard("scaling-cache", "Cache (Redis)", [
            { title: "Hit ratio", exprs: [{ expr: "sum(rate(redis_keyspace_hits_total[5m])) / (sum(rate(redis_keyspace_hits_total[5m])) + sum(rate(redis_keyspace_misses_total[5m])))", legend: "hit ratio" }], unit: "percentunit", threshold: t.cacheHitRatio.value },
            { title: "Evictions per second", exprs: [{ expr: "sum(rate(redis_evicted_keys_total[5m]))", legend: "evictions" }] },
            { title: "Memory used / maxmemory", exprs: [{ expr: "redis_memory_used_bytes / redis_memory_max_bytes", legend: "{{instance}}" }], unit: "percentunit" },
        ]),
    };
}

/** What the CloudWatch dashboard shows: the AWS-managed side of the topology. */
export interface CloudWatchDashboardInputs {
    region: string;
    auroraClusterId: string;
    redisReplicationGroupId: string;
    cloudfrontDistributionId?: string;
    backupVaultName: string;
}

/** The CloudWatch dashboard body (JSON text). */
export function cloudWatchDashboardBody(i: CloudWatchDashboardInputs): string {
    const widget = (title: string, metrics: unknown[], region = i.region, extra: Record<string, unknown> = {}) => ({
        type: "metric", width: 12, height: 6,
        properties: { title, region, metrics, view: "timeSeries", stat: "Average", period: 60, ...extra },
    });
    const rds = (metric: string, role: string, stat = "Average") => ["AWS/RDS", metric, "DBClusterIdentifier", i.auroraClusterId, "Role", role, { stat, label: `${metric} ${role}` }];
    // Dashboards (unlike alarms) take SEARCH expressions: every node of the replication group.
    const cache = (metric: string, stat: string) => [{ expression: `SEARCH('{AWS/ElastiCache,CacheClusterId} MetricName="${metric}" CacheClusterId="${i.redisReplicationGroupId}"', '${stat}', 60)`, label: metric, id: metric.toLowerCase() }];
    const widgets = [
        widget("Aurora CPU by role", [rds("CPUUtilization", "WRITER"), rds("CPUUtilization", "READER")]),
        widget("Aurora connections by role", [rds("DatabaseConnections", "WRITER", "Maximum"), rds("DatabaseConnections", "READER", "Maximum")]),
        widget("Aurora replica lag (ms)", [rds("AuroraReplicaLag", "READER", "Maximum")]),
        widget("Aurora freeable memory", [rds("FreeableMemory", "WRITER", "Minimum"), rds("FreeableMemory", "READER", "Minimum")]),
        widget("ElastiCache hit rate (%)", cache("CacheHitRate", "Average")),
        widget("ElastiCache evictions", cache("Evictions", "Sum")),
        widget("ElastiCache memory used (%)", cache("DatabaseMemoryUsagePercentage", "Maximum")),
        widget("ElastiCache engine CPU (%)", cache("EngineCPUUtilization", "Maximum")),
        ...(i.cloudfrontDistributionId ? [widget("CloudFront 5xx error rate (%)", [["AWS/CloudFront", "5xxErrorRate", "DistributionId", i.cloudfrontDistributionId, "Region", "Global"]], "us-east-1")] : []),
        widget("AWS Backup failed jobs", [["AWS/Backup", "NumberOfBackupJobsFailed", "BackupVaultName", i.backupVaultName, { stat: "Sum" }]], i.region, { period: 3600 }),
    ];
    return JSON.stringify({ widgets: widgets.map((w, k) => ({ ...w, x: (k % 2) * 12, y: Math.floor(k / 2) * 6 })) });
}

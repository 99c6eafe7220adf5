/**
 * Alert thresholds and the Prometheus rules built from them (pure: no Pulumi).
 *
 * `alertThresholds` turns the validated stack config and the sizing model (connection budget, node group
 * maxima, instance memory) into numbers, each with where it comes from. `alertRuleGroups` builds the one
 * Prometheus rules source from them, and `alertRulesYaml` renders it: the AMP rule group namespace, the
 * plan report, the README catalogue and the promtool tests all use that exact text.
 */
import { stringify } from "yaml";
import type { StackConfig } from "../config";
import { AWS_RESERVED_CONNECTIONS, connectionBudget, INSTANCE_CLASS_MEMORY_GIB, RESERVE_POOL_TIMEOUT_SECONDS } from "./connections";
import { leLabel, REQUEST_METRICS, RequestMetricAdapter } from "../catalog/requestMetrics";
import { wholeNumber } from "./numbers";

/** A number, and the sentence that says where it comes from (the README catalogue prints both). */
export interface Threshold {
    value: number;
    source: string;
}

export interface AlertThresholds {
    dataPlane: keyof typeof REQUEST_METRICS;
    /** Availability objective (share of non-5xx requests). */
    availability: Threshold;
    /** Latency objective: `latencyObjective` of requests within `latencySeconds`. */
    latencySeconds: Threshold;
    latencyObjective: Threshold;
    /** 5xx share that pages outright. */
    errorRatio: Threshold;
    cacheHitRatio: Threshold;
    /** Seconds the oldest PgBouncer client may wait before the pool counts as exhausted. */
    pgbouncerMaxWaitSeconds: Threshold;
    /** Nodes in the cluster at the node groups' maxima (sum of maxSize). */
    clusterMaxNodes: Threshold;
    /** Aurora DatabaseConnections that alarm, by role. */
    auroraConnections: { WRITER: Threshold; READER: Threshold };
    /** Aurora FreeableMemory (bytes) below which the alarm fires, by role. */
    auroraFreeableMemoryBytes: { WRITER: Threshold; READER: Threshold };
    auroraCpuPercent: Threshold;
    auroraReplicaLagMs: Threshold;
    redisEngineCpuPercent: Threshold;
    redisMemoryPercent: Threshold;
    /** ElastiCache allows 65,000 connections per node; alarm at 80%. */
    redisConnections: Threshold;
    certificateExpiryDays: Threshold;
    cloudfront5xxPercent: Threshold;
}

const pct = (x: number) => `${+(x * 100).toFixed(3)}%`;
const n = wholeNumber;

/** ElastiCache's per-node connection limit (Valkey and Redis OSS). */
export const ELASTICACHE_MAX_CONNECTIONS = 65_000;

/** Every threshold of the stack's alerts and alarms, from its validated config and the sizing model. */
export function alertThresholds(c: StackConfig): AlertThresholds {
    const o = c.observability;
    const a = c.aurora;
    const budget = connectionBudget({
        instanceClass: a.instanceClass, readerInstanceClass: a.readerInstanceClass, readers: a.readers,
        readerAutoscaling: a.readerAutoscaling, maxConnections: a.maxConnections, connectionHeadroom: a.connectionHeadroom,
    }, c.pgbouncer);
    const byEndpoint = (e: "writer" | "reader") => budget.find((b) => b.endpoint === e)!;
    const connections = (e: "writer" | "reader"): Threshold => {
        const b = byEndpoint(e);
        const value = Math.floor(0.9 * (b.maxConnections - AWS_RESERVED_CONNECTIONS));
        return { value, source: `90% of max_connections ${n(b.maxConnections)} (${b.instanceClass}, sizing/connections.ts) minus ${AWS_RESERVED_CONNECTIONS} reserved; PgBouncer's budget is ${n(b.demand)}` };
    };
    const memory = (cls: string): Threshold => {
        const gib = INSTANCE_CLASS_MEMORY_GIB[cls];
        return { value: Math.round(gib * 1024 ** 3 * 0.1), source: `10% of ${cls}'s ${gib} GiB` };
    };
    const readerClass = a.readerInstanceClass ?? a.instanceClass;
    const maxNodes = c.cluster.nodeGroups.reduce((s, g) => s + g.maxSize, 0);
    const maxWait = Math.min(2 * RESERVE_POOL_TIMEOUT_SECONDS, c.pgbouncer.queryWaitTimeoutSeconds / 2);
    return {
        dataPlane: o.requestMetrics,
        availability: { value: o.slo.availability, source: `observability.slo.availability (${pct(o.slo.availability)} over 30 days)` },
        latencySeconds: { value: o.slo.latencyThresholdMs / 1000, source: "observability.slo.latencyThresholdMs" },
        latencyObjective: { value: o.slo.latencyObjective, source: "observability.slo.latencyObjective" },
        errorRatio: { value: o.thresholds.errorRatio, source: "observability.thresholds.errorRatio" },
        cacheHitRatio: { value: o.thresholds.cacheHitRatio, source: `observability.thresholds.cacheHitRatio (the sizing counts on load.redisAbsorbedShare ${c.load.redisAbsorbedShare})` },
        pgbouncerMaxWaitSeconds: { value: maxWait, source: `2 x reserve_pool_timeout (${RESERVE_POOL_TIMEOUT_SECONDS} s): the reserve pool is in use and clients still wait; query_wait_timeout (${c.pgbouncer.queryWaitTimeoutSeconds} s) disconnects them` },
        clusterMaxNodes: { value: maxNodes, source: `sum of cluster.nodeGroups[].maxSize (${c.cluster.nodeGroups.map((g) => `${g.name} ${g.maxSize}`).join(" + ")})` },
        auroraConnections: { WRITER: connections("writer"), READER: connections("reader") },
        auroraFreeableMemoryBytes: { WRITER: memory(a.instanceClass), READER: memory(readerClass) },
        auroraCpuPercent: { value: Math.round(Math.min(95, c.load.database.targetUtilization * 100 + 15)), source: `load.database.targetUtilization (${pct(c.load.database.targetUtilization)}) + 15 points: past the CPU the sizing planned for` },
        auroraReplicaLagMs: { value: o.thresholds.replicaLagMs, source: "observability.thresholds.replicaLagMs" },
        redisEngineCpuPercent: { value: 80, source: "AWS guidance: Redis runs commands on one thread; EngineCPUUtilization above 80% delays every command" },
        redisMemoryPercent: { value: 90, source: "reserved-memory-percent 25 leaves headroom above it; past 90% of maxmemory the cache evicts continuously" },
        redisConnections: { value: Math.floor(ELASTICACHE_MAX_CONNECTIONS * 0.8), source: `80% of ElastiCache's ${n(ELASTICACHE_MAX_CONNECTIONS)} connections per node` },
        certificateExpiryDays: { value: o.thresholds.certificateExpiryDays, source: "observability.thresholds.certificateExpiryDays (ACM renews DNS-validated certificates 60 days ahead: a certificate this close did not renew)" },
        cloudfront5xxPercent: { value: +(o.thresholds.errorRatio * 100).toFixed(3), source: "observability.thresholds.errorRatio" },
    };
}

export type Severity = "critical" | "warning";

/** One alerting rule, with what the README catalogue says about it. */
export interface AlertRule {
    alert: string;
    expr: string;
    /** Seconds the condition must hold. */
    forSeconds: number;
    severity: Severity;
    summary: string;
    /** The threshold in words, and where it comes from. */
    threshold: string;
    source: string;
    /** What to do when it fires. */
    runbook: string;
}

export interface RecordingRule {
    record: string;
    expr: string;
}

export interface RuleGroup {
    name: string;
    rules: Array<AlertRule | RecordingRule>;
}

export interface RuleOptions {
    /**
     * Test only: multiplies every `for` duration and every rate window of the request, pool and cache
     * rules (so a real Prometheus can show them firing and resolving in seconds). @default 1
     */
    timeScale?: number;
}

/** Prometheus duration text of a number of seconds (`1h`, `5m`, `6s`). */
export function duration(seconds: number): string {
    const s = Math.max(1, Math.round(seconds));
    if (s % 86400 === 0) return `${s / 86400}d`;
    if (s % 3600 === 0) return `${s / 3600}h`;
    if (s % 60 === 0) return `${s / 60}m`;
    return `${s}s`;
}

/** SLO windows (seconds) and burn rates of the SRE workbook's multiwindow, multi-burn-rate alerts. */
export const BURN_RATE_ALERTS = [
    { name: "Fast", long: 3600, short: 300, factor: 14.4, severity: "critical" as const, budget: "2% of a 30-day budget in 1 hour" },
    { name: "Medium", long: 6 * 3600, short: 1800, factor: 6, severity: "critical" as const, budget: "5% of a 30-day budget in 6 hours" },
    { name: "Slow", long: 3 * 86400, short: 6 * 3600, factor: 1, severity: "warning" as const, budget: "10% of a 30-day budget in 3 days" },
];
const SLO_WINDOWS = [...new Set(BURN_RATE_ALERTS.flatMap((b) => [b.short, b.long]))].sort((x, y) => x - y);

const isAlert = (r: AlertRule | RecordingRule): r is AlertRule => "alert" in r;

/** The stack's Prometheus rules: recording rules for the SLO ratios, then the alerts. */
export function alertRuleGroups(t: AlertThresholds, opts: RuleOptions = {}): RuleGroup[] {
    const k = opts.timeScale ?? 1;
    const w = (seconds: number) => duration(seconds * k); // a scaled window or `for`
    const m: RequestMetricAdapter = REQUEST_METRICS[t.dataPlane];
    const le = leLabel(m, t.latencySeconds.value * 1000);
    const errorBudget = 1 - t.availability.value;
    const latencyBudget = 1 - t.latencyObjective.value;
    const win = (s: number) => duration(s); // the recording rule's name keeps the unscaled window
    const recording: RecordingRule[] = SLO_WINDOWS.flatMap((s) => [
        { record: `slo:request_errors:ratio_rate${win(s)}`, expr: `sum(rate(${m.errors5xx}[${w(s)}])) / sum(rate(${m.requests}[${w(s)}]))` },
        { record: `slo:request_slow:ratio_rate${win(s)}`, expr: `1 - sum(rate(${m.durationBucket}{le="${le}"}[${w(s)}])) / sum(rate(${m.durationCount}[${w(s)}]))` },
    ]);
    const burn = (kind: "errors" | "slow", budget: number, label: string, objective: string): AlertRule[] => BURN_RATE_ALERTS.map((b) => ({
        alert: `Api${label}BudgetBurn${b.name}`,
        expr: `slo:request_${kind}:ratio_rate${win(b.long)} > ${+(b.factor * budget).toPrecision(6)} and slo:request_${kind}:ratio_rate${win(b.short)} > ${+(b.factor * budget).toPrecision(6)}`,
        forSeconds: b.name === "Slow" ? 3600 : b.name === "Medium" ? 900 : 120,
        severity: b.severity,
        summary: `${label === "Error" ? "5xx" : "Slow"} requests burn the ${objective} error budget ${b.factor}x too fast (${duration(b.long)} and ${duration(b.short)} windows): ${b.budget}`,
        threshold: `${kind === "errors" ? "5xx" : "slow"} ratio > ${b.factor} x ${+budget.toPrecision(6)} over ${duration(b.long)} and ${duration(b.short)}`,
        source: `${label === "Error" ? t.availability.source : `${t.latencyObjective.source} within ${t.latencySeconds.source}`}; SRE workbook burn rates`,
        runbook: b.severity === "critical"
            ? "Page: find the failing route in the API dashboard (errors or latency by service), roll back the last deploy or scale out; check the data tier alerts"
            : "Ticket: a slow leak of the budget; review the error/latency trend and the recent changes this week",
    }));
    const requestRules: AlertRule[] = [
        ...burn("errors", errorBudget, "Error", `${+(t.availability.value * 100).toFixed(3)}% availability`),
        ...burn("slow", latencyBudget, "Latency", `p${+(t.latencyObjective.value * 100).toFixed(2)} < ${t.latencySeconds.value * 1000} ms`),
        {
            alert: "ApiLatencyP95High",
            expr: `histogram_quantile(0.95, sum by (le) (rate(${m.durationBucket}[${w(300)}]))) > ${m.leUnit === "s" ? t.latencySeconds.value : t.latencySeconds.value * 1000}`,
            forSeconds: 600,
            severity: "critical",
            summary: `p95 request latency above ${t.latencySeconds.value * 1000} ms for 10 minutes`,
            threshold: `p95 > ${t.latencySeconds.value * 1000} ms (5m rate)`,
            source: t.latencySeconds.source,
            runbook: "Check the database panel (pool waits, replica lag) and the HPA: a saturated service or a slow query; scale out or roll back",
        },
        {
            alert: "ApiErrorRatioHigh",
            expr: `slo:request_errors:ratio_rate5m > ${t.errorRatio.value}`,
            forSeconds: 300,
            severity: "critical",
            summary: `more than ${pct(t.errorRatio.value)} of requests fail with 5xx`,
            threshold: `5xx ratio > ${pct(t.errorRatio.value)} (5m)`,
            source: t.errorRatio.source,
            runbook: "Find the service and route returning 5xx (API dashboard); check its pods (crash loops, readiness) and its dependencies",
        },
    ];
    const poolRules: AlertRule[] = [
        {
            alert: "PgBouncerPoolExhausted",
            expr: `max by (database, user) (pgbouncer_pools_client_maxwait_seconds) >= ${t.pgbouncerMaxWaitSeconds.value}`,
            forSeconds: 60,
            severity: "critical",
            summary: "PgBouncer clients wait for a server connection past the reserve pool: the pool is exhausted",
            threshold: `oldest waiting client >= ${t.pgbouncerMaxWaitSeconds.value} s`,
            source: t.pgbouncerMaxWaitSeconds.source,
            runbook: "Look for long transactions (pg_stat_activity) and the queries per second; raise maxReplicas or the pool within the connection budget (README: Connection budget)",
        },
        {
            alert: "PgBouncerClientsWaiting",
            expr: "max by (database, user) (pgbouncer_pools_client_waiting_connections) > 0",
            forSeconds: 120,
            severity: "warning",
            summary: "PgBouncer clients wait for a server connection for minutes: every pooled connection is busy",
            threshold: "any client waiting, for 2 minutes",
            source: "default_pool_size busy (pgbouncer.readWrite / readOnly)",
            runbook: "Pools are saturated: check query latency and PgBouncer's HPA; it precedes PgBouncerPoolExhausted",
        },
    ];
    const hits = `sum(rate(redis_keyspace_hits_total[${w(300)}]))`;
    const misses = `sum(rate(redis_keyspace_misses_total[${w(300)}]))`;
    const cacheRules: AlertRule[] = [
        {
            alert: "RedisCacheHitRatioLow",
            expr: `${hits} / (${hits} + ${misses}) < ${t.cacheHitRatio.value}`,
            forSeconds: 600,
            severity: "warning",
            summary: `cache hit ratio below ${pct(t.cacheHitRatio.value)}: the database takes reads the sizing expected the cache to absorb`,
            threshold: `hits / (hits + misses) < ${t.cacheHitRatio.value} (5m)`,
            source: t.cacheHitRatio.source,
            runbook: "Check evictions and memory (cache dashboard): a too-small node type evicts hot keys; check the app's TTLs and key patterns after a deploy",
        },
        {
            alert: "RedisEvicting",
            expr: `sum(rate(redis_evicted_keys_total[${w(300)}])) > 0`,
            forSeconds: 900,
            severity: "warning",
            summary: "Redis evicts keys continuously: the working set does not fit in memory",
            threshold: "evictions > 0/s for 15 minutes",
            source: "maxmemory-policy allkeys-lru: eviction is the cache's behaviour when full, sustained eviction means it is too small",
            runbook: "Compare used memory with load.redis.bytesPerDailyActiveUser x daily actives; move to a larger redis.nodeType or more shards",
        },
    ];
    const k8sRules: AlertRule[] = [
        {
            alert: "HpaAtMaximum",
            expr: "kube_horizontalpodautoscaler_status_current_replicas >= kube_horizontalpodautoscaler_spec_max_replicas",
            forSeconds: 900,
            severity: "warning",
            summary: "an HPA runs at its maxReplicas: the workload cannot scale further",
            threshold: "current replicas >= spec.maxReplicas for 15 minutes",
            source: "each HPA's maxReplicas (services[].replicas.max, pgbouncer.*.maxReplicas, ingress.replicas.max, from the sizing)",
            runbook: "Load is past the sized peak: raise the maximum (and the node group maxSize, the capacity check tells by how much) or find what slowed the pods",
        },
        {
            alert: "ClusterAtNodeMaximum",
            expr: `count(kube_node_info) >= ${t.clusterMaxNodes.value}`,
            forSeconds: 900,
            severity: "warning",
            summary: "the cluster runs every node its node groups allow",
            threshold: `nodes >= ${t.clusterMaxNodes.value}`,
            source: t.clusterMaxNodes.source,
            runbook: "The autoscaler cannot add nodes: raise cluster.nodeGroups[].maxSize (subnet addresses permitting) or lower requests",
        },
        {
            alert: "ClusterAutoscalerUnschedulablePods",
            expr: "max(cluster_autoscaler_unschedulable_pods_count) > 0",
            forSeconds: 600,
            severity: "warning",
            summary: "pods stay unschedulable and the cluster autoscaler cannot place them",
            threshold: "unschedulable pods > 0 for 10 minutes",
            source: "cluster-autoscaler's own metric",
            runbook: "kubectl describe the pending pods and read the autoscaler's events (node group at max, no instance type fits, spot capacity)",
        },
        {
            alert: "PodCrashLooping",
            expr: 'max by (namespace, pod, container) (kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}) > 0',
            forSeconds: 900,
            severity: "warning",
            summary: "a container is in CrashLoopBackOff",
            threshold: "CrashLoopBackOff for 15 minutes",
            source: "kube-state-metrics",
            runbook: "kubectl logs --previous on the pod; a config or secret change, a dependency down, or an OOM kill",
        },
        {
            alert: "NodeNotReady",
            expr: 'kube_node_status_condition{condition="Ready",status="true"} == 0',
            forSeconds: 900,
            severity: "warning",
            summary: "a node is not Ready",
            threshold: "Ready != true for 15 minutes",
            source: "kube-state-metrics",
            runbook: "kubectl describe node; the managed node group replaces unhealthy nodes: if it does not, cordon, drain and terminate the instance",
        },
        {
            // The NLB sends traffic to the Envoy proxy pods themselves (IP targets) and health-checks them: its
            // unhealthy hosts are the proxies that are not ready, which kube-state-metrics sees by name
            // (CloudWatch's UnHealthyHostCount needs the load balancer's id, which only its controller knows).
            alert: "GatewayProxiesUnavailable",
            expr: 'sum by (namespace, deployment) (kube_deployment_status_replicas_unavailable{deployment=~"envoy-.+"}) > 0',
            forSeconds: 300,
            severity: "critical",
            summary: "Envoy proxies behind the load balancer are not ready: the NLB counts them as unhealthy hosts and the edge loses capacity",
            threshold: "unavailable proxy replicas > 0 for 5 minutes",
            source: "kube-state-metrics for the Envoy Gateway data plane (the NLB's targets)",
            runbook: "kubectl -n envoy-gateway-system describe the envoy-* pods: failing readiness (xDS from the controller), OOM, or no node to schedule on; the edges fail over to the other region only when all are down",
        },
        {
            alert: "PdbBlockingDrain",
            expr: "kube_poddisruptionbudget_status_pod_disruptions_allowed == 0 and kube_poddisruptionbudget_status_expected_pods > 0",
            forSeconds: 3600,
            severity: "warning",
            summary: "a PodDisruptionBudget allows no eviction: node drains and upgrades stall",
            threshold: "disruptions allowed = 0 for 1 hour",
            source: "kube-state-metrics; the policy k8s-pdb-allows-drain checks the spec, this the live state",
            runbook: "The workload is below its desired replicas (crash loops, unschedulable pods): fix those first; never delete the PDB",
        },
        {
            alert: "ScrapeTargetDown",
            expr: "up == 0",
            forSeconds: 600,
            severity: "warning",
            summary: "a metrics target does not answer: the alerts that read it are blind",
            threshold: "up == 0 for 10 minutes",
            source: "the scraper's own metric",
            runbook: "Check the pod of the job/instance labels; a PgBouncer exporter down hides pool exhaustion",
        },
    ];
    return [
        { name: "slo-recording", rules: recording },
        { name: "api", rules: requestRules },
        { name: "pgbouncer", rules: poolRules },
        { name: "cache", rules: cacheRules },
        { name: "kubernetes", rules: k8sRules },
    ];
}

/** Every alert of the rule groups, in order. */
export function alertsOf(groups: RuleGroup[]): AlertRule[] {
    return groups.flatMap((g) => g.rules.filter(isAlert));
}

/** The Prometheus rules file (the exact text AMP, the plan, the README and promtool see). */
export function alertRulesYaml(groups: RuleGroup[]): string {
    const doc = {
        groups: groups.map((g) => ({
            name: g.name,
            rules: g.rules.map((r) => isAlert(r)
                ? {
                    alert: r.alert,
                    expr: r.expr,
                    for: duration(r.forSeconds),
                    labels: { severity: r.severity },
                    annotations: { summary: r.summary, threshold: r.threshold, runbook: r.runbook },
                }
                : { record: r.record, expr: r.expr }),
        })),
    };
    return stringify(doc, { lineWidth: 0 });
}

/** The stack's rules file. `timeScale` is for tests only (see RuleOptions). */
export function stackAlertRules(t: AlertThresholds, opts: RuleOptions = {}): { groups: RuleGroup[]; yaml: string } {
    const k = opts.timeScale ?? 1;
    const groups = alertRuleGroups(t, opts).map((g) => ({
        ...g,
        rules: g.rules.map((r) => (isAlert(r) ? { ...r, forSeconds: Math.max(1, r.forSeconds * k) } : r)),
    }));
    return { groups, yaml: alertRulesYaml(groups) };
}

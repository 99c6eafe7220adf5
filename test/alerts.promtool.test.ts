/**
 * The shipped alert rules under the real `promtool` (Debian's prometheus package, installed by
 * scripts/test-servers.sh): `promtool check rules` on the exact text of each stack, and `promtool test
 * rules` with one firing and one quiet case for every alert of the prod stack (a new alert without both
 * fails the coverage test).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { resolveStackConfig } from "../sizing/stackConfig";
import { readStackFiles } from "../plan/stackFiles";
import { AlertRule, alertsOf, alertThresholds, stackAlertRules } from "../sizing/alerts";
import { leLabel, REQUEST_METRICS } from "../catalog/requestMetrics";
import { execFile } from "child_process";
import { ensureServers } from "./realServersHarness";

/** Runs a tool as this user (the harness' run() switches to the postgres user when root). */
function run(cmd: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => execFile(cmd, args, { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0, stdout: String(stdout), stderr: String(stderr) })));
}

const REPO = path.resolve(__dirname, "..");
const stackRules = (stack: string) => {
    const c = resolveStackConfig(stack, readStackFiles(REPO, stack).config);
    return { t: alertThresholds(c), ...stackAlertRules(alertThresholds(c)) };
};

/** Sample step of the slow-burn cases (minutes): three days of one-minute samples take promtool half a minute. */
const SLOW_STEP = 10;
/** A counter growing by `perSecond` for `minutes`, sampled every `step` minutes. */
const counter = (perSecond: number, minutes: number, step = 1) => `0+${perSecond * 60 * step}x${Math.ceil(minutes / step)}`;
const gauge = (v: number, minutes: number) => `${v}x${minutes}`;
interface Series { series: string; values: string }
interface Case { series: Series[]; evalTime: string; labels: Record<string, string>; step?: number }

const LONG = 73 * 60 + 30; // minutes: the 3-day SLO window plus the slow burn's hour of `for`

/** The prod stack's request metric adapter: the series below carry its metric names. */
const PLANE = REQUEST_METRICS[resolveStackConfig("prod", readStackFiles(REPO, "prod").config).observability.requestMetrics];
/** A 2xx and a 5xx series of the data plane's request counter. */
const STATUS_SERIES: Record<string, { ok: string; error: string }> = {
    nginx_ingress_controller_requests: { ok: 'nginx_ingress_controller_requests{status="200"}', error: 'nginx_ingress_controller_requests{status="503"}' },
    envoy_http_downstream_rq_xx: { ok: 'envoy_http_downstream_rq_xx{envoy_response_code_class="2"}', error: 'envoy_http_downstream_rq_xx{envoy_response_code_class="5"}' },
};

function requests(okPerSecond: number, errorsPerSecond: number, minutes: number, step = 1): Series[] {
    const s = STATUS_SERIES[PLANE.requests];
    return [
        { series: s.ok, values: counter(okPerSecond, minutes, step) },
        { series: s.error, values: counter(errorsPerSecond, minutes, step) },
    ];
}
/** Requests per second within 0.5 s out of 1000/s, and the other buckets around it. */
function latency(fastPerSecond: number, minutes: number, under250 = 0, step = 1): Series[] {
    const b = (le: string, v: number) => ({ series: `${PLANE.durationBucket}{le="${le}"}`, values: counter(v, minutes, step) });
    return [b(leLabel(PLANE, 250), under250), b(leLabel(PLANE, 500), fastPerSecond), b(leLabel(PLANE, 1000), 1000), b("+Inf", 1000),
        { series: PLANE.durationCount, values: counter(1000, minutes, step) }];
}

/** For every alert: a case where it fires (with the labels it fires with) and one where it stays quiet. */
function cases(maxNodes: number): Record<string, { fire: Case; quiet: Case }> {
    const nodes = (k: number) => Array.from({ length: k }, (_, i) => ({ series: `kube_node_info{node="node-${i}"}`, values: gauge(1, 60) }));
    const pair = (fire: Omit<Case, "evalTime">, quiet: Series[], evalTime: string) => ({ fire: { ...fire, evalTime }, quiet: { series: quiet, labels: {}, evalTime, step: fire.step } });
    return {
        // 2% errors burns a 99.9% budget 20x; 0.05% stays inside it.
        ApiErrorBudgetBurnFast: pair({ series: requests(980, 20, 60), labels: {} }, requests(999.5, 0.5, 60), "30m"),
        ApiErrorBudgetBurnMedium: pair({ series: requests(992, 8, 120), labels: {} }, requests(999.5, 0.5, 120), "60m"),
        ApiErrorBudgetBurnSlow: pair({ series: requests(998, 2, LONG, SLOW_STEP), labels: {}, step: SLOW_STEP }, requests(999.5, 0.5, LONG, SLOW_STEP), `${LONG - 10}m`),
        // 90% / 40% / 10% of requests slower than 0.5 s against a 5% budget (p95).
        ApiLatencyBudgetBurnFast: pair({ series: latency(100, 60), labels: {} }, latency(999, 60), "30m"),
        ApiLatencyBudgetBurnMedium: pair({ series: latency(600, 120), labels: {} }, latency(999, 120), "60m"),
        ApiLatencyBudgetBurnSlow: pair({ series: latency(900, LONG, 0, SLOW_STEP), labels: {}, step: SLOW_STEP }, latency(999, LONG, 0, SLOW_STEP), `${LONG - 10}m`),
        ApiLatencyP95High: pair({ series: latency(500, 60), labels: {} }, latency(1000, 60, 990), "30m"),
        ApiErrorRatioHigh: pair({ series: requests(980, 20, 60), labels: {} }, requests(995, 5, 60), "30m"),
        PgBouncerPoolExhausted: pair(
            { series: [{ series: 'pgbouncer_pools_client_maxwait_seconds{database="app",user="app_admin",instance="10.0.1.5:9127"}', values: gauge(12, 30) }], labels: { database: "app", user: "app_admin" } },
            [{ series: 'pgbouncer_pools_client_maxwait_seconds{database="app",user="app_admin",instance="10.0.1.5:9127"}', values: gauge(1, 30) }], "10m"),
        PgBouncerClientsWaiting: pair(
            { series: [{ series: 'pgbouncer_pools_client_waiting_connections{database="app",user="app_admin",instance="10.0.1.5:9127"}', values: gauge(40, 30) }], labels: { database: "app", user: "app_admin" } },
            [{ series: 'pgbouncer_pools_client_waiting_connections{database="app",user="app_admin",instance="10.0.1.5:9127"}', values: gauge(0, 30) }], "10m"),
        RedisCacheHitRatioLow: pair(
            { series: [{ series: "redis_keyspace_hits_total", values: counter(100, 60) }, { series: "redis_keyspace_misses_total", values: counter(900, 60) }], labels: {} },
            [{ series: "redis_keyspace_hits_total", values: counter(900, 60) }, { series: "redis_keyspace_misses_total", values: counter(100, 60) }], "30m"),
        RedisEvicting: pair({ series: [{ series: "redis_evicted_keys_total", values: counter(10, 60) }], labels: {} }, [{ series: "redis_evicted_keys_total", values: counter(0, 60) }], "30m"),
        HpaAtMaximum: pair(
            { series: [{ series: 'kube_horizontalpodautoscaler_status_current_replicas{namespace="api",horizontalpodautoscaler="api"}', values: gauge(10, 60) }, { series: 'kube_horizontalpodautoscaler_spec_max_replicas{namespace="api",horizontalpodautoscaler="api"}', values: gauge(10, 60) }], labels: { namespace: "api", horizontalpodautoscaler: "api" } },
            [{ series: 'kube_horizontalpodautoscaler_status_current_replicas{namespace="api",horizontalpodautoscaler="api"}', values: gauge(5, 60) }, { series: 'kube_horizontalpodautoscaler_spec_max_replicas{namespace="api",horizontalpodautoscaler="api"}', values: gauge(10, 60) }], "30m"),
        ClusterAtNodeMaximum: pair({ series: nodes(maxNodes), labels: {} }, nodes(maxNodes - 1), "30m"),
        ClusterAutoscalerUnschedulablePods: pair({ series: [{ series: "cluster_autoscaler_unschedulable_pods_count", values: gauge(3, 60) }], labels: {} }, [{ series: "cluster_autoscaler_unschedulable_pods_count", values: gauge(0, 60) }], "30m"),
        PodCrashLooping: pair(
            { series: [{ series: 'kube_pod_container_status_waiting_reason{namespace="api",pod="api-7d9",container="api",reason="CrashLoopBackOff"}', values: gauge(1, 60) }], labels: { namespace: "api", pod: "api-7d9", container: "api" } },
            [{ series: 'kube_pod_container_status_waiting_reason{namespace="api",pod="api-7d9",container="api",reason="CrashLoopBackOff"}', values: gauge(0, 60) }], "30m"),
        NodeNotReady: pair(
            { series: [{ series: 'kube_node_status_condition{node="node-1",condition="Ready",status="true"}', values: gauge(0, 60) }], labels: { node: "node-1", condition: "Ready", status: "true" } },
            [{ series: 'kube_node_status_condition{node="node-1",condition="Ready",status="true"}', values: gauge(1, 60) }], "30m"),
        GatewayProxiesUnavailable: pair(
            { series: [{ series: 'kube_deployment_status_replicas_unavailable{namespace="envoy-gateway-system",deployment="envoy-gateway-system-edge-1a2b3c4d"}', values: gauge(1, 60) }], labels: { namespace: "envoy-gateway-system", deployment: "envoy-gateway-system-edge-1a2b3c4d" } },
            [{ series: 'kube_deployment_status_replicas_unavailable{namespace="envoy-gateway-system",deployment="envoy-gateway-system-edge-1a2b3c4d"}', values: gauge(0, 60) }, { series: 'kube_deployment_status_replicas_unavailable{namespace="api",deployment="api"}', values: gauge(1, 60) }], "30m"),
        PdbBlockingDrain: pair(
            { series: [{ series: 'kube_poddisruptionbudget_status_pod_disruptions_allowed{namespace="api",poddisruptionbudget="api"}', values: gauge(0, 150) }, { series: 'kube_poddisruptionbudget_status_expected_pods{namespace="api",poddisruptionbudget="api"}', values: gauge(2, 150) }], labels: { namespace: "api", poddisruptionbudget: "api" } },
            [{ series: 'kube_poddisruptionbudget_status_pod_disruptions_allowed{namespace="api",poddisruptionbudget="api"}', values: gauge(1, 150) }, { series: 'kube_poddisruptionbudget_status_expected_pods{namespace="api",poddisruptionbudget="api"}', values: gauge(2, 150) }], "2h"),
        ScrapeTargetDown: pair(
            { series: [{ series: 'up{job="pgbouncer",instance="10.0.1.5:9127"}', values: gauge(0, 60) }], labels: { job: "pgbouncer", instance: "10.0.1.5:9127" } },
            [{ series: 'up{job="pgbouncer",instance="10.0.1.5:9127"}', values: gauge(1, 60) }], "30m"),
    };
}

/** promtool test files, one per sample step (the evaluation interval is per file). */
function promtoolTests(rulesFile: string, alerts: AlertRule[], maxNodes: number): Array<{ step: number; doc: { tests: unknown[] } }> {
    const all = cases(maxNodes);
    const steps = [...new Set(alerts.map((a) => all[a.alert].fire.step ?? 1))];
    return steps.map((step) => ({ step, doc: promtoolTestFile(rulesFile, alerts.filter((a) => (all[a.alert].fire.step ?? 1) === step), all, step) }));
}

function promtoolTestFile(rulesFile: string, alerts: AlertRule[], all: ReturnType<typeof cases>, step: number): { tests: unknown[] } {
    const tests = alerts.flatMap((a) => (["fire", "quiet"] as const).map((kind) => {
        const c = all[a.alert][kind];
        return {
            interval: `${step}m`,
            name: `${a.alert} ${kind}`,
            input_series: c.series,
            alert_rule_test: [{
                eval_time: c.evalTime,
                alertname: a.alert,
                exp_alerts: kind === "quiet" ? [] : [{
                    exp_labels: { ...c.labels, severity: a.severity },
                    exp_annotations: { summary: a.summary, threshold: a.threshold, runbook: a.runbook },
                }],
            }],
        };
    }));
    // Rule groups evaluate concurrently, and an alert reads a recording rule's last sample within the 5-minute
    // lookback: evaluating less than 5 minutes apart keeps that sample visible whichever group runs first
    // (at 10 minutes, an alert evaluated before the recording group saw no series and lost its `for`).
    return { rule_files: [rulesFile], evaluation_interval: `${Math.min(step, 4)}m`, tests } as { tests: unknown[] };
}

describe("alert rules under promtool", function () {
    this.timeout(120_000);
    let dir: string;
    before(() => {
        ensureServers();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "obs-promtool-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    for (const stack of ["dev", "prod"]) {
        it(`promtool check rules accepts the ${stack} stack's rules`, async () => {
            const file = path.join(dir, `${stack}.rules.yaml`);
            fs.writeFileSync(file, stackRules(stack).yaml);
            const r = await run("promtool", ["check", "rules", file]);
            assert.strictEqual(r.code, 0, r.stdout + r.stderr);
            assert.match(r.stdout, /SUCCESS: \d+ rules found/);
        });
    }

    it("covers p95 latency, 5xx ratio, long and short burn windows, pool exhaustion and cache hit ratio", () => {
        const { yaml } = stackRules("prod");
        for (const needle of ["histogram_quantile(0.95", PLANE.errors5xx, "slo:request_errors:ratio_rate3d", "slo:request_errors:ratio_rate5m", "pgbouncer_pools_client_maxwait_seconds", "redis_keyspace_misses_total"]) {
            assert.ok(yaml.includes(needle), `rules lack ${needle}`);
        }
    });

    it("has a firing and a quiet case for every alert", () => {
        const { groups, t } = stackRules("prod");
        const missing = alertsOf(groups).map((a) => a.alert).filter((a) => !(a in cases(t.clusterMaxNodes.value)));
        assert.deepStrictEqual(missing, []);
    });

    it("promtool test rules: every alert fires on its firing case and stays quiet on the other", async () => {
        const { groups, yaml, t } = stackRules("prod");
        const rulesFile = path.join(dir, "prod.rules.yaml");
        fs.writeFileSync(rulesFile, yaml);
        const files = promtoolTests(rulesFile, alertsOf(groups), t.clusterMaxNodes.value).map(({ step, doc }) => {
            const file = path.join(dir, `prod.tests.${step}m.yaml`);
            fs.writeFileSync(file, stringify(doc, { lineWidth: 0 }));
            return file;
        });
        const r = await run("promtool", ["test", "rules", ...files], { timeoutMs: 110_000 });
        assert.strictEqual(r.code, 0, (r.stdout + r.stderr).slice(0, 4000));
        assert.strictEqual((r.stdout.match(/SUCCESS/g) ?? []).length, files.length, r.stdout);
    });

    it("promtool test rules fails when a firing case is wrong (the harness can fail)", async () => {
        const { groups, yaml, t } = stackRules("prod");
        const rulesFile = path.join(dir, "prod.rules.yaml");
        fs.writeFileSync(rulesFile, yaml);
        const [first] = alertsOf(groups);
        const doc = promtoolTests(rulesFile, [first], t.clusterMaxNodes.value)[0].doc as { tests: Array<{ alert_rule_test: Array<{ exp_alerts: unknown[] }> }> };
        doc.tests[1].alert_rule_test[0].exp_alerts = doc.tests[0].alert_rule_test[0].exp_alerts; // expect the quiet case to fire
        const testFile = path.join(dir, "wrong.tests.yaml");
        fs.writeFileSync(testFile, stringify(doc, { lineWidth: 0 }));
        const r = await run("promtool", ["test", "rules", testFile], { timeoutMs: 60_000 });
        assert.notStrictEqual(r.code, 0);
    });
});

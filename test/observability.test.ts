/**
 * Observability from the outside: config errors, thresholds from the sizing model, what the prod plan
 * deploys (AMP, the scraper, the rules it ships, alarms with actions, dashboards), the scraper
 * configuration under the real `promtool check config`, and the README catalogue.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { ConfigError, RawConfig } from "../config";
import { resolveStackConfig } from "../sizing/stackConfig";
import { readStackFiles } from "../plan/stackFiles";
import { PROJECT_DIR } from "../plan/run";
import { alertThresholds, stackAlertRules } from "../sizing/alerts";
import { auroraMaxConnections } from "../sizing/connections";
import { alertCatalogue, README, renderReadme } from "../scripts/alerts-readme";
import { render } from "../cli/plan";
import { byName, ofType, stackPlan } from "./helpers";
import { ensureServers } from "./realServersHarness";

const shipped = (stack: string): Record<string, any> => {
    const raw: Record<string, any> = {};
    for (const [k, v] of Object.entries(readStackFiles(PROJECT_DIR, stack).config)) {
        try { raw[k] = JSON.parse(v as string); } catch { raw[k] = v; }
    }
    return raw;
};
const KEY = "scaling-topology:observability";

function problemsOf(stack: string, patch: (raw: Record<string, any>) => void) {
    const raw = shipped(stack);
    patch(raw);
    try {
        resolveStackConfig(stack, raw as RawConfig);
    } catch (e) {
        assert.ok(ConfigError.isInstance(e), `expected ConfigError, got ${e}`);
        return (e as ConfigError).problems;
    }
    return assert.fail("expected the config to be refused");
}

describe("observability config", () => {
    it("is optional: a stack without the key gets the defaults (99.9%, p95 < 500 ms, AMP, the Gateway's Envoy proxies)", () => {
        const raw = shipped("dev");
        delete raw[KEY];
        const c = resolveStackConfig("dev", raw as RawConfig);
        assert.deepEqual(c.observability.slo, { availability: 0.999, latencyThresholdMs: 500, latencyObjective: 0.95 });
        assert.equal(c.observability.pipeline, "amp");
        assert.equal(c.observability.requestMetrics, "envoy-gateway");
    });

    it("reports every bad value at once, naming the key, the value and what is allowed", () => {
        const problems = problemsOf("prod", (raw) => {
            raw[KEY] = { slo: { availability: 1, latencyThresholdMs: 300 }, notifications: { webhookUrl: "http://hooks.example.com/x" }, thresholds: { cacheHitRatio: 0.9 }, scrapeIntervalSeconds: 10, pipeline: "self-managed" };
        });
        const byKey = Object.fromEntries(problems.map((p) => [p.key, p]));
        assert.match(byKey[`${KEY}.slo.availability`].message, /between 0.9 and 0.99999/);
        assert.match(byKey[`${KEY}.notifications.webhookUrl`].message, /https/);
        assert.match(byKey[`${KEY}.scrapeIntervalSeconds`].message, /at least 30/);
        assert.match(byKey[`${KEY}.pipeline`].message, /amp/);
        assert.equal(byKey[`${KEY}.slo.availability`].value, 1);
    });

    it("refuses a latency objective off the histogram's buckets and a cache threshold above the sizing's hit ratio", () => {
        const problems = problemsOf("prod", (raw) => { raw[KEY] = { slo: { latencyThresholdMs: 300 }, thresholds: { cacheHitRatio: 0.9 } }; });
        const keys = problems.map((p) => p.key).sort();
        assert.deepEqual(keys, [`${KEY}.slo.latencyThresholdMs`, `${KEY}.thresholds.cacheHitRatio`]);
        assert.match(problems.find((p) => p.key.endsWith("latencyThresholdMs"))!.message, /bucket bound .*250, 500/);
        assert.match(problems.find((p) => p.key.endsWith("cacheHitRatio"))!.message, /load.redisAbsorbedShare \(0.7\)/);
    });

    it("prod without any alert recipient is refused", () => {
        const problems = problemsOf("prod", (raw) => {
            raw[KEY] = { notifications: {} };
            delete raw["scaling-topology:backup"].notificationEmail;
        });
        assert.deepEqual(problems.map((p) => p.key), [`${KEY}.notifications`]);
    });
});

describe("alert thresholds from the sizing model", () => {
    it("follow the stack: connection alarms from max_connections, node maxima from the node groups, pool waits from PgBouncer", () => {
        const prod = resolveStackConfig("prod", readStackFiles(PROJECT_DIR, "prod").config);
        const t = alertThresholds(prod);
        assert.equal(t.auroraConnections.WRITER.value, Math.floor(0.9 * (auroraMaxConnections(prod.aurora.instanceClass) - 3)));
        assert.equal(t.clusterMaxNodes.value, prod.cluster.nodeGroups.reduce((s, g) => s + g.maxSize, 0));
        // A bigger node group maximum moves the rule's threshold.
        const bigger = { ...prod, cluster: { ...prod.cluster, nodeGroups: prod.cluster.nodeGroups.map((g) => ({ ...g, maxSize: g.maxSize + 10 })) } };
        const before = stackAlertRules(t).yaml;
        const after = stackAlertRules(alertThresholds(bigger)).yaml;
        assert.match(before, new RegExp(`count\\(kube_node_info\\) >= ${t.clusterMaxNodes.value}\\n`));
        assert.match(after, new RegExp(`count\\(kube_node_info\\) >= ${t.clusterMaxNodes.value + 10 * prod.cluster.nodeGroups.length}\\n`));
        // A dev writer (db.t4g.medium, 405 connections) alarms far lower than prod's.
        const dev = alertThresholds(resolveStackConfig("dev", readStackFiles(PROJECT_DIR, "dev").config));
        assert.ok(dev.auroraConnections.WRITER.value < 405 && dev.auroraConnections.WRITER.value < t.auroraConnections.WRITER.value);
    });

    it("SLO objectives change the burn-rate thresholds (99.99% burns 10x less budget than 99.9%)", () => {
        const prod = resolveStackConfig("prod", readStackFiles(PROJECT_DIR, "prod").config);
        const four9 = { ...prod, observability: { ...prod.observability, slo: { ...prod.observability.slo, availability: 0.9999 } } };
        assert.match(stackAlertRules(alertThresholds(prod)).yaml, /slo:request_errors:ratio_rate1h > 0\.0144 /);
        assert.match(stackAlertRules(alertThresholds(four9)).yaml, /slo:request_errors:ratio_rate1h > 0\.00144 /);
    });
});

describe("observability in the prod plan", function () {
    this.timeout(60_000);

    it("ships the rules to AMP as the exact generated text, with a managed scraper and an alert manager to the topic", async () => {
        const plan = await stackPlan("prod");
        const rules = ofType(plan, "aws:amp/ruleGroupNamespace:RuleGroupNamespace");
        assert.equal(rules.length, 1);
        const expected = stackAlertRules(alertThresholds(resolveStackConfig("prod", readStackFiles(PROJECT_DIR, "prod").config))).yaml;
        assert.equal(rules[0].props.data, expected);
        assert.equal(ofType(plan, "aws:amp/workspace:Workspace").length, 1);
        assert.equal(ofType(plan, "aws:amp/scraper:Scraper").length, 1);
        const am = ofType(plan, "aws:amp/alertManagerDefinition:AlertManagerDefinition")[0];
        assert.match(String(am.props.definition), /sns_configs:\n\s+- topic_arn: arn:aws:sns:eu-west-1:/);
        assert.deepEqual(ofType(plan, "aws:eks/addon:Addon").map((a) => a.props.addonName).filter((n) => /state-metrics|node-exporter/.test(String(n))).sort(), ["kube-state-metrics", "prometheus-node-exporter"]);
    });

    it("every CloudWatch alarm notifies an encrypted topic; Aurora (by role) and ElastiCache are alarmed", async () => {
        const plan = await stackPlan("prod");
        const alarms = ofType(plan, "aws:cloudwatch/metricAlarm:MetricAlarm");
        assert.ok(alarms.length > 10);
        for (const a of alarms) {
            const actions = a.props.alarmActions as string[];
            assert.ok(Array.isArray(actions) && actions.length === 1, `${a.name} has no alarm action`);
            assert.ok(typeof actions[0] === "string" && actions[0].startsWith("arn:aws:sns:"), `${a.name} -> ${actions[0]}`);
        }
        for (const t of ofType(plan, "aws:sns/topic:Topic").filter((x) => x.name.includes("observability"))) assert.ok(t.props.kmsMasterKeyId, `${t.name} is not encrypted`);
        const rds = alarms.filter((a) => a.props.namespace === "AWS/RDS");
        assert.deepEqual([...new Set(rds.map((a) => (a.props.dimensions as any).Role))].sort(), ["READER", "WRITER"]);
        assert.ok(rds.every((a) => (a.props.dimensions as any).DBClusterIdentifier === "scaling-topology-prod-aurora"));
        const cache = alarms.filter((a) => ((a.props.metricQueries as any[]) ?? []).some((q) => q.metric?.namespace === "AWS/ElastiCache"));
        const prod = resolveStackConfig("prod", readStackFiles(PROJECT_DIR, "prod").config);
        assert.equal(cache.length, prod.redis.shards * 5);
        const ids = cache.flatMap((a) => (a.props.metricQueries as any[]).filter((q) => q.metric).map((q) => q.metric.dimensions.CacheClusterId));
        assert.ok(ids.includes(`scaling-topology-prod-redis-${String(prod.redis.shards).padStart(4, "0")}-${String(1 + prod.redis.replicasPerShard).padStart(3, "0")}`));
        assert.ok(cache.every((a) => (a.props.metricQueries as any[]).filter((q) => q.metric).length <= 10), "CloudWatch alarm metric math takes at most 10 metrics");
        const cf = byName(plan, "prod-observability-cloudfront-5xx");
        assert.match(String(cf.opts.provider), /aws-us-east-1/);
        assert.deepEqual(Object.keys(cf.props.dimensions as object).sort(), ["DistributionId", "Region"]);
        assert.match((cf.props.alarmActions as string[])[0], /^arn:aws:sns:us-east-1:/);
    });

    it("provisions dashboards: a CloudWatch dashboard and Grafana dashboards for the sidecar", async () => {
        const plan = await stackPlan("prod");
        const body = JSON.parse(String(ofType(plan, "aws:cloudwatch/dashboard:Dashboard")[0].props.dashboardBody));
        assert.ok(body.widgets.some((w: any) => JSON.stringify(w).includes("AuroraReplicaLag")));
        const maps = ofType(plan, "kubernetes:core/v1:ConfigMap").filter((m) => (m.props.metadata as any).labels?.grafana_dashboard === "1");
        assert.deepEqual(maps.map((m) => Object.keys(m.props.data as object)[0]).sort(), ["api.json", "cache.json", "database.json"]);
        const api = JSON.parse((maps.find((m) => "api.json" in (m.props.data as object))!.props.data as any)["api.json"]);
        assert.ok(JSON.stringify(api).includes("histogram_quantile(0.99"));
    });

    it("runs Grafana from the pinned chart: AMP as its SigV4 datasource through Pod Identity, the sidecar on the dashboards' label", async () => {
        const plan = await stackPlan("prod");
        const release = ofType(plan, "kubernetes:helm.sh/v3:Release").find((r) => r.props.chart === "grafana")!;
        assert.equal(release.props.version, "12.11.1");
        assert.match(String((release.props.repositoryOpts as any).repo), /^https:\/\//);
        const values = release.props.values as any;
        const ds = values.datasources["datasources.yaml"].datasources[0];
        assert.equal(ds.uid, "amp");
        assert.equal(ds.jsonData.sigV4Auth, true);
        assert.equal(ds.url, plan.outputs.prometheusEndpoint);
        assert.equal(values["grafana.ini"].auth.sigv4_auth_enabled, true);
        assert.deepEqual([values.sidecar.dashboards.label, values.sidecar.dashboards.labelValue], ["grafana_dashboard", "1"]);
        assert.equal(values.admin.existingSecret, "grafana-admin");
        const assoc = ofType(plan, "aws:eks/podIdentityAssociation:PodIdentityAssociation").find((a) => a.props.serviceAccount === values.serviceAccount.name)!;
        assert.equal(assoc.props.namespace, "monitoring");
        const policy = JSON.parse(String(ofType(plan, "aws:iam/rolePolicy:RolePolicy").find((p) => p.name.includes("grafana"))!.props.policy));
        assert.deepEqual(policy.Statement[0].Action, ["aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata"]);
    });

    it("the plan's text and Markdown list the alerts", async () => {
        const plan = await stackPlan("prod");
        for (const format of ["text", "markdown"] as const) {
            const out = render(plan, format);
            for (const alert of ["PgBouncerPoolExhausted", "RedisCacheHitRatioLow", "ApiErrorBudgetBurnFast", "ApiLatencyP95High"]) assert.ok(out.includes(alert), `${format} lacks ${alert}`);
            assert.match(out, /aurora-writer-connections/);
        }
    });

    it("the scraper's configuration: pod discovery only (what the managed collector allows) and relabelling that passes promtool check config", async () => {
        ensureServers();
        const plan = await stackPlan("prod");
        const scraper = ofType(plan, "aws:amp/scraper:Scraper")[0];
        const config = String(scraper.props.scrapeConfiguration);
        const jobs = (parse(config).scrape_configs as Array<{ job_name: string }>).map((j) => j.job_name);
        assert.deepEqual(jobs, ["annotated-pods", "request-path", "kube-state-metrics", "node-exporter", "cluster-autoscaler"]);
        const doc = parse(config) as { global: { scrape_interval: string }; scrape_configs: Array<Record<string, unknown>> };
        assert.equal(doc.global.scrape_interval, "30s");
        assert.ok(doc.scrape_configs.every((j) => JSON.stringify(j.kubernetes_sd_configs) === JSON.stringify([{ role: "pod" }])));
        // Debian's Prometheus is built without Kubernetes discovery: promtool checks everything else
        // (relabel regexes, actions, paths) with a static target in its place.
        for (const j of doc.scrape_configs) {
            delete j.kubernetes_sd_configs;
            j.static_configs = [{ targets: ["10.0.0.1:9127"] }];
        }
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "obs-scrape-"));
        try {
            fs.writeFileSync(path.join(dir, "prometheus.yml"), stringify(doc));
            execFileSync("promtool", ["check", "config", path.join(dir, "prometheus.yml")], { stdio: "pipe" });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("README alert catalogue", () => {
    it("is generated from the shipped rules (npm run alerts:readme)", () => {
        const text = fs.readFileSync(README, "utf8");
        assert.strictEqual(renderReadme(text, alertCatalogue()), text, "README.md alert catalogue is stale: run npm run alerts:readme");
    });
});

/**
 * Multi-region disaster recovery: prod heads an Aurora global database and a Valkey global datastore over its
 * existing stores, prod-dr (eu-central-1) joins both through a StackReference and fails the edge over on
 * health, the plan carries RPO/RTO per scenario, and a secondary that cannot join is refused before any
 * resource.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError } from "../config/errors";
import { Plan, runPlan } from "../plan/run";
import { RecordedResource } from "../plan/recorder";
import { renderRunbook } from "../plan/recovery";
import { RECOVERY_TIMES, recoveryScenarios } from "../sizing/recovery";
import { resolveStackConfig } from "../sizing/stackConfig";
import { readStackFiles } from "../plan/stackFiles";
import { runCli } from "../cli/main";
import { configErrorOf, ofType, stackConfigValue, stackPlan } from "./helpers";

const PRIMARY_REF = "organization/scaling-topology/prod";

/** prod-dr planned against the (cached) prod plan's outputs, as its StackReference reads them. */
let drPlan: Promise<Plan> | undefined;
async function prodDr(): Promise<Plan> {
    drPlan ??= stackPlan("prod").then((prod) => runPlan({ stack: "prod-dr", stackReferences: { [PRIMARY_REF]: prod.outputs } }));
    return drPlan;
}

/** The ConfigError of prod-dr with overrides (the primary's outputs from the prod plan). */
async function drConfigError(overrides: Record<string, unknown>, primaryOutputs?: Record<string, unknown>): Promise<ConfigError> {
    const outputs = primaryOutputs ?? (await stackPlan("prod")).outputs;
    try {
        await runPlan({ stack: "prod-dr", configOverrides: overrides, stackReferences: { [PRIMARY_REF]: outputs } });
    } catch (e) {
        if (ConfigError.isInstance(e)) return e;
        throw e;
    }
    throw new Error("expected prod-dr to fail with a ConfigError, but it planned");
}

const one = (plan: Plan, type: string): RecordedResource => {
    const rs = ofType(plan, type);
    assert.equal(rs.length, 1, `${plan.stack}: expected one ${type}, got ${rs.length}`);
    return rs[0];
};
const keys = (e: ConfigError) => e.problems.map((p) => p.key);
const rawConfig = (stack: string) => readStackFiles(path.join(__dirname, ".."), stack).config;

describe("disaster recovery: primary (prod)", () => {
    it("takes the existing Aurora cluster into a global cluster and the replication group into a global datastore", async () => {
        const plan = await stackPlan("prod");
        const cluster = one(plan, "aws:rds/cluster:Cluster");
        const group = one(plan, "aws:elasticache/replicationGroup:ReplicationGroup");
        const global = one(plan, "aws:rds/globalCluster:GlobalCluster");
        assert.match(String(global.props.sourceDbClusterIdentifier), new RegExp(`:cluster:${cluster.props.clusterIdentifier}$`));
        assert.equal(global.props.forceDestroy, true);
        assert.equal(global.props.deletionProtection, true);
        assert.equal(global.opts.protect, true);
        const datastore = one(plan, "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup");
        assert.equal(datastore.props.primaryReplicationGroupId, group.props.replicationGroupId);
        // The provider docs' ignoreChanges on a cluster taken into a global cluster: AWS sets the membership.
        assert.ok(cluster.opts.ignoreChanges?.includes("globalClusterIdentifier"));
        assert.equal(cluster.props.globalClusterIdentifier, undefined);
    });

    it("joining replaces and deletes nothing: the upgrade diff against the previous release only adds and updates in place", async () => {
        const { diffPlans } = await import("../plan/diff");
        const base = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "baseline", "prod.json"), "utf8"));
        const diff = diffPlans(base, await stackPlan("prod"));
        const { isStateful } = await import("../plan/replacements");
        assert.deepEqual(diff.changes.filter((c) => (c.op === "delete" || c.op === "replace") && (isStateful(c.type) || c.destructive)).map((c) => c.name), []);
        const created = diff.changes.filter((c) => c.op === "create").map((c) => c.type);
        assert.ok(created.includes("aws:rds/globalCluster:GlobalCluster") && created.includes("aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"));
        assert.equal(diff.changes.find((c) => c.type === "aws:rds/cluster:Cluster")!.op, "same");
        assert.equal(diff.changes.find((c) => c.type === "aws:elasticache/replicationGroup:ReplicationGroup")!.op, "same");
        assert.ok(!diff.notes.some((n) => /region of provider/.test(n)), diff.notes.join("\n"));
    });

    it("replicates every data-tier secret (master, roles, cache token) to the secondary region under a key of that region", async () => {
        const plan = await stackPlan("prod");
        // The image cache's registry logins are not data-tier secrets: each region's cache has its own.
        const secrets = ofType(plan, "aws:secretsmanager/secret:Secret").filter((s) => !String(s.props.name).startsWith("ecr-pullthroughcache/"));
        assert.ok(secrets.length >= 3, secrets.map((s) => s.name).join(", "));
        for (const secret of secrets) {
            const replicas = secret.props.replicas as Array<{ region: string; kmsKeyId: string }>;
            assert.deepEqual(replicas?.map((r) => r.region), stackConfigValue("prod", "scaling-topology:recovery").secondaryRegions, secret.name);
            assert.match(replicas[0].kmsKeyId, /^arn:aws:kms:eu-central-1:/);
        }
    });

    it("exports what a secondary joins with (recovery output)", async () => {
        const rec = (await stackPlan("prod")).outputs.recovery as any;
        assert.equal(rec.region, "eu-west-1");
        assert.equal(rec.aurora.globalClusterIdentifier, "scaling-topology-prod-global");
        assert.match(rec.redis.globalReplicationGroupId, /-scaling-topology-prod-cache$/);
        assert.equal(rec.redis.nodeType, stackConfigValue("prod", "scaling-topology:redis").nodeType);
    });

    it("plan JSON: recovery.scenarios has region loss within 60 min and an RPO of seconds", async () => {
        const rec = (await stackPlan("prod")).recovery as any;
        const names = rec.scenarios.map((s: any) => s.name);
        for (const n of ["zone-loss", "writer-failure", "region-loss", "data-corruption", "accidental-deletion"]) assert.ok(names.includes(n), n);
        const region = rec.scenarios.find((s: any) => s.name === "region-loss");
        assert.ok(region.rtoMinutes <= 60, `region-loss RTO ${region.rtoMinutes}`);
        assert.ok(region.rpoSeconds > 0 && region.rpoSeconds < 60, `region-loss RPO ${region.rpoSeconds}`);
        for (const s of rec.scenarios) assert.ok(typeof s.basis === "string" && s.basis.length > 20);
    });

    it("the sizing report says what disaster recovery adds", async () => {
        const sizing = (await stackPlan("prod")).sizing as any;
        assert.equal(sizing.disasterRecovery.role, "primary");
        assert.ok(sizing.disasterRecovery.standbyMonthlyUsd > 0);
    });
});

describe("disaster recovery: figures follow the config (sizing/recovery.ts)", () => {
    const prod = () => resolveStackConfig("prod", rawConfig("prod"));
    const regionLoss = (c: ReturnType<typeof prod>) => recoveryScenarios(c).find((s) => s.name === "region-loss")!;

    it("a headless standby costs the instance creation in RTO", () => {
        const dr = resolveStackConfig("prod-dr", rawConfig("prod-dr"));
        const headless = resolveStackConfig("prod-dr", { ...rawConfig("prod-dr"), "scaling-topology:recovery": JSON.stringify({ ...stackConfigValue("prod-dr", "scaling-topology:recovery"), standbyAuroraInstances: 0 }) });
        // Creating an instance (15 min) comes before failover-global-cluster, and the datastore promotion (3 min)
        // it overlapped no longer bounds the step: 2 + 15 instead of max(2, 3).
        const T = RECOVERY_TIMES;
        assert.equal(regionLoss(headless).rtoMinutes - regionLoss(dr).rtoMinutes, T.globalFailoverMinutes + T.headlessInstanceMinutes - Math.max(T.globalFailoverMinutes, T.datastorePromoteMinutes));
        assert.ok(regionLoss(headless).rtoMinutes > regionLoss(dr).rtoMinutes);
    });

    it("without a standby region, region loss is a rebuild from backup copies (hours, a day of writes)", () => {
        const raw = { ...rawConfig("dev"), "scaling-topology:backup": JSON.stringify({ ...stackConfigValue("dev", "scaling-topology:backup"), disasterRecovery: { region: "eu-central-1" } }) };
        const s = regionLoss(resolveStackConfig("dev", raw));
        assert.equal(s.rpoSeconds, 86400);
        assert.ok(s.rtoMinutes > 60);
        assert.ok(regionLoss(prod()).rtoMinutes < s.rtoMinutes);
    });

    it("the replication lag and decision time given are the RPO and part of the RTO", () => {
        const base = prod();
        const slower = { ...base, recovery: { ...base.recovery!, expectedReplicationLagSeconds: 5, decisionMinutes: 20 } };
        assert.equal(regionLoss(slower).rpoSeconds, 5);
        assert.equal(regionLoss(slower).rtoMinutes - regionLoss(base).rtoMinutes, 10);
    });

    it("prod without a standby region misses the region-loss objective: a config error", async () => {
        const e = await configErrorOf("prod", { "scaling-topology:recovery": undefined });
        const p = e.problems.find((x) => x.key.startsWith("scaling-topology:recovery"));
        assert.ok(p, JSON.stringify(e.problems));
        assert.match(p!.message, /within 60 min/);
    });
});

describe("disaster recovery: secondary (prod-dr, eu-central-1)", () => {
    it("plans from the primary's plan; joins the global cluster headless of credentials, with one standby instance", async () => {
        const plan = await prodDr();
        const prod = await stackPlan("prod");
        const cluster = one(plan, "aws:rds/cluster:Cluster");
        assert.equal(cluster.props.globalClusterIdentifier, (prod.outputs.recovery as any).aurora.globalClusterIdentifier);
        for (const k of ["masterUsername", "masterPassword", "databaseName"]) assert.equal(cluster.props[k], undefined, k);
        assert.equal(cluster.props.engineVersion, one(prod, "aws:rds/cluster:Cluster").props.engineVersion);
        assert.ok(cluster.opts.ignoreChanges?.includes("replicationSourceIdentifier"));
        assert.equal(ofType(plan, "aws:rds/clusterInstance:ClusterInstance").length, 1);
        assert.equal(ofType(plan, "aws:appautoscaling/target:Target").length, 0);
        // No database credentials of its own, no roles Job, no rotation: it reads the primary's, replicated into
        // its region (its one secret is its cache's token and endpoint, the token the global datastore's).
        // (Besides its own image cache's registry logins, which are not database credentials.)
        assert.deepEqual(ofType(plan, "aws:secretsmanager/secret:Secret").filter((s) => !String(s.props.name).startsWith("ecr-pullthroughcache/")).map((s) => s.name), ["prod-dr-redis-auth-token-secret"]);
        assert.equal(ofType(plan, "kubernetes:batch/v1:Job").length, 0);
        assert.equal(ofType(plan, "aws:secretsmanager/secretRotation:SecretRotation").length, 0);
        assert.ok(ofType(await stackPlan("prod"), "aws:secretsmanager/secretRotation:SecretRotation").length > 0, "prod rotates (the type name is right)");
        assert.ok(ofType(await stackPlan("prod"), "kubernetes:batch/v1:Job").length > 0, "prod runs the roles Job (the type name is right)");
        assert.match(String(plan.outputs.auroraSecretArn), /^arn:aws:secretsmanager:eu-central-1:/);
        // PgBouncer and the services read the role's replica under the primary's key of this region.
        const replicaKey = ((await stackPlan("prod")).outputs.recovery as any).secretReplicaKeyArns["eu-central-1"];
        assert.ok(JSON.stringify(plan.resources.filter((r) => r.type === "aws:iam/policy:Policy" || r.type === "aws:iam/rolePolicy:RolePolicy").map((r) => r.props)).includes(replicaKey));
    });

    it("joins the global datastore: only its replicas are its own", async () => {
        const plan = await prodDr();
        const group = one(plan, "aws:elasticache/replicationGroup:ReplicationGroup");
        assert.equal(group.props.globalReplicationGroupId, ((await stackPlan("prod")).outputs.recovery as any).redis.globalReplicationGroupId);
        for (const k of ["nodeType", "numNodeGroups", "engine", "engineVersion", "parameterGroupName", "authToken"]) assert.equal(group.props[k], undefined, k);
        assert.equal(group.props.replicasPerNodeGroup, 1);
        assert.equal(group.props.transitEncryptionEnabled, true);
        assert.equal(group.props.atRestEncryptionEnabled, true);
        assert.equal(ofType(plan, "aws:rds/globalCluster:GlobalCluster").length, 0);
    });

    it("keeps region-local KMS keys and prod's maxima at small minima", async () => {
        const plan = await prodDr();
        assert.equal(ofType(plan, "pulumi:providers:aws").find((p) => p.name === "aws")!.props.region, "eu-central-1");
        // The data keys are the standby region's own (a key never leaves its region).
        const regionOf = (providerUrn: string | undefined) => plan.resources.find((r) => r.urn === providerUrn)?.props.region;
        for (const name of ["prod-dr-aurora-kms", "prod-dr-redis-kms"]) assert.equal(regionOf(plan.resources.find((r) => r.name === name)!.opts.provider), "eu-central-1", name);
        const prodGroups = stackConfigValue("prod", "scaling-topology:cluster").nodeGroups;
        const drGroups = stackConfigValue("prod-dr", "scaling-topology:cluster").nodeGroups;
        for (const g of prodGroups) assert.equal(drGroups.find((x: any) => x.name === g.name).maxSize, g.maxSize, g.name);
        const prodApi = stackConfigValue("prod", "scaling-topology:services")[0].replicas;
        const drApi = stackConfigValue("prod-dr", "scaling-topology:services")[0].replicas;
        assert.equal(drApi.max, prodApi.max);
        assert.ok(drApi.min < prodApi.min);
    });

    it("fails the edge over on health: a load balancer with a pool per region and a monitor through the stack", async () => {
        const plan = await prodDr();
        const prod = await stackPlan("prod");
        assert.equal(ofType(plan, "aws:cloudfront/distribution:Distribution").length, 0);
        assert.equal(ofType(plan, "cloudflare:index/ruleset:Ruleset").length, 0);
        const lb = one(plan, "cloudflare:index/loadBalancer:LoadBalancer");
        const pools = ofType(plan, "cloudflare:index/loadBalancerPool:LoadBalancerPool");
        assert.equal(lb.props.name, stackConfigValue("prod", "scaling-topology:edge").hostname);
        assert.equal(lb.props.proxied, true);
        assert.equal(lb.props.steeringPolicy, "off");
        assert.equal((lb.props.defaultPools as string[]).length, 2);
        const address = (region: string) => (pools.find((p) => String(p.props.name).endsWith(region))!.props.origins as any[])[0].address;
        assert.equal(address("eu-west-1"), prod.outputs.cloudfrontDomainName);
        assert.equal(address("eu-central-1"), plan.outputs.ingressHostname);
        const monitor = one(plan, "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor");
        assert.equal(monitor.props.path, "/readyz");
        assert.equal(monitor.props.type, "https");
        assert.deepEqual((monitor.props.header as any).Host, [lb.props.name]);
        // The origins refuse requests without the origin header: the monitor sends it (a secret).
        assert.deepEqual((monitor.props.header as any)["X-Origin-Verify"], ["[secret]"]);
        assert.equal(new Set(pools.map((p) => p.props.monitor)).size, 1);
        assert.ok(typeof pools[0].props.monitor === "string" && pools[0].props.monitor !== "");
    });

    it("prod's Cloudflare edge adds the origin header for the standby's origin too", async () => {
        const prod = await stackPlan("prod");
        assert.ok(ofType(prod, "cloudflare:index/ruleset:Ruleset").some((r) => r.props.phase === "http_request_late_transform"));
    });

    it("plans in preview mode: the standby's own origin is unknown, the primary's known from its stack", async () => {
        const prod = await stackPlan("prod");
        const plan = await runPlan({ stack: "prod-dr", preview: true, stackReferences: { [PRIMARY_REF]: prod.outputs } });
        const pools = ofType(plan, "cloudflare:index/loadBalancerPool:LoadBalancerPool");
        const address = (region: string) => (pools.find((p) => String(p.props.name).endsWith(region))!.props.origins as any[])[0].address;
        assert.equal(address("eu-west-1"), prod.outputs.cloudfrontDomainName);
        assert.equal(address("eu-central-1"), "[unknown]");
        assert.equal(one(plan, "aws:rds/cluster:Cluster").props.globalClusterIdentifier, "scaling-topology-prod-global");
    });

    it("pages when the global database lags beyond what the RPO assumes", async () => {
        const plan = await prodDr();
        const alarm = ofType(plan, "aws:cloudwatch/metricAlarm:MetricAlarm").find((a) => a.props.metricName === "AuroraGlobalDBReplicationLag");
        assert.ok(alarm, "no AuroraGlobalDBReplicationLag alarm");
        assert.equal((alarm!.props.dimensions as any).DBClusterIdentifier, one(plan, "aws:rds/cluster:Cluster").props.clusterIdentifier);
        assert.equal(alarm!.props.threshold, 10_000);
        assert.equal(alarm!.props.treatMissingData, "breaching");
        assert.ok((alarm!.props.alarmActions as string[]).length === 1);
        assert.ok(!ofType(await stackPlan("prod"), "aws:cloudwatch/metricAlarm:MetricAlarm").some((a) => a.props.metricName === "AuroraGlobalDBReplicationLag"));
    });

    it("the sizing report gives the standby region's monthly cost", async () => {
        const sizing = (await prodDr()).sizing as any;
        assert.equal(sizing.disasterRecovery.role, "secondary");
        assert.ok(sizing.disasterRecovery.standbyMonthlyUsd > 0 && sizing.disasterRecovery.standbyMonthlyUsd < sizing.monthlyCostUsdAtMin);
    });

    it("the plan command plans prod-dr with no saved plan: it plans prod first for the reference", async () => {
        let out = "", err = "";
        const code = await runCli(["plan", "--stack", "prod-dr", "--format", "json"], { stdout: (t) => { out += t; }, stderr: (t) => { err += t; } });
        assert.equal(code, 0, err);
        assert.match(err, /planning the referenced stack organization\/scaling-topology\/prod/);
        const plan = JSON.parse(out);
        assert.ok(plan.recovery.scenarios.find((s: any) => s.name === "region-loss").rtoMinutes <= 60);
    });
});

/** prod-dr's cluster config with its CI runner's CodeConnections connection in `region` (connections are regional). */
const runnerIn = (region: string) => {
    const cluster = stackConfigValue("prod-dr", "scaling-topology:cluster");
    const runner = cluster.apiAccess.runner;
    return { ...cluster, apiAccess: { ...cluster.apiAccess, runner: { ...runner, connectionArn: runner.connectionArn.replace(/:codeconnections:[a-z0-9-]+:/, `:codeconnections:${region}:`) } } };
};

describe("disaster recovery: bad input is a config error before any resource", () => {
    it("a secondary in the primary's region", async () => {
        const network = { ...stackConfigValue("prod-dr", "scaling-topology:network"), availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"] };
        const backup = { ...stackConfigValue("prod-dr", "scaling-topology:backup"), disasterRecovery: { region: "eu-central-1" } };
        const e = await drConfigError({ "aws:region": "eu-west-1", "scaling-topology:network": network, "scaling-topology:backup": backup, "scaling-topology:cluster": runnerIn("eu-west-1") });
        const p = e.problems.find((x) => x.key === "aws:region");
        assert.ok(p, JSON.stringify(e.problems));
        assert.match(p!.message, /region of the primary stack/);
        assert.match(e.message, /no resource was created/);
    });

    it("mismatched engine version, node type and shards: every one at once", async () => {
        const redis = { ...stackConfigValue("prod-dr", "scaling-topology:redis"), nodeType: "cache.r7g.2xlarge", shards: 16, engineVersion: "8.1" };
        const aurora = { ...stackConfigValue("prod-dr", "scaling-topology:aurora"), engineVersion: "16.4" };
        const e = await drConfigError({ "scaling-topology:redis": redis, "scaling-topology:aurora": aurora });
        assert.deepEqual(keys(e).sort(), ["scaling-topology:aurora.engineVersion", "scaling-topology:redis.engineVersion", "scaling-topology:redis.nodeType", "scaling-topology:redis.shards"]);
        assert.match(e.problems.find((p) => p.key === "scaling-topology:redis.nodeType")!.message, /cache\.r7g\.xlarge/);
    });

    it("a standby sized for less than the primary's load", async () => {
        const load = { ...stackConfigValue("prod-dr", "scaling-topology:load"), peakConcurrentUsers: 100000 };
        const e = await drConfigError({ "scaling-topology:load": load });
        const p = e.problems.find((x) => x.key === "scaling-topology:load.peakConcurrentUsers");
        assert.ok(p, JSON.stringify(e.problems));
        assert.match(p!.message, /at least the primary's \(500000/);
    });

    it("a region the primary does not list (its third would exceed the datastore's limit)", async () => {
        const network = { ...stackConfigValue("prod-dr", "scaling-topology:network"), availabilityZones: ["eu-north-1a", "eu-north-1b", "eu-north-1c"] };
        const e = await drConfigError({ "aws:region": "eu-north-1", "scaling-topology:network": network, "scaling-topology:cluster": runnerIn("eu-north-1") });
        assert.match(e.problems.find((p) => p.key === "aws:region")!.message, /not among the secondaryRegions/);
    });

    it("a primary whose hostname the Cloudflare load balancer cannot serve (CloudFront and Route 53 only)", async () => {
        const outputs = (await stackPlan("prod")).outputs as any;
        const e = await drConfigError({}, { ...outputs, recovery: { ...outputs.recovery, edge: { ...outputs.recovery.edge, mode: "cloudfront" } } });
        assert.deepEqual(keys(e), ["scaling-topology:recovery.edgeFailover"]);
    });

    it("a primary that has not exported its recovery identifiers", async () => {
        const e = await drConfigError({}, { region: "eu-west-1" });
        assert.deepEqual(keys(e), ["scaling-topology:recovery.primaryStack"]);
    });

    it("a third secondary region on the primary", async () => {
        const recovery = { role: "primary", secondaryRegions: ["eu-central-1", "eu-north-1", "eu-west-2"] };
        const e = await configErrorOf("prod", { "scaling-topology:recovery": recovery });
        const p = e.problems.find((x) => x.key === "scaling-topology:recovery.secondaryRegions");
        assert.ok(p, JSON.stringify(e.problems));
        assert.match(p!.message, /at most 2 secondary regions/);
    });

    it("a secondary region equal to the primary's", async () => {
        const e = await configErrorOf("prod", { "scaling-topology:recovery": { role: "primary", secondaryRegions: ["eu-west-1"] } });
        assert.ok(keys(e).includes("scaling-topology:recovery.secondaryRegions[0]"));
    });

    it("a global cluster with a managed master password", async () => {
        const aurora = { ...stackConfigValue("prod", "scaling-topology:aurora"), manageMasterUserPassword: true };
        const e = await configErrorOf("prod", { "scaling-topology:aurora": aurora });
        const p = e.problems.find((x) => x.key === "scaling-topology:aurora.manageMasterUserPassword");
        assert.ok(p, JSON.stringify(e.problems));
        assert.match(p!.message, /global database/);
    });

    it("burstable classes cannot join a global database or datastore", async () => {
        const e = await configErrorOf("dev", { "scaling-topology:recovery": { role: "primary", secondaryRegions: ["eu-central-1"] } });
        assert.ok(keys(e).includes("scaling-topology:aurora.instanceClass"));
        assert.ok(keys(e).includes("scaling-topology:redis.nodeType"));
    });

    it("a secondary without its primary stack or edge failover account", async () => {
        const e = await configErrorOf("prod-dr", { "scaling-topology:recovery": { role: "secondary" } });
        assert.deepEqual(keys(e).sort(), ["scaling-topology:recovery.edgeFailover", "scaling-topology:recovery.primaryStack"]);
    });
});

describe("runbook command", () => {
    it("prints the prod runbook with its identifiers and figures, from a saved plan", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "runbook-"));
        const file = path.join(dir, "prod.json");
        fs.writeFileSync(file, JSON.stringify(await stackPlan("prod")));
        let out = "", err = "";
        const code = await runCli(["runbook", "--stack", "prod", "--plan", file], { stdout: (t) => { out += t; }, stderr: (t) => { err += t; } });
        assert.equal(code, 0, err);
        assert.match(out, /Planned switchover/);
        assert.match(out, /failover-global-cluster --region eu-central-1 --global-cluster-identifier scaling-topology-prod-global/);
        assert.match(out, /\| region-loss \| 1 s \| \d+ min \|/);
    });

    it("the standby's runbook names its own cluster and replication group", async () => {
        const text = renderRunbook(await prodDr());
        assert.match(text, /cluster:scaling-topology-prod-dr-aurora --allow-data-loss/);
        assert.match(text, /--primary-replication-group-id scaling-topology-prod-dr-redis/);
    });

    it("--out into a missing folder exits 1 before planning", async () => {
        let err = "";
        const code = await runCli(["runbook", "--stack", "prod", "--out", path.join(os.tmpdir(), "no-such-folder-dr", "runbook.md")], { stdout: () => undefined, stderr: (t) => { err += t; } });
        assert.equal(code, 1);
        assert.match(err, /does not exist/);
        assert.doesNotMatch(err, /planning/);
    });

    it("a plan of another stack is refused", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "runbook-"));
        const file = path.join(dir, "dev.json");
        fs.writeFileSync(file, JSON.stringify({ stack: "dev", resources: [], outputs: {} }));
        let err = "";
        const code = await runCli(["runbook", "--stack", "prod", "--plan", file], { stdout: () => undefined, stderr: (t) => { err += t; } });
        assert.equal(code, 1);
        assert.match(err, /plan of stack "dev"/);
    });
});

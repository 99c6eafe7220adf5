/** Sizing from load targets through the stack config and the offline plan. */
import { strict as assert } from "assert";
import * as fs from "fs";
import { ConfigError, RawConfig, StackConfig } from "../config";
import { resolveStackConfig } from "../sizing/stackConfig";
import { fillDerivedSizing, sizingOf, withoutSizing } from "../sizing/fromConfig";
import { readStackFiles } from "../plan/stackFiles";
import { PROJECT_DIR } from "../plan/run";
import { formatMarkdown, formatText } from "../plan/format";
import { sizingSection } from "../plan/sizing";
import { configErrorOf, planWith, stackPlan } from "./helpers";
import { END, profileConfig, profilesTable, README, REFERENCE_PROFILES, sizeProfile, START } from "../scripts/profiles";
import type { SizingReport } from "../sizing/report";

const P = "scaling-topology";
const shipped = (stack: string): RawConfig => readStackFiles(PROJECT_DIR, stack).config;
const decoded = (stack: string): Record<string, any> =>
    Object.fromEntries(Object.entries(shipped(stack)).map(([k, v]) => { try { return [k, JSON.parse(v as string)]; } catch { return [k, v]; } }));
const withLoad = (raw: Record<string, any>, load: Record<string, unknown>) => ({ ...raw, [`${P}:load`]: { ...raw[`${P}:load`], ...load } });
function problemsOf(stack: string, raw: RawConfig) {
    try {
        resolveStackConfig(stack, raw);
    } catch (e) {
        assert.ok(ConfigError.isInstance(e), `expected a ConfigError, got ${e}`);
        return e.problems;
    }
    return assert.fail("expected the config to be refused");
}

describe("sizing: stack config", () => {
    for (const stack of ["dev", "prod"]) {
        it(`${stack}: its topology carries its own load targets`, () => {
            const { report, problems } = sizingOf(resolveStackConfig(stack, shipped(stack)));
            assert.deepEqual(problems, []);
            assert.ok(report.capacity.peakConcurrentUsers >= report.targets.peakConcurrentUsers);
            assert.ok(report.capacity.dailyActiveUsers >= report.targets.dailyActiveUsers);
        });
    }

    it("prod targets the largest reference profile", () => {
        const c = resolveStackConfig("prod", shipped("prod"));
        const largest = REFERENCE_PROFILES[REFERENCE_PROFILES.length - 1];
        assert.equal(c.load.peakConcurrentUsers, largest.peakConcurrentUsers);
        assert.equal(c.load.dailyActiveUsers, largest.dailyActiveUsers);
    });

    it("a stack that leaves its sizing fields out gets them derived from its load, and they carry it", () => {
        const raw = withoutSizing(shipped("prod"));
        assert.equal((raw[`${P}:aurora`] as any).instanceClass, undefined);
        const c: StackConfig = resolveStackConfig("prod", raw);
        const { topology, report, problems } = sizingOf(c);
        assert.deepEqual(problems, []);
        assert.equal(c.aurora.instanceClass, topology.aurora.instanceClass);
        assert.equal(c.redis.shards, topology.redis.shards);
        assert.deepEqual(c.services[0].replicas, topology.services[0].replicas);
        assert.equal(c.cluster.nodeGroups.find((g) => g.role === "application")!.maxSize, topology.nodeGroups.find((g) => g.role === "application")!.size.max);
        assert.ok(report.actualHeadroom >= c.load.headroom - 0.001, `derived topology keeps the configured headroom (${report.actualHeadroom})`);
    });

    it("keeps explicit values as given (filling only what is missing)", () => {
        const raw = decoded("prod");
        const filled = fillDerivedSizing(raw);
        assert.deepEqual(filled[`${P}:services`], raw[`${P}:services`]);
        assert.deepEqual(filled[`${P}:aurora`], raw[`${P}:aurora`]);
    });

    it("refuses an explicit value too small for the load, naming the load key and the limiting component", () => {
        const raw = decoded("prod");
        raw[`${P}:aurora`] = { ...raw[`${P}:aurora`], instanceClass: "db.r7g.2xlarge" };
        const problems = problemsOf("prod", raw);
        const p = problems.find((x) => x.key === `${P}:load.peakConcurrentUsers` && /Aurora writer/.test(x.message));
        assert.ok(p, problems.map((x) => `${x.key}: ${x.message}`).join("\n"));
        assert.match(p!.message, /db\.r7g\.2xlarge/);
    });

    it("refuses private subnets too small for the pods of the node groups at their maxima", () => {
        const raw = decoded("prod");
        raw[`${P}:network`] = { ...raw[`${P}:network`], subnetPrefixLengths: { ...raw[`${P}:network`].subnetPrefixLengths, private: 22 } };
        const problems = problemsOf("prod", raw);
        const p = problems.find((x) => x.key === `${P}:network.subnetPrefixLengths.private`);
        assert.ok(p, problems.map((x) => `${x.key}: ${x.message}`).join("\n"));
        assert.match(p!.message, /load\.peakConcurrentUsers 500000/);
    });

    it("refuses a Redis too small for the daily actives, naming load.dailyActiveUsers", () => {
        const raw = withLoad(decoded("dev"), { dailyActiveUsers: 5_000_000 });
        const problems = problemsOf("dev", raw);
        assert.ok(problems.some((x) => x.key === `${P}:load.dailyActiveUsers` && /Redis/.test(x.message)), problems.map((x) => x.key).join(", "));
    });

    it("refuses 50,000,000 concurrent users even with every sizing field derived, naming load.peakConcurrentUsers", () => {
        const raw = withLoad(withoutSizing(decoded("prod")) as Record<string, any>, { peakConcurrentUsers: 50_000_000, dailyActiveUsers: 100_000_000 });
        const problems = problemsOf("prod", raw);
        const p = problems.find((x) => x.key === `${P}:load.peakConcurrentUsers` && x.value === 50_000_000);
        assert.ok(p, problems.map((x) => `${x.key}: ${x.message}`).join("\n"));
        assert.match(p!.message, /exceeds what one Aurora cluster can carry/);
    });

    it("the offline plan refuses 50,000,000 concurrent users before creating any resource (exit 1 path)", async () => {
        const e = await configErrorOf("prod", { [`${P}:load`]: { ...decoded("prod")[`${P}:load`], peakConcurrentUsers: 50_000_000, dailyActiveUsers: 100_000_000 } });
        assert.ok(e.problems.some((p) => p.key === `${P}:load.peakConcurrentUsers`));
        assert.match(e.message, /scaling-topology:load\.peakConcurrentUsers = 50000000/);
    });
});

describe("sizing: reference profiles", () => {
    for (const profile of REFERENCE_PROFILES) {
        it(`${profile.name}: ${profile.peakConcurrentUsers.toLocaleString("en-US")} users plan with every sizing derived and capacity >= target`, () => {
            const { report, topology } = sizeProfile(profile);
            assert.ok(report.capacity.peakConcurrentUsers >= profile.peakConcurrentUsers, `${report.capacity.peakConcurrentUsers}`);
            assert.ok(report.capacity.dailyActiveUsers >= profile.dailyActiveUsers);
            assert.equal(topology.problems.length, 0);
            assert.equal((profileConfig(profile)[`${P}:redis`] as any).shards, undefined, "the profile derives, not prod's explicit values");
        });
    }

    it("10k with every sizing field derived: the program plans it, and the components get the derived values", async () => {
        const profile = REFERENCE_PROFILES[1];
        const cfg = profileConfig(profile);
        const overrides = Object.fromEntries(["load", "cluster", "services", "ingress", "aurora", "pgbouncer", "redis"].map((k) => {
            const v = cfg[`${P}:${k}`];
            return [`${P}:${k}`, typeof v === "string" ? JSON.parse(v) : v];
        }));
        const plan = await planWith("prod", overrides);
        const s = plan.sizing as SizingReport;
        const { topology } = sizeProfile(profile);
        assert.ok(s.capacity.peakConcurrentUsers >= profile.peakConcurrentUsers);
        const props = (type: string, name?: RegExp) => plan.resources.filter((r) => r.type === type && (!name || name.test(r.name))).map((r) => r.props as any);
        const hpa = props("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", /api/);
        assert.equal(hpa.length, 1);
        assert.deepEqual([hpa[0].spec.minReplicas, hpa[0].spec.maxReplicas], [topology.services[0].replicas.min, topology.services[0].replicas.max]);
        const instances = props("aws:rds/clusterInstance:ClusterInstance");
        assert.equal(instances.length, 1 + topology.aurora.readers.min);
        assert.ok(instances.every((i) => i.instanceClass === topology.aurora.instanceClass));
        const [rg] = props("aws:elasticache/replicationGroup:ReplicationGroup");
        assert.deepEqual([rg.numNodeGroups, rg.nodeType], [topology.redis.shards, topology.redis.nodeType]);
        const app = props("aws:eks/nodeGroup:NodeGroup").find((g) => g.scalingConfig.maxSize === topology.nodeGroups.find((x) => x.role === "application")!.size.max);
        assert.ok(app, "the application node group's maxSize is the bin-packed one");
    });

    it("10k = 1M daily actives and ~10,000 requests per second; 500k = 10M daily actives", () => {
        const [, tenK, , fiveHundredK] = REFERENCE_PROFILES.map(sizeProfile);
        assert.equal(tenK.report.targets.dailyActiveUsers, 1_000_000);
        assert.ok(Math.abs(tenK.report.targets.peakRps - 10_000) <= 1000, `${tenK.report.targets.peakRps}`);
        assert.equal(fiveHundredK.report.targets.dailyActiveUsers, 10_000_000);
    });

    it("the README's table is the one `npm run profiles` generates", () => {
        const readme = fs.readFileSync(README, "utf8");
        const current = readme.slice(readme.indexOf(START) + START.length, readme.indexOf(END)).trim();
        const fresh = profilesTable(REFERENCE_PROFILES.map((profile) => ({ profile, ...sizeProfile(profile) })));
        const strip = (t: string) => t.split("\n").filter((l) => !l.startsWith("| resources in the offline plan")).join("\n").trim();
        assert.equal(strip(current), strip(fresh), "README.md is out of date: run `npm run profiles`");
    });
});

describe("sizing: in the offline plan", () => {
    for (const stack of ["dev", "prod"]) {
        it(`${stack}: the JSON carries sizing { targets, capacity, headroom, bottleneck, monthlyCostUsd, items }, and text and Markdown show it as a table`, async () => {
            const plan = await stackPlan(stack);
            const s = plan.sizing as SizingReport;
            for (const k of ["targets", "capacity", "headroom", "bottleneck", "monthlyCostUsd", "items"]) assert.ok(k in s, `sizing.${k}`);
            for (const k of ["dailyActiveUsers", "peakConcurrentUsers", "peakRps"]) assert.equal(typeof (s.targets as any)[k], "number");
            for (const k of ["peakConcurrentUsers", "peakRps"]) assert.equal(typeof (s.capacity as any)[k], "number");
            assert.ok(s.capacity.peakConcurrentUsers >= s.targets.peakConcurrentUsers);
            assert.ok(s.monthlyCostUsd > 0);
            assert.match(formatText(plan, [sizingSection]), /Sizing \(capacity and cost\):[\s\S]*component\s+count\s+unit\s+capacity\s+monthly cost/);
            assert.match(formatMarkdown(plan, [sizingSection]), /### Sizing \(capacity and cost\)[\s\S]*\| component \| count \| unit \| capacity \| monthly cost \|/);
        });
    }

    it("the plan runs with the sized values: the api HPA and Aurora class are what the sizing reports", async () => {
        const plan = await stackPlan("prod");
        const s = plan.sizing as SizingReport;
        const hpa = plan.resources.find((r) => r.type === "kubernetes:autoscaling/v2:HorizontalPodAutoscaler" && /api/.test(r.name));
        const api = s.items.find((i) => i.component === "service api (HPA)")!;
        if (hpa) assert.equal((hpa.props as any).spec.maxReplicas, api.count.max);
        const writer = s.items.find((i) => i.component === "Aurora writer")!;
        const classes = plan.resources.filter((r) => r.type === "aws:rds/clusterInstance:ClusterInstance").map((r) => (r.props as any).instanceClass);
        assert.ok(classes.length >= 2);
        assert.ok(classes.every((c) => writer.unit.startsWith(c)), `${classes} vs ${writer.unit}`);
    });
});

/** The sizing report's account quotas at the maxima, and warnings on explicit sizing far above the load. */
import { strict as assert } from "assert";
import { instanceFamily, quotaNeeds } from "../sizing/quotas";
import { stackSizingReport } from "../sizing/stackReport";
import { oversizeWarnings, OVERSIZE_FACTOR } from "../sizing/waste";
import { resolveStackConfig } from "../sizing/stackConfig";
import { readStackFiles } from "../plan/stackFiles";
import { PROJECT_DIR } from "../plan/run";
import { sizingMarkdown, sizingText } from "../plan/sizing";
import { INSTANCE_TYPES, InstanceTypeName } from "../catalog/instances";

const raw = (stack: string) => readStackFiles(PROJECT_DIR, stack).config;
const withLoad = (stack: string, load: Record<string, unknown>) => {
    const r = raw(stack);
    return { ...r, "scaling-topology:load": JSON.stringify({ ...JSON.parse(r["scaling-topology:load"]), ...load }) };
};

describe("sizing report: account quotas and oversize warnings", () => {
    it("instance families as the vCPU quotas group them", () => {
        assert.deepEqual(["m6i.2xlarge", "t3.large", "c6i.xlarge", "inf2.xlarge", "vt1.3xlarge", "g5.xlarge"].map(instanceFamily), ["m", "t", "c", "inf", "vt", "g"]);
    });

    it("prod: the on-demand Standard vCPU quota at every node group's maximum (largest type), and the other limits", () => {
        const c = resolveStackConfig("prod", raw("prod"));
        const q = quotaNeeds(c);
        const vcpu = (g: (typeof c.cluster.nodeGroups)[number]) => g.maxSize * Math.max(...g.instanceTypes.map((t) => INSTANCE_TYPES[t as InstanceTypeName].vcpu));
        const od = q.find((x) => x.code === "L-1216C47A")!;
        assert.equal(od.need, c.cluster.nodeGroups.reduce((s, g) => s + vcpu(g), 0));
        assert.equal(od.need, 6 * 2 + 134 * 8); // about 1,100 on-demand vCPUs at the maxima
        assert.equal(q.find((x) => x.code === "L-34B43A08"), undefined, "no spot groups in prod");
        const by = (code: string) => q.find((x) => x.code === code)!.need;
        assert.equal(by("L-0263D0A3"), 3); // one EIP per NAT gateway
        assert.equal(by("L-BD136A63"), 134);
        assert.equal(by("L-7B6409FD"), 1 + c.aurora.readerAutoscaling!.maxReaders);
        assert.equal(q.find((x) => x.name === "Nodes per Region")!.need, c.redis.shards * (c.redis.replicasPerShard + 1));
    });

    it("dev: spot and on-demand vCPUs are separate quotas; one NAT gateway needs one EIP", () => {
        const q = quotaNeeds(resolveStackConfig("dev", raw("dev")));
        assert.equal(q.find((x) => x.code === "L-34B43A08")!.need, 4 * 2); // application: 4 x the .large types (2 vCPU) on spot
        assert.equal(q.find((x) => x.code === "L-1216C47A")!.need, 2 * 2); // system: 2 x t3.large on demand
        assert.equal(q.find((x) => x.code === "L-0263D0A3")!.need, 1);
    });

    it("the shipped stacks are sized for their load: no oversize warning", () => {
        for (const stack of ["dev", "prod"]) assert.deepEqual(stackSizingReport(stack, raw(stack)).oversized, [], stack);
    });

    it("prod's explicit 500,000-user topology planned for 1,000 peak users: warned, component by component, with the monthly excess", () => {
        const r = stackSizingReport("prod", withLoad("prod", { peakConcurrentUsers: 1000, dailyActiveUsers: 100000 }));
        const components = r.oversized!.map((w) => w.component);
        assert.deepEqual(components, ["node group application", "Aurora writer", "Aurora readers (autoscaled)", "ElastiCache valkey"]);
        assert.ok(r.oversizedMonthlyUsd! > 100_000, `${r.oversizedMonthlyUsd}`);
        assert.ok(r.monthlyCostUsd > 100_000 && r.derivedMonthlyCostUsd! < 5_000, `${r.monthlyCostUsd} vs ${r.derivedMonthlyCostUsd}`);
        const app = r.oversized!.find((w) => w.component === "node group application")!;
        assert.deepEqual(app.keys, ["scaling-topology:cluster.nodeGroups[1].maxSize", "scaling-topology:cluster.nodeGroups[1].minSize"]);
        assert.match(app.message, /configured 3-134 x m6i\.2xlarge node .* needs 2 x m6i\.2xlarge node .*: \$41,242\/month above the need/);
        assert.equal(r.oversizedMonthlyUsd, r.oversized!.reduce((sum, w) => sum + w.excessMonthlyUsd, 0));
        // The plan report says it, and lists the quotas.
        const text = sizingText(r);
        assert.match(text, /warning: explicit sizing \$111,093\/month above what the load needs/);
        assert.match(text, /L-1216C47A\s+Running On-Demand Standard/);
        const md = sizingMarkdown(r);
        assert.match(md, /\| ec2 \| L-1216C47A \| Running On-Demand Standard \(A, C, D, H, I, M, R, T, Z\) instances \| 1,084 \|/);
        assert.match(md, /> \*\*warning: explicit sizing/);
    });

    it("a component within the factor, or cheap, is not called out", () => {
        const base = stackSizingReport("dev", raw("dev"));
        const item = base.items.find((i) => i.component === "node group application")!;
        const twice = { ...base, items: base.items.map((i) => (i === item ? { ...i, monthlyCostUsd: i.monthlyCostUsd * OVERSIZE_FACTOR * 0.99 } : i)) };
        assert.deepEqual(oversizeWarnings(twice, base, ["system", "application"]), []);
        const big = { ...base, items: base.items.map((i) => (i === item ? { ...i, monthlyCostUsd: i.monthlyCostUsd + 5000 } : i)) };
        assert.equal(oversizeWarnings(big, base, ["system", "application"])[0].excessMonthlyUsd, 5000);
    });
});

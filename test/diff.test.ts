import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildUrn, diffPlans, formatDiffMarkdown, formatDiffText, parsePath, PlanDiff, PlanLike, ResourceChange } from "../plan/diff";
import { digest } from "../plan/mocks";
import { RecordedResource } from "../plan/recorder";
import { STATEFUL_TYPES } from "../plan/replacements";
import { parseCliArgs, readBasePlan, renderDiff, UsageError } from "../cli/plan";
import { PROJECT_DIR } from "../plan/run";
import { planWith, stackConfigValue, stackPlan } from "./helpers";

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));
const changeOf = (d: PlanDiff, urn: string): ResourceChange => {
    const c = d.changes.find((x) => x.urn === urn);
    if (!c) throw new Error(`no change for ${urn}`);
    return c;
};
const notSame = (d: PlanDiff) => d.changes.filter((c) => c.op !== "same");
const AURORA = "aws:rds/cluster:Cluster";

/** The prod plan's Aurora cluster record, or (until the data component lands) a synthetic one in the plan's network component. */
function withAurora(plan: PlanLike): { plan: PlanLike; aurora: RecordedResource } {
    const p = clone(plan);
    const existing = p.resources.find((r) => r.type === AURORA);
    if (existing) return { plan: p, aurora: existing };
    const parent = p.resources.find((r) => r.type === "scaling:network:Network")!;
    const aurora: RecordedResource = {
        urn: buildUrn(p.project, p.stack, parent.urn, AURORA, `${p.stack}-db-cluster`),
        type: AURORA,
        name: `${p.stack}-db-cluster`,
        parent: parent.urn,
        custom: true,
        props: {
            engine: "aurora-postgresql", engineVersion: "16.4", databaseName: "app", masterUsername: "app", storageEncrypted: true,
            kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/k-1", backupRetentionPeriod: 14, deletionProtection: true,
            dbSubnetGroupName: `${p.stack}-db-subnets`, vpcSecurityGroupIds: ["sg-0aaaa"], tags: { Name: `${p.stack}-db` },
        },
        opts: { protect: true, provider: p.resources.find((r) => r.type === "pulumi:providers:aws")!.urn },
    };
    p.resources.push(aurora);
    return { plan: p, aurora };
}

describe("plan diff", () => {
    for (const stack of ["dev", "prod"]) {
        it(`finds no change between the ${stack} plan and itself`, async () => {
            const plan = await stackPlan(stack);
            const d = diffPlans(clone(plan), plan);
            assert.equal(d.changes.length, plan.resources.length);
            assert.deepEqual(notSame(d), []);
            assert.equal(d.summary.same, plan.resources.length);
            assert.equal(d.summary.destructive, 0);
            for (const c of d.changes) assert.deepEqual(c.keys, []);
            assert.match(formatDiffText(d), /no changes; \d+ unchanged\n\nNo changes\./);
            assert.match(formatDiffMarkdown(d), /No infrastructure changes\./);
        });
    }

    it("shows a rename without an alias as a delete plus a create (destructive for a stateful type)", async () => {
        const base = await stackPlan("prod");
        const head = clone(base);
        const subnet = head.resources.find((r) => r.name === "prod-net-isolated-1")!;
        const oldUrn = subnet.urn;
        subnet.name = "prod-net-data-1";
        subnet.urn = oldUrn.replace(/::prod-net-isolated-1$/, "::prod-net-data-1");
        const d = diffPlans(base, head);
        assert.deepEqual(notSame(d).map((c) => [c.op, c.name]).sort(), [["create", "prod-net-data-1"], ["delete", "prod-net-isolated-1"]]);
        const del = changeOf(d, oldUrn);
        assert.equal(del.destructive, true, "deleting a subnet is destructive");
        assert.equal(del.protect, true);
        assert.equal(changeOf(d, subnet.urn).destructive, false);
        assert.equal(d.summary.delete, 1);
        assert.equal(d.summary.create, 1);
        assert.match(formatDiffText(d), /DESTRUCTIVE CHANGE[\s\S]*DELETE\s+subnet\s+prod-net-isolated-1[\s\S]*protected/);
    });

    it("matches an aliased rename to the old resource (name spec or old URN), so it is not a delete", async () => {
        const base = await stackPlan("prod");
        const vpcType = "aws:ec2/vpc:Vpc";
        const [oldId, newId] = [digest(vpcType, "prod-net-vpc"), digest(vpcType, "prod-net-main-vpc")].map((h) => `vpc-0${h.slice(0, 16)}`);
        const oldUrn = base.resources.find((r) => r.name === "prod-net-vpc")!.urn;
        for (const [alias, mockIds] of [[{ name: "prod-net-vpc" }, false], [{ name: "prod-net-vpc" }, true], [{ urn: oldUrn }, false]] as const) {
            // mockIds: dependents see the id the offline mocks give the renamed VPC, as a real re-plan would.
            const head = mockIds ? JSON.parse(JSON.stringify(base).split(oldId).join(newId)) as typeof base : clone(base);
            const vpc = head.resources.find((r) => r.name === "prod-net-vpc")!;
            vpc.name = "prod-net-main-vpc";
            vpc.urn = vpc.urn.replace(/::prod-net-vpc$/, "::prod-net-main-vpc");
            vpc.opts.aliases = ["urn" in alias ? alias : { ...alias, parentUrn: vpc.parent! }];
            const d = diffPlans(base, head);
            assert.deepEqual(notSame(d), [], JSON.stringify(notSame(d)));
            assert.equal(changeOf(d, vpc.urn).aliasedFrom, base.resources.find((r) => r.name === "prod-net-vpc")!.urn);
        }
    });

    it("follows a renamed component's alias to its children (inherited parent aliases)", async () => {
        const base = await stackPlan("dev");
        const head = clone(base);
        const comp = head.resources.find((r) => r.type === "scaling:network:Network")!;
        const oldUrn = comp.urn;
        const newUrn = oldUrn.replace(/::dev-net$/, "::dev-network");
        comp.urn = newUrn;
        comp.name = "dev-network";
        comp.opts.aliases = [{ name: "dev-net" }];
        // Children keep their names; their URNs do not change (the parent's type chain, not its name, is in a URN).
        for (const r of head.resources) if (r.parent === oldUrn) r.parent = newUrn;
        const d = diffPlans(base, head);
        assert.deepEqual(notSame(d), []);
        assert.equal(changeOf(d, newUrn).aliasedFrom, oldUrn);
    });

    it("reports a change to a replacement-forcing Aurora input as a destructive replace", async () => {
        const { plan: base, aurora } = withAurora(await stackPlan("prod"));
        for (const [key, value] of [["engine", "aurora-mysql"], ["storageEncrypted", false], ["kmsKeyId", "arn:aws:kms:eu-west-1:123456789012:key/k-2"], ["databaseName", "app2"]] as const) {
            const head = clone(base);
            head.resources.find((r) => r.urn === aurora.urn)!.props[key] = value;
            const d = diffPlans(base, head);
            const c = changeOf(d, aurora.urn);
            assert.equal(c.op, "replace", key);
            assert.equal(c.destructive, true);
            assert.deepEqual(c.keys, [key]);
            assert.deepEqual(c.replaceKeys, [key]);
            assert.deepEqual(notSame(d).map((x) => x.urn), [aurora.urn]);
            assert.equal(d.summary.destructive, 1);
            // Loudly, and first.
            const text = formatDiffText(d);
            assert.ok(text.indexOf("DESTRUCTIVE") < text.indexOf("Changes:") || !text.includes("Changes:"));
            assert.match(text, new RegExp(`REPLACE\\s+Aurora cluster\\s+${aurora.name}[\\s\\S]*forces replacement: ${key}`));
            assert.match(formatDiffMarkdown(d), /\[!CAUTION\][\s\S]*1 destructive change[\s\S]*\*\*REPLACE\*\* \| Aurora cluster/);
        }
    });

    it("reports an in-place Aurora change as an update, not destructive; ignoreChanges drops a forcing change", async () => {
        const { plan: base, aurora } = withAurora(await stackPlan("prod"));
        const head = clone(base);
        const h = head.resources.find((r) => r.urn === aurora.urn)!;
        h.props.backupRetentionPeriod = 1;
        h.props.engineVersion = "99.9";
        let c = changeOf(diffPlans(base, head), aurora.urn);
        assert.equal(c.op, "update");
        assert.equal(c.destructive, false);
        assert.deepEqual(c.keys, ["backupRetentionPeriod", "engineVersion"]);

        h.props.kmsKeyId = "arn:aws:kms:eu-west-1:123456789012:key/other";
        assert.equal(changeOf(diffPlans(base, head), aurora.urn).op, "replace");
        h.opts.ignoreChanges = ["kmsKeyId"];
        c = changeOf(diffPlans(base, head), aurora.urn);
        assert.equal(c.op, "update", "the engine keeps the old kmsKeyId, so no replacement");
        assert.deepEqual(c.keys, ["backupRetentionPeriod", "engineVersion"]);
        h.props.tags = { ...(h.props.tags as object), Name: "renamed" };
        h.opts.ignoreChanges = ["kmsKeyId", "tags[\"Name\"]"];
        assert.deepEqual(changeOf(diffPlans(base, head), aurora.urn).keys, ["backupRetentionPeriod", "engineVersion"]);
    });

    it("honours replaceOnChanges and marks a delete of a stateful resource destructive", async () => {
        const base = await stackPlan("prod");
        const head = clone(base);
        const rt = head.resources.find((r) => r.name === "prod-net-public-rt")!;
        rt.props.tags = { ...(rt.props.tags as object), extra: "1" };
        rt.opts.replaceOnChanges = ["tags"];
        const vpcUrn = head.resources.find((r) => r.name === "prod-net-vpc")!.urn;
        head.resources = head.resources.filter((r) => r.urn !== vpcUrn);
        const d = diffPlans(base, head);
        const c = changeOf(d, rt.urn);
        assert.equal(c.op, "replace");
        assert.equal(c.destructive, false, "a route table holds no data");
        assert.deepEqual(c.replaceKeys, ["replaceOnChanges: tags"]);
        assert.deepEqual({ op: changeOf(d, vpcUrn).op, destructive: changeOf(d, vpcUrn).destructive }, { op: "delete", destructive: true });
        // Destructive first in both human formats.
        const md = formatDiffMarkdown(d);
        assert.ok(md.indexOf("prod-net-vpc") < md.indexOf("prod-net-public-rt"));
        const text = formatDiffText(d);
        assert.ok(text.indexOf("prod-net-vpc") < text.indexOf("prod-net-public-rt"));
    });

    it("treats an unknown new value as a possible change: update, or replace on a replacement-forcing input", async () => {
        const base = await stackPlan("prod");
        const head = clone(base);
        const subnet = head.resources.find((r) => r.name === "prod-net-private-2")!;
        subnet.props.vpcId = "[unknown]";
        const rt = head.resources.find((r) => r.name === "prod-net-private-rt-2")!;
        rt.props.vpcId = "[unknown]";
        const d = diffPlans(base, head);
        assert.deepEqual(changeOf(d, subnet.urn), { ...changeOf(d, subnet.urn), op: "replace", destructive: true, keys: ["vpcId"], replaceKeys: ["vpcId"], unknownKeys: ["vpcId"] });
        assert.deepEqual(changeOf(d, rt.urn), { ...changeOf(d, rt.urn), op: "update", destructive: false, keys: ["vpcId"], unknownKeys: ["vpcId"] });
        // Unknown on both sides (two preview plans): nothing to tell offline.
        const pv = await stackPlan("prod", true);
        assert.deepEqual(notSame(diffPlans(clone(pv), pv)), []);
    });

    it("replaces the VPC and every subnet when the real program's VPC CIDR changes", async () => {
        const base = await stackPlan("prod");
        const network = stackConfigValue("prod", "scaling-topology:network");
        const head = await planWith("prod", { "scaling-topology:network": { ...network, cidr: "10.31.0.0/16" } });
        const d = diffPlans(base, head);
        const destructive = d.changes.filter((c) => c.destructive);
        const counts: Record<string, number> = {};
        for (const c of destructive) counts[c.type] = (counts[c.type] ?? 0) + 1;
        assert.deepEqual(counts, { "aws:ec2/subnet:Subnet": 9, "aws:ec2/vpc:Vpc": 1 });
        assert.ok(destructive.every((c) => c.op === "replace" && c.replaceKeys!.includes("cidrBlock") && c.protect));
    });

    it("maps every replacement-forcing input to an input of the @pulumi/aws resource", () => {
        for (const t of STATEFUL_TYPES) {
            const [, mod, res, cls] = /^aws:([^/]+)\/([^:]+):(.+)$/.exec(t.type)!;
            const dts = fs.readFileSync(path.join(PROJECT_DIR, "node_modules", "@pulumi", "aws", mod, `${res}.d.ts`), "utf8");
            const args = dts.slice(dts.indexOf(`export interface ${cls}Args {`));
            const body = args.slice(0, args.indexOf("\n}\n"));
            for (const f of t.forceNew) {
                const top = parsePath(f.path)[0];
                assert.match(body, new RegExp(`\\n    ${top}\\??: `), `${t.type}: ${top} is an input of ${cls}Args`);
            }
            assert.match(t.source, /^hashicorp\/terraform-provider-aws internal\/service\/\S+\.go@[0-9a-f]{40}/);
        }
    });

    it("reports a removed `protect` on a stateful resource as an option change and a note, not as a resource change", async () => {
        const base = await stackPlan("prod");
        const head = clone(base);
        const vpc = head.resources.find((r) => r.type === "aws:ec2/vpc:Vpc")!;
        delete vpc.opts.protect;
        const d = diffPlans(base, head);
        const c = changeOf(d, vpc.urn);
        assert.equal(c.op, "same");
        assert.deepEqual(c.options, ["protect"]);
        assert.equal(c.protect, undefined);
        assert.ok(d.notes.some((n) => n.includes("`protect` was removed from VPC")));
        assert.match(formatDiffText(d), /options: protect/);
    });

    it("warns that a provider region change does not move resources", async () => {
        const base = await stackPlan("dev");
        const head = clone(base);
        head.resources.find((r) => r.type === "pulumi:providers:aws")!.props.region = "us-east-1";
        const d = diffPlans(base, head);
        assert.ok(d.notes.some((n) => /region of provider `aws` changes/.test(n)), JSON.stringify(d.notes));
    });

    it("parses ignoreChanges property paths", () => {
        assert.deepEqual(parsePath("a.b[0].c"), ["a", "b", "0", "c"]);
        assert.deepEqual(parsePath("tags[\"kubernetes.io/role\"]"), ["tags", "kubernetes.io/role"]);
    });

    it("`npm run plan -- --diff BASE.json`: parses the flag, reads the base, writes the JSON contract, rejects a base that is not a plan", async () => {
        const plan = await stackPlan("dev");
        const base = clone(plan);
        const vpc = base.resources.find((r) => r.name === "dev-net-vpc")!;
        vpc.props.cidrBlock = "10.99.0.0/16"; // the base had another CIDR: the head replaces the VPC
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "diff-"));
        const file = path.join(dir, "base.json");
        try {
            fs.writeFileSync(file, JSON.stringify(base));
            assert.equal(parseCliArgs(["--stack", "dev", "--diff", file, "--format", "json"])!.diff, file);
            const out = JSON.parse(renderDiff(readBasePlan(file, "dev"), plan, "json"));
            for (const c of out.changes) assert.deepEqual(["urn", "type", "op", "keys", "destructive"].filter((k) => !(k in c)), []);
            const v = out.changes.find((c: ResourceChange) => c.urn === vpc.urn);
            assert.deepEqual([v.op, v.keys, v.destructive], ["replace", ["cidrBlock"], true]);
            assert.match(renderDiff(base, plan, "markdown"), /\[!CAUTION\]/);

            assert.throws(() => readBasePlan(file, "prod"), /plan of stack "dev", not "prod"/);
            fs.writeFileSync(file, JSON.stringify({ hello: 1 }));
            assert.throws(() => readBasePlan(file, "dev"), (e: Error) => e instanceof UsageError && /is not a plan JSON/.test(e.message));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

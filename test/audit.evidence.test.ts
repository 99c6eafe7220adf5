/**
 * An audit that proves what it says: an event log passes only with evidence that the pack ran (engine
 * event shapes of pulumi/pulumi `sdk/go/common/apitype/events.go`); the stack is certain; every policy
 * has one outcome and the counts one meaning; every CLI error is exit 1 on one line, never a stack trace.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runAudit } from "../audit/cli";
import { AuditResource, evaluatePolicies, POLICY_OUTCOMES } from "../audit/evaluate";
import { reportFromEventLog } from "../audit/eventLog";
import { formatReportMarkdown, formatReportText } from "../audit/format";
import { PROJECT_DIR } from "../plan/run";
import { RULES } from "../policies/rules";
import { stackPlan } from "./helpers";

const KEY = "urn:pulumi:prod::scaling-topology::aws:kms/key:Key::prod-data-key";
const PACK = { policyPackName: "scaling-topology", policyPackVersion: "0.1.0", policyPackVersionTag: "0.1.0" };
const now = new Date("2026-06-15T12:00:00Z");

const ev = {
    prelude: { preludeEvent: { config: { "aws:region": "eu-west-1" } } },
    pre: { resourcePreEvent: { metadata: { op: "create", urn: KEY, type: "aws:kms/key:Key" } } },
    violation: { policyEvent: { resourceUrn: KEY, message: "Symmetric customer-managed KMS keys rotate automatically.\nprod-data-key: enableKeyRotation is not true.", color: "raw", policyName: "kms-key-rotation", ...PACK, enforcementLevel: "mandatory", severity: "medium" } },
    keyFailed: { policyAnalyzeSummaryEvent: { resourceUrn: KEY, ...PACK, failed: ["kms-key-rotation"] } },
    keyPassed: { policyAnalyzeSummaryEvent: { resourceUrn: KEY, ...PACK, passed: ["kms-key-rotation"] } },
    stack: { policyAnalyzeStackSummaryEvent: { ...PACK, passed: ["stateful-resources-protected"] } },
    summary: (packs: Record<string, string> = { "scaling-topology|local|policies": "0.1.0" }) => ({ summaryEvent: { maybeCorrupt: false, durationSeconds: 2, resourceChanges: { create: 1 }, PolicyPacks: packs, isPreview: true, result: "succeeded" } }),
};
const lines = (...events: object[]) => events.map((e, i) => JSON.stringify({ sequence: i, timestamp: i + 1, ...e })).join("\n") + "\n";

function io() {
    const out = { stdout: "", stderr: "" };
    return { out, io: { stdout: (t: string) => { out.stdout += t; }, stderr: (t: string) => { out.stderr += t; } } };
}

describe("audit: an event log passes only on evidence that the pack ran", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "audit-evidence-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const audit = async (text: string, ...extra: string[]) => {
        const file = path.join(dir, `log-${Math.random().toString(36).slice(2)}.json`);
        fs.writeFileSync(file, text);
        const c = io();
        const code = await runAudit(["--event-log", file, "--stack", "prod", "--date", "2026-06-15", ...extra], c.io, PROJECT_DIR);
        return { code, ...c.out };
    };

    const NO_EVIDENCE: [string, string, RegExp][] = [
        ["an empty file", "", /the event log is empty/],
        ["blank lines", "\n  \n", /the event log is empty/],
        ["null", "null\n", /event 1 of the event log is not an engine event \(null\)/],
        ["{}", "{}\n", /event 1 of the event log is not an engine event \(\{\}\)/],
        ["[]", "[]", /no summaryEvent/],
        ["a JSON array cut short", `[${JSON.stringify(ev.prelude)},{"summaryEv`, /a JSON array that does not parse \(cut short\?\)/],
        ["a last line cut short", lines(ev.prelude, ev.pre) + '{"sequence":2,"policyEv', /event log line 3 is not JSON \(cut short\?\)/],
        ["a log cut before its policy events", lines(ev.prelude, ev.pre), /no summaryEvent: the log is incomplete[\s\S]*no policyAnalyzeSummaryEvent/],
        ["a complete log of a run without the pack", lines(ev.prelude, ev.pre, ev.summary({})), /does not name policy pack "scaling-topology" \(no policy pack ran: was --policy-pack given\?\)/],
        ["a complete log of another pack only", lines(ev.prelude, ev.pre, { policyAnalyzeSummaryEvent: { resourceUrn: KEY, policyPackName: "aws-guard", policyPackVersion: "1.0.0", passed: ["x"] } }, ev.summary({ "aws-guard": "1.0.0" })), /packs that ran: aws-guard/],
        ["a log whose stack policies never ran", lines(ev.prelude, ev.pre, ev.keyPassed, ev.summary()), /no policyAnalyzeStackSummaryEvent of "scaling-topology": the stack policies did not run/],
    ];
    for (const [what, text, message] of NO_EVIDENCE) {
        it(`${what}: exit 1, saying what is missing`, async () => {
            const r = await audit(text);
            assert.strictEqual(r.code, 1, r.stderr);
            assert.match(r.stderr, message);
            assert.strictEqual(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
            assert.strictEqual(r.stdout, "", "no report on no evidence");
        });
    }

    it("a complete log of the pack with no finding passes, and gives every policy its outcome", async () => {
        const r = await audit(lines(ev.prelude, ev.pre, ev.keyPassed, ev.stack, ev.summary()), "--format", "json");
        assert.strictEqual(r.code, 0, r.stderr);
        const report = JSON.parse(r.stdout);
        const outcome = (n: string) => report.policies.find((p: any) => p.name === n)?.outcome;
        assert.strictEqual(outcome("kms-key-rotation"), "passed");
        assert.strictEqual(outcome("stateful-resources-protected"), "passed");
        assert.strictEqual(outcome("rds-storage-encrypted"), "not-applicable", "no RDS cluster was analyzed");
        assert.deepStrictEqual(report.policies.map((p: any) => p.name), RULES.map((x) => x.name));
        assert.strictEqual(Object.values<number>(report.summary.outcomes).reduce((a, b) => a + b, 0), RULES.length);
        assert.deepStrictEqual([report.summary.resources, report.summary.violations, report.mode], [1, 0, "preview"]);
    });

    it("a policy of several typed checks, which the engine lists as not applicable everywhere, counts as checked on the resources of its types", () => {
        const db = "urn:pulumi:prod::scaling-topology::scaling:data:AuroraPostgres$aws:rds/cluster:Cluster::prod-aurora-cluster";
        // What the policy server answers for a cluster: rds-deletion-protection's instance check says notApplicable.
        const dbSummary = { policyAnalyzeSummaryEvent: { resourceUrn: db, ...PACK, passed: ["rds-storage-encrypted"] } };
        const r = reportFromEventLog(lines(ev.prelude, dbSummary, ev.keyPassed, ev.stack, ev.summary()), { now, stack: "prod" });
        const of = (n: string) => r.policies.find((p) => p.name === n)!;
        assert.deepStrictEqual([of("rds-deletion-protection").outcome, of("rds-deletion-protection").checked], ["passed", 1]);
        assert.deepStrictEqual([of("rds-storage-encrypted").outcome, of("rds-storage-encrypted").checked], ["passed", 1]);
        assert.strictEqual(of("elasticache-snapshots").outcome, "not-applicable");
        assert.strictEqual(r.summary.resources, 2);
    });

    it("a log cut short after a mandatory finding still fails as a violation (exit 2), marked incomplete", async () => {
        const r = await audit(lines(ev.prelude, ev.pre, ev.violation), "--format", "markdown");
        assert.strictEqual(r.code, 2, r.stderr);
        assert.match(r.stdout, /\*\*Incomplete event log\*\*[\s\S]*no summaryEvent/);
        assert.match(r.stdout, /\| mandatory \| `kms-key-rotation` \| medium \| `prod-data-key` \| enableKeyRotation is not true\. \|/);
        assert.match(r.stderr, /audit: the event log is incomplete: no summaryEvent/);
    });

    it("the preview's \"can't run during preview\" notes are not evaluated, not advisory findings", () => {
        const note = { policyEvent: { resourceUrn: KEY, message: "can't run policy 'kms-key-rotation' from policy pack 'scaling-topology@v0.1.0' during preview: unknown value", color: "raw", policyName: "kms-key-rotation", ...PACK, enforcementLevel: "advisory" } };
        const r = reportFromEventLog(lines(ev.prelude, ev.pre, note, ev.keyFailed, ev.stack, ev.summary()), { now, stack: "prod" });
        assert.deepStrictEqual([r.summary.advisory, r.summary.notEvaluated, r.summary.blocking], [0, 1, false]);
        assert.strictEqual(r.policies.find((p) => p.name === "kms-key-rotation")!.outcome, "not-evaluated-in-preview");
        assert.match(formatReportText(r), /\[not evaluated\] kms-key-rotation/);
    });

    it("--stack must agree with the log's URNs", async () => {
        const file = path.join(dir, "dev-stack.json");
        fs.writeFileSync(file, lines(ev.prelude, ev.pre, ev.keyPassed, ev.stack, ev.summary()));
        const c = io();
        assert.strictEqual(await runAudit(["--event-log", file, "--stack", "dev"], c.io, PROJECT_DIR), 1);
        assert.match(c.out.stderr, /--stack dev disagrees with --event-log .*, which is of stack "prod"/);
    });
});

describe("audit: the stack is certain", () => {
    let dir: string;
    let prod: { stack: string; resources: AuditResource[] };
    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "audit-stack-"));
        prod = structuredClone(await stackPlan("prod")) as never;
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const run = async (plan: unknown, ...args: string[]) => {
        const file = path.join(dir, `plan-${Math.random().toString(36).slice(2)}.json`);
        fs.writeFileSync(file, typeof plan === "string" ? plan : JSON.stringify(plan));
        const c = io();
        const code = await runAudit(["--plan", file, ...args], c.io, PROJECT_DIR);
        return { code, ...c.out };
    };

    it("--stack prdo (no such stack file) exits 1 naming the stacks there, instead of falling back to pack defaults", async () => {
        const r = await run({ stack: "prdo", resources: [] }, "--stack", "prdo");
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /stack "prdo": no Pulumi\.prdo\.yaml in .* \(stacks there: dev, prod, prod-dr\)/);
        const c = io();
        assert.strictEqual(await runAudit(["--stack", "prdo", "--pack-config"], c.io, PROJECT_DIR), 1);
        assert.match(c.out.stderr, /Pulumi\.prdo\.yaml/);
    });

    it("a plan whose stack field lies about its URNs is refused (it would get dev's looser levels)", async () => {
        const r = await run({ ...prod, stack: "dev" });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /says stack "dev" but its resources' URNs are of stack "prod"; refusing/);
        const given = await run(prod, "--stack", "dev");
        assert.strictEqual(given.code, 1);
        assert.match(given.stderr, /--stack dev disagrees with --plan .*, which is of stack "prod"/);
    });

    it("a plan mixing stacks, or with something that is not a URN, is refused", async () => {
        const mixed = { ...prod, resources: [...prod.resources.slice(0, 2), { ...prod.resources[2], urn: prod.resources[2].urn.replace("urn:pulumi:prod::", "urn:pulumi:dev::") }] };
        assert.match((await run(mixed)).stderr, /mixes resources of stacks "prod", "dev"/);
        const notUrn = { ...prod, resources: [{ ...prod.resources[0], urn: "prod-vpc" }] };
        assert.match((await run(notUrn)).stderr, /"prod-vpc" is not a Pulumi URN/);
    });

    it("the plan's own stack and URNs, agreeing, pick that stack's config", async () => {
        const r = await run(prod, "--format", "json");
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(JSON.parse(r.stdout).stack, "prod");
    });
});

describe("audit: every policy has one outcome, every finding one count", () => {
    it("violated, waived, not evaluated in preview, passed, not applicable, disabled", async () => {
        const key = (name: string, props: Record<string, unknown>): AuditResource => ({ urn: `urn:pulumi:prod::p::aws:kms/key:Key::${name}`, type: "aws:kms/key:Key", name, props });
        const cluster = (name: string, props: Record<string, unknown>): AuditResource => ({ urn: `urn:pulumi:prod::p::aws:rds/cluster:Cluster::${name}`, type: "aws:rds/cluster:Cluster", name, props });
        const rules = RULES.filter((r) => ["kms-key-rotation", "rds-deletion-protection", "rds-storage-encrypted", "rds-iam-authentication", "cloudfront-https-only", "eks-secrets-encryption"].includes(r.name));
        const r = await evaluatePolicies([
            key("open", { enableKeyRotation: false }),
            cluster("db", { deletionProtection: false, storageEncrypted: "[unknown]", kmsKeyId: "[unknown]", iamDatabaseAuthenticationEnabled: true }),
        ], {
            rules, now, config: {
                enforcement: { "eks-secrets-encryption": "disabled" }, config: {},
                waivers: [{ policy: "rds-deletion-protection", resource: "db", reason: "restored for a migration rehearsal", owner: "data", expires: "2026-12-31" }],
            },
        });
        const outcome = Object.fromEntries(r.policies.map((p) => [p.name, p.outcome]));
        assert.deepStrictEqual(outcome, {
            "kms-key-rotation": "violated", "rds-deletion-protection": "waived", "rds-storage-encrypted": "not-evaluated-in-preview",
            "rds-iam-authentication": "passed", "cloudfront-https-only": "not-applicable", "eks-secrets-encryption": "disabled",
        });
        assert.deepStrictEqual(Object.values(r.summary.outcomes), POLICY_OUTCOMES.map(() => 1));
        const s = r.summary;
        assert.deepStrictEqual([s.mandatory, s.advisory, s.notEvaluated, s.waived, s.violations, s.policies], [1, 0, 1, 1, 3, 5]);
        assert.strictEqual(s.violations, s.mandatory + s.advisory + s.notEvaluated + s.waived);
        const md = formatReportMarkdown(r);
        for (const o of ["violated", "waived", "not evaluated in preview", "passed", "not applicable", "disabled"]) assert.match(md, new RegExp(`\\| ${o} \\| \``));
        assert.match(formatReportText(r), /its 6 policies: 1 violated, 1 not evaluated in preview, 1 waived, 1 passed, 1 not applicable, 1 disabled/);
    });
});

describe("audit: CLI errors are exit 1 on one line, never a stack trace", function () {
    this.timeout(120_000);
    let dir: string;
    let planFile: string;
    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "audit-cli-"));
        planFile = path.join(dir, "prod.json");
        fs.writeFileSync(planFile, JSON.stringify(await stackPlan("prod")));
        fs.writeFileSync(path.join(dir, "cut.json"), JSON.stringify(await stackPlan("prod")).slice(0, 5000));
        fs.writeFileSync(path.join(dir, "props.json"), JSON.stringify({ stack: "prod", resources: [{ urn: "urn:pulumi:prod::p::aws:kms/key:Key::k", type: "aws:kms/key:Key", name: "k", props: "enableKeyRotation" }] }));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const CASES: [string, () => string[], RegExp][] = [
        ["--out into a missing folder", () => ["--plan", planFile, "--out", path.join(dir, "no", "such", "dir", "audit.md")], /--out .*: cannot write the report \(no folder .*no\/such\/dir\)/],
        ["--date 2026-13-45", () => ["--plan", planFile, "--date", "2026-13-45"], /--date "2026-13-45" is not a date of the calendar/],
        ["--date 2026-02-30", () => ["--plan", planFile, "--date", "2026-02-30"], /--date "2026-02-30" is not a date/],
        ["a truncated plan JSON", () => ["--plan", path.join(dir, "cut.json")], /is not JSON \(cut short\?\)/],
        ["a plan whose props are not an object", () => ["--plan", path.join(dir, "props.json")], /resources\[0\] is not \{ urn, type, name, props: \{\.\.\.\}, opts: \{\.\.\.\} \}/],
        ["an event log that is a folder", () => ["--event-log", dir, "--stack", "prod"], /--event-log .*EISDIR|illegal operation on a directory/],
        ["an unknown option", () => ["--plan", planFile, "--colour"], /Unknown option '--colour'/],
    ];
    for (const [what, args, message] of CASES) {
        it(what, async () => {
            const c = io();
            assert.strictEqual(await runAudit(args(), c.io, PROJECT_DIR), 1, c.out.stderr);
            assert.match(c.out.stderr, message);
            assert.strictEqual(c.out.stderr.trim().split("\n").length, 1, c.out.stderr);
        });
    }

    it("the real command: exit 1, one line, no stack trace (three of the cases above)", () => {
        for (const args of [CASES[0][1](), CASES[1][1](), CASES[3][1]()]) {
            const r = spawnSync(process.execPath, ["-r", require.resolve("../scripts/register.js"), path.join(PROJECT_DIR, "cli", "main.ts"), "audit", ...args], { cwd: PROJECT_DIR, encoding: "utf8" });
            assert.strictEqual(r.status, 1, r.stderr);
            assert.strictEqual(r.stderr.trim().split("\n").length, 1, r.stderr);
            assert.doesNotMatch(r.stderr, /\n\s+at /);
        }
    });
});

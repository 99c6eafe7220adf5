/**
 * Audit reports over the shipped stacks' plans and over a real preview's event log: the formats
 * (SARIF validated against the official 2.1.0 schema), exit codes, waivers, the plan's `policy` key,
 * and that the policies really bite on the real plan's resources.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { audit, parseAuditArgs, runAudit, UsageError } from "../audit/cli";
import { AuditResource, evaluatePolicies } from "../audit/evaluate";
import { policyEventsOf, reportFromEventLog } from "../audit/eventLog";
import { formatReportMarkdown, formatReportSarif, formatReportText } from "../audit/format";
import { attachPolicyReport } from "../audit/plan";
import { stackPolicyConfig } from "../audit/stackConfig";
import { PROJECT_DIR } from "../plan/run";
import { RULES } from "../policies/rules";
import { README, renderReadme, ruleTable } from "../scripts/policy-readme";
import { stackPlan } from "./helpers";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Ajv04 = require("ajv-draft-04");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const addFormats = require("ajv-formats");

/** The official SARIF 2.1.0 schema (draft-04), as shipped in @microsoft/jest-sarif. */
function sarifValidator() {
    // The schema's language-tag pattern is not valid under the `u` flag: compile its regexes without it.
    const ajv = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return ajv.compile(require("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"));
}

const TS = require.resolve("../scripts/register.js");
const now = new Date("2026-06-15T12:00:00Z");

async function reportOf(stack: string, preview = false) {
    const plan = await stackPlan(stack, preview);
    return evaluatePolicies(plan.resources, { config: stackPolicyConfig(PROJECT_DIR, stack), now, stack, mode: plan.mode });
}

describe("audit: the shipped stacks", () => {
    for (const stack of ["dev", "prod"]) {
        for (const preview of [false, true]) {
            it(`${stack} (${preview ? "preview" : "update"} mode) has no mandatory violation`, async () => {
                const r = await reportOf(stack, preview);
                const mandatory = r.violations.filter((v) => v.enforcementLevel === "mandatory" && !v.waived);
                assert.deepStrictEqual(mandatory.map((v) => `${v.policyName} ${v.urn}: ${v.message}`), []);
                assert.ok(r.summary.resources > 100 && r.summary.policies >= 30, JSON.stringify(r.summary));
            });
        }
    }

    it("the prod plan's SARIF is well-formed SARIF 2.1.0 (official schema), one rule per policy", async () => {
        const r = await reportOf("prod");
        const sarif = JSON.parse(formatReportSarif(r));
        const validate = sarifValidator();
        assert.ok(validate(sarif), JSON.stringify(validate.errors?.slice(0, 5), null, 1));
        assert.strictEqual(sarif.version, "2.1.0");
        assert.deepStrictEqual(sarif.runs[0].tool.driver.rules.map((x: { id: string }) => x.id), RULES.map((x) => x.name));
        assert.ok(sarif.runs[0].tool.driver.rules.every((x: any) => x.help.text && x.properties["security-severity"]));
        // A finding inside a component points at the component's constructor.
        const aurora = (await stackPlan("prod")).resources.find((x) => x.type === "aws:rds/cluster:Cluster")!;
        const located = JSON.parse(formatReportSarif({ ...r, violations: [{ policyName: "rds-deletion-protection", policyPack: r.policyPack, policyPackVersion: r.policyPackVersion, enforcementLevel: "mandatory", severity: "high", urn: aurora.urn, message: "x\ny", waived: false }] }));
        const loc = located.runs[0].results[0].locations[0].physicalLocation;
        const line = fs.readFileSync(path.join(PROJECT_DIR, loc.artifactLocation.uri), "utf8").split("\n")[loc.region.startLine - 1];
        assert.match(line, /super\("scaling:data:AuroraPostgres"/);
        assert.ok(validate(located));
    });

    it("SARIF of findings (open, waived, expired waiver, stack-wide) validates and points at the rules", async () => {
        const key = (name: string) => ({ urn: `urn:pulumi:prod::scaling-topology::aws:kms/key:Key::${name}`, type: "aws:kms/key:Key", name, props: { policy: "{\"Statement\":[]}" } }) as AuditResource;
        const w = (resource: string, expires: string) => ({ policy: "kms-key-rotation", resource, reason: "rotated by the HSM team schedule", owner: "security", expires });
        const r = await evaluatePolicies([key("a"), key("b"), key("c"), { urn: "urn:pulumi:prod::scaling-topology::aws:rds/cluster:Cluster::db", type: "aws:rds/cluster:Cluster", name: "db", props: { storageEncrypted: true, copyTagsToSnapshot: true } }], {
            config: { enforcement: {}, config: {}, waivers: [w("b", "2026-12-31"), w("c", "2026-01-01")] }, now, stack: "prod",
        });
        const sarif = JSON.parse(formatReportSarif(r));
        const validate = sarifValidator();
        assert.ok(validate(sarif), JSON.stringify(validate.errors?.slice(0, 5), null, 1));
        const results = sarif.runs[0].results;
        for (const res of results) assert.strictEqual(sarif.runs[0].tool.driver.rules[res.ruleIndex].id, res.ruleId);
        const byName = (n: string) => results.find((x: any) => x.ruleId === "kms-key-rotation" && x.locations[0].logicalLocations[0].name === n);
        assert.strictEqual(byName("a").level, "error");
        assert.strictEqual(byName("a").suppressions, undefined);
        assert.strictEqual(byName("b").suppressions[0].status, "accepted");
        assert.strictEqual(byName("c").suppressions[0].status, "rejected");
        assert.ok(results.some((x: any) => x.ruleId === "aurora-backup-plan-selection"));
        assert.ok(results.some((x: any) => x.ruleId === "data-store-alarms"), "a cluster without alarms is a stack-wide finding too");
        assert.deepStrictEqual(byName("a").locations[0].physicalLocation.artifactLocation.uri, "index.ts", "a resource outside components points at the program");
        // Text and Markdown show waived findings as such.
        assert.match(formatReportText(r), /\[waived\] kms-key-rotation \(medium\) b: .*waived until 2026-12-31 \(security: rotated/);
        assert.match(formatReportText(r), /\[mandatory\] kms-key-rotation .* c: .*waiver EXPIRED 2026-01-01/);
        assert.match(formatReportMarkdown(r), /^\| waived \| `kms-key-rotation` \| medium \| `b` \|/m);
        assert.match(formatReportMarkdown(r), new RegExp(`:x: \\*\\*5 mandatory\\*\\*, ${r.summary.advisory} advisory, ${r.summary.notEvaluated} not evaluated in preview, 1 waived`));
    });

    it("README's rule table is generated from the pack and the stack files (npm run policy:readme)", () => {
        const text = fs.readFileSync(README, "utf8");
        assert.strictEqual(renderReadme(text, ruleTable()), text, "README.md policy table is stale: run npm run policy:readme");
        for (const r of RULES) assert.ok(text.includes(`| \`${r.name}\` |`), r.name);
    });
});

describe("audit: the policies bite on the real prod plan", () => {
    /** Mutations of real prod resources, each of which a rule must catch (mandatory in prod). */
    const MUTATIONS: { policy: string; type: string; name?: RegExp; mutate: (props: any, all: AuditResource[]) => void }[] = [
        { policy: "launch-template-imdsv2", type: "aws:ec2/launchTemplate:LaunchTemplate", mutate: (p) => { p.metadataOptions = { ...p.metadataOptions, httpTokens: "optional" }; } },
        { policy: "ebs-volumes-encrypted", type: "aws:ec2/launchTemplate:LaunchTemplate", mutate: (p) => { p.blockDeviceMappings[0].ebs.encrypted = "false"; } },
        { policy: "eks-endpoint-not-public", type: "aws:eks/cluster:Cluster", mutate: (p) => { p.vpcConfig = { ...p.vpcConfig, endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] }; } },
        { policy: "eks-secrets-encryption", type: "aws:eks/cluster:Cluster", mutate: (p) => { delete p.encryptionConfig; } },
        { policy: "rds-deletion-protection", type: "aws:rds/cluster:Cluster", mutate: (p) => { p.deletionProtection = false; } },
        { policy: "rds-storage-encrypted", type: "aws:rds/cluster:Cluster", mutate: (p) => { delete p.kmsKeyId; } },
        { policy: "elasticache-transit-encryption-auth", type: "aws:elasticache/replicationGroup:ReplicationGroup", mutate: (p) => { delete p.authToken; } },
        { policy: "cloudfront-waf-attached", type: "aws:cloudfront/distribution:Distribution", mutate: (p) => { delete p.webAclId; } },
        { policy: "k8s-image-pinned", type: "kubernetes:apps/v1:Deployment", mutate: (p) => { p.spec.template.spec.containers[0].image = "edoburu/pgbouncer:latest"; } },
        { policy: "k8s-no-privileged", type: "kubernetes:apps/v1:Deployment", mutate: (p) => { p.spec.template.spec.containers[0].securityContext = { ...p.spec.template.spec.containers[0].securityContext, privileged: true }; } },
        { policy: "pgbouncer-pool-within-max-connections", type: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", name: /pgbouncer-rw/, mutate: (p) => { p.spec.maxReplicas = 1000; } },
        { policy: "cloudflare-rate-limiting", type: "cloudflare:index/ruleset:Ruleset", name: /rate/i, mutate: (p) => { p.phase = "http_request_firewall_custom"; } },
        { policy: "aurora-backup-plan-selection", type: "aws:backup/selection:Selection", mutate: (p) => { p.selectionTags = [{ type: "STRINGEQUALS", key: "backup-plan", value: "none" }]; } },
    ];

    for (const m of MUTATIONS) {
        it(`${m.policy} catches a ${m.type.split(":").pop()} changed in the prod plan`, async () => {
            const plan = await stackPlan("prod");
            const resources = structuredClone(plan.resources) as AuditResource[];
            const target = resources.find((r) => r.type === m.type && (!m.name || m.name.test(r.name)));
            assert.ok(target, `the prod plan has a ${m.type}${m.name ? ` named like ${m.name}` : ""}`);
            const rules = RULES.filter((r) => r.name === m.policy);
            const before = await evaluatePolicies(resources, { rules, config: stackPolicyConfig(PROJECT_DIR, "prod"), now });
            assert.deepStrictEqual(before.violations, []);
            m.mutate(target!.props, resources);
            const after = await evaluatePolicies(resources, { rules, config: stackPolicyConfig(PROJECT_DIR, "prod"), now });
            const found = after.violations.filter((v) => v.policyName === m.policy);
            assert.ok(found.length > 0 && found.every((v) => v.enforcementLevel === "mandatory"), JSON.stringify(after.violations.map((v) => [v.policyName, v.message])));
            assert.strictEqual(after.summary.blocking, true);
        });
    }
});

describe("audit: CLI and event log", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "audit-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("parses arguments and refuses bad ones", () => {
        assert.deepStrictEqual(parseAuditArgs(["--plan", "p.json", "--format", "sarif"]), { plan: "p.json", eventLog: undefined, packConfig: false, stack: undefined, packDefaults: false, format: "sarif", out: undefined, date: undefined });
        assert.throws(() => parseAuditArgs([]), UsageError);
        assert.throws(() => parseAuditArgs(["--plan", "a", "--event-log", "b"]), /exactly one/);
        assert.throws(() => parseAuditArgs(["--plan", "a", "--format", "html"]), /--format "html"/);
        assert.throws(() => parseAuditArgs(["--pack-config"]), /needs --stack/);
    });

    it("evaluates a plan JSON file with the stack's config; JSON has the documented shape", async () => {
        const file = path.join(dir, "prod.json");
        fs.writeFileSync(file, JSON.stringify(await stackPlan("prod")));
        const { output, report } = await audit(parseAuditArgs(["--plan", file, "--format", "json"])!, PROJECT_DIR);
        const json = JSON.parse(output);
        assert.deepStrictEqual(Object.keys(json.summary).sort(), ["advisory", "blocking", "expiredWaivers", "mandatory", "notEvaluated", "outcomes", "policies", "resources", "unusedWaivers", "violations", "waived"]);
        assert.strictEqual(json.stack, "prod");
        assert.strictEqual(report!.summary.blocking, false);
        assert.strictEqual(json.summary.policies, RULES.length, "prod runs every rule");
        // Every policy of the pack, once, with its outcome; the outcome counts add up to the pack.
        assert.deepStrictEqual(json.policies.map((p: any) => p.name), RULES.map((r) => r.name));
        assert.strictEqual(Object.values<number>(json.summary.outcomes).reduce((a, b) => a + b, 0), RULES.length);
        for (const p of json.policies) {
            assert.ok(["passed", "not-applicable", "violated", "waived"].includes(p.outcome), `${p.name}: ${p.outcome} (an update-mode plan has no unknowns; prod disables nothing)`);
            if (p.outcome === "violated") assert.strictEqual(p.enforcementLevel, "advisory", `${p.name} is violated at ${p.enforcementLevel} in prod`);
            assert.strictEqual(p.findings, json.violations.filter((v: any) => v.policyName === p.name).length, p.name);
        }
        assert.strictEqual(json.summary.violations, json.summary.mandatory + json.summary.advisory + json.summary.notEvaluated + json.summary.waived);
    });

    it("exits 2 on a mandatory violation, 0 without, 1 on a file that is not a plan", async () => {
        const io = () => {
            const out = { stdout: "", stderr: "" };
            return { out, io: { stdout: (t: string) => { out.stdout += t; }, stderr: (t: string) => { out.stderr += t; } } };
        };
        const plan = (enableKeyRotation: boolean) => JSON.stringify({ stack: "elsewhere", resources: [{ urn: "urn:pulumi:elsewhere::p::aws:kms/key:Key::k", type: "aws:kms/key:Key", name: "k", props: { enableKeyRotation, policy: "{\"Statement\":[]}" }, opts: {} }] });
        const bad = path.join(dir, "bad.json");
        fs.writeFileSync(bad, plan(false));
        // No stack file for the plan's stack: refused, unless the pack's defaults are asked for.
        const refused = io();
        assert.strictEqual(await runAudit(["--plan", bad], refused.io, PROJECT_DIR), 1);
        assert.match(refused.out.stderr, /^audit: stack "elsewhere": no Pulumi\.elsewhere\.yaml in .*\(stacks there: dev, prod, prod-dr\).*--pack-defaults/);
        const b = io();
        assert.strictEqual(await runAudit(["--plan", bad, "--pack-defaults", "--format", "markdown"], b.io, PROJECT_DIR), 2);
        assert.match(b.out.stdout, /\| mandatory \| `kms-key-rotation` \| medium \| `k` \| enableKeyRotation is not true\. \|/);
        assert.match(b.out.stderr, /--pack-defaults: the pack's own enforcement levels, no waivers/);
        const good = path.join(dir, "good.json");
        fs.writeFileSync(good, plan(true));
        assert.strictEqual(await runAudit(["--plan", good, "--pack-defaults"], io().io, PROJECT_DIR), 0);
        const notPlan = path.join(dir, "not-plan.json");
        fs.writeFileSync(notPlan, "{\"resources\": 3}");
        const n = io();
        assert.strictEqual(await runAudit(["--plan", notPlan], n.io, PROJECT_DIR), 1);
        assert.match(n.out.stderr, /is not a plan/);
        assert.strictEqual(await runAudit(["--plan", path.join(dir, "missing.json")], io().io, PROJECT_DIR), 1);
    });

    const eventLog = [
        { sequence: 0, timestamp: 1, preludeEvent: { config: {} } },
        { sequence: 1, timestamp: 2, resourcePreEvent: { metadata: { op: "create", urn: "urn:pulumi:prod::scaling-topology::aws:kms/key:Key::prod-data-key", type: "aws:kms/key:Key" } } },
        { sequence: 2, timestamp: 3, policyEvent: { resourceUrn: "urn:pulumi:prod::scaling-topology::aws:kms/key:Key::prod-data-key", message: "<{%reset%}>Symmetric customer-managed KMS keys rotate automatically.\nprod-data-key: enableKeyRotation is not true.<{%reset%}>", color: "raw", policyName: "kms-key-rotation", policyPackName: "scaling-topology", policyPackVersion: "0.1.0", policyPackVersionTag: "0.1.0", enforcementLevel: "mandatory" } },
        { sequence: 3, timestamp: 4, policyEvent: { message: "zone 0123 has no http_ratelimit ruleset", color: "raw", policyName: "cloudflare-rate-limiting", policyPackName: "scaling-topology", policyPackVersion: "0.1.0", policyPackVersionTag: "0.1.0", enforcementLevel: "advisory", severity: "high" } },
        { sequence: 4, timestamp: 5, policyAnalyzeSummaryEvent: { resourceUrn: "urn:pulumi:prod::scaling-topology::aws:kms/key:Key::prod-data-key", policyPackName: "scaling-topology", policyPackVersion: "0.1.0", policyPackVersionTag: "0.1.0", failed: ["kms-key-rotation"] } },
        { sequence: 5, timestamp: 6, policyAnalyzeStackSummaryEvent: { policyPackName: "scaling-topology", policyPackVersion: "0.1.0", policyPackVersionTag: "0.1.0", passed: ["stateful-resources-protected"], failed: ["cloudflare-rate-limiting"] } },
        { sequence: 6, timestamp: 7, summaryEvent: { maybeCorrupt: false, durationSeconds: 3, resourceChanges: { create: 1 }, PolicyPacks: { "scaling-topology|local|policies": "0.1.0" }, isPreview: true, result: "failed" } },
    ].map((e) => JSON.stringify(e)).join("\n") + "\n";

    it("reads a real preview's event log into the same report, waivers applied", () => {
        assert.strictEqual(policyEventsOf(eventLog).length, 2);
        const r = reportFromEventLog(eventLog, { now });
        assert.strictEqual(r.stack, "prod");
        assert.strictEqual(r.source, "event-log");
        assert.deepStrictEqual(r.violations.map((v) => [v.policyName, v.enforcementLevel, v.severity, v.urn ?? null]), [
            ["kms-key-rotation", "mandatory", "medium", "urn:pulumi:prod::scaling-topology::aws:kms/key:Key::prod-data-key"],
            ["cloudflare-rate-limiting", "advisory", "high", null],
        ]);
        assert.strictEqual(r.violations[0].message, "Symmetric customer-managed KMS keys rotate automatically.\nprod-data-key: enableKeyRotation is not true.");
        assert.strictEqual(r.summary.blocking, true);
        const waived = reportFromEventLog(eventLog, { now, config: { enforcement: {}, config: {}, waivers: [{ policy: "kms-key-rotation", resource: "prod-data-*", reason: "imported key, rotated by hand", owner: "security", expires: "2026-07-01" }] } });
        assert.deepStrictEqual([waived.summary.blocking, waived.summary.waived], [false, 1]);
        const sarif = JSON.parse(formatReportSarif(r));
        assert.ok(sarifValidator()(sarif));
    });

    it("--event-log through the CLI entry point picks the stack from the URNs and its config", async () => {
        const file = path.join(dir, "events.json");
        fs.writeFileSync(file, eventLog);
        const { output, report } = await audit(parseAuditArgs(["--event-log", file, "--format", "text", "--date", "2026-06-15"])!, PROJECT_DIR);
        assert.strictEqual(report!.stack, "prod");
        assert.match(output, /^FAIL: 1 mandatory, 1 advisory, 0 not evaluated in preview, 0 waived/);
        // The resource is named once per finding, not twice ("prod-data-key: prod-data-key: ...").
        assert.match(output, /\n {2}\[mandatory\] kms-key-rotation \(medium\) prod-data-key: enableKeyRotation is not true\.\n/);
        assert.doesNotMatch(output, /prod-data-key: prod-data-key/);
    });

    it("--pack-config writes the stack's levels and settings in the engine's format", async () => {
        const { output } = await audit(parseAuditArgs(["--pack-config", "--stack", "prod"])!, PROJECT_DIR);
        const c = JSON.parse(output);
        assert.deepStrictEqual(c["rds-deletion-protection"], { enforcementLevel: "mandatory" });
        assert.deepStrictEqual(c["rds-storage-encrypted"], { requireCustomerManagedKey: true });
    });
});

describe("plan: policy results", () => {
    it("adds a policy key and a Policy section to the plan", async () => {
        const plan = structuredClone(await stackPlan("dev"));
        const report = await attachPolicyReport(plan, PROJECT_DIR, now);
        assert.strictEqual(plan.policy, report);
        const { render } = require("../cli/plan") as typeof import("../cli/plan");
        assert.strictEqual(JSON.parse(render(plan, "json")).policy.summary.blocking, false);
        assert.match(render(plan, "text"), /\nPolicy:\n {2}pass: 0 mandatory/);
        assert.match(render(plan, "markdown"), /### Policy\n\n:white_check_mark: \*\*0 mandatory\*\*/);
    });

    it("npm run plan exits 2 when the stack's policy config makes a finding mandatory", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-policy-"));
        try {
            fs.writeFileSync(path.join(dir, "Pulumi.yaml"), fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8").replace(/^main: .*$/m, `main: ${path.join(PROJECT_DIR, "index.ts")}`));
            const dev = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8");
            assert.match(dev, /rds-deletion-protection: disabled/);
            fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), dev.replace("rds-deletion-protection: disabled", "rds-deletion-protection: mandatory"));
            const r = spawnSync(process.execPath, ["-r", TS, path.join(PROJECT_DIR, "cli", "main.ts"), "plan", "--stack", "dev", "--format", "json"], { cwd: dir, encoding: "utf8" });
            assert.strictEqual(r.status, 2, r.stderr);
            const plan = JSON.parse(r.stdout);
            assert.ok(plan.policy.violations.some((v: any) => v.policyName === "rds-deletion-protection" && v.enforcementLevel === "mandatory"));
            assert.match(r.stderr, /mandatory policy violation/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

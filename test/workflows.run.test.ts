/**
 * The pull-request workflow's own jobs, run here (test/workflowRunner.ts): its step scripts
 * (scripts/ci/*.sh) against real offline plans of a project whose stack files we set, with stand-ins only
 * for what needs GitHub (checkout, artifacts, code scanning, the `gh` CLI) and for `npm ci`.
 *
 * Proves that a mandatory violation (plan and audit exit 2) still writes the diff, the audit, the SARIF
 * (uploaded) and the PR comment, then fails the job at its last step; that a base plan exiting 2 is still
 * the base; and that a plan that fails outright leaves its messages in the comment and fails the job.
 * The preview job runs with a stand-in `pulumi` that writes a given event log.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../plan/run";
import { ActionStandIn, evaluate, JobContext, JobResult, runJob, stepRuns } from "./workflowRunner";

const WORKFLOW = path.join(PROJECT_DIR, ".github", "workflows", "pull-request.yml");
const REGISTER = path.join(PROJECT_DIR, "scripts", "register.js");
const REPO = "acme/scaling";
const GITHUB = {
    repository: REPO, server_url: "https://github.com", run_id: "42", token: "fake-token",
    event: { pull_request: { number: 7, base: { sha: "b".repeat(40) }, head: { sha: "c".repeat(40), repo: { full_name: REPO } } } },
};

/** A checkout of this program with its own stack file: scripts point at this repository's code. */
function project(dir: string, stackFile: (dev: string) => string) {
    fs.mkdirSync(dir, { recursive: true });
    const cli = (command: string) => `node -r ${JSON.stringify(REGISTER)} ${JSON.stringify(path.join(PROJECT_DIR, "cli", "main.ts"))} ${command}`;
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "scaling-topology", private: true, scripts: { plan: cli("plan"), audit: cli("audit") } }));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8").replace(/^main: .*$/m, `main: ${path.join(PROJECT_DIR, "index.ts")}`));
    fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), stackFile(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8")));
    fs.symlinkSync(path.join(PROJECT_DIR, "scripts"), path.join(dir, "scripts"));
}

/** Stand-ins: `npm ci` skipped (the tree is installed), every other npm command real; `gh` records the comment. */
function fakeBin(dir: string): string {
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    const npm = spawnSync("bash", ["-c", "command -v npm"], { encoding: "utf8" }).stdout.trim();
    fs.writeFileSync(path.join(bin, "npm"), `#!/usr/bin/env bash
if [ "$1" = ci ] || [ "$1" = install ]; then echo "npm $1 (skipped in the test)"; exit 0; fi
if [ -n "\${FAIL_DIFF:-}" ] && [[ " $* " == *" --diff "* ]]; then echo "plan --diff failed (stand-in)" >&2; exit 1; fi
exec ${JSON.stringify(npm)} "$@"
`, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, "gh"), `#!/usr/bin/env bash
echo "$*" >> ${JSON.stringify(path.join(dir, "gh-calls"))}
for a in "$@"; do case "$a" in body=@*) cp "\${a#body=@}" ${JSON.stringify(path.join(dir, "comment.md"))};; esac; done
exit 0
`, { mode: 0o755 });
    return bin;
}

interface Uploads { sarif: string[]; artifacts: string }

function standIns(uploads: Uploads): Record<string, ActionStandIn> {
    return {
        "actions/checkout": () => true,
        "actions/setup-node": () => true,
        "github/codeql-action/upload-sarif": (_s, w, ctx) => {
            const file = path.join(ctx.workspace, w.sarif_file);
            if (!fs.existsSync(file)) return false;
            JSON.parse(fs.readFileSync(file, "utf8"));
            uploads.sarif.push(file);
            return true;
        },
        // One path or several (one a line); files land at the artifact's root (their common folder here).
        "actions/upload-artifact": (_s, w, ctx) => {
            for (const p of w.path.split("\n").map((x) => x.trim()).filter(Boolean)) {
                const from = path.join(ctx.workspace, p);
                if (!fs.existsSync(from)) continue; // if-no-files-found: warn
                const to = path.join(uploads.artifacts, w.name);
                fs.cpSync(from, fs.statSync(from).isDirectory() ? to : path.join(to, path.basename(from)), { recursive: true });
            }
            return true;
        },
        "actions/download-artifact": (_s, w, ctx) => {
            fs.cpSync(uploads.artifacts, path.join(ctx.workspace, w.path), { recursive: true });
            return true;
        },
    };
}

/** The offline-plan job of stack dev, then the comment job over its artifacts. */
function runPullRequest(root: string, base: (dev: string) => string, head: (dev: string) => string, runnerEnv: Record<string, string> = {}) {
    const ws = path.join(root, "ws");
    project(path.join(ws, "base"), base);
    project(path.join(ws, "head"), head);
    const bin = fakeBin(root);
    const uploads: Uploads = { sarif: [], artifacts: path.join(root, "artifacts") };
    fs.mkdirSync(uploads.artifacts);
    const common = { workflowFile: WORKFLOW, github: GITHUB, pathPrepend: [bin], actions: standIns(uploads), runnerEnv };
    const plan = runJob({ ...common, job: "offline-plan", workspace: ws, matrix: { stack: "dev" } });
    const cws = path.join(root, "comment-ws");
    fs.mkdirSync(cws);
    fs.symlinkSync(path.join(ws, "head"), path.join(cws, "head"));
    const comment = runJob({ ...common, job: "comment", workspace: cws });
    const commentBody = fs.existsSync(path.join(root, "comment.md")) ? fs.readFileSync(path.join(root, "comment.md"), "utf8") : "";
    return { ws, plan, comment, commentBody, uploads, out: path.join(ws, "out") };
}

const step = (r: JobResult, name: RegExp) => {
    const s = r.steps.find((x) => name.test(x.name));
    assert.ok(s, `a step named like ${name}`);
    return s!;
};
const failedSteps = (r: JobResult) => r.steps.filter((s) => s.conclusion === "failure").map((s) => s.name);

describe("pull-request workflow, run with its own step scripts", function () {
    this.timeout(240_000);
    let root: string;
    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "wf-run-"));
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("a mandatory violation (plan exit 2) still writes the diff, audit, SARIF and comment; a base exiting 2 is the base; then the job fails", () => {
        const violating = (dev: string) => {
            assert.match(dev, /rds-deletion-protection: disabled/);
            return dev.replace("rds-deletion-protection: disabled", "rds-deletion-protection: mandatory");
        };
        const r = runPullRequest(root, violating, violating);
        const log = r.plan.steps.map((s) => `${s.name}: ${s.conclusion} ${s.stderr.slice(-400)}`).join("\n");

        // The plan exits 2 and the step goes on: base and head plans, the diff in both formats.
        assert.strictEqual(step(r.plan, /^Plan the head/).outputs.code, "2", log);
        const base = JSON.parse(fs.readFileSync(path.join(r.out, "base.json"), "utf8"));
        assert.ok(base.resources.length > 100, "the base plan that exited 2 is the real plan, not an empty one");
        assert.ok(base.policy.summary.blocking, "the base has the violation too");
        assert.match(fs.readFileSync(path.join(r.out, "diff.md"), "utf8"), /no changes; \d+ unchanged/);
        assert.strictEqual(JSON.parse(fs.readFileSync(path.join(r.out, "diff.json"), "utf8")).summary.create, 0);

        // The audit: exit 2 recorded, SARIF and Markdown written, SARIF uploaded.
        assert.strictEqual(step(r.plan, /^Audit the head plan/).outputs.code, "2");
        const sarif = JSON.parse(fs.readFileSync(path.join(r.out, "audit.sarif"), "utf8"));
        assert.ok(sarif.runs[0].results.some((x: any) => x.ruleId === "rds-deletion-protection" && x.level === "error"));
        assert.match(fs.readFileSync(path.join(r.out, "audit.md"), "utf8"), /\| mandatory \| `rds-deletion-protection` \|/);
        assert.strictEqual(step(r.plan, /code scanning/).skipped, false);
        assert.deepStrictEqual(r.uploads.sarif, [path.join(r.out, "audit.sarif")]);
        assert.match(r.plan.summary, /Infrastructure diff of `scaling-topology\/dev`[\s\S]*rds-deletion-protection/);
        assert.ok(fs.existsSync(path.join(r.uploads.artifacts, "plan-dev", "audit.md")));

        // Then, and only then, the job fails: at its last step.
        assert.strictEqual(r.plan.failed, true);
        assert.deepStrictEqual(failedSteps(r.plan), ["Fail on mandatory policy violations"], log);
        assert.strictEqual(r.plan.steps[r.plan.steps.length - 1].name, "Fail on mandatory policy violations");

        // The comment has the diff and the audit, and says so for the stack that did not run here.
        assert.strictEqual(r.comment.failed, false, r.comment.steps.map((s) => s.stderr).join("\n"));
        assert.match(r.commentBody, /^<!-- scaling-topology:plan-diff -->\n# Infrastructure review for ccccccc/);
        assert.match(r.commentBody, /no changes; \d+ unchanged[\s\S]*Policy audit of the dev plan[\s\S]*`rds-deletion-protection`/);
        assert.doesNotMatch(r.commentBody, /`dev`: no diff/);
        assert.match(r.commentBody, /`prod`: no diff \(the plan or its diff failed/);
        assert.match(fs.readFileSync(path.join(root, "gh-calls"), "utf8"), /api -X POST repos\/acme\/scaling\/issues\/7\/comments -F body=@body.md/);
    });

    it("a diff that fails: the head plan is still audited and its SARIF uploaded, the comment says there is no diff, the job fails", () => {
        const r = runPullRequest(root, (dev) => dev, (dev) => dev, { FAIL_DIFF: "1" });
        const plan = step(r.plan, /^Plan the head/);
        assert.deepStrictEqual([plan.conclusion, plan.outputs.code], ["failure", "0"]);
        assert.match(plan.stdout, /::error::the diff of stack dev against the base failed \(exit 1\)/);
        assert.deepStrictEqual([step(r.plan, /^Audit the head plan/).conclusion, step(r.plan, /^Audit the head plan/).outputs.code], ["success", "0"]);
        assert.deepStrictEqual(r.uploads.sarif, [path.join(r.out, "audit.sarif")]);
        assert.strictEqual(step(r.plan, /^Fail on mandatory/).skipped, true);
        assert.deepStrictEqual(failedSteps(r.plan), ["Plan the head and diff it against the base"]);
        assert.match(r.commentBody, /`dev`: no diff \(the plan or its diff failed[\s\S]*Policy audit of the dev plan[\s\S]*:white_check_mark: \*\*0 mandatory\*\*/);
    });

    it("a plan that fails outright (exit 1): the base becomes an empty plan, the head's errors reach the summary and the comment, no SARIF, the job fails", () => {
        const broken = (dev: string) => dev.replace("cidr: 10.20.0.0/16", "cidr: 10.20.0.0/33");
        const r = runPullRequest(root, broken, broken);
        assert.deepStrictEqual(JSON.parse(fs.readFileSync(path.join(r.out, "base.json"), "utf8")).resources, []);
        assert.match(step(r.plan, /^Plan the base/).stdout, /::warning::the base does not plan stack dev \(exit 1\)/);
        const head = step(r.plan, /^Plan the head/);
        assert.deepStrictEqual([head.conclusion, head.outputs.code], ["failure", "1"]);
        assert.strictEqual(step(r.plan, /^Audit/).skipped, true);
        assert.strictEqual(step(r.plan, /code scanning/).skipped, true);
        assert.strictEqual(step(r.plan, /^Fail on mandatory/).skipped, true);
        assert.deepStrictEqual(r.uploads.sarif, []);
        assert.strictEqual(r.plan.failed, true);
        assert.match(r.plan.summary, /no diff, the plan or its diff failed[\s\S]*network\.cidr/);
        assert.match(r.commentBody, /`dev`: no diff \(the plan or its diff failed[^\n]*\n\n```\n[\s\S]*network\.cidr[\s\S]*```/);
    });
});

describe("pull-request workflow: the real preview job, with a stand-in pulumi CLI", function () {
    this.timeout(120_000);
    let root: string;
    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "wf-preview-"));
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    const KEY = "urn:pulumi:dev::scaling-topology::aws:kms/key:Key::dev-data-key";
    const PACK = { policyPackName: "scaling-topology", policyPackVersion: "0.1.0", policyPackVersionTag: "0.1.0" };
    const log = (...events: object[]) => events.map((e, i) => JSON.stringify({ sequence: i, timestamp: i, ...e })).join("\n") + "\n";
    const summary = (packs: Record<string, string>) => ({ summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: { create: 1 }, PolicyPacks: packs, isPreview: true, result: "failed" } });

    /** Runs the preview job of stack dev; the stand-in `pulumi preview` writes `events` to --event-log and exits `code`. */
    function runPreview(events: string, code: number) {
        const ws = path.join(root, "ws");
        project(ws, (dev) => dev);
        const bin = fakeBin(root);
        fs.writeFileSync(path.join(root, "events.fixture"), events);
        fs.writeFileSync(path.join(bin, "pulumi"), `#!/usr/bin/env bash
case "$1" in
  login) echo "Logged in (stand-in)"; exit 0;;
  preview)
    while [ $# -gt 0 ]; do
      if [ "$1" = --event-log ]; then cp ${JSON.stringify(path.join(root, "events.fixture"))} "$2"; fi
      shift
    done
    echo "Previewing update (dev) (stand-in)"; exit ${code};;
esac
exit 64
`, { mode: 0o755 });
        const uploads: Uploads = { sarif: [], artifacts: path.join(root, "artifacts") };
        fs.mkdirSync(uploads.artifacts);
        const actions = { ...standIns(uploads), "aws-actions/configure-aws-credentials": () => true, "pulumi/actions": () => true };
        const job = runJob({ workflowFile: WORKFLOW, job: "preview", workspace: ws, matrix: { stack: "dev" }, github: GITHUB, vars: { AWS_PREVIEW_ROLE_ARN: "arn:aws:iam::123456789012:role/preview" }, pathPrepend: [bin], actions });
        return { job, artifacts: path.join(uploads.artifacts, "preview-dev") };
    }

    it("a mandatory violation in the preview's events: the audit is written and uploaded, then the job fails at its last step", () => {
        const violation = { policyEvent: { resourceUrn: KEY, message: "Symmetric customer-managed KMS keys rotate automatically.\ndev-data-key: enableKeyRotation is not true.", color: "raw", policyName: "kms-key-rotation", ...PACK, enforcementLevel: "mandatory", severity: "medium" } };
        const { job, artifacts } = runPreview(log(
            { preludeEvent: { config: {} } }, violation,
            { policyAnalyzeSummaryEvent: { resourceUrn: KEY, ...PACK, failed: ["kms-key-rotation"] } },
            { policyAnalyzeStackSummaryEvent: { ...PACK, passed: [] } }, summary({ "scaling-topology|local|policies": "0.1.0" }),
        ), 255);
        const trace = job.steps.map((x) => `${x.name}: ${x.conclusion} ${x.stdout.slice(-300)} ${x.stderr.slice(-300)}`).join("\n");
        assert.deepStrictEqual([step(job, /^pulumi preview/).outputs.code, step(job, /^Audit the preview/).outputs.code], ["255", "2"], trace);
        assert.match(fs.readFileSync(path.join(artifacts, "preview-audit.md"), "utf8"), /\| mandatory \| `kms-key-rotation` \| medium \| `dev-data-key` \| enableKeyRotation is not true\. \|/);
        assert.match(job.summary, /## pulumi preview of `dev`[\s\S]*kms-key-rotation/);
        assert.deepStrictEqual(failedSteps(job), ["Fail on a failed preview or mandatory policy violations"]);
    });

    it("a preview whose events show no policy pack: the audit step fails saying so, and the report says why", () => {
        const { job, artifacts } = runPreview(log({ preludeEvent: { config: {} } }, { resourcePreEvent: { metadata: { op: "create", urn: KEY, type: "aws:kms/key:Key" } } }, summary({})), 0);
        const audit = step(job, /^Audit the preview/);
        assert.deepStrictEqual([audit.conclusion, audit.outputs.code], ["failure", "1"]);
        assert.match(fs.readFileSync(path.join(artifacts, "preview-audit.md"), "utf8"), /no policy pack ran: was --policy-pack given\?/);
        assert.strictEqual(job.failed, true);
        assert.strictEqual(step(job, /^Fail on a failed preview/).skipped, true);
    });
});

describe("workflow runner: conditions as GitHub evaluates them", () => {
    const ctx = (failed: boolean): JobContext => ({
        workspace: os.tmpdir(), env: {}, matrix: {}, github: GITHUB, vars: { X: "" }, secrets: {}, failed,
        steps: { audit: { outputs: { code: "2" }, outcome: "success", conclusion: "success" } },
    });
    it("implies success() unless a status function is named; compares case-insensitively; hashFiles of a missing file is empty", () => {
        assert.strictEqual(stepRuns("steps.audit.outputs.code == '2'", ctx(true)), false);
        assert.strictEqual(stepRuns("always() && steps.audit.outputs.code == '2'", ctx(true)), true);
        assert.strictEqual(stepRuns(undefined, ctx(true)), false);
        assert.strictEqual(evaluate("github.event.pull_request.head.repo.full_name == github.repository", ctx(false)), true);
        assert.strictEqual(evaluate("vars.X != ''", ctx(false)), false);
        assert.strictEqual(evaluate("hashFiles('no/such/file') != ''", ctx(false)), false);
        assert.strictEqual(evaluate("!(steps.audit.outcome == 'SUCCESS')", ctx(false)), false);
    });
});

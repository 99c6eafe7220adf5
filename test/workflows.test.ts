import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { PROJECT_DIR } from "../plan/run";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { validateWorkflow } = require("@action-validator/core") as typeof import("@action-validator/core");

const DIR = path.join(PROJECT_DIR, ".github", "workflows");
const files = fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const source = (f: string) => fs.readFileSync(path.join(DIR, f), "utf8");
const workflow = (f: string) => parse(source(f));
type Step = { uses?: string; run?: string; with?: Record<string, unknown>; if?: string };
type Job = { steps: Step[]; permissions?: Record<string, string>; environment?: string; needs?: string | string[]; if?: string; concurrency?: unknown };
const jobs = (f: string): Record<string, Job> => workflow(f).jobs;
const allSteps = (f: string) => Object.values(jobs(f)).flatMap((j) => j.steps);
const CI_DIR = path.join(PROJECT_DIR, "scripts", "ci");
const ciScripts = fs.readdirSync(CI_DIR).filter((f) => f.endsWith(".sh")).sort();
/** A step's run text with the scripts/ci/*.sh it calls (and those they call) inlined: what the step executes. */
function expanded(run: string, seen = new Set<string>()): string {
    return run.replace(/bash (?:"?\$GITHUB_WORKSPACE\/head\/|head\/|"\$\(dirname "\$0"\)\/|)(?:scripts\/ci\/)?([\w-]+\.sh)"?/g, (m, file: string) => {
        if (seen.has(file) || !ciScripts.includes(file)) return m;
        return `${m}\n${expanded(fs.readFileSync(path.join(CI_DIR, file), "utf8"), new Set([...seen, file]))}`;
    });
}
const stepText = (s: Step) => expanded(s.run ?? "");
const scripts = (f: string) => allSteps(f).map(stepText).join("\n");

describe("GitHub Actions workflows", () => {
    it("exist: pull request and deploy", () => {
        assert.deepEqual(files, ["deploy.yml", "pull-request.yml"]);
    });

    for (const f of files) {
        it(`${f} passes the workflow schema check (@action-validator/core, SchemaStore's schema)`, () => {
            const state = validateWorkflow(source(f));
            assert.equal(state.actionType, "workflow");
            assert.deepEqual(state.errors, []);
        });
    }

    it("the schema check catches a broken workflow", () => {
        const broken = source("deploy.yml").replace("runs-on: ubuntu-24.04", "runson: ubuntu-24.04");
        assert.ok(validateWorkflow(broken).errors.length > 0);
        const badPermission = source("pull-request.yml").replace("security-events: write", "security-events: admin");
        assert.ok(validateWorkflow(badPermission).errors.length > 0);
    });

    for (const f of files) {
        it(`${f} pins every action to a full commit SHA, with the tag in a comment`, () => {
            const uses = source(f).split("\n").filter((l) => /^\s*-?\s*uses:/.test(l));
            assert.ok(uses.length > 0);
            for (const line of uses) assert.match(line, /uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/, line);
        });

        it(`${f} grants least privilege: read-only by default, writes only where a job needs them`, () => {
            const wf = workflow(f);
            assert.deepEqual(wf.permissions, { contents: "read" });
            const needsWrite: Record<string, (j: Job) => boolean> = {
                "id-token": (j) => j.steps.some((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@")),
                "security-events": (j) => j.steps.some((s) => s.uses?.startsWith("github/codeql-action/upload-sarif@")),
                "pull-requests": (j) => j.steps.some((s) => /gh api .*issues\/.*comments/.test(stepText(s))),
            };
            for (const [name, job] of Object.entries(jobs(f))) {
                for (const [perm, level] of Object.entries(job.permissions ?? {})) {
                    if (level === "read" || level === "none") continue;
                    assert.ok(needsWrite[perm]?.(job), `${f} job ${name}: ${perm}: ${level} is not needed`);
                }
                for (const [perm, needed] of Object.entries(needsWrite)) {
                    if (needed(job)) assert.equal(job.permissions?.[perm], "write", `${f} job ${name} needs ${perm}: write`);
                }
            }
        });

        it(`${f} reaches AWS through OIDC (role-to-assume), never long-lived keys`, () => {
            assert.doesNotMatch(source(f), /aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/);
            for (const s of allSteps(f).filter((x) => x.uses?.startsWith("aws-actions/configure-aws-credentials@"))) {
                assert.match(String(s.with?.["role-to-assume"]), /^\$\{\{ vars\.AWS_\w+_ROLE_ARN \}\}$/);
            }
        });

        it(`${f}: every run script is valid bash (and shellcheck-clean where shellcheck is installed)`, function () {
            const steps = allSteps(f).filter((s) => s.run);
            assert.ok(steps.length > 0);
            const shellcheck = spawnSync("shellcheck", ["--version"]).status === 0;
            for (const s of steps) {
                // As the runner does: bash -e {0}; expressions are not allowed in scripts (pass them through env).
                assert.doesNotMatch(s.run!, /\$\{\{/, `${f}: an expression inside a run script (script injection risk); use env`);
                const script = `#!/usr/bin/env bash\nset -e\n${s.run}`;
                const syntax = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
                assert.equal(syntax.status, 0, `${f}: ${syntax.stderr}\n${s.run}`);
                if (shellcheck) {
                    const lint = spawnSync("shellcheck", ["-s", "bash", "-"], { input: script, encoding: "utf8" });
                    assert.equal(lint.status, 0, `${f}: ${lint.stdout}`);
                }
            }
        });

        it(`${f}: every scripts/ci script a step calls exists`, () => {
            for (const s of allSteps(f).filter((x) => x.run)) {
                for (const m of s.run!.matchAll(/scripts\/ci\/([\w-]+\.sh)/g)) assert.ok(ciScripts.includes(m[1]), `${f}: scripts/ci/${m[1]} exists`);
            }
        });

        it(`${f} has a concurrency group and uses only npm scripts that exist`, () => {
            assert.ok(workflow(f).concurrency?.group);
            const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8"));
            for (const m of scripts(f).matchAll(/npm (?:run|test)\b\s*([\w:-]*)/g)) {
                const script = m[0].startsWith("npm test") ? "test" : m[1];
                assert.ok(pkg.scripts[script], `package.json has the script "${script}" (${f})`);
            }
        });
    }

    it("scripts/ci: every script is valid bash (and shellcheck-clean where shellcheck is installed), and some workflow step calls it", () => {
        const shellcheck = spawnSync("shellcheck", ["--version"]).status === 0;
        const called = files.map((f) => scripts(f)).join("\n");
        for (const file of ciScripts) {
            const full = path.join(CI_DIR, file);
            const syntax = spawnSync("bash", ["-n", full], { encoding: "utf8" });
            assert.equal(syntax.status, 0, `${file}: ${syntax.stderr}`);
            if (shellcheck) {
                const lint = spawnSync("shellcheck", ["-s", "bash", full], { encoding: "utf8" });
                assert.equal(lint.status, 0, `${file}: ${lint.stdout}`);
            }
            assert.match(called, new RegExp(`\\b${file.replace(".", "\\.")}\\b`), `${file} is called by a workflow step`);
        }
    });

    it("pull requests: tests, base and head plans per stack, the diff and audit posted, SARIF uploaded, a real preview when configured", () => {
        const wf = workflow("pull-request.yml");
        assert.ok(wf.on.pull_request);
        const j = jobs("pull-request.yml");
        assert.ok(j.test.steps.some((s) => s.run === "npm test"));
        const plan = j["offline-plan"];
        assert.deepEqual((plan as any).strategy.matrix.stack, ["dev", "prod", "prod-dr"]);
        const refs = plan.steps.filter((s) => s.uses?.startsWith("actions/checkout@")).map((s) => s.with?.ref ?? "head");
        assert.deepEqual(refs, ["head", "${{ github.event.pull_request.base.sha }}"]);
        const run = plan.steps.map(stepText).join("\n");
        assert.match(run, /npm run plan -- --stack "\$STACK" --format json --out "\$OUT\/base.json"/);
        assert.match(run, /for format in json markdown; do[\s\S]*npm run plan -- --stack "\$STACK" --diff "\$OUT\/base.json" --format "\$format"/);
        assert.match(run, /npm run audit -- --plan "\$OUT\/plan.json" --stack "\$STACK" --format sarif/);
        assert.match(run, /GITHUB_STEP_SUMMARY/);
        assert.ok(plan.steps.some((s) => s.uses?.startsWith("github/codeql-action/upload-sarif@") && s.with?.sarif_file === "out/audit.sarif"));
        assert.match(j.comment.steps.map(stepText).join("\n"), /diff\.md[\s\S]*audit\.md/);

        const preview = j.preview;
        assert.match(preview.if!, /vars\.AWS_PREVIEW_ROLE_ARN != ''/);
        assert.ok(preview.steps.some((s) => s.uses?.startsWith("pulumi/actions@")));
        const pr = preview.steps.map(stepText).join("\n");
        assert.match(pr, /pulumi preview --diff [\s\S]*--policy-pack policies [\s\S]*--event-log "\$OUT\/events.json"/);
        assert.match(pr, /npm run audit -- --event-log "\$OUT\/events.json"/);
    });

    it("main: pulumi up for dev, then prod behind the manual-approval environment, never cancelled mid-way", () => {
        const wf = workflow("deploy.yml");
        assert.deepEqual(wf.on.push.branches, ["main"]);
        assert.equal(wf.concurrency["cancel-in-progress"], false);
        const j = jobs("deploy.yml");
        assert.equal(j.dev.environment, "dev");
        assert.equal(j.prod.environment, "prod");
        assert.deepEqual(j.prod.needs, ["test", "dev"]);
        assert.equal(j.dev.needs, "test");
        for (const stack of ["dev", "prod"]) {
            const run = j[stack].steps.map(stepText).join("\n");
            assert.match(run, /pulumi up --yes [\s\S]*--policy-pack policies/);
        }
    });
});

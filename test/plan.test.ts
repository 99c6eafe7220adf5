import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { runPlan, PROJECT_DIR } from "../plan/run";
import { stackPlan } from "./helpers";
import { runPlanCommand } from "../cli/plan";

const TS_NODE = require.resolve("../scripts/register.js");
const fixture = path.join(__dirname, "fixtures", "secrets");

/** The plan command in this process (the same code the bin runs), its output captured. */
async function cli(args: string[], cwd = PROJECT_DIR): Promise<{ status: number; stdout: string; stderr: string }> {
    let stdout = "", stderr = "";
    const status = await runPlanCommand(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, cwd);
    return { status, stdout, stderr };
}

describe("offline plan", () => {
    for (const stack of ["dev", "prod"]) {
        for (const preview of [false, true]) {
            it(`plans ${stack} in ${preview ? "preview" : "update"} mode with the documented JSON contract`, async () => {
                const plan = await stackPlan(stack, preview);
                assert.equal(plan.project, "scaling-topology");
                assert.equal(plan.stack, stack);
                assert.equal(plan.mode, preview ? "preview" : "update");
                assert.ok(plan.resources.length > 30);
                for (const r of plan.resources) {
                    for (const k of ["urn", "type", "name", "parent", "custom", "props"]) assert.ok(k in r, `${r.urn} has ${k}`);
                    assert.equal(typeof r.props, "object");
                    assert.match(r.urn, new RegExp(`^urn:pulumi:${stack}::scaling-topology::`));
                    if (r.type === "pulumi:pulumi:Stack") assert.equal(r.parent, null);
                    else assert.ok(plan.resources.some((p) => p.urn === r.parent), `${r.urn} has a parent in the plan`);
                }
                const stackRes = plan.resources.filter((r) => r.type === "pulumi:pulumi:Stack");
                assert.equal(stackRes.length, 1);
                assert.equal(stackRes[0].name, `scaling-topology-${stack}`);
                assert.equal(new Set(plan.resources.map((r) => r.urn)).size, plan.resources.length, "URNs are unique");
                const vpcId = plan.outputs.vpcId as string;
                if (preview) assert.equal(vpcId, "[unknown]");
                else assert.match(vpcId, /^vpc-0[0-9a-f]{16}$/);
            });
        }
    }

    it("is deterministic: the same stack plans to the same JSON", async () => {
        const a = await runPlan({ stack: "dev" });
        const b = await runPlan({ stack: "dev" });
        assert.deepEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
    });

    it("records secrets as [secret], preview unknowns as [unknown], and resource options", async () => {
        const plan = await runPlan({ stack: "t", projectDir: fixture });
        const version = plan.resources.find((r) => r.name === "db-secret-version")!;
        assert.equal(version.props.secretString, "[secret]");
        const param = plan.resources.find((r) => r.name === "api-key")!;
        assert.equal(param.props.value, "[secret]", "a secure config value stays secret");
        assert.equal(param.opts.protect, true);
        assert.deepEqual(param.opts.ignoreChanges, ["value"]);
        assert.equal(plan.outputs.passwordOut, "[secret]");
        assert.match(plan.outputs.secretArn as string, /^arn:aws:secretsmanager:/);
        assert.ok(!JSON.stringify(plan).includes("AAABAKhk0Q4s3V8vD2x2lq1ZHXbMmkCwqWmJrI1Lu2s="), "ciphertext never appears");

        const preview = await runPlan({ stack: "t", projectDir: fixture, preview: true });
        assert.equal(preview.resources.find((r) => r.name === "db-secret-version")!.props.secretId, "[unknown]");
        assert.equal(preview.outputs.secretArn, "[unknown]");
    });

    it("CLI prints a tree by component with counts, progress on stderr", async () => {
        const r = await cli(["--stack", "dev"]);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^Plan of scaling-topology\/dev \(update mode\): \d+ resources/);
        assert.match(r.stdout, /├─ scaling:network:Network {2}dev-net {2}\[\d+ children\]/);
        assert.match(r.stdout, /Resources by type:/);
        assert.match(r.stderr, /plan: registered \d+ resources/);
        assert.doesNotMatch(r.stdout, /plan: /, "progress stays off stdout");
    });

    it("CLI writes JSON and Markdown to --out", async () => {
        const out = path.join(require("os").tmpdir(), `plan-${process.pid}.json`);
        const r = await cli(["--stack", "prod", "--format", "json", "--out", out, "--preview"]);
        assert.equal(r.status, 0, r.stderr);
        const plan = JSON.parse(require("fs").readFileSync(out, "utf8"));
        assert.equal(plan.mode, "preview");
        const md = await cli(["--stack", "prod", "--format", "markdown"]);
        assert.match(md.stdout, /^## Plan of `scaling-topology\/prod`/);
    });

    it("CLI exits 1 naming the key on a corrupted config value, with no stack trace and no resource", async () => {
        const fs = require("fs");
        const os = require("os");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-bad-"));
        for (const f of ["Pulumi.yaml", "Pulumi.dev.yaml"]) fs.copyFileSync(path.join(PROJECT_DIR, f), path.join(dir, f));
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8").replace("main: index.ts", `main: ${path.join(PROJECT_DIR, "index.ts")}`));
        const stackFile = path.join(dir, "Pulumi.dev.yaml");
        fs.writeFileSync(stackFile, fs.readFileSync(stackFile, "utf8").replace(/cidr: 10\.20\.0\.0\/16/, "cidr: 10.20.0.0/33").replace(/peakConcurrentUsers: \d+/, "peakConcurrentUsers: -3"));
        const r = await cli(["--stack", "dev"], dir);
        assert.equal(r.status, 1, r.stderr);
        assert.match(r.stderr, /scaling-topology:network\.cidr = "10\.20\.0\.0\/33"/);
        assert.match(r.stderr, /scaling-topology:load\.peakConcurrentUsers = -3/);
        // The real command in its own process: the exit code and stderr a user sees.
        const cliRun = spawnSync(process.execPath, ["-r", TS_NODE, path.join(PROJECT_DIR, "cli", "main.ts"), "plan", "--stack", "dev"], { cwd: dir, encoding: "utf8" });
        assert.equal(cliRun.status, 1, cliRun.stderr);
        assert.match(cliRun.stderr, /scaling-topology:network\.cidr = "10\.20\.0\.0\/33": must be an IPv4 CIDR/);
        assert.doesNotMatch(cliRun.stderr, /\n\s+at /, "no stack trace");
        assert.doesNotMatch(cliRun.stderr, /registered/, "no resource was registered");
    });

    it("CLI exits 1 on an unknown stack or format", async () => {
        assert.equal((await cli(["--stack", "nope"])).status, 1);
        const r = await cli(["--stack", "dev", "--format", "yaml"]);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /--format "yaml" is not one of text, json, markdown/);
    });
});

describe("plan runtime", () => {
    const failing = path.join(__dirname, "fixtures", "failing");

    it("fails with the program's own error thrown at the top level, and leaves the SDK's stack traces and promise tracking as they were", async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const tracker = require("@pulumi/pulumi/runtime/debuggable");
        const before = { limit: Error.stackTraceLimit, prepare: Error.prepareStackTrace, track: tracker.debuggablePromise };
        // The plan claims the SDK's rejections that follow the program's error; the test runner's own handler
        // would otherwise see them first.
        const runners = process.listeners("unhandledRejection");
        process.removeAllListeners("unhandledRejection");
        try {
            await assert.rejects(runPlan({ stack: "program", projectDir: failing }), /the program failed at the top level/);
            await new Promise((settled) => setTimeout(settled, 50));
        } finally {
            for (const l of runners) process.on("unhandledRejection", l);
        }
        assert.deepEqual({ limit: Error.stackTraceLimit, prepare: Error.prepareStackTrace, track: tracker.debuggablePromise }, before);
        const plan = await runPlan({ stack: "t", projectDir: fixture });
        assert.ok(plan.resources.length > 0, "the next plan in the process runs");
        assert.deepEqual({ limit: Error.stackTraceLimit, prepare: Error.prepareStackTrace, track: tracker.debuggablePromise }, before);
    });

    it("fails, exit 3 on one line, when the program throws in an apply that nothing waits for", () => {
        // In a child process: the error is an unhandled rejection, which the test runner would claim too.
        const r = spawnSync(process.execPath, ["-r", TS_NODE, path.join(__dirname, "..", "cli", "main.ts"), "plan", "--stack", "apply"], { cwd: failing, encoding: "utf8" });
        assert.equal(r.status, 3, r.stderr);
        assert.match(r.stderr, /unexpected failure: the program failed after creating s3/);
        assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
        assert.equal(r.stdout, "", "no plan is reported");
    });
});

describe("plan command errors", () => {
    it("--out into a missing folder exits 1 before planning, on one line", async () => {
        let stderr = "";
        const code = await runPlanCommand(["--stack", "dev", "--out", "/nonexistent-folder/plan.json"], { stdout: () => undefined, stderr: (t) => (stderr += t) });
        assert.equal(code, 1);
        assert.match(stderr, /--out \/nonexistent-folder\/plan\.json: no folder \/nonexistent-folder/);
        assert.doesNotMatch(stderr, /planning|\n\s+at /);
    });
});

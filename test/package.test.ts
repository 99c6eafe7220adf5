/**
 * The package as a platform team installs it: `npm pack` of this repository, installed into an empty
 * folder beside a three-line program and a copy of a stack file, then `npx scaling-topology plan` there.
 *
 * The install (npm, from its cache) starts when mocha loads this file, so it runs while the other test
 * files do; the test awaits it.
 */
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../plan/run";
import { stackPlan } from "./helpers";

const PROGRAM = `import { ScalingTopology, loadStackConfig } from "scaling-topology";
new ScalingTopology("app", loadStackConfig());
`;

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const p = spawn(cmd, args, { cwd, env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" } });
        let stdout = "", stderr = "";
        p.stdout.on("data", (d) => (stdout += d));
        p.stderr.on("data", (d) => (stderr += d));
        p.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

/** Newest modification time of the TypeScript sources that dist/ is built from. */
function newestSource(dir: string): number {
    let newest = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (["node_modules", "dist", "test", ".git", "examples"].includes(e.name)) continue;
        const p = path.join(dir, e.name);
        if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
        else if (e.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
    return newest;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "scaling-topology-pack-"));
const app = path.join(work, "app");

/** Packs dist/ as built by `npm run build` (the test command builds first) and installs the tarball. */
async function packAndInstall(): Promise<{ tarball: string; files: string[] }> {
    // tsc's incremental build rewrites its build info on every build that changed anything.
    const buildInfo = path.join(PROJECT_DIR, "dist", ".tsbuildinfo");
    if (!fs.existsSync(buildInfo) || fs.statSync(buildInfo).mtimeMs < newestSource(PROJECT_DIR) - 1000) {
        throw new Error("dist/ is missing or older than the sources: run `npm run build` (npm test does)");
    }
    const pack = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], PROJECT_DIR);
    if (pack.code !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
    const [info] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "acme-shop", private: true }, null, 2));
    fs.writeFileSync(path.join(app, "Pulumi.yaml"), "name: acme-shop\nruntime:\n  name: nodejs\n  options:\n    typescript: true\nmain: index.ts\n");
    fs.writeFileSync(path.join(app, "index.ts"), PROGRAM);
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), path.join(app, "Pulumi.dev.yaml"));
    const tarball = path.join(work, info.filename);
    const install = await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball], app);
    if (install.code !== 0) throw new Error(`npm install of the tarball failed: ${install.stderr}`);
    return { tarball, files: info.files.map((f) => f.path) };
}

const installed = packAndInstall();
installed.catch(() => undefined); // reported by the test that awaits it

describe("the published package (npm pack, installed into an empty program)", function () {
    this.timeout(180_000);
    after(() => fs.rmSync(work, { recursive: true, force: true }));

    it("ships compiled JavaScript with types, the bin, and no tests", async () => {
        const { files } = await installed;
        for (const f of ["dist/lib.js", "dist/lib.d.ts", "dist/cli/main.js", "dist/components/scalingTopology.d.ts", "scripts/register.js", "package.json"]) assert.ok(files.includes(f), `${f} is packed`);
        assert.ok(!files.some((f) => f.startsWith("dist/test/") || f.endsWith(".ts") && !f.endsWith(".d.ts")), "no tests, no TypeScript sources");
        const pkg = JSON.parse(fs.readFileSync(path.join(app, "node_modules", "scaling-topology", "package.json"), "utf8"));
        assert.equal(pkg.bin["scaling-topology"], "dist/cli/main.js");
        assert.match(fs.readFileSync(path.join(app, "node_modules", "scaling-topology", "dist", "cli", "main.js"), "utf8"), /^#!\/usr\/bin\/env node/);
    });

    it("plans the whole topology of a three-line program under that program's project name", async () => {
        await installed;
        const out = path.join(work, "plan.json");
        const r = spawnSync("npx", ["--no-install", "scaling-topology", "plan", "--stack", "dev", "--format", "json", "--out", out], { cwd: app, encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
        const plan = JSON.parse(fs.readFileSync(out, "utf8"));
        assert.equal(plan.project, "acme-shop");
        assert.ok(plan.resources.every((x: { urn: string }) => x.urn.startsWith("urn:pulumi:dev::acme-shop::")));
        // The same topology as this repository's dev stack: the same resources by type, one component more or less aside.
        const ours = await stackPlan("dev");
        const count = (rs: Array<{ type: string }>) => rs.reduce<Record<string, number>>((m, x) => ({ ...m, [x.type]: (m[x.type] ?? 0) + 1 }), {});
        assert.deepEqual(count(plan.resources), count(ours.resources));
        assert.ok(plan.resources.some((x: { type: string; name: string }) => x.type === "scaling:index:ScalingTopology" && x.name === "app"));
        assert.ok(plan.sizing, "the sizing report reads the scaling-topology: config of another project");
        assert.equal(plan.policy.summary.blocking, false);
        const eks = plan.resources.find((x: { type: string }) => x.type === "aws:eks/cluster:Cluster");
        assert.equal(eks.props.name, "acme-shop-dev-eks", "physical names carry the program's project and stack");
    });

    it("the bin's audit subcommand and its exit codes work there too", async () => {
        await installed;
        const out = path.join(work, "plan.json");
        if (!fs.existsSync(out)) spawnSync("npx", ["--no-install", "scaling-topology", "plan", "--stack", "dev", "--format", "json", "--out", out], { cwd: app });
        const ok = spawnSync("npx", ["--no-install", "scaling-topology", "audit", "--plan", out, "--stack", "dev"], { cwd: app, encoding: "utf8" });
        assert.equal(ok.status, 0, ok.stderr);
        const bad = spawnSync("npx", ["--no-install", "scaling-topology", "frobnicate"], { cwd: app, encoding: "utf8" });
        assert.equal(bad.status, 1);
        assert.match(bad.stderr, /unknown command "frobnicate"/);
    });
});

/**
 * One Node.js version truth: the `engines` floor in package.json runs every pinned dependency (the
 * `engines.node` of each package in both lockfiles), the workflows run that major, and the README says
 * the same floor.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { PROJECT_DIR } from "../plan/run";

// semver is a dependency of @pulumi/pulumi.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const semver = require("semver") as { minVersion(r: string): { version: string; major: number; minor: number } | null; satisfies(v: string, r: string): boolean };

const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8"));
const floor = semver.minVersion(pkg.engines.node)!;
/** The program's lockfile and the policy pack's (installed by CI for real previews and deploys). */
const LOCKFILES = ["package-lock.json", path.join("policies", "package-lock.json")];
const lockOf = (f: string) => JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, f), "utf8"));

describe("Node.js version: one truth in engines, the lockfiles, the workflows and the README", () => {
    for (const file of LOCKFILES) {
        it(`the engines floor runs every package of ${file} (no EBADENGINE on the oldest supported Node)`, () => {
            const lock = lockOf(file);
            const excluded = Object.entries<{ version?: string; engines?: { node?: string } | string[] }>(lock.packages)
                .filter(([name, p]) => name !== "" && p.engines && !Array.isArray(p.engines) && typeof p.engines.node === "string")
                .filter(([, p]) => !semver.satisfies(floor.version, (p.engines as { node: string }).node))
                .map(([name, p]) => `${name.replace(/^.*node_modules\//, "")}@${p.version} needs ${(p.engines as { node: string }).node}`);
            assert.deepStrictEqual(excluded, [], `package.json engines ${pkg.engines.node} admits Node ${floor.version}, which these do not run on`);
        });
    }

    it("package-lock.json repeats package.json's engines; the pack pins the program's @pulumi/pulumi; CI's Pulumi CLI is that release", () => {
        assert.strictEqual(lockOf("package-lock.json").packages[""].engines?.node, pkg.engines.node);
        const pack = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "policies", "package.json"), "utf8"));
        assert.strictEqual(pack.dependencies["@pulumi/pulumi"], pkg.dependencies["@pulumi/pulumi"]);
        for (const f of ["pull-request.yml", "deploy.yml"]) {
            const wf = parse(fs.readFileSync(path.join(PROJECT_DIR, ".github", "workflows", f), "utf8"));
            assert.strictEqual(wf.env.PULUMI_VERSION, pkg.dependencies["@pulumi/pulumi"], f);
        }
    });

    for (const f of ["pull-request.yml", "deploy.yml"]) {
        it(`${f} runs Node of the engines floor's major, and every setup-node step uses NODE_VERSION`, () => {
            const wf = parse(fs.readFileSync(path.join(PROJECT_DIR, ".github", "workflows", f), "utf8"));
            assert.strictEqual(String(wf.env.NODE_VERSION), String(floor.major));
            const setups = Object.values<any>(wf.jobs).flatMap((j) => j.steps).filter((s: any) => s.uses?.startsWith("actions/setup-node@"));
            assert.ok(setups.length > 0);
            for (const s of setups) assert.strictEqual(s.with["node-version"], "${{ env.NODE_VERSION }}");
        });
    }

    it("README states the same floor, and no other Node version requirement", () => {
        const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
        assert.ok(readme.includes(`Node.js ${floor.major}.${floor.minor} or later`), `README says Node.js ${floor.major}.${floor.minor} or later`);
        assert.ok(readme.includes(`\`>=${floor.version}\``), `README quotes engines >=${floor.version}`);
        for (const m of readme.matchAll(/Node(?:\.js)? v?(\d+)\.(\d+)\+/g)) assert.fail(`README states another requirement: ${m[0]}`);
    });
});

/**
 * `npm run bench`: prints how long the offline plan takes per stack, beside the time node needs just to
 * load the Pulumi packages (the floor any plan pays). A script that prints figures, not a timed test.
 *
 *   BENCH_RUNS=5 npm run bench
 */
import { spawnSync } from "child_process";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TS_NODE = require.resolve("./register.js");

function wall(args: string[]): number {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`${args.join(" ")} failed:\n${r.stderr}`);
    return ms;
}

function stats(xs: number[]) {
    const s = [...xs].sort((a, b) => a - b);
    return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function main() {
    console.log(`Offline plan benchmark: ${RUNS} runs each, node ${process.version}, ${require("os").cpus().length} cores\n`);
    const load = stats(Array.from({ length: RUNS }, () => wall(["-e", "require('@pulumi/pulumi'); require('@pulumi/aws'); require('@pulumi/kubernetes')"])));
    console.log(`load @pulumi/pulumi + aws + kubernetes: median ${fmt(load.median)} (min ${fmt(load.min)}, max ${fmt(load.max)})`);
    console.log("");
    console.log("stack  mode     resources  median    min       max       resources/s  x load");
    for (const stack of ["dev", "prod"]) {
        for (const mode of ["update", "preview"]) {
            const out = path.join(require("os").tmpdir(), `bench-${stack}-${mode}.json`);
            const args = [TS_NODE, path.join(ROOT, "cli", "main.ts"), "plan", "--stack", stack, "--format", "json", "--out", out, ...(mode === "preview" ? ["--preview"] : [])];
            const times = Array.from({ length: RUNS }, () => wall(["-r", ...args]));
            const plan = require(out);
            delete require.cache[require.resolve(out)];
            const t = stats(times);
            const perSecond = plan.resources.length / (t.median / 1000);
            console.log(`${stack.padEnd(6)} ${mode.padEnd(8)} ${String(plan.resources.length).padStart(9)}  ${fmt(t.median).padEnd(9)} ${fmt(t.min).padEnd(9)} ${fmt(t.max).padEnd(9)} ${perSecond.toFixed(0).padStart(11)}  ${(t.median / load.median).toFixed(2)}`);
        }
    }
    console.log("\nTarget: the prod plan takes at most 3x the package load time (whole process, cold start each run).");
}

main();

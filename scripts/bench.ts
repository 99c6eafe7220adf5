/**
 * `npm run bench`: how long the offline plan takes, as ratios measured in one run (so a busy machine
 * slows both sides alike). A script that prints figures, not a timed test.
 *
 * - package load: node loading @pulumi/pulumi, @pulumi/aws and @pulumi/kubernetes (the floor any plan pays);
 * - dev and prod plans through the `scaling-topology plan` command, cold process each run;
 * - a 100-service stack: dev's config with 100 services and every sizing field derived from the load.
 *
 *   BENCH_RUNS=5 npm run bench
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { readStackFiles } from "../plan/stackFiles";
import { withoutSizing } from "../sizing/fromConfig";

const ROOT = path.resolve(__dirname, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const REGISTER = require.resolve("./register.js");
const CLI = path.join(ROOT, "cli", "main.ts");

function wall(args: string[], cwd = ROOT): number {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd, encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`${args.join(" ")} failed:\n${r.stderr}`);
    return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** A project folder whose stack `svc100` is dev with 100 services, sized from the load alone. */
function hundredServiceProject(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-svc100-"));
    const { config, secretKeys } = readStackFiles(ROOT, "dev");
    const json = (k: string) => JSON.parse(config[`scaling-topology:${k}`]);
    const [api] = json("services");
    const load = json("load");
    const services = Array.from({ length: 100 }, (_, i) => ({ ...api, name: `svc${i}`, ingressPath: `/svc${i}`, database: { role: `svc${i}` } }));
    const raw = withoutSizing({
        ...config,
        "scaling-topology:services": JSON.stringify(services),
        "scaling-topology:load": JSON.stringify({ ...load, services: Object.fromEntries(services.map((s) => [s.name, load.services.api])) }),
    });
    const decoded = Object.fromEntries(Object.entries(raw).map(([k, v]) => {
        try { return [k, typeof v === "string" ? JSON.parse(v) : v]; } catch { return [k, v]; }
    }));
    // Encrypted values stay as the dev stack file has them (the plan never decrypts them).
    const devFile = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
    const devDoc = parse(devFile) as { encryptionsalt?: string; config: Record<string, unknown> };
    for (const key of secretKeys) decoded[key] = devDoc.config[key] ?? devDoc.config[key.replace(/^scaling-topology:/, "")];
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8").replace(/^main: .*$/m, `main: ${path.join(ROOT, "index.ts")}`));
    fs.writeFileSync(path.join(dir, "Pulumi.svc100.yaml"), stringify({ ...(devDoc.encryptionsalt ? { encryptionsalt: devDoc.encryptionsalt } : {}), config: decoded }));
    return dir;
}

function main() {
    console.log(`Offline plan benchmark: ${RUNS} runs each, interleaved, node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}\n`);
    const svc100 = hundredServiceProject();
    const cases = [
        { name: "package load", args: ["-e", "require('@pulumi/pulumi'); require('@pulumi/aws'); require('@pulumi/kubernetes')"], cwd: ROOT },
        { name: "dev plan", args: ["-r", REGISTER, CLI, "plan", "--stack", "dev", "--format", "json", "--out", path.join(os.tmpdir(), "bench-dev.json")], cwd: ROOT },
        { name: "prod plan", args: ["-r", REGISTER, CLI, "plan", "--stack", "prod", "--format", "json", "--out", path.join(os.tmpdir(), "bench-prod.json")], cwd: ROOT },
        { name: "prod plan (preview)", args: ["-r", REGISTER, CLI, "plan", "--stack", "prod", "--preview", "--format", "json", "--out", path.join(os.tmpdir(), "bench-prod-preview.json")], cwd: ROOT },
        { name: "100-service plan", args: ["-r", REGISTER, CLI, "plan", "--stack", "svc100", "--format", "json", "--out", path.join(os.tmpdir(), "bench-svc100.json")], cwd: svc100 },
    ];
    const times = new Map(cases.map((c) => [c.name, [] as number[]]));
    wall(cases[2].args); // warm the transpile cache
    for (let i = 0; i < RUNS; i++) for (const c of cases) times.get(c.name)!.push(wall(c.args, c.cwd));
    const m = (name: string) => median(times.get(name)!);
    const resources = (file: string) => (JSON.parse(fs.readFileSync(path.join(os.tmpdir(), file), "utf8")).resources as unknown[]).length;
    const counts: Record<string, number> = { "dev plan": resources("bench-dev.json"), "prod plan": resources("bench-prod.json"), "prod plan (preview)": resources("bench-prod-preview.json"), "100-service plan": resources("bench-svc100.json") };
    console.log("case                  resources  median    min       max       x load");
    for (const c of cases) {
        const ts = times.get(c.name)!;
        console.log(`${c.name.padEnd(21)} ${String(counts[c.name] ?? "").padStart(9)}  ${fmt(m(c.name)).padEnd(9)} ${fmt(Math.min(...ts)).padEnd(9)} ${fmt(Math.max(...ts)).padEnd(9)} ${(m(c.name) / m("package load")).toFixed(2)}`);
    }
    const perResource = (m("100-service plan") - m("prod plan")) / (counts["100-service plan"] - counts["prod plan"]);
    console.log(`\nprod plan / package load: ${(m("prod plan") / m("package load")).toFixed(2)}   (target <= 1.2)`);
    console.log(`100-service plan / prod plan: ${(m("100-service plan") / m("prod plan")).toFixed(2)}   (target <= 2); ${perResource.toFixed(1)} ms per extra resource`);
    fs.rmSync(svc100, { recursive: true, force: true });
}

main();

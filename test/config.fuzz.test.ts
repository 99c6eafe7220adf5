/**
 * Fuzz test of stack config: deterministic (seeded) mutations of the shipped stack files, run through the
 * plan command (`runPlanCommand`, with a temporary project folder) as `npm run plan` runs them, and a few
 * through the real CLI in a child process. Asserts: no run ends in an unexpected failure (exit 3) or prints
 * a stack trace; values the APIs refuse exit 1 naming the key; accepted mutations plan.
 *
 * Most mutations fail at config validation (milliseconds); accepted ones are validated in full and a few
 * of them planned end to end, to keep the run short.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { POLICY_PACK_CHECK, runPlanCommand } from "../cli/plan";
import { ConfigError } from "../config/errors";
import { readStackFiles } from "../plan/stackFiles";
import { PROJECT_DIR } from "../plan/run";
import { resolveStackConfig } from "../sizing/stackConfig";

/** mulberry32: a small seeded PRNG, so every run tries the same mutations. */
function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

const SEED = 20261130;
const STACK_TRACE = /\n\s+at .+(\(.+:\d+:\d+\)|:\d+:\d+)/;
const shippedText = (stack: string) => fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8");

/** A temporary Pulumi project whose program is this repository's `index.ts`. */
const projectDir = fs.mkdtempSync(path.join(os.tmpdir(), "config-fuzz-"));
fs.writeFileSync(path.join(projectDir, "Pulumi.yaml"), `name: scaling-topology\nruntime: nodejs\nmain: ${JSON.stringify(path.join(PROJECT_DIR, "index.ts"))}\n`);

interface Outcome {
    code: number | "threw";
    stderr: string;
    stdout: string;
}

let fileCounter = 0;
/** Writes a stack file and runs the plan command on it in-process (the path `npm run plan` takes). */
async function plan(stackText: string, stack = `fuzz${fileCounter++}`): Promise<Outcome> {
    fs.writeFileSync(path.join(projectDir, `Pulumi.${stack}.yaml`), stackText);
    let stderr = "", stdout = "";
    const io = { stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t) };
    try {
        const code = await runPlanCommand([`--stack=${stack}`, "--format", "json"], io, projectDir);
        return { code, stderr, stdout };
    } catch (e) {
        return { code: "threw", stderr: `${stderr}${(e as Error)?.stack ?? e}`, stdout };
    } finally {
        fs.rmSync(path.join(projectDir, `Pulumi.${stack}.yaml`), { force: true });
    }
}

/** Validation alone (what the plan runs before the program): the problems, or [] when accepted. */
function validate(stackText: string, stack: string): { problems: ConfigError["problems"] } {
    fs.writeFileSync(path.join(projectDir, `Pulumi.${stack}.yaml`), stackText);
    try {
        const files = readStackFiles(projectDir, stack);
        resolveStackConfig(stack, files.config, files.project, { secretKeys: files.secretKeys, problems: files.problems, rawChecks: [POLICY_PACK_CHECK] });
        return { problems: [] };
    } catch (e) {
        if (ConfigError.isInstance(e)) return { problems: e.problems };
        throw e;
    } finally {
        fs.rmSync(path.join(projectDir, `Pulumi.${stack}.yaml`), { force: true });
    }
}

/** The problem lines of a config error (`  - key = value: message`). */
const problemKeys = (stderr: string) => [...stderr.matchAll(/^ {2}- (\S.*?) = /gm)].map((m) => m[1]);

function assertRefused(o: Outcome, key: string | RegExp, what: string, message?: RegExp) {
    assert.notEqual(o.code, "threw", `${what}: unexpected failure (exit 3):\n${o.stderr}`);
    assert.doesNotMatch(o.stderr, STACK_TRACE, `${what}: a stack trace was printed:\n${o.stderr}`);
    assert.equal(o.code, 1, `${what}: expected exit 1 (invalid input), got ${o.code}\n${o.stderr.slice(0, 2000)}`);
    const keys = problemKeys(o.stderr);
    const hit = keys.find((k) => (typeof key === "string" ? k === key : key.test(k)));
    assert.ok(hit, `${what}: no problem names ${key}; named: ${keys.join(", ") || "(none)"}\n${o.stderr.slice(0, 2000)}`);
    if (message) {
        const line = o.stderr.split("\n  - ").find((l) => l.startsWith(`${hit} = `));
        assert.match(line ?? "", message, `${what}: the line for ${hit} does not say ${message}`);
    }
}

function assertPlanned(o: Outcome, what: string) {
    assert.notEqual(o.code, "threw", `${what}: unexpected failure (exit 3):\n${o.stderr}`);
    assert.doesNotMatch(o.stderr, STACK_TRACE, `${what}: a stack trace was printed`);
    assert.ok(o.code === 0 || o.code === 2, `${what}: expected a plan (exit 0, or 2 for a mandatory policy finding), got ${o.code}\n${o.stderr.slice(0, 2000)}`);
    assert.ok(JSON.parse(o.stdout).resources.length > 30, `${what}: the plan holds the topology`);
}

type Doc = { config: Record<string, any> };
const load = (stack: string): Doc => YAML.parse(shippedText(stack));
const dump = (doc: unknown) => YAML.stringify(doc);
const edit = (stack: string, f: (c: Record<string, any>) => void): string => {
    const doc = load(stack);
    f(doc.config);
    return dump(doc);
};
const P = "scaling-topology";

describe("config fuzz: mutations of the shipped stack files through the plan command", function () {
    this.timeout(120_000);
    after(() => fs.rmSync(projectDir, { recursive: true, force: true }));

    // ---- values the issue found wrongly accepted or crashing: each must be refused, naming its key ----
    const targeted: Array<[string, string, (c: Record<string, any>) => void, string | RegExp, RegExp?]> = [
        ["an instance type outside the catalogue (was a TypeError)", "dev", (c) => (c[`${P}:cluster`].nodeGroups[1].instanceTypes[0] = "m9z.large"), `${P}:cluster.nodeGroups[1].instanceTypes[0]`, /catalog\/instances\.ts/],
        ["an instance type outside the catalogue with other errors (all reported)", "prod", (c) => { c[`${P}:cluster`].nodeGroups[0].instanceTypes = ["x1.huge"]; c[`${P}:network`].cidr = "10.0.0.0/8"; }, `${P}:network.cidr`],
        ["a negative memory request (the sizing fill ran out of memory on it)", "dev", (c) => (c[`${P}:services`][0].resources.memoryMiB = -1), `${P}:services[0].resources.memoryMiB`, />=16/],
        ["a peak of 10^15 users (the sizing fill counted nodes one by one)", "prod", (c) => { c[`${P}:load`].dailyActiveUsers = 1e15; c[`${P}:load`].peakConcurrentUsers = 1e15; }, `${P}:load.peakConcurrentUsers`],
        ["an unknown region", "dev", (c) => (c["aws:region"] = "eu-west-9"), "aws:region", /eu-west-1/],
        ["a zone the region does not have", "dev", (c) => (c[`${P}:network`].availabilityZones[2] = "eu-west-1d"), `${P}:network.availabilityZones[2]`, /eu-west-1a, eu-west-1b, eu-west-1c/],
        ["an Aurora version that does not exist", "prod", (c) => (c[`${P}:aurora`].engineVersion = "16.5"), `${P}:aurora.engineVersion`, /16\.6/],
        ["an Aurora major out of range", "dev", (c) => (c[`${P}:aurora`].engineVersion = "12.9"), `${P}:aurora.engineVersion`],
        ["a Valkey version that does not exist", "dev", (c) => (c[`${P}:redis`].engineVersion = "8.3"), `${P}:redis.engineVersion`, /8\.1/],
        ["a Valkey version for engine redis", "prod", (c) => (c[`${P}:redis`].engine = "redis"), `${P}:redis.engineVersion`, /7\.0, 7\.1/],
        ["a namespace over 63 characters", "dev", (c) => (c[`${P}:pgbouncer`].namespace = "p".repeat(64)), `${P}:pgbouncer.namespace`, /63/],
        ["an unknown time zone", "prod", (c) => (c[`${P}:backup`].timezone = "Mars/Olympus_Mons"), `${P}:backup.timezone`, /IANA/],
        ["a time zone in the wrong case", "prod", (c) => (c[`${P}:backup`].timezone = "Europe/dublin"), `${P}:backup.timezone`],
        ["a tag key with the reserved aws: prefix", "dev", (c) => (c[`${P}:tags`]["aws:owner"] = "me"), `${P}:tags.aws:owner`, /reserved/],
        ["a tag key with the reserved prefix in capitals", "dev", (c) => (c[`${P}:tags`]["AWS:Owner"] = "me"), `${P}:tags.AWS:Owner`],
        ["a tag value with characters AWS refuses", "prod", (c) => (c[`${P}:tags`]["team"] = "web!"), `${P}:tags.team`, /letters, digits/],
        ["a tag key with characters AWS refuses", "prod", (c) => (c[`${P}:tags`]["team#1"] = "web"), `${P}:tags.team#1`],
        ["more than 50 tags with the components' own", "dev", (c) => { for (let i = 0; i < 45; i++) c[`${P}:tags`][`t${i}`] = "x"; }, `${P}:tags`, /50/],
        ["a plain-text Cloudflare token", "dev", (c) => (c["cloudflare:apiToken"] = "plain-text-token-value"), "cloudflare:apiToken", /--secret/],
        ["a secure value that is a number", "dev", (c) => (c["cloudflare:apiToken"] = { secure: 12345 }), "cloudflare:apiToken", /malformed secure/],
        ["an empty secure value", "prod", (c) => (c["cloudflare:apiToken"] = { secure: "" }), "cloudflare:apiToken", /malformed secure/],
        ["a secure value that is not ciphertext", "prod", (c) => (c["cloudflare:apiToken"] = { secure: "not base64 at all!" }), "cloudflare:apiToken", /malformed secure/],
        ["a typo in the aws namespace", "dev", (c) => (c["aws:regoin"] = "eu-west-1"), "aws:regoin", /region/],
        ["a typo in the cloudflare namespace", "prod", (c) => (c["cloudflare:apitoken"] = "x"), "cloudflare:apitoken", /apiToken/],
        ["a typo in the kubernetes namespace", "dev", (c) => (c["kubernetes:kubeconfg"] = "~/.kube/config"), "kubernetes:kubeconfg", /kubeconfig/],
        ["a typo in the project namespace", "dev", (c) => (c["scaling-topolgy:network"] = {}), "scaling-topolgy:network", /unknown namespace/],
        ["an unknown add-on (a record key)", "dev", (c) => (c[`${P}:cluster`].addonVersions = { "vpc-cin": "v1.20.4-eksbuild.1" }), `${P}:cluster.addonVersions.vpc-cin`, /vpc-cni, kube-proxy/],
        ["a service load key that is not a DNS label", "dev", (c) => (c[`${P}:load`].services = { API: { rpsPerPod: 100 } }), `${P}:load.services.API`, /DNS label/],
        ["a node label key too long for its ASG tag", "prod", (c) => (c[`${P}:cluster`].nodeGroups[1].labels = { [`example.com/${"k".repeat(75)}`]: "v" }), new RegExp(`^${P}:cluster\\.nodeGroups\\[1\\]\\.labels\\.`), /128/],
        ["waiver errors and shape errors in one round", "prod", (c) => { c[`${P}:policy`].waivers = [{ policy: "no-such-policy", resource: "*", reason: "accepted for the fuzz test", owner: "platform", expires: "2099-01-01" }]; c[`${P}:network`].natGateways = "some"; }, `${P}:policy.waivers[0].policy`],
        ["waiver errors and shape errors in one round (the shape error)", "prod", (c) => { c[`${P}:policy`].waivers = [{ policy: "no-such-policy", resource: "*", reason: "accepted for the fuzz test", owner: "platform", expires: "2099-01-01" }]; c[`${P}:network`].natGateways = "some"; }, `${P}:network.natGateways`],
        ["a waiver's bad date and another waiver's unknown policy in one round (the unknown policy)", "prod", (c) => { c[`${P}:policy`].waivers = [{ policy: "rds-final-snapshot", resource: "*", reason: "accepted for the fuzz test", owner: "platform", expires: "2099-13-45" }, { policy: "no-such-policy", resource: "*", reason: "accepted for the fuzz test", owner: "platform", expires: "2099-01-01" }]; }, `${P}:policy.waivers[1].policy`],
        ["a waiver's bad date and another waiver's unknown policy in one round (the date)", "prod", (c) => { c[`${P}:policy`].waivers = [{ policy: "rds-final-snapshot", resource: "*", reason: "accepted for the fuzz test", owner: "platform", expires: "2099-13-45" }, { policy: "no-such-policy", resource: "*", reason: "accepted for the fuzz test", owner: "platform", expires: "2099-01-01" }]; }, `${P}:policy.waivers[0].expires`],
        ["an unknown policy's enforcement level", "dev", (c) => (c[`${P}:policy`].enforcement["rds-deletion-protecton"] = "advisory"), `${P}:policy.enforcement.rds-deletion-protecton`],
    ];
    for (const [what, stack, f, key, message] of targeted) {
        it(`refuses ${what}, naming ${key}`, async () => assertRefused(await plan(edit(stack, f)), key, what, message));
    }

    // ---- YAML oddities, as text ----
    const yamlCases: Array<[string, (text: string) => string, string | RegExp, RegExp?]> = [
        ["kubernetesVersion: 1.30 unquoted (read as 1.3)", (t) => t.replace(/kubernetesVersion: "1\.35"/, "kubernetesVersion: 1.30"), `${P}:cluster.kubernetesVersion`, /quotes/],
        ["engineVersion: 16.10 unquoted", (t) => t.replace(/engineVersion: "16\.6"/, "engineVersion: 16.10"), `${P}:aurora.engineVersion`, /quotes/],
        [".nan for a count", (t) => t.replace(/dailyActiveUsers: \d+/, "dailyActiveUsers: .nan"), `${P}:load.dailyActiveUsers`, /\.nan/],
        [".inf for a count", (t) => t.replace(/peakConcurrentUsers: \d+/, "peakConcurrentUsers: .inf"), `${P}:load.peakConcurrentUsers`, /\.inf/],
        ["-.inf inside a flow map", (t) => t.replace(/readers: (\d+)/, "readers: -.inf"), `${P}:aurora.readers`, /-\.inf/],
        ["yes for a boolean (YAML 1.2 reads a string)", (t) => t.replace(/prefixDelegation: true/, "prefixDelegation: yes"), `${P}:cluster.prefixDelegation`, /boolean/],
        ["~ for a required map", (t) => t.replace(/( {2}scaling-topology:load:)/, "  scaling-topology:ingress: ~\n$1").replace(/\n {2}scaling-topology:ingress:\n(?: {4}.*\n)+/, "\n"), `${P}:ingress`],
        ["a list where a map belongs", (t) => t.replace(/ {2}scaling-topology:tags:\n(?: {4}.*\n)+/, "  scaling-topology:tags: [a, b]\n"), `${P}:tags`],
        ["config given as a list", () => "config:\n  - aws:region\n  - eu-west-1\n", /config$/],
        ["a stack file that is a scalar", () => "just some text\n", /config$/],
    ];
    for (const [what, f, key, message] of yamlCases) {
        it(`refuses ${what}, naming ${key}`, async () => {
            const stack = /prod/.test(what) ? "prod" : "dev";
            assertRefused(await plan(f(shippedText(stack))), key, what, message);
        });
    }

    it("refuses YAML that does not parse (duplicate keys, bad indentation, an unclosed quote) with exit 1 and no stack trace", async () => {
        for (const text of [
            `${shippedText("dev")}\n  aws:region: eu-west-2\n`,
            "config:\n  aws:region: eu-west-1\n   scaling-topology:environment: dev\n",
            'config:\n  aws:region: "eu-west-1\n',
            "config: {}\n---\nconfig: {}\n",
        ]) {
            const o = await plan(text);
            assert.equal(o.code, 1, o.stderr);
            assert.doesNotMatch(o.stderr, STACK_TRACE);
            assert.match(o.stderr, /not valid YAML/);
        }
    });

    // ---- stack names: checked against every name derived from them, before any resource ----
    for (const name of ["Prod", "my.stack", "my_stack", "abcdefghijklmnopqr", "1dev", "-dev", "dev-", "de--v"]) {
        it(`refuses the stack name "${name}" naming the stack, before any resource`, async () => {
            const o = await plan(shippedText("dev"), name);
            assertRefused(o, "stack name", `stack ${name}`, /lowercase letters, digits and single hyphens/);
            assert.doesNotMatch(o.stderr, /registered \d+ resources/);
        });
    }
    it("plans a stack name of the longest length the derived names allow (17 with this project)", async () => {
        assertPlanned(await plan(shippedText("dev"), "abcdefghijklmnopq"), "stack abcdefghijklmnopq");
    });

    // ---- seeded random mutations: type swaps, out-of-range numbers, deletions, unknown keys, bad names ----
    it("survives 120 seeded random mutations: exit 1 naming a key of the mutated value, or a valid config that plans", async () => {
        const random = prng(SEED);
        const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
        type Path = (string | number)[];
        /** Paths to every value of the config (maps, lists and leaves), skipping `secure:` values. */
        const paths = (v: unknown, at: Path): Path[] => {
            if (v === null || typeof v !== "object" || (at.length > 0 && "secure" in (v as object))) return [at];
            const entries = Array.isArray(v) ? v.map((x, i) => [i, x] as const) : Object.entries(v as object);
            return [at, ...entries.flatMap(([k, x]) => paths(x, [...at, k]))];
        };
        const keyOf = (p: Path) => p.slice(1).reduce<string>((k, s) => (typeof s === "number" ? `${k}[${s}]` : `${k}.${s}`), String(p[0]));
        const get = (root: any, p: Path) => p.reduce((v, s) => v?.[s], root);
        /** Whether the value at this path sits in a map of free-form keys (tags, labels, service loads, policy settings). */
        const inFreeMap = (p: Path) => p.some((s) => ["tags", "labels", "services", "enforcement", "config", "addonVersions"].includes(String(s)) && typeof s === "string" && !String(s).includes(":")) || String(p[0]).endsWith(":tags");
        const OPS = ["typeSwap", "outOfRange", "delete", "unknownKey", "badName", "nullify", "nonFinite"] as const;
        /** Mutations that can never be valid: a wrong type, null, .nan, an unknown field of a fixed-shape map. */
        const alwaysInvalid = new Set(["typeSwap", "nullify", "nonFinite"]);
        let refused = 0, accepted = 0, planned = 0;
        const acceptedKinds: string[] = [];
        for (let i = 0; i < 120; i++) {
            const stack = i % 3 === 0 ? "prod" : "dev";
            const doc = load(stack);
            const candidates = paths(doc.config, []).filter((p) => p.length > 0);
            const p = pick(candidates);
            const parent = get(doc.config, p.slice(0, -1));
            const last = p[p.length - 1];
            const v = get(doc.config, p);
            let op: (typeof OPS)[number] = pick(OPS);
            let desc = "";
            switch (op) {
                case "typeSwap": {
                    const swapped = typeof v === "number" ? `${v}x` : typeof v === "string" ? 42 : typeof v === "boolean" ? "maybe" : Array.isArray(v) ? "not-a-list" : v && typeof v === "object" ? [1, 2] : 7;
                    // A string where a string-or-number fits (e.g. a number swapped to text in a free map) stays a plain rename; keep it simple.
                    parent[last] = swapped;
                    desc = `${JSON.stringify(v)?.slice(0, 30)} -> ${JSON.stringify(swapped)}`;
                    break;
                }
                case "outOfRange": {
                    const n = pick([-1, 0, 1e12, 0.5, -0.001, 2 ** 53 + 1, 99999]);
                    parent[last] = n;
                    desc = `-> ${n}`;
                    break;
                }
                case "delete":
                    if (Array.isArray(parent)) parent.splice(Number(last), 1);
                    else delete parent[last];
                    desc = "deleted";
                    break;
                case "unknownKey":
                    if (v && typeof v === "object" && !Array.isArray(v)) v.fuzzExtraField = 1;
                    else if (parent && typeof parent === "object" && !Array.isArray(parent)) parent.fuzzExtraField = 1;
                    else op = "delete", Array.isArray(parent) ? parent.splice(Number(last), 1) : delete parent[last];
                    desc = "unknown field fuzzExtraField";
                    break;
                case "badName": {
                    const s = pick(["UPPER_case", "has space", "x".repeat(300), "", "ünïcode", "../etc/passwd", "-lead", "trail-"]);
                    parent[last] = s;
                    desc = `-> ${JSON.stringify(s.slice(0, 20))}`;
                    break;
                }
                case "nullify":
                    parent[last] = null;
                    desc = "-> null";
                    break;
                case "nonFinite":
                    parent[last] = pick([NaN, Infinity, -Infinity]);
                    desc = `-> ${parent[last]}`;
                    break;
            }
            const what = `mutation ${i} (${stack}, ${op}) ${keyOf(p)}: ${desc}`;
            const text = dump(doc);
            const { problems } = validate(text, `fuzzcheck${i}`);
            // An unknown field inside a free-form map (a new tag, label or service) is a legitimate edit.
            const mustRefuse = alwaysInvalid.has(op) && !(typeof v === "string" && op === "typeSwap" && inFreeMap(p)) || (op === "unknownKey" && !inFreeMap(p));
            if (problems.length > 0) {
                refused++;
                const o = await plan(text);
                const top = String(p[0]);
                // The mutated key, a key inside it or around it, or (cross-key checks) a key of the same config domain.
                const expected = op === "unknownKey" ? new RegExp(`fuzzExtraField|^${escape(top)}`) : new RegExp(`^(${escape(top)}|stack name)|${escape(top.split(":")[1] ?? top)}`);
                // A cross-key check may name the key it judges (e.g. load.peakConcurrentUsers) and the mutated component in its message.
                const domain = new RegExp(`\\b${escape(top.split(":")[1] ?? top)}\\b`, "i");
                const crossKey = o.stderr.split("\n  - ").slice(1).some((l) => domain.test(l));
                assertRefused(o, crossKey ? /./ : expected, what);
            } else {
                accepted++;
                acceptedKinds.push(what);
                assert.ok(!mustRefuse, `${what}: accepted a value that can never be valid`);
                // The first accepted mutation of dev is planned end to end (a plan takes seconds); the rest pass the same validation.
                if (stack === "dev" && planned < 1) {
                    planned++;
                    assertPlanned(await plan(text), what);
                }
            }
        }
        if (process.env.FUZZ_REPORT) console.log(`refused ${refused}, accepted ${accepted} (planned ${planned}):\n  ${acceptedKinds.join("\n  ")}`);
        assert.equal(refused + accepted, 120);
        assert.ok(refused >= 80, `most random mutations are invalid (${refused} refused); accepted: ${acceptedKinds.join("; ")}`);
    });

    // ---- the real command line, in a child process: exit codes and output as a user sees them ----
    it("the CLI exits 1 without a stack trace, listing a bad stack name and bad values together", () => {
        const stack = "Cfz.Stack";
        fs.writeFileSync(path.join(projectDir, `Pulumi.${stack}.yaml`), edit("dev", (c) => { c[`${P}:cluster`].nodeGroups[1].instanceTypes[0] = "m9z.large"; c["aws:regoin"] = "x"; }));
        const r = spawnSync(process.execPath, ["-r", path.join(PROJECT_DIR, "scripts", "register.js"), path.join(PROJECT_DIR, "cli", "main.ts"), "plan", "--stack", stack], { cwd: projectDir, encoding: "utf8" });
        assert.equal(r.status, 1, r.stderr);
        for (const key of [`${P}:cluster.nodeGroups[1].instanceTypes[0]`, "aws:regoin", "stack name"]) assert.ok(problemKeys(r.stderr).includes(key), `${key} in:\n${r.stderr}`);
        assert.doesNotMatch(r.stderr, STACK_TRACE);
    });
});

function escape(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

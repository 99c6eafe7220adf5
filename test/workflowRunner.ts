/**
 * Runs a job of one of our GitHub Actions workflows here, the way the runner does, so a test can prove
 * what a job writes and whether it fails: each `run:` step under `bash -e` in its working directory with
 * the workflow's, the job's and the step's `env` (expressions expanded), `GITHUB_OUTPUT` /
 * `GITHUB_STEP_SUMMARY` / `GITHUB_WORKSPACE`, step `if:` conditions evaluated (status functions,
 * `steps.<id>.outputs|outcome`, `hashFiles`, `==`, `!=`, `&&`, `||`, `!`), `continue-on-error`, and
 * `uses:` steps replaced by the caller's stand-ins (checkout, artifact upload/download, SARIF upload).
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

export interface StepRecord {
    name: string;
    id?: string;
    skipped: boolean;
    /** Before continue-on-error. */
    outcome: "success" | "failure" | "skipped";
    conclusion: "success" | "failure" | "skipped";
    outputs: Record<string, string>;
    exitCode?: number;
    stdout: string;
    stderr: string;
}

export interface Step {
    name?: string;
    id?: string;
    uses?: string;
    run?: string;
    if?: string;
    env?: Record<string, string>;
    with?: Record<string, unknown>;
    "working-directory"?: string;
    "continue-on-error"?: boolean;
}

/** Stand-in for a `uses:` step: returns true on success. */
export type ActionStandIn = (step: Step, withArgs: Record<string, string>, ctx: JobContext) => boolean;

export interface JobContext {
    workspace: string;
    env: Record<string, string>;
    matrix: Record<string, string>;
    github: Record<string, unknown>;
    vars: Record<string, string>;
    secrets: Record<string, string>;
    steps: Record<string, { outputs: Record<string, string>; outcome: string; conclusion: string }>;
    failed: boolean;
}

export interface JobResult {
    failed: boolean;
    steps: StepRecord[];
    summary: string;
}

// ---- expressions ----------------------------------------------------------------------------------

type Value = string | number | boolean | null | undefined | Record<string, unknown>;

function tokenize(src: string): string[] {
    const tokens: string[] = [];
    const re = /\s*(?:('(?:[^']|'')*')|(\d+(?:\.\d+)?)|(==|!=|&&|\|\||[!(),])|([A-Za-z_][\w-]*(?:\.[A-Za-z_*][\w-]*)*))/y;
    let i = 0;
    while (i < src.length) {
        if (/^\s*$/.test(src.slice(i))) break;
        re.lastIndex = i;
        const m = re.exec(src);
        if (!m) throw new Error(`cannot read expression at "${src.slice(i)}"`);
        tokens.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
        i = re.lastIndex;
    }
    return tokens;
}

const truthy = (v: Value) => !(v === false || v === 0 || v === "" || v === null || v === undefined);
const eq = (a: Value, b: Value) => {
    const norm = (v: Value) => (v === undefined || v === null ? "" : typeof v === "string" ? v.toLowerCase() : String(v));
    return norm(a) === norm(b);
};

/** Evaluates a GitHub Actions expression (the subset our workflows use). */
export function evaluate(src: string, ctx: JobContext): Value {
    const t = tokenize(src);
    let p = 0;
    const peek = () => t[p];
    const next = () => t[p++];
    const expect = (s: string) => {
        if (next() !== s) throw new Error(`expected ${s} in ${src}`);
    };
    function or(): Value {
        let v = and();
        while (peek() === "||") {
            next();
            const r = and();
            v = truthy(v) ? v : r;
        }
        return v;
    }
    function and(): Value {
        let v = cmp();
        while (peek() === "&&") {
            next();
            const r = cmp();
            v = truthy(v) ? r : v;
        }
        return v;
    }
    function cmp(): Value {
        const v = unary();
        if (peek() === "==" || peek() === "!=") {
            const op = next();
            const r = unary();
            return op === "==" ? eq(v, r) : !eq(v, r);
        }
        return v;
    }
    function unary(): Value {
        if (peek() === "!") {
            next();
            return !truthy(unary());
        }
        return primary();
    }
    function primary(): Value {
        const tok = next();
        if (tok === "(") {
            const v = or();
            expect(")");
            return v;
        }
        if (tok.startsWith("'")) return tok.slice(1, -1).replace(/''/g, "'");
        if (/^\d/.test(tok)) return Number(tok);
        if (tok === "true" || tok === "false") return tok === "true";
        if (tok === "null") return null;
        if (peek() === "(") {
            next();
            const args: Value[] = [];
            while (peek() !== ")") {
                args.push(or());
                if (peek() === ",") next();
            }
            expect(")");
            return call(tok, args);
        }
        const [root, ...rest] = tok.split(".");
        const roots: Record<string, unknown> = { env: ctx.env, matrix: ctx.matrix, github: ctx.github, vars: ctx.vars, secrets: ctx.secrets, steps: ctx.steps };
        let v: unknown = roots[root];
        for (const k of rest) v = v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
        return v as Value;
    }
    function call(name: string, args: Value[]): Value {
        switch (name) {
            case "always": return true;
            case "success": return !ctx.failed;
            case "failure": return ctx.failed;
            case "cancelled": return false;
            case "hashFiles": {
                const files = args.map((a) => path.join(ctx.workspace, String(a))).filter((f) => fs.existsSync(f) && fs.statSync(f).isFile());
                if (files.length === 0) return "";
                const h = crypto.createHash("sha256");
                for (const f of files) h.update(fs.readFileSync(f, "utf8"));
                return h.digest("hex");
            }
            default: throw new Error(`function ${name}() is not supported by this runner`);
        }
    }
    const v = or();
    if (p !== t.length) throw new Error(`unexpected "${t[p]}" in ${src}`);
    return v;
}

/** Expands `${{ expr }}` in a value. */
export function interpolate(s: unknown, ctx: JobContext): string {
    return String(s).replace(/\$\{\{\s*([\s\S]*?)\s*\}\}/g, (_, e) => {
        const v = evaluate(e, ctx);
        return v === undefined || v === null ? "" : String(v);
    });
}

/** Does the step run? A condition without a status function implies `success() && (...)`. */
export function stepRuns(cond: string | undefined, ctx: JobContext): boolean {
    if (cond === undefined) return !ctx.failed;
    const expr = cond.trim().replace(/^\$\{\{([\s\S]*)\}\}$/, "$1");
    const hasStatus = /\b(always|success|failure|cancelled)\(\)/.test(expr);
    return truthy(evaluate(hasStatus ? expr : `success() && (${expr})`, ctx));
}

// ---- jobs -------------------------------------------------------------------------------------------

export interface RunJobOptions {
    workflowFile: string;
    job: string;
    workspace: string;
    matrix?: Record<string, string>;
    github?: Record<string, unknown>;
    vars?: Record<string, string>;
    secrets?: Record<string, string>;
    /** Directories put first on PATH (stand-ins for gh, pulumi, ...). */
    pathPrepend?: string[];
    /** Extra environment of the runner. */
    runnerEnv?: Record<string, string>;
    actions: Record<string, ActionStandIn>;
}

export function runJob(o: RunJobOptions): JobResult {
    const wf = parse(fs.readFileSync(o.workflowFile, "utf8"));
    const job = wf.jobs[o.job];
    if (!job) throw new Error(`no job ${o.job} in ${o.workflowFile}`);
    const ctx: JobContext = {
        workspace: o.workspace, env: {}, matrix: o.matrix ?? {}, github: { workspace: o.workspace, ...(o.github ?? {}) },
        vars: o.vars ?? {}, secrets: o.secrets ?? {}, steps: {}, failed: false,
    };
    for (const [k, v] of Object.entries<unknown>(wf.env ?? {})) ctx.env[k] = interpolate(v, ctx);
    for (const [k, v] of Object.entries<unknown>(job.env ?? {})) ctx.env[k] = interpolate(v, ctx);
    const records: StepRecord[] = [];
    let summary = "";
    const tmp = fs.mkdtempSync(path.join(o.workspace, ".runner-"));
    (job.steps as Step[]).forEach((step, i) => {
        const name = step.name ?? step.uses ?? step.run ?? `step ${i}`;
        if (!stepRuns(step.if, ctx)) {
            records.push({ name, id: step.id, skipped: true, outcome: "skipped", conclusion: "skipped", outputs: {}, stdout: "", stderr: "" });
            if (step.id) ctx.steps[step.id] = { outputs: {}, outcome: "skipped", conclusion: "skipped" };
            return;
        }
        const stepEnv: Record<string, string> = { ...ctx.env };
        for (const [k, v] of Object.entries<unknown>(step.env ?? {})) stepEnv[k] = interpolate(v, { ...ctx, env: stepEnv });
        let ok: boolean;
        let outputs: Record<string, string> = {};
        let exitCode: number | undefined;
        let stdout = "";
        let stderr = "";
        if (step.uses) {
            const action = step.uses.split("@")[0];
            const standIn = o.actions[action];
            if (!standIn) throw new Error(`no stand-in for ${action} (step "${name}")`);
            const withArgs = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, interpolate(v, { ...ctx, env: stepEnv })]));
            ok = standIn(step, withArgs, { ...ctx, env: stepEnv });
        } else {
            const outFile = path.join(tmp, `output-${i}`);
            const summaryFile = path.join(tmp, `summary-${i}`);
            fs.writeFileSync(outFile, "");
            fs.writeFileSync(summaryFile, "");
            const script = path.join(tmp, `step-${i}.sh`);
            fs.writeFileSync(script, step.run!);
            const cwd = path.join(o.workspace, interpolate(step["working-directory"] ?? ".", ctx));
            const r = spawnSync("bash", ["--noprofile", "--norc", "-e", "-o", "pipefail", script], {
                cwd, encoding: "utf8", timeout: 300_000, maxBuffer: 64 * 1024 * 1024,
                env: {
                    ...process.env, ...(o.runnerEnv ?? {}), ...stepEnv,
                    PATH: [...(o.pathPrepend ?? []), process.env.PATH].join(path.delimiter),
                    GITHUB_WORKSPACE: o.workspace, GITHUB_OUTPUT: outFile, GITHUB_STEP_SUMMARY: summaryFile, CI: "true", GITHUB_ACTIONS: "true",
                },
            });
            exitCode = r.status ?? -1;
            ok = exitCode === 0;
            stdout = r.stdout;
            stderr = r.stderr;
            outputs = Object.fromEntries(fs.readFileSync(outFile, "utf8").split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
            summary += fs.readFileSync(summaryFile, "utf8");
        }
        const outcome = ok ? "success" : "failure";
        const conclusion = ok || step["continue-on-error"] ? "success" : "failure";
        if (conclusion === "failure") ctx.failed = true;
        if (step.id) ctx.steps[step.id] = { outputs, outcome, conclusion };
        records.push({ name, id: step.id, skipped: false, outcome, conclusion, outputs, exitCode, stdout, stderr });
    });
    fs.rmSync(tmp, { recursive: true, force: true });
    return { failed: ctx.failed, steps: records, summary };
}

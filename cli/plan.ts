/**
 * `npm run plan -- --stack <name> [--format text|json|markdown] [--out FILE] [--preview] [--diff BASE.json]`
 *
 * Exit codes: 0 planned; 1 invalid input (stack config, stack name, arguments); 2 planned, but a
 * mandatory policy violation (not waived) was found.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { ConfigError } from "../config/errors";
import { attachPolicyReport, policySection } from "../audit/plan";
import { rawPolicyConfigProblems } from "../audit/policyConfig";
import type { RawConfig } from "../config";
import { POLICY_KEY } from "../config/policy";
import { assertPlanJson, diffPlans, formatDiffMarkdown, formatDiffText, PlanLike } from "../plan/diff";
import { formatMarkdown, formatText, PlanSection } from "../plan/format";
import { Plan, PROJECT_DIR, runPlan } from "../plan/run";
import { sizingSection } from "../plan/sizing";
import { recoverySection } from "../plan/recovery";
import { alertsSection } from "../plan/alerts";
import { StackFileError } from "../plan/stackFiles";

export const FORMATS = ["text", "json", "markdown"] as const;
export type Format = (typeof FORMATS)[number];

const USAGE = "usage: npm run plan -- --stack <name> [--format text|json|markdown] [--out FILE] [--preview] [--diff BASE.json]";

export class UsageError extends Error {}

/** The stack's policy config against the pack (policy names, each policy's settings schema), reported with its shape problems. */
export const POLICY_PACK_CHECK = (raw: RawConfig) => rawPolicyConfigProblems(raw[POLICY_KEY], POLICY_KEY);

/** The report sections of a plan, in the order they read (each shows its key of the plan JSON). */
export const REPORT_SECTIONS: readonly PlanSection[] = [sizingSection, alertsSection, recoverySection, policySection];

export function render(plan: Plan, format: Format): string {
    switch (format) {
        case "json": return JSON.stringify(plan, null, 2) + "\n";
        case "markdown": return formatMarkdown(plan, REPORT_SECTIONS);
        default: return formatText(plan, REPORT_SECTIONS);
    }
}

export function parseCliArgs(argv: string[]) {
    let values;
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                stack: { type: "string" },
                format: { type: "string", default: "text" },
                out: { type: "string" },
                preview: { type: "boolean", default: false },
                diff: { type: "string" },
                help: { type: "boolean", default: false },
            },
            strict: true,
        }));
    } catch (e) {
        throw new UsageError(`${(e as Error).message}\n${USAGE}`);
    }
    if (values.help) return undefined;
    if (!values.stack) throw new UsageError(`--stack is required\n${USAGE}`);
    if (!(FORMATS as readonly string[]).includes(values.format!)) throw new UsageError(`--format "${values.format}" is not one of ${FORMATS.join(", ")}\n${USAGE}`);
    return { stack: values.stack, format: values.format as Format, out: values.out, preview: values.preview!, diff: values.diff };
}

export function readBasePlan(file: string, stack: string): PlanLike {
    let base: unknown;
    try {
        base = JSON.parse(fs.readFileSync(file, "utf8"));
        assertPlanJson(base, file);
    } catch (e) {
        throw new UsageError(`--diff ${file}: ${(e as Error).message}`);
    }
    if (base.stack !== stack) throw new UsageError(`--diff ${file} is a plan of stack "${base.stack}", not "${stack}" (URNs name the stack, so nothing would match)`);
    return base;
}

export function renderDiff(base: PlanLike, plan: Plan, format: Format): string {
    const diff = diffPlans(base, plan);
    switch (format) {
        case "json": return JSON.stringify(diff, null, 2) + "\n";
        case "markdown": return formatDiffMarkdown(diff);
        default: return formatDiffText(diff);
    }
}

/** Where a command writes: the process's streams, or a test's buffers. */
export interface Io {
    stdout(text: string): void;
    stderr(text: string): void;
}

/**
 * Runs a command: bad input (stack config, stack files, arguments) is exit 1 with its message, never a
 * stack trace; anything else is a bug and propagates (the bin makes it exit 3).
 */
export async function reportingInputErrors(io: Io, command: () => Promise<number>): Promise<number> {
    try {
        return await command();
    } catch (e) {
        if (ConfigError.isInstance(e) || e instanceof StackFileError || e instanceof UsageError) {
            io.stderr(`${(e as Error).message}\n`);
            return 1;
        }
        throw e;
    }
}

/** Refuses an `--out` path whose folder is missing or which names a folder. */
function checkWritable(file: string): void {
    const dir = path.dirname(file);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`--out ${file}: no folder ${dir}`);
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new UsageError(`--out ${file}: is a folder`);
}

/** The folder holding `Pulumi.yaml`: the working directory, as the Pulumi CLI takes it. */
export function projectDirOf(cwd: string): string {
    if (!fs.existsSync(path.join(cwd, "Pulumi.yaml"))) throw new UsageError(`no Pulumi.yaml in ${cwd}: run the plan in the folder of a Pulumi project`);
    return cwd;
}

/**
 * The whole `plan` command without `process.exit`: returns the exit code (0 planned, 1 invalid input,
 * 2 a mandatory policy violation); unexpected failures throw (exit 3).
 */
export async function runPlanCommand(argv: string[], io: Io, cwd = process.cwd()): Promise<number> {
    return reportingInputErrors(io, async () => {
        const args = parseCliArgs(argv);
        if (!args) {
            io.stdout(USAGE + "\n");
            return 0;
        }
        const started = process.hrtime.bigint();
        const projectDir = projectDirOf(cwd);
        // A report that cannot be written is known before the plan runs.
        if (args.out) checkWritable(path.resolve(cwd, args.out));
        // --diff BASE.json: compare with a base plan (plan/diff.ts); the plan is built in the base's mode unless --preview.
        const base = args.diff ? readBasePlan(args.diff, args.stack) : undefined;
        const preview = args.preview || base?.mode === "preview";
        // The stack's policy config is checked against the pack with the rest of its config, before anything is planned.
        const plan = await runPlan({ stack: args.stack, preview, projectDir, rawChecks: [POLICY_PACK_CHECK], onProgress: (m) => io.stderr(`plan: ${m}\n`) });
        // Policy pack over the plan (audit/): `policy` key in the JSON, exit 2 on a mandatory violation.
        const policy = await attachPolicyReport(plan, projectDir);
        const output = base ? renderDiff(base, plan, args.format) : render(plan, args.format);
        if (args.out) {
            try {
                fs.writeFileSync(path.resolve(cwd, args.out), output);
            } catch (e) {
                throw new UsageError(`--out ${args.out}: cannot write the report (${(e as Error).message})`);
            }
            io.stderr(`plan: wrote ${args.format} to ${args.out}\n`);
        } else {
            io.stdout(output);
        }
        io.stderr(`plan: done in ${Number(process.hrtime.bigint() - started) / 1e6 | 0} ms\n`);
        if (policy.summary.blocking) io.stderr(`plan: ${policy.summary.mandatory} mandatory policy violation(s); see the Policy section (npm run audit)\n`);
        return policy.summary.blocking ? 2 : 0;
    });
}

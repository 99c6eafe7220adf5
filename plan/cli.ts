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
import { attachPolicyReport } from "../audit/plan";
import { assertPlanJson, diffPlans, formatDiffMarkdown, formatDiffText, PlanLike } from "./diff";
import { formatMarkdown, formatText } from "./format";
import { Plan, PROJECT_DIR, runPlan } from "./run";
import { StackFileError } from "./stackFiles";

export const FORMATS = ["text", "json", "markdown"] as const;
export type Format = (typeof FORMATS)[number];

const USAGE = "usage: npm run plan -- --stack <name> [--format text|json|markdown] [--out FILE] [--preview] [--diff BASE.json]";

export class UsageError extends Error {}

export function render(plan: Plan, format: Format): string {
    switch (format) {
        case "json": return JSON.stringify(plan, null, 2) + "\n";
        case "markdown": return formatMarkdown(plan);
        default: return formatText(plan);
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

async function main(argv: string[]): Promise<number> {
    const args = parseCliArgs(argv);
    if (!args) {
        process.stdout.write(USAGE + "\n");
        return 0;
    }
    const started = process.hrtime.bigint();
    // Like the Pulumi CLI, plan the project in the working directory; else this repository's.
    const projectDir = fs.existsSync(path.join(process.cwd(), "Pulumi.yaml")) ? process.cwd() : PROJECT_DIR;
    // --diff BASE.json: compare with a base plan (plan/diff.ts); the plan is built in the base's mode unless --preview.
    const base = args.diff ? readBasePlan(args.diff, args.stack) : undefined;
    const preview = args.preview || base?.mode === "preview";
    const plan = await runPlan({ stack: args.stack, preview, projectDir, onProgress: (m) => process.stderr.write(`plan: ${m}\n`) });
    // Policy pack over the plan (audit/): `policy` key in the JSON, exit 2 on a mandatory violation.
    const policy = await attachPolicyReport(plan, projectDir);
    const output = base ? renderDiff(base, plan, args.format) : render(plan, args.format);
    if (args.out) {
        fs.writeFileSync(args.out, output);
        process.stderr.write(`plan: wrote ${args.format} to ${args.out}\n`);
    } else {
        process.stdout.write(output);
    }
    process.stderr.write(`plan: done in ${Number(process.hrtime.bigint() - started) / 1e6 | 0} ms\n`);
    if (policy.summary.blocking) process.stderr.write(`plan: ${policy.summary.mandatory} mandatory policy violation(s); see the Policy section (npm run audit)\n`);
    return policy.summary.blocking ? 2 : 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        // Exit once stdout has drained: process.exit() drops what a pipe has not taken yet (64 KiB).
        (code) => process.stdout.write("", () => process.exit(code)),
        (e) => {
            if (ConfigError.isInstance(e) || e instanceof StackFileError || e instanceof UsageError) {
                process.stderr.write(`${e.message}\n`);
                process.exit(1);
            }
            process.stderr.write(`plan failed: ${(e as Error)?.stack ?? e}\n`);
            process.exit(3);
        },
    );
}

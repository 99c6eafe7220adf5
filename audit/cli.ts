/**
 * `npm run audit -- --plan FILE [--stack NAME] [--format text|json|markdown|sarif] [--out FILE]`
 * `npm run audit -- --event-log FILE [--stack NAME] [--format ...] [--out FILE]`
 * `npm run audit -- --stack NAME --pack-config [--out FILE]`
 *
 * Evaluates the policy pack over a plan JSON (the README's contract), or reports the policy events of
 * a real `pulumi preview --event-log FILE`, with the stack's waivers applied. `--pack-config` prints
 * the stack's policy config in the engine's `--policy-pack-config` format.
 *
 * The stack decides the enforcement levels and waivers, so it must be certain: `--stack` (or the plan's
 * `stack`, or the URNs) must name a stack file of the project, and the plan's `stack`, its URNs and
 * `--stack` must agree. `--pack-defaults` evaluates with the pack's own levels and no waivers instead.
 *
 * Exit codes: 0 no mandatory violation, and evidence that the pack ran; 2 a mandatory violation (not
 * waived); 1 invalid input (arguments, files, a stack that does not exist or disagrees, an event log
 * that is no evidence that the pack ran); 3 an unexpected failure (including a policy that throws, as it
 * fails `pulumi preview`). Every error is one line on stderr, never a stack trace.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { ConfigError } from "../config/errors";
import { DEFAULT_POLICY_CONFIG, PolicyConfig } from "../config/policy";
import { StackFileError } from "../plan/stackFiles";
import { AuditResource, evaluatePolicies, PolicyReport } from "./evaluate";
import { EventLogError, reportFromEventLog, urnStack } from "./eventLog";
import { parseEventLog } from "./evidence";
import { formatReport, REPORT_FORMATS, ReportFormat, summaryLine } from "./format";
import { enginePackConfig } from "./policyConfig";
import { stackPolicyConfig } from "./stackConfig";

const USAGE = "usage: npm run audit -- (--plan FILE | --event-log FILE | --pack-config) [--stack NAME | --pack-defaults] [--format text|json|markdown|sarif] [--out FILE] [--date YYYY-MM-DD]";

export class UsageError extends Error {}

export interface AuditArgs {
    plan?: string;
    eventLog?: string;
    packConfig: boolean;
    stack?: string;
    /** Evaluate with the pack's own levels and no waivers: no stack file needed. */
    packDefaults: boolean;
    format: ReportFormat;
    out?: string;
    /** Today for waiver expiry (tests, reproducing an old report). @default today */
    date?: string;
}

export function parseAuditArgs(argv: string[]): AuditArgs | undefined {
    let values;
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                plan: { type: "string" },
                "event-log": { type: "string" },
                "pack-config": { type: "boolean", default: false },
                stack: { type: "string" },
                "pack-defaults": { type: "boolean", default: false },
                format: { type: "string", default: "text" },
                out: { type: "string" },
                date: { type: "string" },
                help: { type: "boolean", default: false },
            },
            strict: true,
        }));
    } catch (e) {
        throw new UsageError(`${(e as Error).message}; see --help`);
    }
    if (values.help) return undefined;
    const inputs = [values.plan, values["event-log"], values["pack-config"] || undefined].filter(Boolean);
    if (inputs.length !== 1) throw new UsageError(`give exactly one of --plan FILE, --event-log FILE, --pack-config; see --help`);
    if (values["pack-config"] && !values.stack) throw new UsageError(`--pack-config needs --stack; see --help`);
    if (!(REPORT_FORMATS as readonly string[]).includes(values.format!)) throw new UsageError(`--format "${values.format}" is not one of ${REPORT_FORMATS.join(", ")}; see --help`);
    if (values.date !== undefined && !isCalendarDate(values.date)) throw new UsageError(`--date "${values.date}" is not a date of the calendar as YYYY-MM-DD (e.g. 2026-06-15); see --help`);
    if (values["pack-defaults"] && values["pack-config"]) throw new UsageError(`--pack-defaults and --pack-config exclude each other (the pack config is the stack's); see --help`);
    if (values.stack !== undefined && !STACK_NAME.test(values.stack)) throw new UsageError(`--stack "${values.stack}" is not a stack name (letters, digits, "-", "_", "."); see --help`);
    return {
        plan: values.plan, eventLog: values["event-log"], packConfig: values["pack-config"]!, stack: values.stack, packDefaults: values["pack-defaults"]!,
        format: values.format as ReportFormat, out: values.out, date: values.date,
    };
}

const STACK_NAME = /^[\w.-]+$/;

/** YYYY-MM-DD of a real day (2026-02-30 and 2026-13-45 are not). */
function isCalendarDate(s: string): boolean {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
    const d = new Date(`${s}T12:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

function readFile(file: string, what: string): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new UsageError(`${what} ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
    }
}

/** Plan JSON of the documented contract: `{ stack, resources: [{ urn, type, name, props, opts }] }`. */
function readPlan(file: string): { stack?: string; mode?: string; resources: AuditResource[] } {
    let plan: unknown;
    try {
        plan = JSON.parse(readFile(file, "--plan"));
    } catch (e) {
        if (e instanceof UsageError) throw e;
        throw new UsageError(`--plan ${file} is not JSON (cut short?): ${(e as Error).message}`);
    }
    const p = plan as { stack?: unknown; resources?: unknown };
    const isObj = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v);
    const badResource = (r: unknown) => !isObj(r) || typeof (r as AuditResource).urn !== "string" || typeof (r as AuditResource).type !== "string" || typeof (r as AuditResource).name !== "string"
        || ((r as AuditResource).props !== undefined && !isObj((r as AuditResource).props)) || ((r as AuditResource).opts !== undefined && !isObj((r as AuditResource).opts));
    const contract = "expected { stack, resources: [{ urn, type, name, props, opts }] } (the README's JSON contract)";
    if (!isObj(p) || !Array.isArray(p.resources)) throw new UsageError(`--plan ${file} is not a plan: ${contract}`);
    const bad = (p.resources as unknown[]).findIndex(badResource);
    if (bad >= 0) throw new UsageError(`--plan ${file} is not a plan: resources[${bad}] is not { urn, type, name, props: {...}, opts: {...} }; ${contract}`);
    if (p.stack !== undefined && typeof p.stack !== "string") throw new UsageError(`--plan ${file}: "stack" is ${JSON.stringify(p.stack)}, not a stack name`);
    return plan as { stack?: string; mode?: string; resources: AuditResource[] };
}

/**
 * The one stack the input is of: `--stack`, the plan's `stack` and the URNs' stack must agree (the
 * stack decides enforcement levels and waivers, so an edited `stack` field must not pick looser ones).
 */
export function stackOf(what: string, urns: string[], given: string | undefined, declared?: string): string | undefined {
    const malformed = urns.find((u) => !urnStack(u));
    if (malformed) throw new UsageError(`${what}: "${malformed}" is not a Pulumi URN (urn:pulumi:<stack>::<project>::<type>::<name>)`);
    const fromUrns = [...new Set(urns.map((u) => urnStack(u)!))];
    if (fromUrns.length > 1) throw new UsageError(`${what} mixes resources of stacks ${fromUrns.map((x) => `"${x}"`).join(", ")}; audit one stack at a time`);
    const urnsSay = fromUrns[0];
    if (declared !== undefined && urnsSay !== undefined && declared !== urnsSay) {
        throw new UsageError(`${what} says stack "${declared}" but its resources' URNs are of stack "${urnsSay}"; refusing (the stack decides the policy levels and waivers)`);
    }
    const inputSays = urnsSay ?? declared;
    if (given !== undefined && inputSays !== undefined && given !== inputSays) {
        throw new UsageError(`--stack ${given} disagrees with ${what}, which is of stack "${inputSays}"`);
    }
    return given ?? inputSays;
}

/** The stack's policy config; its stack file must exist (or `--pack-defaults` asks for the pack's defaults). */
function configFor(stack: string | undefined, packDefaults: boolean, projectDir: string, note: (m: string) => void): PolicyConfig {
    if (packDefaults) {
        note("--pack-defaults: the pack's own enforcement levels, no waivers");
        return DEFAULT_POLICY_CONFIG;
    }
    const stacks = () => fs.readdirSync(projectDir).filter((f) => /^Pulumi\.[\w.-]+\.yaml$/.test(f)).map((f) => f.slice(7, -5)).sort();
    if (!stack) throw new UsageError(`no stack: the input names none; give --stack NAME (stacks in ${projectDir}: ${stacks().join(", ") || "none"}) or --pack-defaults`);
    if (!STACK_NAME.test(stack) || !fs.existsSync(path.join(projectDir, `Pulumi.${stack}.yaml`))) {
        throw new UsageError(`stack "${stack}": no Pulumi.${stack}.yaml in ${projectDir} (stacks there: ${stacks().join(", ") || "none"}); give an existing stack, or --pack-defaults for the pack's own levels without waivers`);
    }
    return stackPolicyConfig(projectDir, stack);
}

export async function audit(args: AuditArgs, projectDir: string, note: (m: string) => void = () => undefined): Promise<{ output: string; report?: PolicyReport }> {
    const now = args.date ? new Date(`${args.date}T12:00:00Z`) : new Date();
    if (args.packConfig) {
        return { output: JSON.stringify(enginePackConfig(stackPolicyConfig(projectDir, args.stack!)), null, 2) + "\n" };
    }
    let report: PolicyReport;
    if (args.eventLog) {
        const text = readFile(args.eventLog, "--event-log");
        const stack = stackOf(`--event-log ${args.eventLog}`, parseEventLog(text).urns, args.stack);
        report = reportFromEventLog(text, { config: configFor(stack, args.packDefaults, projectDir, note), now, stack });
    } else {
        const plan = readPlan(args.plan!);
        const stack = stackOf(`--plan ${args.plan}`, plan.resources.map((r) => r.urn), args.stack, plan.stack);
        report = await evaluatePolicies(plan.resources, { config: configFor(stack, args.packDefaults, projectDir, note), now, stack, mode: plan.mode });
    }
    return { output: formatReport(report, args.format), report };
}

/** Where the command writes: the process's streams, or a test's buffers. */
export interface Io {
    stdout(text: string): void;
    stderr(text: string): void;
}

/** One line of an error: its message (and its cause's), never a stack trace. */
function oneLine(e: unknown): string {
    const msg = (x: unknown) => (x instanceof Error ? x.message : String(x)).trim();
    const cause = (e as { cause?: unknown })?.cause;
    return [msg(e), cause !== undefined && !msg(e).includes(msg(cause)) ? msg(cause) : ""].filter(Boolean).join(": ");
}

/**
 * The whole command without `process.exit`: returns the exit code (0, 2; 1 for invalid input; 3 for an
 * unexpected failure). Never throws; every error is reported on stderr without a stack trace.
 */
export async function runAudit(argv: string[], io: Io, projectDir?: string): Promise<number> {
    try {
        const args = parseAuditArgs(argv);
        if (!args) {
            io.stdout(USAGE + "\n");
            return 0;
        }
        // The project in the working directory, as the Pulumi CLI takes it (and `plan` does).
        const dir = projectDir ?? process.cwd();
        const { output, report } = await audit(args, dir, (m) => io.stderr(`audit: ${m}\n`));
        if (args.out) {
            try {
                fs.writeFileSync(args.out, output);
            } catch (e) {
                const code = (e as NodeJS.ErrnoException).code;
                const why = code === "ENOENT" ? `no folder ${path.dirname(path.resolve(args.out))}` : code === "EISDIR" ? "is a folder" : (e as Error).message;
                throw new UsageError(`--out ${args.out}: cannot write the report (${why})`);
            }
            io.stderr(`audit: wrote ${args.packConfig ? "policy pack config" : args.format} to ${args.out}\n`);
        } else {
            io.stdout(output);
        }
        if (report?.missingEvidence) io.stderr(`audit: the event log is incomplete: ${report.missingEvidence.join("; ")}\n`);
        if (report) io.stderr(`audit: ${summaryLine(report)}\n`);
        return report?.summary.blocking ? 2 : 0;
    } catch (e) {
        if (ConfigError.isInstance(e) || e instanceof StackFileError || e instanceof UsageError || e instanceof EventLogError) {
            io.stderr(`audit: ${(e as Error).message}\n`);
            return 1;
        }
        io.stderr(`audit failed: ${oneLine(e)}\n`);
        return 3;
    }
}

if (require.main === module) {
    runAudit(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) }).then(
        // Exit once stdout has drained: process.exit() drops what a pipe has not taken yet (64 KiB).
        (code) => process.stdout.write("", () => process.exit(code)),
    );
}

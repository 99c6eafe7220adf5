/**
 * `npm run audit -- --plan FILE [--stack NAME] [--format text|json|markdown|sarif] [--out FILE]`
 * `npm run audit -- --event-log FILE [--stack NAME] [--format ...] [--out FILE]`
 * `npm run audit -- --stack NAME --pack-config [--out FILE]`
 *
 * Evaluates the policy pack over a plan JSON (the README's contract), or reports the policy events of
 * a real `pulumi preview --event-log FILE`, with the stack's waivers applied. `--pack-config` prints
 * the stack's policy config in the engine's `--policy-pack-config` format.
 *
 * Exit codes: 0 no mandatory violation; 2 a mandatory violation (not waived); 1 invalid input; 3 an
 * unexpected failure (including a policy that throws, as it fails `pulumi preview`).
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { ConfigError } from "../config/errors";
import { DEFAULT_POLICY_CONFIG, PolicyConfig } from "../config/policy";
import { PROJECT_DIR } from "../plan/run";
import { StackFileError } from "../plan/stackFiles";
import { AuditResource, evaluatePolicies, PolicyReport } from "./evaluate";
import { EventLogError, reportFromEventLog } from "./eventLog";
import { formatReport, REPORT_FORMATS, ReportFormat, summaryLine } from "./format";
import { enginePackConfig } from "./policyConfig";
import { stackPolicyConfig } from "./stackConfig";

const USAGE = "usage: npm run audit -- (--plan FILE | --event-log FILE | --pack-config) [--stack NAME] [--format text|json|markdown|sarif] [--out FILE] [--date YYYY-MM-DD]";

export class UsageError extends Error {}

export interface AuditArgs {
    plan?: string;
    eventLog?: string;
    packConfig: boolean;
    stack?: string;
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
                format: { type: "string", default: "text" },
                out: { type: "string" },
                date: { type: "string" },
                help: { type: "boolean", default: false },
            },
            strict: true,
        }));
    } catch (e) {
        throw new UsageError(`${(e as Error).message}\n${USAGE}`);
    }
    if (values.help) return undefined;
    const inputs = [values.plan, values["event-log"], values["pack-config"] || undefined].filter(Boolean);
    if (inputs.length !== 1) throw new UsageError(`give exactly one of --plan FILE, --event-log FILE, --pack-config\n${USAGE}`);
    if (values["pack-config"] && !values.stack) throw new UsageError(`--pack-config needs --stack\n${USAGE}`);
    if (!(REPORT_FORMATS as readonly string[]).includes(values.format!)) throw new UsageError(`--format "${values.format}" is not one of ${REPORT_FORMATS.join(", ")}\n${USAGE}`);
    if (values.date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(values.date)) throw new UsageError(`--date "${values.date}" is not YYYY-MM-DD\n${USAGE}`);
    return { plan: values.plan, eventLog: values["event-log"], packConfig: values["pack-config"]!, stack: values.stack, format: values.format as ReportFormat, out: values.out, date: values.date };
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
        throw new UsageError(`--plan ${file} is not JSON: ${(e as Error).message}`);
    }
    const p = plan as { stack?: unknown; resources?: unknown };
    if (!p || !Array.isArray(p.resources) || !p.resources.every((r) => r && typeof r.urn === "string" && typeof r.type === "string" && typeof r.name === "string")) {
        throw new UsageError(`--plan ${file} is not a plan (expected { resources: [{ urn, type, name, props, opts }] }; see the README's JSON contract)`);
    }
    return plan as { stack?: string; mode?: string; resources: AuditResource[] };
}

/** The stack's policy config when its stack file is here; else the pack's defaults (noted on stderr). */
function configFor(stack: string | undefined, projectDir: string, note: (m: string) => void): PolicyConfig {
    if (!stack) {
        note("no stack named: pack defaults, no waivers");
        return DEFAULT_POLICY_CONFIG;
    }
    if (!fs.existsSync(path.join(projectDir, `Pulumi.${stack}.yaml`))) {
        note(`no Pulumi.${stack}.yaml in ${projectDir}: pack defaults, no waivers`);
        return DEFAULT_POLICY_CONFIG;
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
        const stack = args.stack ?? /"resourceUrn":"urn:pulumi:([^:]+)::/.exec(text)?.[1];
        report = reportFromEventLog(text, { config: configFor(stack, projectDir, note), now, stack });
    } else {
        const plan = readPlan(args.plan!);
        const stack = args.stack ?? plan.stack;
        report = await evaluatePolicies(plan.resources, { config: configFor(stack, projectDir, note), now, stack, mode: plan.mode });
    }
    return { output: formatReport(report, args.format), report };
}

/** Where the command writes: the process's streams, or a test's buffers. */
export interface Io {
    stdout(text: string): void;
    stderr(text: string): void;
}

/**
 * The whole command without `process.exit`: returns the exit code (0, 2, or 1 for invalid input);
 * unexpected failures throw (exit 3).
 */
export async function runAudit(argv: string[], io: Io, projectDir?: string): Promise<number> {
    try {
        const args = parseAuditArgs(argv);
        if (!args) {
            io.stdout(USAGE + "\n");
            return 0;
        }
        const dir = projectDir ?? (fs.existsSync(path.join(process.cwd(), "Pulumi.yaml")) ? process.cwd() : PROJECT_DIR);
        const { output, report } = await audit(args, dir, (m) => io.stderr(`audit: ${m}\n`));
        if (args.out) {
            fs.writeFileSync(args.out, output);
            io.stderr(`audit: wrote ${args.packConfig ? "policy pack config" : args.format} to ${args.out}\n`);
        } else {
            io.stdout(output);
        }
        if (report) io.stderr(`audit: ${summaryLine(report)}\n`);
        return report?.summary.blocking ? 2 : 0;
    } catch (e) {
        if (ConfigError.isInstance(e) || e instanceof StackFileError || e instanceof UsageError || e instanceof EventLogError) {
            io.stderr(`${(e as Error).message}\n`);
            return 1;
        }
        throw e;
    }
}

if (require.main === module) {
    runAudit(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) }).then(
        // Exit once stdout has drained: process.exit() drops what a pipe has not taken yet (64 KiB).
        (code) => process.stdout.write("", () => process.exit(code)),
        (e) => {
            process.stderr.write(`audit failed: ${(e as Error)?.stack ?? e}\n`);
            process.exit(3);
        },
    );
}

#!/usr/bin/env node
/**
 * The `scaling-topology` command: `plan`, `audit` and `runbook` over the Pulumi project in the working directory
 * (any project whose program uses this package, TypeScript or JavaScript). A thin shell: each subcommand
 * is loaded only when it runs, so `audit` never loads the plan runner and the Pulumi SDK it does not use.
 *
 * Exit codes: 0 done; 1 invalid input; 2 a mandatory policy violation; 3 unexpected failure.
 */
import { useModuleCache } from "./moduleCache";
import { deferUnusedSdkModules } from "./lazyModules";
import type { Io } from "./plan";

const USAGE = `usage: scaling-topology <command> [options]

commands:
  plan    the offline plan of a stack: scaling-topology plan --stack <name> [--format text|json|markdown] [--out FILE] [--preview] [--diff BASE.json]
  runs-on the GitHub Actions runs-on label of each stack's deploy and preview jobs (cluster.apiAccess), as JSON: scaling-topology runs-on --stack <name> [--stack <name> ...]
  audit   the policy pack over a plan or a real preview's event log: scaling-topology audit (--plan FILE | --event-log FILE | --pack-config) [--stack <name> | --pack-defaults] [--format text|json|markdown|sarif] [--out FILE] [--date YYYY-MM-DD]
  runbook the disaster-recovery runbook of a stack, from its plan: scaling-topology runbook --stack <name> [--plan PLAN.json] [--out FILE]

'scaling-topology <command> --help' shows a command's options.`;

type Command = (argv: string[], io: Io) => Promise<number>;

const COMMANDS: Record<string, () => Command> = {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    plan: () => (require("./plan") as typeof import("./plan")).runPlanCommand,
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    audit: () => (require("../audit/cli") as typeof import("../audit/cli")).runAudit,
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    "runs-on": () => (require("./runsOn") as typeof import("./runsOn")).runRunsOn,
    runbook: () => (require("./runbook") as typeof import("./runbook")).runRunbookCommand,
};

/** Runs one command line; returns the exit code. */
export async function runCli(argv: string[], io: Io): Promise<number> {
    const [name, ...rest] = argv;
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
        io.stdout(USAGE + "\n");
        return name === undefined ? 1 : 0;
    }
    const command = COMMANDS[name];
    if (!command) {
        io.stderr(`scaling-topology: unknown command "${name}"\n${USAGE}\n`);
        return 1;
    }
    return command()(rest, io);
}

/**
 * A command validates a stack's config once: zod's compiled fast paths (code generated per object schema
 * on first use) cost more than they save on a single pass. Same results; the process is the command's own.
 */
function validateWithoutCodeGeneration(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require("zod") as typeof import("zod")).z.config({ jitless: true });
}

/** Runs the process's command line and exits with its code (after stdout drains: a pipe may lag). */
export function main(argv = process.argv.slice(2)): void {
    useModuleCache();
    deferUnusedSdkModules();
    // Usage and unknown commands load nothing.
    if (Object.hasOwn(COMMANDS, argv[0] ?? "")) validateWithoutCodeGeneration();
    const io: Io = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };
    runCli(argv, io).then(
        (code) => process.stdout.write("", () => process.exit(code)),
        (e) => {
            // An unexpected failure (a bug, not bad input): one line; SCALING_TOPOLOGY_DEBUG=1 shows where.
            const detail = process.env.SCALING_TOPOLOGY_DEBUG ? `\n${(e as Error)?.stack ?? e}` : " (SCALING_TOPOLOGY_DEBUG=1 shows the stack trace)";
            process.stderr.write(`scaling-topology: unexpected failure: ${(e as Error)?.message ?? e}${detail}\n`);
            process.exit(3);
        },
    );
}

if (require.main === module) main();

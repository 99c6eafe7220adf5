/**
 * `scaling-topology runs-on --stack <name> [--stack <name> ...]`: the GitHub Actions `runs-on` label of the
 * jobs that deploy and preview each stack, from its `cluster.apiAccess` (a CodeBuild runner inside the VPC
 * for a private API endpoint, else the configured label). Prints one JSON object `{ "<stack>": "<label>" }`
 * for a workflow's job output; inside a workflow run (GITHUB_RUN_ID set) the label's run id and attempt are
 * filled in, as `runs-on` needs them.
 *
 * Exit codes: 0 printed; 1 invalid input (stack config, stack name, arguments).
 */
import { parseArgs } from "util";
import { ciRunsOn } from "../components/topologyArgs";
import { resolveStackConfig } from "../sizing/stackConfig";
import { readStackFiles } from "../plan/stackFiles";
import { Io, projectDirOf, reportingInputErrors, UsageError } from "./plan";

const USAGE = "usage: scaling-topology runs-on --stack <name> [--stack <name> ...]";

/** The label with GitHub's expressions filled in from the run's environment (left as written outside a run). */
export function resolveLabel(label: string, env: Record<string, string | undefined>): string {
    if (!env.GITHUB_RUN_ID) return label;
    return label.replace(/\$\{\{ github\.run_id \}\}/g, env.GITHUB_RUN_ID).replace(/\$\{\{ github\.run_attempt \}\}/g, env.GITHUB_RUN_ATTEMPT ?? "1");
}

export async function runRunsOn(argv: string[], io: Io, cwd = process.cwd(), env: Record<string, string | undefined> = process.env): Promise<number> {
    return reportingInputErrors(io, async () => {
        let values;
        try {
            ({ values } = parseArgs({ args: argv, options: { stack: { type: "string", multiple: true }, help: { type: "boolean", default: false } }, strict: true }));
        } catch (e) {
            throw new UsageError(`${(e as Error).message}\n${USAGE}`);
        }
        if (values.help) {
            io.stdout(USAGE + "\n");
            return 0;
        }
        if (!values.stack?.length) throw new UsageError(`--stack is required\n${USAGE}`);
        const projectDir = projectDirOf(cwd);
        const out: Record<string, string> = {};
        for (const stack of values.stack) {
            const files = readStackFiles(projectDir, stack);
            // As index.ts names the topology: the default prefix `<project>-<stack>`.
            out[stack] = resolveLabel(ciRunsOn(resolveStackConfig(stack, files.config), `${files.project}-${stack}`), env);
        }
        io.stdout(JSON.stringify(out) + "\n");
        return 0;
    });
}

/**
 * `npm run runbook -- --stack <name> [--plan PLAN.json] [--out FILE]`: the disaster-recovery runbook of a
 * stack (planned switchover, unplanned failover, its RPO and RTO), Markdown, rendered from the stack's plan
 * (planned offline here, or read from a saved `plan --format json`).
 *
 * Exit codes: 0 written; 1 invalid input (stack config, stack name, arguments, plan file).
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { renderRunbook } from "../plan/recovery";
import { Plan, runPlan } from "../plan/run";
import { Io, projectDirOf, reportingInputErrors, UsageError } from "./plan";

const USAGE = "usage: npm run runbook -- --stack <name> [--plan PLAN.json] [--out FILE]";

function readPlan(file: string, stack: string): Plan {
    let plan: Plan;
    try {
        plan = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new UsageError(`--plan ${file}: ${(e as Error).message}`);
    }
    if (!plan || typeof plan !== "object" || !Array.isArray(plan.resources) || typeof plan.outputs !== "object") throw new UsageError(`--plan ${file} is not a plan JSON (npm run plan -- --stack ${stack} --format json)`);
    if (plan.stack !== stack) throw new UsageError(`--plan ${file} is a plan of stack "${plan.stack}", not "${stack}"`);
    return plan;
}

export async function runRunbookCommand(argv: string[], io: Io, cwd = process.cwd()): Promise<number> {
    return reportingInputErrors(io, async () => {
        let values;
        try {
            ({ values } = parseArgs({ args: argv, options: { stack: { type: "string" }, plan: { type: "string" }, out: { type: "string" }, help: { type: "boolean", default: false } }, strict: true }));
        } catch (e) {
            throw new UsageError(`${(e as Error).message}\n${USAGE}`);
        }
        if (values.help) {
            io.stdout(USAGE + "\n");
            return 0;
        }
        if (!values.stack) throw new UsageError(`--stack is required\n${USAGE}`);
        // Refused before planning: a plan takes seconds, and its result would have nowhere to go.
        if (values.out && !fs.existsSync(path.dirname(path.resolve(values.out)))) throw new UsageError(`--out ${values.out}: the folder ${path.dirname(path.resolve(values.out))} does not exist`);
        const plan = values.plan
            ? readPlan(values.plan, values.stack)
            : await runPlan({ stack: values.stack, projectDir: projectDirOf(cwd), onProgress: (m) => io.stderr(`runbook: ${m}\n`) });
        const text = renderRunbook(plan);
        if (values.out) {
            fs.writeFileSync(values.out, text);
            io.stderr(`runbook: wrote ${values.out}\n`);
        } else {
            io.stdout(text);
        }
        return 0;
    });
}

/** Shared test helpers: plans of the shipped stacks (cached per stack and mode) and record queries. */
import { Plan, PlanOptions, runPlan } from "../plan/run";
import { RecordedResource } from "../plan/recorder";
import { ConfigError } from "../config/errors";

const cache = new Map<string, Promise<Plan>>();

/** The plan of a shipped stack, built once per stack and mode for the whole test run. */
export function stackPlan(stack: string, preview = false): Promise<Plan> {
    const key = `${stack}:${preview}`;
    if (!cache.has(key)) cache.set(key, runPlan({ stack, preview }));
    return cache.get(key)!;
}

/** A plan with config overrides: for what-if tests. Not cached. */
export function planWith(stack: string, configOverrides: Record<string, unknown>, extra: Partial<PlanOptions> = {}): Promise<Plan> {
    return runPlan({ stack, configOverrides, ...extra });
}

/** The ConfigError a plan with these overrides fails with (fails the test if it plans). */
export async function configErrorOf(stack: string, configOverrides: Record<string, unknown>): Promise<ConfigError> {
    try {
        await planWith(stack, configOverrides);
    } catch (e) {
        if (ConfigError.isInstance(e)) return e;
        throw e;
    }
    throw new Error("expected the plan to fail with a ConfigError, but it planned");
}

export const ofType = (plan: Plan, type: string): RecordedResource[] => plan.resources.filter((r) => r.type === type);
export const childrenOf = (plan: Plan, parent: RecordedResource): RecordedResource[] => plan.resources.filter((r) => r.parent === parent.urn);
export const byName = (plan: Plan, name: string): RecordedResource => {
    const r = plan.resources.find((x) => x.name === name);
    if (!r) throw new Error(`no resource named ${name} in the ${plan.stack} plan`);
    return r;
};

/** The value of a stack config key as the shipped stack file has it (decoded). */
export function stackConfigValue(stack: string, key: string): any {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { readStackFiles } = require("../plan/stackFiles") as typeof import("../plan/stackFiles");
    const raw = readStackFiles(`${__dirname}/..`, stack).config[key];
    try {
        return JSON.parse(raw);
    } catch {
        return raw;
    }
}

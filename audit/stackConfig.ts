/** The policy config of a stack, read from its stack file and validated like the rest of stack config. */
import { ConfigError } from "../config/errors";
import { DEFAULT_POLICY_CONFIG, POLICY_KEY, PolicyConfig } from "../config/policy";
import { readStackFiles } from "../plan/stackFiles";
import { policyConfigProblems, rawPolicyConfigProblems } from "./policyConfig";

/** Parses `scaling-topology:policy` of `Pulumi.<stack>.yaml` in `projectDir` (defaults when absent). */
export function stackPolicyConfig(projectDir: string, stack: string): PolicyConfig {
    const raw = readStackFiles(projectDir, stack).config[POLICY_KEY];
    return parsePolicyConfig(stack, raw);
}

/** Validates a raw `scaling-topology:policy` value (JSON text or object); throws ConfigError listing every problem. */
export function parsePolicyConfig(stack: string, raw: unknown): PolicyConfig {
    if (raw === undefined) return DEFAULT_POLICY_CONFIG;
    let value: unknown = raw;
    if (typeof raw === "string") {
        try {
            value = JSON.parse(raw);
        } catch {
            throw new ConfigError(stack, [{ key: POLICY_KEY, value: raw, message: "is not an object: give enforcement, config and waivers as YAML keys (see the README's policy config)" }]);
        }
    }
    const result = PolicyConfig.safeParse(value);
    if (!result.success) {
        // Shape problems and the pack's (unknown policy names in the well-formed parts) in one report.
        throw new ConfigError(stack, [
            ...result.error.issues.map((i) => ({ key: [POLICY_KEY, ...i.path.map(String)].join("."), value: undefined, message: i.message })),
            ...rawPolicyConfigProblems(value, POLICY_KEY),
        ]);
    }
    const problems = policyConfigProblems(result.data, POLICY_KEY);
    if (problems.length > 0) throw new ConfigError(stack, problems);
    return result.data;
}

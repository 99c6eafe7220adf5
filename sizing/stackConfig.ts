/**
 * A stack's config, validated and sized: the shape checks of `config/`, the sizing fields the stack leaves
 * out derived from its load, and the checks that need numbers (`SIZING_CHECKS`), all problems in one
 * `ConfigError`. Pure: raw values in (as `pulumi.runtime.allConfig()` or a stack file gives them).
 */
import { ConfigCheck, parseStackConfig, ParseOptions, PROJECT, RawConfig, StackConfig } from "../config";
import { SIZING_CHECKS } from "./checks";
import { fillDerivedSizing } from "./fromConfig";

/**
 * Validates and sizes raw stack config. Throws `ConfigError` listing every problem.
 * @param raw values by full config key (`scaling-topology:network`, `aws:region`, ...)
 * @param project the Pulumi project name: physical names start with `${project}-${stack}`
 * @param options more checks, the keys that are secrets, problems already found in the stack file
 */
export function resolveStackConfig(stack: string, raw: RawConfig, project: string = PROJECT, options: Omit<ParseOptions, "project"> = {}): StackConfig {
    const key = `${stack}\0${project}\0${JSON.stringify(raw)}`;
    const known = resolved.get(key);
    if (known && implies(known.options, options)) return known.config;
    // Sizing fields the stack leaves out are derived from its load before the schemas see them.
    const config = deepFreeze(parseStackConfig(stack, fillDerivedSizing(raw), { ...options, project, checks: [...SIZING_CHECKS, ...(options.checks ?? [])] }));
    resolved.delete(key);
    resolved.set(key, { config, options });
    if (resolved.size > KEPT) resolved.delete(resolved.keys().next().value!);
    return config;
}

/**
 * Configs resolved in this process, latest last. A plan resolves the same config five times (the
 * check before the program, the program, the sizing, recovery and alert reports): each is the same
 * frozen value, so no caller can change what another reads.
 */
const resolved = new Map<string, { config: StackConfig; options: Omit<ParseOptions, "project"> }>();
const KEPT = 8;

/** Whether a config that passed the checks of `passed` passes those of `asked`: they ask for no more. */
function implies(passed: Omit<ParseOptions, "project">, asked: Omit<ParseOptions, "project">): boolean {
    const within = <T>(xs: T[] | undefined, of: T[] | undefined) => (xs ?? []).every((x) => (of ?? []).includes(x));
    const keys = (k: string[] | undefined) => JSON.stringify([...(k ?? [])].sort());
    return (asked.problems ?? []).length === 0
        && within<ConfigCheck>(asked.checks, passed.checks)
        && within(asked.rawChecks, passed.rawChecks)
        && (asked.secretKeys === undefined || (passed.secretKeys !== undefined && keys(asked.secretKeys) === keys(passed.secretKeys)));
}

function deepFreeze<T>(value: T): T {
    if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const v of Object.values(value)) deepFreeze(v);
    }
    return value;
}

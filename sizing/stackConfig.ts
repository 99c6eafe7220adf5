/**
 * A stack's config, validated and sized: the shape checks of `config/`, the sizing fields the stack leaves
 * out derived from its load, and the checks that need numbers (`SIZING_CHECKS`), all problems in one
 * `ConfigError`. Pure: raw values in (as `pulumi.runtime.allConfig()` or a stack file gives them).
 */
import { parseStackConfig, ParseOptions, PROJECT, RawConfig, StackConfig } from "../config";
import { SIZING_CHECKS } from "./checks";
import { fillDerivedSizing } from "./fromConfig";

/**
 * Validates and sizes raw stack config. Throws `ConfigError` listing every problem.
 * @param raw values by full config key (`scaling-topology:network`, `aws:region`, ...)
 * @param project the Pulumi project name: physical names start with `${project}-${stack}`
 * @param options more checks, the keys that are secrets, problems already found in the stack file
 */
export function resolveStackConfig(stack: string, raw: RawConfig, project: string = PROJECT, options: Omit<ParseOptions, "project"> = {}): StackConfig {
    // Sizing fields the stack leaves out are derived from its load before the schemas see them.
    return parseStackConfig(stack, fillDerivedSizing(raw), { ...options, project, checks: [...SIZING_CHECKS, ...(options.checks ?? [])] });
}

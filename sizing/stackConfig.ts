/**
 * A stack's config, validated and sized: the shape checks of `config/`, the sizing fields the stack leaves
 * out derived from its load, and the checks that need numbers (`SIZING_CHECKS`), all problems in one
 * `ConfigError`. Pure: raw values in (as `pulumi.runtime.allConfig()` or a stack file gives them).
 */
import { parseStackConfig, RawConfig, StackConfig } from "../config";
import { SIZING_CHECKS } from "./checks";
import { fillDerivedSizing } from "./fromConfig";

/**
 * Validates and sizes raw stack config. Throws `ConfigError` listing every problem.
 * @param raw values by full config key (`scaling-topology:network`, `aws:region`, ...)
 */
export function resolveStackConfig(stack: string, raw: RawConfig): StackConfig {
    // Sizing fields the stack leaves out are derived from its load before the schemas see them.
    return parseStackConfig(stack, fillDerivedSizing(raw), { checks: SIZING_CHECKS });
}

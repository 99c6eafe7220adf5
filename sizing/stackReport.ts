/**
 * The sizing report of a stack as the plan shows it: capacity and cost (`report.ts`), the account quotas
 * its maxima need (`quotas.ts`), and warnings where explicit sizing is far above what the load needs
 * (`waste.ts`: the stack against itself with every sizing field derived from the load).
 */
import { PROJECT, RawConfig, StackConfig } from "../config";
import { ConfigError } from "../config/errors";
import { sizingOf, withoutSizing } from "./fromConfig";
import { quotaNeeds } from "./quotas";
import type { SizingReport } from "./report";
import { resolveStackConfig } from "./stackConfig";
import { oversizeWarnings } from "./waste";

/** @param resolved the stack's config, when the caller has already validated it (`resolveStackConfig`) */
export function stackSizingReport(stack: string, raw: RawConfig, project: string = PROJECT, resolved?: StackConfig): SizingReport {
    const c = resolved ?? resolveStackConfig(stack, raw, project);
    const report = sizingOf(c).report;
    let derived: SizingReport | undefined;
    try {
        derived = sizingOf(resolveStackConfig(stack, withoutSizing(raw), project)).report;
    } catch (e) {
        // The load alone beyond the design's limits: nothing to compare with (the stack's own checks passed).
        if (!ConfigError.isInstance(e)) throw e;
    }
    const oversized = derived ? oversizeWarnings(report, derived, c.cluster.nodeGroups.map((g) => g.name)) : [];
    return {
        ...report,
        quotas: quotaNeeds(c),
        oversized,
        oversizedMonthlyUsd: oversized.reduce((s, w) => s + w.excessMonthlyUsd, 0),
        derivedMonthlyCostUsd: derived?.monthlyCostUsd,
    };
}

/**
 * Explicit sizing far above what the load needs: the stack as configured against the same stack with every
 * sizing field derived from its load (`withoutSizing`), component by component, with the monthly cost of the
 * excess. Pure functions of two sizing reports.
 */
import type { SizingItem, SizingReport } from "./report";
import { usd, wholeNumber } from "./numbers";

export interface OversizeWarning {
    /** The config key(s) to lower or remove (derived when left out). */
    keys: string[];
    component: string;
    configured: string;
    needed: string;
    /** Monthly on-demand cost above what the load needs (at the maxima). */
    excessMonthlyUsd: number;
    message: string;
}

/** A component costs this many times what its load needs before it is called out. */
export const OVERSIZE_FACTOR = 2;
/** ... and at least this much a month (small components are not worth a warning). */
export const OVERSIZE_MIN_USD = 1000;

const P = "scaling-topology";
const count = (i: SizingItem) => (i.count.min === i.count.max ? `${i.count.max}` : `${i.count.min}-${i.count.max}`);

/** Config keys behind a report item (what `withoutSizing` leaves out for it). */
function keysOf(component: string, nodeGroupIndex: (name: string) => number): string[] {
    const group = /^node group (.+)$/.exec(component);
    if (group) return [`${P}:cluster.nodeGroups[${nodeGroupIndex(group[1])}].maxSize`, `${P}:cluster.nodeGroups[${nodeGroupIndex(group[1])}].minSize`];
    if (component === "Aurora writer") return [`${P}:aurora.instanceClass`];
    if (component.startsWith("Aurora readers")) return [`${P}:aurora.instanceClass`, `${P}:aurora.readers`, `${P}:aurora.readerAutoscaling.maxReaders`];
    if (component.startsWith("ElastiCache")) return [`${P}:redis.nodeType`, `${P}:redis.shards`, `${P}:redis.replicasPerShard`];
    return [];
}

/**
 * Components of `configured` that cost at least {@link OVERSIZE_FACTOR} times (and {@link OVERSIZE_MIN_USD} a
 * month more than) the same component of `derived` (the topology the load alone gives).
 */
export function oversizeWarnings(configured: SizingReport, derived: SizingReport, nodeGroupNames: string[]): OversizeWarning[] {
    const out: OversizeWarning[] = [];
    for (const c of configured.items) {
        const d = derived.items.find((x) => x.component === c.component);
        if (!d || c.monthlyCostUsd === 0) continue;
        const excess = c.monthlyCostUsd - d.monthlyCostUsd;
        if (c.monthlyCostUsd < OVERSIZE_FACTOR * d.monthlyCostUsd || excess < OVERSIZE_MIN_USD) continue;
        const keys = keysOf(c.component, (n) => nodeGroupNames.indexOf(n));
        const configuredText = `${count(c)} x ${c.unit} (${usd(c.monthlyCostUsd)}/month at the maximum)`;
        const neededText = `${count(d)} x ${d.unit} (${usd(d.monthlyCostUsd)})`;
        out.push({
            keys, component: c.component, configured: configuredText, needed: neededText, excessMonthlyUsd: Math.round(excess),
            message: `${c.component}: configured ${configuredText}, the load (${wholeNumber(configured.targets.peakConcurrentUsers)} peak users) needs ${neededText}: ${usd(excess)}/month above the need; lower ${keys.join(", ") || "it"} or remove them so they are derived`,
        });
    }
    return out;
}

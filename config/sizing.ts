/**
 * Sizing from load targets (issue 7): the bridge from the validated stack config to the pure sizing
 * functions (`sizing/derive.ts`, `sizing/report.ts`), and the config check that refuses a topology
 * that cannot carry its own load targets.
 */
import type { ConfigCheck, StackConfig } from "./index";
import type { ConfigProblem } from "./errors";
import { planSizing, ReportInput, SizingReport } from "../sizing/report";
import type { Topology } from "../sizing/derive";

/** The sizing's view of a stack config: the load targets, plus what the other domains fix explicitly. */
export function sizingInputOf(c: StackConfig): ReportInput {
    return {
        load: c.load,
        environment: c.environment,
        natGateways: c.network.natGateways === "single" ? 1 : c.network.availabilityZones.length,
    };
}

/** The derived topology and its capacity and cost report for a validated stack config. */
export function sizingOf(c: StackConfig): { topology: Topology; report: SizingReport; problems: ConfigProblem[] } {
    return planSizing(sizingInputOf(c));
}

export const sizingChecks: ConfigCheck[] = [
    {
        // The load must be carried: limits the design runs into, and components whose capacity is below
        // the target, each named with the load key and the limiting component.
        needs: ["load", "environment", "network"],
        check: (c) => sizingOf(c).problems,
    },
];

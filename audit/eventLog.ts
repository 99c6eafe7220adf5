/**
 * Reads the engine event log of a real `pulumi preview --event-log FILE` (or `pulumi up`): one JSON
 * engine event per line (`audit/evidence.ts`). `policyEvent`s (resourceUrn, message, policyName,
 * policyPackName, policyPackVersion, enforcementLevel, severity) become the same findings the offline
 * evaluation produces, and the pack's analysis summaries (`passed` / `failed` per resource and for the
 * stack) give every other policy its outcome, so a run against a real cloud account yields the same
 * reports. The Automation API's `onEvent` objects have the same shape; a JSON array of them is accepted too.
 *
 * A log that does not prove the pack ran over the whole stack fails (EventLogError: exit 1) unless it
 * already shows an open mandatory finding (that is a failure either way: exit 2).
 */
import { Severity } from "@pulumi/policy";
import { PolicyConfig, DEFAULT_POLICY_CONFIG } from "../config/policy";
import { PACK_NAME, RULES, Rule } from "../policies/rules";
import { buildReport, PolicyReport, ReportedLevel, Violation } from "./evaluate";
import { EventLogError, missingEvidence, namesPack, parseEventLog } from "./evidence";
import { urnType } from "./format";

export { EventLogError } from "./evidence";
export type { EnginePolicyEvent } from "./evidence";

/** Parses JSON lines (or a JSON array) of engine events and returns their policy events. */
export function policyEventsOf(text: string) {
    return parseEventLog(text).policyEvents;
}

/** Strips the engine's color directives (`<{%reset%}>`, `<{%fg 1%}>`) from a message. */
export const stripColors = (s: string) => s.replace(/<\{%[^%]*%\}>/g, "");

/** The policy server's note for a check that read an unknown value during preview (`@pulumi/policy` server.js). */
const NOT_EVALUATED = /^can't run policy '[^']*' from policy pack '[^']*' during preview: /;

function levelOf(l: string): ReportedLevel {
    return l === "mandatory" || l === "remediate" ? "mandatory" : "advisory";
}

/** The stack of a URN (`urn:pulumi:<stack>::<project>::<type>::<name>`). */
export const urnStack = (urn: string): string | undefined => /^urn:pulumi:([^:]+)::/.exec(urn)?.[1];

/**
 * The report of a real preview's policy events, waivers applied. Throws EventLogError saying what is
 * missing when the log is no evidence that the pack ran (and shows no open mandatory finding).
 */
export function reportFromEventLog(text: string, options: { config?: PolicyConfig; rules?: Rule[]; now?: Date; stack?: string; pack?: string } = {}): PolicyReport {
    const rules = options.rules ?? RULES;
    const pack = options.pack ?? PACK_NAME;
    const log = parseEventLog(text);
    const ours = log.policyEvents.filter((e) => namesPack(e.policyPackName, pack));
    const severity = new Map(rules.map((r) => [r.name, r.severity]));
    const found: Violation[] = ours.map((e) => {
        const message = stripColors(e.message ?? "").trim();
        return {
            policyName: e.policyName,
            policyPack: e.policyPackName,
            policyPackVersion: e.policyPackVersion,
            enforcementLevel: levelOf(e.enforcementLevel),
            severity: ((e.severity || severity.get(e.policyName)) as Severity | undefined) ?? undefined,
            ...(e.resourceUrn ? { urn: e.resourceUrn } : {}),
            message,
            waived: false,
            ...(NOT_EVALUATED.test(message) ? { notEvaluated: true } : {}),
        };
    });
    // Checked: a policy listed as passed or failed in the pack's summary of a resource (or of the stack).
    // The engine lists a policy whose validations are an array of typed checks as not applicable to
    // every resource (the checks of the other types say so), although the check of the resource's own
    // type ran: such a policy counts as checked on each analyzed resource of one of its types.
    const checkedOn = new Map<string, Set<string>>();
    const check = (name: string, on: string) => checkedOn.set(name, (checkedOn.get(name) ?? new Set()).add(on));
    const mine = (x: { policyPackName: string }) => namesPack(x.policyPackName, pack);
    for (const s of log.resourceSummaries.filter(mine)) {
        for (const name of [...(s.passed ?? []), ...(s.failed ?? [])]) check(name, s.resourceUrn ?? "");
    }
    for (const s of log.stackSummaries.filter(mine)) {
        for (const name of [...(s.passed ?? []), ...(s.failed ?? [])]) check(name, "(stack)");
    }
    const analyzed = new Set(log.resourceSummaries.filter((s) => mine(s) && s.resourceUrn).map((s) => s.resourceUrn!));
    for (const rule of rules) {
        const v = "validateResource" in rule ? rule.validateResource : undefined;
        if (!Array.isArray(v)) continue;
        const types = new Set(v.map((f) => (f as { __pulumiType?: string }).__pulumiType).filter(Boolean));
        for (const urn of analyzed) if (types.has(urnType(urn))) check(rule.name, urn);
    }
    const checked = new Map([...checkedOn].map(([name, on]) => [name, on.size]));
    const first = ours[0] ?? log.resourceSummaries.find((s) => namesPack(s.policyPackName, pack)) ?? log.stackSummaries.find((s) => namesPack(s.policyPackName, pack));
    const report = buildReport(found, (options.config ?? DEFAULT_POLICY_CONFIG).waivers, {
        source: "event-log", stack: options.stack ?? log.urns.map(urnStack).find(Boolean), now: options.now ?? new Date(),
        resources: analyzed.size, rules, config: options.config, checked,
        ...(log.summary?.isPreview !== undefined ? { mode: log.summary.isPreview ? "preview" : "update" } : {}),
        policyPack: pack, policyPackVersion: first?.policyPackVersion,
    });
    const missing = missingEvidence(log, pack);
    if (missing.length > 0 && !report.summary.blocking) {
        throw new EventLogError(`the event log is no evidence that policy pack "${pack}" ran over the stack: ${missing.join("; ")}`);
    }
    return missing.length > 0 ? { ...report, missingEvidence: missing } : report;
}

/**
 * Reads the engine event log of a real `pulumi preview --event-log FILE` (or `pulumi up`): one JSON
 * engine event per line. `policyEvent`s (resourceUrn, message, policyName, policyPackName,
 * policyPackVersion, enforcementLevel, severity) become the same findings the offline evaluation
 * produces, so a run against a real cloud account yields the same reports. The Automation API's
 * `onEvent` objects have the same shape; a JSON array of them is accepted too.
 */
import { Severity } from "@pulumi/policy";
import { PolicyConfig, DEFAULT_POLICY_CONFIG } from "../config/policy";
import { RULES, Rule } from "../policies/rules";
import { buildReport, PolicyReport, ReportedLevel, Violation } from "./evaluate";

export interface EnginePolicyEvent {
    resourceUrn?: string;
    message: string;
    color?: string;
    policyName: string;
    policyPackName: string;
    policyPackVersion: string;
    policyPackVersionTag?: string;
    enforcementLevel: string;
    severity?: string;
}

export class EventLogError extends Error {}

/** Parses JSON lines (or a JSON array) of engine events and returns their policy events. */
export function policyEventsOf(text: string): EnginePolicyEvent[] {
    const trimmed = text.trim();
    let events: unknown[];
    if (trimmed.startsWith("[")) {
        events = JSON.parse(trimmed) as unknown[];
    } else {
        events = trimmed.split("\n").filter((l) => l.trim() !== "").map((line, i) => {
            try {
                return JSON.parse(line);
            } catch (e) {
                throw new EventLogError(`event log line ${i + 1} is not JSON: ${(e as Error).message}`);
            }
        });
    }
    return events.flatMap((e) => {
        const p = (e as { policyEvent?: EnginePolicyEvent })?.policyEvent;
        return p && typeof p.policyName === "string" ? [p] : [];
    });
}

/** Strips the engine's color directives (`<{%reset%}>`, `<{%fg 1%}>`) from a message. */
export const stripColors = (s: string) => s.replace(/<\{%[^%]*%\}>/g, "");

function levelOf(l: string): ReportedLevel {
    return l === "mandatory" || l === "remediate" ? "mandatory" : "advisory";
}

/** The report of a real preview's policy events, waivers applied. */
export function reportFromEventLog(text: string, options: { config?: PolicyConfig; rules?: Rule[]; now?: Date; stack?: string } = {}): PolicyReport {
    const rules = options.rules ?? RULES;
    const events = policyEventsOf(text);
    const severity = new Map(rules.map((r) => [r.name, r.severity]));
    const found: Violation[] = events.map((e) => ({
        policyName: e.policyName,
        policyPack: e.policyPackName,
        policyPackVersion: e.policyPackVersion,
        enforcementLevel: levelOf(e.enforcementLevel),
        severity: ((e.severity || severity.get(e.policyName)) as Severity | undefined) ?? undefined,
        ...(e.resourceUrn ? { urn: e.resourceUrn } : {}),
        message: stripColors(e.message).trim(),
        waived: false,
    }));
    const urns = new Set(found.map((v) => v.urn).filter(Boolean));
    const stack = options.stack ?? [...urns][0]?.split("::")[0]?.split(":")[2];
    const pack = events[0];
    return buildReport(found, (options.config ?? DEFAULT_POLICY_CONFIG).waivers, {
        source: "event-log", stack, now: options.now ?? new Date(), policies: new Set(found.map((v) => v.policyName)).size, resources: urns.size,
        policyPack: pack?.policyPackName, policyPackVersion: pack?.policyPackVersion,
    });
}

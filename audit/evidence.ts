/**
 * What an engine event log (`pulumi preview|up --event-log FILE`, one JSON `EngineEvent` per line; or
 * a JSON array of them, as the Automation API's `onEvent` yields) proves about a policy pack run.
 *
 * Event shapes are those of `sdk/go/common/apitype/events.go` in pulumi/pulumi:
 * - `summaryEvent` ends every complete run; its `PolicyPacks` (PascalCase: the engine's JSON tag, kept
 *   for compatibility) maps each pack that ran to its version. A local pack (`--policy-pack DIR`) is
 *   named `<name>|local|<path>` there.
 * - `policyEvent`: one finding (resourceUrn, message, policyName, policyPackName, enforcementLevel, severity).
 * - `policyAnalyzeSummaryEvent` (per resource) and `policyAnalyzeStackSummaryEvent` (once, after every
 *   resource): the pack's policies that `passed` and `failed` there. Policies in neither list were not
 *   applicable (or disabled).
 *
 * A pass needs evidence: a complete log (a summary event) whose summary names the pack, and the pack's
 * analysis summaries. Without them a log proves nothing (an empty file, `{}`, a log cut short, a run
 * without `--policy-pack`), and the audit says what is missing instead of passing.
 */

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

export interface EnginePolicySummary {
    resourceUrn?: string;
    policyPackName: string;
    policyPackVersion?: string;
    passed?: string[];
    failed?: string[];
}

export interface EngineSummaryEvent {
    maybeCorrupt?: boolean;
    durationSeconds?: number;
    resourceChanges?: Record<string, number>;
    PolicyPacks?: Record<string, string>;
    isPreview?: boolean;
    result?: string;
}

export class EventLogError extends Error {}

/** The engine event keys this reader knows (one of them marks a line as an engine event). */
const EVENT_KEYS = [
    "cancelEvent", "stdoutEvent", "diagnosticEvent", "preludeEvent", "summaryEvent", "resourcePreEvent", "resOutputsEvent",
    "resOpFailedEvent", "policyEvent", "policyRemediationEvent", "policyLoadEvent", "policyAnalyzeSummaryEvent",
    "policyRemediateSummaryEvent", "policyAnalyzeStackSummaryEvent", "startDebuggingEvent", "progressEvent", "errorEvent",
];

export interface EventLog {
    events: Record<string, unknown>[];
    policyEvents: EnginePolicyEvent[];
    resourceSummaries: EnginePolicySummary[];
    stackSummaries: EnginePolicySummary[];
    summary?: EngineSummaryEvent;
    /** URNs named anywhere in the log (resource events, findings, summaries). */
    urns: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Parses an event log; throws EventLogError (with the line) for anything that is not a list of engine events. */
export function parseEventLog(text: string): EventLog {
    const trimmed = text.trim();
    if (trimmed === "") throw new EventLogError("the event log is empty: no engine event, so no evidence that the policy pack ran");
    let raw: unknown[];
    if (trimmed.startsWith("[")) {
        try {
            raw = JSON.parse(trimmed) as unknown[];
        } catch (e) {
            throw new EventLogError(`the event log is a JSON array that does not parse (cut short?): ${(e as Error).message}`);
        }
    } else {
        raw = trimmed.split("\n").map((line, i) => ({ line, i })).filter(({ line }) => line.trim() !== "").map(({ line, i }) => {
            try {
                return JSON.parse(line);
            } catch (e) {
                throw new EventLogError(`event log line ${i + 1} is not JSON (cut short?): ${(e as Error).message}`);
            }
        });
    }
    raw.forEach((e, i) => {
        if (!isObject(e) || !EVENT_KEYS.some((k) => isObject(e[k]))) {
            throw new EventLogError(`event ${i + 1} of the event log is not an engine event (${JSON.stringify(e)?.slice(0, 60)}); expected one JSON object per line with one of ${EVENT_KEYS.slice(0, 5).join(", ")}, ...`);
        }
    });
    const events = raw as Record<string, unknown>[];
    const of = <T>(key: string) => events.map((e) => e[key]).filter(isObject) as T[];
    const policyEvents = of<EnginePolicyEvent>("policyEvent").filter((p) => typeof p.policyName === "string");
    const resourceSummaries = of<EnginePolicySummary>("policyAnalyzeSummaryEvent");
    const stackSummaries = of<EnginePolicySummary>("policyAnalyzeStackSummaryEvent");
    const summaries = of<EngineSummaryEvent>("summaryEvent");
    const urns = new Set<string>();
    for (const e of events) {
        const meta = (e.resourcePreEvent as { metadata?: { urn?: unknown } } | undefined)?.metadata;
        for (const u of [meta?.urn, (e.policyEvent as EnginePolicyEvent | undefined)?.resourceUrn, (e.policyAnalyzeSummaryEvent as EnginePolicySummary | undefined)?.resourceUrn]) {
            if (typeof u === "string" && u !== "") urns.add(u);
        }
    }
    return { events, policyEvents, resourceSummaries, stackSummaries, summary: summaries[summaries.length - 1], urns: [...urns] };
}

/** Does a pack name of the engine (`name`, or `name|local|path` for a local pack) name this pack? */
export const namesPack = (engineName: string, pack: string) => engineName === pack || engineName.startsWith(`${pack}|`);

/** What the log lacks to prove that `pack` ran over the whole stack; empty when the evidence is complete. */
export function missingEvidence(log: EventLog, pack: string): string[] {
    const missing: string[] = [];
    if (!log.summary) {
        missing.push("no summaryEvent: the log is incomplete (the run was cut short, or the file is not a whole event log)");
    } else {
        const ran = Object.keys(log.summary.PolicyPacks ?? (log.summary as { policyPacks?: Record<string, string> }).policyPacks ?? {});
        if (!ran.some((n) => namesPack(n, pack))) {
            missing.push(`the summaryEvent does not name policy pack "${pack}" (${ran.length ? `packs that ran: ${ran.join(", ")}` : "no policy pack ran: was --policy-pack given?"})`);
        }
        if (log.summary.result === "canceled") missing.push("the run was canceled (summaryEvent result \"canceled\")");
    }
    if (!log.resourceSummaries.some((s) => namesPack(s.policyPackName, pack)) && !log.stackSummaries.some((s) => namesPack(s.policyPackName, pack))) {
        missing.push(`no policyAnalyzeSummaryEvent or policyAnalyzeStackSummaryEvent of "${pack}": no resource was analyzed by it (a Pulumi CLI older than the policy summary events, or a run that stopped before its policy checks)`);
    } else if (!log.stackSummaries.some((s) => namesPack(s.policyPackName, pack))) {
        missing.push(`no policyAnalyzeStackSummaryEvent of "${pack}": the stack policies did not run (the run stopped before its end-of-run policy checks)`);
    }
    return missing;
}

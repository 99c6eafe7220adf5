import * as pulumi from "@pulumi/pulumi";

/** One thing wrong with the stack config: the key, the value given, and what is allowed. */
export interface ConfigProblem {
    /** Full config key, namespaced as in `Pulumi.<stack>.yaml`, with a path into structured values (e.g. `scaling-topology:network.cidr`). */
    key: string;
    /** The value the stack gave (undefined when the key is missing). */
    value: unknown;
    /** What is wrong and what is allowed. */
    message: string;
}

/** Renders a value for an error line: short, JSON-like, never a secret. */
export function describeValue(value: unknown): string {
    if (value === undefined) return "(missing)";
    // JSON has no NaN or infinities (it would print null): show them as YAML writes them.
    const yamlNumber = (n: number) => (Number.isNaN(n) ? ".nan" : n > 0 ? ".inf" : "-.inf");
    if (typeof value === "number" && !Number.isFinite(value)) return yamlNumber(value);
    const text = (JSON.stringify(value, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? `\u0000${yamlNumber(v)}` : v)) ?? String(value))
        .replace(/"\\u0000([^"]*)"/g, "$1");
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function formatProblems(stack: string, problems: ConfigProblem[]): string {
    const lines = problems.map((p) => `  - ${p.key} = ${describeValue(p.value)}: ${p.message}`);
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    return `Invalid stack config for stack "${stack}" (${count}); no resource was created:\n${lines.join("\n")}`;
}

/**
 * Thrown when stack config is invalid. It extends `pulumi.RunError`, so the Pulumi CLI prints the
 * message alone (no stack trace) and exits non-zero; the offline plan exits 1 with the same text.
 */
export class ConfigError extends pulumi.RunError {
    public readonly problems: ConfigProblem[];
    constructor(stack: string, problems: ConfigProblem[]) {
        super(formatProblems(stack, problems));
        this.name = "ConfigError";
        this.problems = problems;
    }

    public static override isInstance(e: unknown): e is ConfigError {
        return e instanceof Error && (e as Error).name === "ConfigError" && Array.isArray((e as ConfigError).problems);
    }
}

/**
 * The one module that turns stack config into a typed, validated `StackConfig`.
 *
 * Every config key the program reads is declared in `CONFIG_DOMAINS` with its schema; `parseStackConfig`
 * validates all of them (plus the cross-key checks in `CONFIG_CHECKS`) and reports every problem at once.
 * Components never read config: they receive typed args derived from the result.
 */
import { z } from "zod";
import { ConfigError, ConfigProblem } from "./errors";
import { Environment, LoadConfig, Region, Tags } from "./core";
import { NetworkConfig } from "./network";
import { PolicyConfig } from "./policy";
import { ClusterConfig, IngressConfig, ServicesConfig, computeChecks } from "./compute";
import { loadChecks, networkChecks } from "./checks";
import { CloudflareApiToken, EdgeConfig, edgeChecks } from "./edge";
import { BackupConfig, backupChecks } from "./backup";
import { AuroraConfig, PgBouncerConfig, RedisConfig, dataChecks } from "./data";
import { ObservabilityConfig, observabilityChecks } from "./observability";

export { ConfigError, ConfigProblem, formatProblems } from "./errors";

/** The Pulumi project name: config keys read `scaling-topology:<key>`. */
export const PROJECT = "scaling-topology";

interface Domain<S extends z.ZodType> {
    /** Full config key as written in `Pulumi.<stack>.yaml`. */
    key: string;
    schema: S;
    /** Missing keys are reported unless optional (schemas with defaults are optional). */
    optional?: boolean;
}

const domain = <S extends z.ZodType>(d: Domain<S>) => d;

/** Every config key the program reads, its schema, and whether it may be left out. */
export const CONFIG_DOMAINS = {
    region: domain({ key: "aws:region", schema: Region }),
    environment: domain({ key: `${PROJECT}:environment`, schema: Environment }),
    tags: domain({ key: `${PROJECT}:tags`, schema: Tags, optional: true }),
    network: domain({ key: `${PROJECT}:network`, schema: NetworkConfig }),
    load: domain({ key: `${PROJECT}:load`, schema: LoadConfig }),
    // compute
    cluster: domain({ key: `${PROJECT}:cluster`, schema: ClusterConfig }),
    ingress: domain({ key: `${PROJECT}:ingress`, schema: IngressConfig }),
    services: domain({ key: `${PROJECT}:services`, schema: ServicesConfig }),
    // data
    aurora: domain({ key: `${PROJECT}:aurora`, schema: AuroraConfig }),
    pgbouncer: domain({ key: `${PROJECT}:pgbouncer`, schema: PgBouncerConfig }),
    redis: domain({ key: `${PROJECT}:redis`, schema: RedisConfig }),
    // edge and backups
    edge: domain({ key: `${PROJECT}:edge`, schema: EdgeConfig }),
    backup: domain({ key: `${PROJECT}:backup`, schema: BackupConfig }),
    cloudflareApiToken: domain({ key: "cloudflare:apiToken", schema: CloudflareApiToken, optional: true }),
    // observability: SLOs, alert recipients, metrics pipeline (optional: defaults in config/observability.ts)
    observability: domain({ key: `${PROJECT}:observability`, schema: ObservabilityConfig, optional: true }),
    // policy waivers
    policy: domain({ key: `${PROJECT}:policy`, schema: PolicyConfig, optional: true }),
};

type Domains = typeof CONFIG_DOMAINS;
export type DomainName = keyof Domains;

/** The validated stack config. */
export type StackConfig = { [K in DomainName]: z.output<Domains[K]["schema"]> } & {
    /** Stack name (`dev`, `prod`, ...). */
    stack: string;
};

/** A cross-key check: runs when every domain it needs parsed cleanly. */
export interface ConfigCheck {
    needs: DomainName[];
    check(config: StackConfig): ConfigProblem[];
}

/**
 * Cross-key checks of shape and consistency. Checks that need the sizing formulas (capacity, connection
 * budget, load targets) are `sizing/`'s and reach `parseStackConfig` through its `checks` option.
 */
export const CONFIG_CHECKS: ConfigCheck[] = [
    ...networkChecks,
    ...loadChecks,
    ...computeChecks,
    ...dataChecks,
    ...edgeChecks,
    ...backupChecks,
    ...observabilityChecks,
];

/** What `parseStackConfig` runs beyond the shape checks. */
export interface ParseOptions {
    /** More cross-key checks, run like `CONFIG_CHECKS` (when the domains they need parsed). */
    checks?: ConfigCheck[];
}

/** Raw values by full config key, as strings (Pulumi's representation) or already-parsed values. */
export type RawConfig = Record<string, unknown>;

/** Pulumi hands config values over as strings; structured values and numbers arrive as JSON text. */
function decode(value: unknown): unknown {
    if (typeof value !== "string") return value;
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
    let v: unknown = root;
    for (const p of path) {
        if (v === null || typeof v !== "object") return undefined;
        v = (v as Record<PropertyKey, unknown>)[p];
    }
    return v;
}

function keyWithPath(key: string, path: PropertyKey[]): string {
    return path.reduce<string>((k, p) => (typeof p === "number" ? `${k}[${p}]` : `${k}.${String(p)}`), key);
}

function issueProblems(key: string, raw: unknown, error: z.ZodError): ConfigProblem[] {
    return error.issues.flatMap((issue) => {
        // Unrecognized fields: one line per field, so a typo points at itself.
        if (issue.code === "unrecognized_keys") {
            return (issue as { keys: string[] }).keys.map((field) => ({
                key: keyWithPath(key, [...issue.path, field]),
                value: valueAt(raw, [...issue.path, field]),
                message: `is not a known field; allowed fields: ${allowedFields(issue.path, key)}`,
            }));
        }
        return [{ key: keyWithPath(key, issue.path), value: valueAt(raw, issue.path), message: issue.message }];
    });
}

function allowedFields(path: PropertyKey[], key: string): string {
    const name = (Object.keys(CONFIG_DOMAINS) as DomainName[]).find((d) => CONFIG_DOMAINS[d].key === key);
    let schema: unknown = name ? CONFIG_DOMAINS[name].schema : undefined;
    for (const p of path) schema = unwrap(schema)?.shape?.[p as string];
    const shape = unwrap(schema)?.shape;
    return shape ? Object.keys(shape).join(", ") : "see the README's config reference";
}

function unwrap(schema: unknown): { shape?: Record<string, unknown> } | undefined {
    let s = schema as { shape?: Record<string, unknown>; unwrap?: () => unknown; def?: { innerType?: unknown; element?: unknown } } | undefined;
    for (let i = 0; s && !s.shape && i < 5; i++) s = (s.def?.innerType ?? s.def?.element) as typeof s;
    return s;
}

/**
 * Validates the shape of raw stack config (pure: no Pulumi runtime needed). Throws `ConfigError` listing
 * every problem. `resolveStackConfig` (sizing/) is the full validation: shape, derived sizing and budgets.
 * @param raw values by full config key (`scaling-topology:network`, `aws:region`, ...)
 */
export function parseStackConfig(stack: string, raw: RawConfig, options: ParseOptions = {}): StackConfig {
    const problems: ConfigProblem[] = [];
    const parsed: Partial<Record<DomainName, unknown>> = {};
    for (const name of Object.keys(CONFIG_DOMAINS) as DomainName[]) {
        const d: Domain<z.ZodType> = CONFIG_DOMAINS[name];
        const value = decode(raw[d.key]);
        if (value === undefined && !d.optional) {
            problems.push({ key: d.key, value, message: "is required; see the README's config reference" });
            continue;
        }
        const result = d.schema.safeParse(value);
        if (result.success) parsed[name] = result.data;
        else problems.push(...issueProblems(d.key, value, result.error));
    }
    const known = new Set(Object.values(CONFIG_DOMAINS).map((d) => d.key));
    for (const key of Object.keys(raw)) {
        if (key.startsWith(`${PROJECT}:`) && !known.has(key)) {
            problems.push({ key, value: decode(raw[key]), message: `is not a known key; known keys: ${[...known].filter((k) => k.startsWith(PROJECT)).join(", ")}` });
        }
    }
    const config = { ...parsed, stack } as StackConfig;
    for (const c of [...CONFIG_CHECKS, ...(options.checks ?? [])]) {
        if (c.needs.every((n) => n in parsed)) problems.push(...c.check(config));
    }
    if (problems.length > 0) throw new ConfigError(stack, problems);
    return config;
}

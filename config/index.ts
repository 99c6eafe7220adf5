/**
 * The one module that turns stack config into a typed, validated `StackConfig`.
 *
 * Every config key the program reads is declared in `CONFIG_DOMAINS` with its schema; `parseStackConfig`
 * validates all of them (plus the cross-key checks in `CONFIG_CHECKS`) and reports every problem at once.
 * Components never read config: they receive typed args derived from the result.
 */
import { z } from "zod";
import { ConfigError, ConfigProblem, describeValue } from "./errors";
import { serviceNameProblems, stackNameProblems } from "./names";
import { OTHER_CONFIG_NAMESPACES, PROVIDER_CONFIG_KEYS, SECRET_CONFIG_KEYS } from "../catalog/providerConfig";
import { Environment, LoadConfig, Region, Tags } from "./core";
import { NetworkConfig } from "./network";
import { PolicyConfig } from "./policy";
import { ClusterConfig, IngressConfig, ServicesConfig, computeChecks } from "./compute";
import { loadChecks, networkChecks } from "./checks";
import { CloudflareApiToken, EdgeConfig, edgeChecks } from "./edge";
import { BackupConfig, backupChecks } from "./backup";
import { AuroraConfig, PgBouncerConfig, RedisConfig, dataChecks } from "./data";
import { ImagesConfig, imageChecks, RegistryToken } from "./images";
import { RecoveryConfig, recoveryChecks } from "./recovery";
import { tagChecks } from "./tags";
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
    // images: pulled through the ECR pull-through cache, with registry logins
    images: domain({ key: `${PROJECT}:images`, schema: ImagesConfig, optional: true }),
    dockerHubAccessToken: domain({ key: `${PROJECT}:dockerHubAccessToken`, schema: RegistryToken, optional: true }),
    ghcrAccessToken: domain({ key: `${PROJECT}:ghcrAccessToken`, schema: RegistryToken, optional: true }),
    // observability: SLOs, alert recipients, metrics pipeline (optional: defaults in config/observability.ts)
    observability: domain({ key: `${PROJECT}:observability`, schema: ObservabilityConfig, optional: true }),
    // policy waivers
    policy: domain({ key: `${PROJECT}:policy`, schema: PolicyConfig, optional: true }),
    // multi-region disaster recovery: absent on a single-region stack
    recovery: domain({ key: `${PROJECT}:recovery`, schema: RecoveryConfig.optional(), optional: true }),
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
    { needs: ["services"], check: (c) => serviceNameProblems(c.stack, c.services) },
    ...tagChecks,
    ...networkChecks,
    ...loadChecks,
    ...computeChecks,
    ...dataChecks,
    ...edgeChecks,
    ...backupChecks,
    ...imageChecks,
    ...recoveryChecks,
    ...observabilityChecks,
];

/** What `parseStackConfig` runs beyond the shape checks. */
export interface ParseOptions {
    /** More cross-key checks, run like `CONFIG_CHECKS` (when the domains they need parsed). */
    checks?: ConfigCheck[];
    /** The Pulumi project name: physical names start with `${project}-${stack}`; its own namespace is admitted. @default "scaling-topology" */
    project?: string;
    /** Keys whose values are secrets (encrypted in the stack file); when given, credentials in plain text are refused. */
    secretKeys?: string[];
    /** Problems already found in the stack file (e.g. malformed `secure:` values), reported with the rest. */
    problems?: ConfigProblem[];
    /**
     * Checks of raw values (decoded from JSON text), run whatever the schemas say: for checks that must
     * report with the shape problems of the same key (e.g. the stack's policy config against the pack).
     */
    rawChecks?: Array<(raw: RawConfig) => ConfigProblem[]>;
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

/** The schema at a path into a domain's value (through defaults, optionals, arrays and records). */
function schemaAt(root: unknown, path: PropertyKey[]): AnySchema | undefined {
    let s = unwrap(root as AnySchema | undefined);
    for (const p of path) {
        if (!s) return undefined;
        const def = s.def ?? {};
        if (def.type === "object") s = unwrap(def.shape?.[p as string]);
        else if (def.type === "array") s = unwrap(def.element);
        else if (def.type === "record") s = unwrap(def.valueType);
        else return undefined;
    }
    return s;
}

interface AnySchema {
    def?: { type?: string; shape?: Record<string, AnySchema>; element?: AnySchema; keyType?: AnySchema; valueType?: AnySchema; innerType?: AnySchema; in?: AnySchema };
    options?: unknown[];
}

function unwrap(schema: AnySchema | undefined): AnySchema | undefined {
    let s = schema;
    for (let i = 0; s && i < 8; i++) {
        const def = s.def ?? {};
        if (def.innerType) s = def.innerType;
        else if (def.type === "pipe" && def.in) s = def.in;
        else break;
    }
    return s;
}

/** The keys a record or object at `path` admits, as text; undefined when any key is allowed. */
function allowedKeys(domainSchema: unknown, path: PropertyKey[]): string | undefined {
    const s = schemaAt(domainSchema, path);
    if (s?.def?.type === "object") return Object.keys(s.def.shape ?? {}).join(", ");
    if (s?.def?.type === "record") {
        const keys = unwrap(s.def.keyType);
        if (keys?.options) return keys.options.map(String).join(", ");
    }
    return undefined;
}

/** A hint for a number where text was expected: YAML reads `1.30` as the number 1.3. */
function quoteHint(value: unknown, options: string[] | undefined): string {
    if (typeof value !== "number" || !Number.isFinite(value)) return "";
    const example = options?.find((o) => Number(o) === value) ?? options?.find((o) => o.startsWith(String(value))) ?? options?.[0];
    // The value itself is not repeated here: it may be a credential.
    return `; YAML read a number here: write it in quotes${example ? `, e.g. "${example}"` : ""}${Number.isInteger(value) ? "" : " (unquoted, 1.30 reads as 1.3)"}`;
}

function issueProblems(key: string, raw: unknown, schema: unknown, error: z.ZodError): ConfigProblem[] {
    return error.issues.flatMap((issue): ConfigProblem[] => {
        const i = issue as z.core.$ZodIssue & { keys?: string[]; values?: unknown[]; expected?: string; issues?: { message: string }[] };
        // Unrecognized fields: one line per field, so a typo points at itself.
        if (i.code === "unrecognized_keys") {
            const allowed = allowedKeys(schema, i.path) ?? "see the README's config reference";
            return (i.keys ?? []).map((field) => ({
                key: keyWithPath(key, [...i.path, field]),
                value: valueAt(raw, [...i.path, field]),
                message: `is not a known field; allowed fields: ${allowed}`,
            }));
        }
        const value = valueAt(raw, i.path);
        if (i.code === "invalid_key") {
            const parentPath = i.path.slice(0, -1);
            const allowed = allowedKeys(schema, parentPath);
            const why = (i.issues ?? []).map((x) => x.message).filter((m) => m && !/^Invalid/.test(m)).join("; ");
            return [{
                key: keyWithPath(key, i.path),
                value: String(i.path[i.path.length - 1]),
                message: `is not an allowed key${why ? `: ${why}` : ""}${allowed ? `; allowed keys: ${allowed}` : ""}`,
            }];
        }
        let message = i.message;
        if (i.code === "invalid_value" && i.values) message += quoteHint(value, i.values.map(String));
        else if (i.code === "invalid_type" && i.expected === "string") message += quoteHint(value, undefined);
        if (typeof value === "number" && !Number.isFinite(value)) message = `must be a finite number (${describeValue(value)} is not one); ${message}`;
        return [{ key: keyWithPath(key, i.path), value, message }];
    });
}

/** Problems with keys outside the program's own domains: namespaces, provider keys, secrets. */
function keyProblems(raw: RawConfig, options: ParseOptions): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const known = new Set(Object.values(CONFIG_DOMAINS).map((d) => d.key));
    const own = [...known].filter((k) => k.startsWith(`${PROJECT}:`));
    const namespaces = [PROJECT, ...Object.keys(PROVIDER_CONFIG_KEYS), ...OTHER_CONFIG_NAMESPACES];
    for (const key of Object.keys(raw)) {
        const colon = key.indexOf(":");
        const ns = colon < 0 ? "" : key.slice(0, colon);
        const name = key.slice(colon + 1);
        if (ns === PROJECT) {
            if (!known.has(key)) problems.push({ key, value: decode(raw[key]), message: `is not a known key; known keys: ${own.join(", ")}` });
        } else if (ns in PROVIDER_CONFIG_KEYS) {
            if (!PROVIDER_CONFIG_KEYS[ns].includes(name)) {
                problems.push({ key, value: decode(raw[key]), message: `is not a config key of the ${ns} provider; its keys: ${PROVIDER_CONFIG_KEYS[ns].join(", ")}` });
            }
        } else if (!OTHER_CONFIG_NAMESPACES.includes(ns) && ns !== options.project) {
            problems.push({ key, value: decode(raw[key]), message: `is in an unknown namespace "${ns}"; this program reads the namespaces ${namespaces.join(", ")} (a typo of "${PROJECT}:"?)` });
        }
    }
    if (options.secretKeys) {
        const secret = new Set(options.secretKeys);
        for (const key of SECRET_CONFIG_KEYS) {
            if (raw[key] !== undefined && !secret.has(key)) {
                problems.push({ key, value: "(plain text, not shown)", message: `is a credential and must be stored encrypted; set it with: pulumi config set --secret ${key} <value>` });
            }
        }
    }
    return problems;
}

/** A credential's value never appears in a message, whatever is wrong with it. */
function hideCredentials(p: ConfigProblem): ConfigProblem {
    const credential = SECRET_CONFIG_KEYS.some((k) => p.key === k || p.key.startsWith(`${k}.`));
    return credential && typeof p.value !== "undefined" && !/not shown/.test(String(p.value)) ? { ...p, value: "(not shown)" } : p;
}

/**
 * The stack file's own problems (a malformed `secure:` value, `.nan`) stand for their key: the schema's
 * complaint about what reached it there (null, a placeholder) would only repeat them less clearly.
 */
function withoutEchoes(problems: ConfigProblem[], fileProblems: ConfigProblem[]): ConfigProblem[] {
    const fileKeys = new Set(fileProblems.map((p) => p.key));
    return problems.filter((p) => fileProblems.includes(p) || !fileKeys.has(p.key));
}

/**
 * Validates the shape of raw stack config (pure: no Pulumi runtime needed). Throws `ConfigError` listing
 * every problem. `resolveStackConfig` (sizing/) is the full validation: shape, derived sizing and budgets.
 * @param raw values by full config key (`scaling-topology:network`, `aws:region`, ...)
 */
export function parseStackConfig(stack: string, raw: RawConfig, options: ParseOptions = {}): StackConfig {
    const problems: ConfigProblem[] = [...(options.problems ?? [])];
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
        else problems.push(...issueProblems(d.key, value, d.schema, result.error));
    }
    problems.push(...keyProblems(raw, options));
    if (options.rawChecks?.length) {
        const decoded = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, decode(v)]));
        for (const check of options.rawChecks) problems.push(...check(decoded));
    }
    problems.push(...stackNameProblems(options.project ?? PROJECT, stack));
    const config = { ...parsed, stack } as StackConfig;
    for (const c of [...CONFIG_CHECKS, ...(options.checks ?? [])]) {
        if (c.needs.every((n) => n in parsed)) problems.push(...c.check(config));
    }
    if (problems.length > 0) throw new ConfigError(stack, withoutEchoes(problems, options.problems ?? []).map(hideCredentials));
    return config;
}

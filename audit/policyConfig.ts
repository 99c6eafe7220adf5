/**
 * A stack's policy config (`scaling-topology:policy`) applied to the pack as the engine applies a
 * `--policy-pack-config` file: enforcement level per policy (policy config, else `all`, else the
 * policy's own, else the pack's) and per-policy settings (schema defaults, then the stack's values).
 */
import type Ajv from "ajv";
import type { ValidateFunction } from "ajv";
import { EnforcementLevel } from "@pulumi/policy";
import { PolicyConfig } from "../config/policy";
import { PACK_ENFORCEMENT_LEVEL, Rule, RULES } from "../policies/rules";

let ajv: Ajv | undefined;
const validators = new WeakMap<Rule, ValidateFunction>();

/** The rule's settings validator (compiled once per rule); it also fills in schema defaults. */
function validatorOf(rule: Rule): ValidateFunction {
    let v = validators.get(rule);
    if (!v) {
        // Loaded on first use: a stack that sets no policy settings needs no validator. The rules' own
        // schemas are checked against the JSON Schema meta-schema by the tests, not on every command.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        ajv ??= new (require("ajv") as typeof import("ajv")).default({ allErrors: true, useDefaults: true, strict: false, validateSchema: false });
        v = ajv.compile({ type: "object", properties: rule.configSchema?.properties ?? {}, required: rule.configSchema?.required ?? [], additionalProperties: false });
        validators.set(rule, v);
    }
    return v;
}

/** The engine's order: the stack's level for the policy, else its `all`, else the policy's own, else the pack's. */
export function enforcementLevelOf(rule: Rule, config: PolicyConfig): EnforcementLevel {
    return config.enforcement[rule.name] ?? config.enforcement.all ?? rule.enforcementLevel ?? PACK_ENFORCEMENT_LEVEL;
}

/** What `args.getConfig()` returns: the schema's defaults overlaid with the stack's settings. */
export function settingsOf(rule: Rule, config: PolicyConfig): Record<string, unknown> {
    const given = config.config[rule.name];
    if (given === undefined) {
        // Nothing set: the schema's top-level defaults, all the validator would fill in on an empty object.
        const defaults = Object.entries(rule.configSchema?.properties ?? {}).filter(([, p]) => (p as { default?: unknown }).default !== undefined);
        return Object.fromEntries(defaults.map(([name, p]) => [name, structuredClone((p as { default: unknown }).default)]));
    }
    const settings = structuredClone(given);
    // Fills defaults (problems are reported when config is parsed); a rule without settings has none.
    if (rule.configSchema) validatorOf(rule)(settings);
    return settings;
}

/** Problems in a stack's policy config: unknown policy names, settings that fail a policy's schema. */
export function policyConfigProblems(config: PolicyConfig, key: string, rules: Rule[] = RULES): { key: string; value: unknown; message: string }[] {
    const names = new Set(rules.map((r) => r.name));
    const known = `known policies: see the README's policy table (e.g. ${rules.slice(0, 3).map((r) => r.name).join(", ")})`;
    const problems: { key: string; value: unknown; message: string }[] = [];
    for (const name of Object.keys(config.enforcement)) {
        if (name !== "all" && !names.has(name)) problems.push({ key: `${key}.enforcement.${name}`, value: config.enforcement[name], message: `is not a policy of the pack; ${known}` });
    }
    for (const [name, settings] of Object.entries(config.config)) {
        const rule = rules.find((r) => r.name === name);
        if (!rule) {
            problems.push({ key: `${key}.config.${name}`, value: settings, message: `is not a policy of the pack; ${known}` });
            continue;
        }
        const validate = validatorOf(rule);
        if (!validate(structuredClone(settings))) {
            for (const e of validate.errors ?? []) {
                const field = e.instancePath.replace(/^\//, "").replace(/\//g, ".") || (e.params as { additionalProperty?: string }).additionalProperty;
                const allowed = Object.keys(rule.configSchema?.properties ?? {});
                problems.push({
                    key: `${key}.config.${name}${field ? `.${field}` : ""}`,
                    value: field ? (settings as Record<string, unknown>)[field.split(".")[0]] : settings,
                    message: e.keyword === "additionalProperties" ? `is not a setting of ${name}; allowed: ${allowed.join(", ") || "none"}` : e.message ?? "is invalid",
                });
            }
        }
    }
    config.waivers.forEach((w, i) => {
        if (!names.has(w.policy)) problems.push({ key: `${key}.waivers[${i}].policy`, value: w.policy, message: `is not a policy of the pack; ${known}` });
    });
    return problems;
}

/**
 * The stack's policy config in the engine's `--policy-pack-config` format, so a real
 * `pulumi preview --policy-pack policies --policy-pack-config FILE` enforces what the offline plan does.
 */
export function enginePackConfig(config: PolicyConfig, rules: Rule[] = RULES): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (config.enforcement.all) out.all = config.enforcement.all;
    for (const rule of rules) {
        const settings = config.config[rule.name];
        const level = config.enforcement[rule.name];
        if (settings || level) out[rule.name] = { ...(level ? { enforcementLevel: level } : {}), ...(settings ?? {}) };
    }
    return out;
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * `policyConfigProblems` over a raw `scaling-topology:policy` value whose shape may be wrong elsewhere: the
 * parts that are well formed are checked against the pack, so a shape problem and an unknown policy name
 * come out in the same report (not one round after the other).
 */
export function rawPolicyConfigProblems(raw: unknown, key: string, rules: Rule[] = RULES): { key: string; value: unknown; message: string }[] {
    if (!isMap(raw)) return [];
    const enforcement = isMap(raw.enforcement) ? Object.fromEntries(Object.entries(raw.enforcement).filter(([, v]) => typeof v === "string")) : {};
    const config = isMap(raw.config) ? Object.fromEntries(Object.entries(raw.config).filter(([, v]) => isMap(v))) : {};
    const problems = policyConfigProblems({ enforcement, config, waivers: [] } as unknown as PolicyConfig, key, rules);
    const names = new Set(rules.map((r) => r.name));
    (Array.isArray(raw.waivers) ? raw.waivers : []).forEach((w, i) => {
        const policy = isMap(w) ? w.policy : undefined;
        if (typeof policy === "string" && /^[a-z0-9]+(-[a-z0-9]+)*$/.test(policy) && !names.has(policy)) {
            problems.push({ key: `${key}.waivers[${i}].policy`, value: policy, message: `is not a policy of the pack; known policies: see the README's policy table (e.g. ${rules.slice(0, 3).map((r) => r.name).join(", ")})` });
        }
    });
    return problems;
}

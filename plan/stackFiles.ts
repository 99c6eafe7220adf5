/** Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the Pulumi CLI does, for runs without the CLI. */
import * as fs from "fs";
import * as path from "path";
import { CORE_SCHEMA, load as loadYaml } from "js-yaml";
import type { ConfigProblem } from "../config/errors";
import { SECRET } from "./recorder";

export interface StackFiles {
    project: string;
    main: string;
    /** Config by full key (`namespace:key`); structured values as JSON text, as the CLI passes them. */
    config: Record<string, string>;
    /** Keys whose values are `secure:` in the stack file (ciphertext the offline plan cannot decrypt). */
    secretKeys: string[];
    /**
     * What the stack file holds that no config value can carry: malformed `secure:` values, numbers that
     * are not finite (`.nan`, `.inf`), a `config` that is not a map. Reported with the config's other problems.
     */
    problems: ConfigProblem[];
}

export class StackFileError extends Error {}

/**
/**
 * Ciphertext as `pulumi config set --secret` writes it: base64 (Pulumi Cloud and cloud KMS secrets managers)
 * or `v1:<nonce>:<ciphertext>` (passphrase).
 */
const BASE64 = "(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})";
const CIPHERTEXT = new RegExp(`^(?:${BASE64}|v1:${BASE64}:${BASE64})$`);

/**
 * Parsed stack files by path and identity (size, mtime): a plan command reads the same stack file for the
 * policy config, the program's config and the sizing report. An edited file has another identity, so it is
 * read again.
 *
 * YAML 1.2's core schema, as the Pulumi CLI reads stack files (`yes` is text, no timestamps, duplicate
 * keys refused), with js-yaml (the Pulumi SDK's own YAML reader): a tenth of the time of the `yaml`
 * package, which took 20-70 ms a stack file.
 */
const parsed = new Map<string, { identity: string; doc: unknown }>();

function parseYamlFile(file: string): unknown {
    const st = fs.statSync(file);
    const identity = `${st.size}:${st.mtimeMs}:${st.ino}`;
    const hit = parsed.get(file);
    if (hit?.identity === identity) return structuredClone(hit.doc);
    const doc = loadYaml(fs.readFileSync(file, "utf8"), { schema: CORE_SCHEMA, filename: file });
    parsed.set(file, { identity, doc });
    return structuredClone(doc);
}

export function readStackFiles(projectDir: string, stack: string): StackFiles {
    const projectFile = path.join(projectDir, "Pulumi.yaml");
    let project: any;
    try {
        project = parseYamlFile(projectFile) ?? {};
    } catch (e) {
        throw new StackFileError(`${projectFile} cannot be read as YAML: ${(e as Error).message}`);
    }
    if (typeof project !== "object" || typeof project.name !== "string") throw new StackFileError(`${projectFile} has no project name (name: <project>)`);
    const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
    if (!/^[\w.-]+$/.test(stack) || !fs.existsSync(stackFile)) {
        const stacks = fs.readdirSync(projectDir).filter((f) => /^Pulumi\.[\w.-]+\.yaml$/.test(f)).map((f) => f.slice(7, -5));
        throw new StackFileError(`no stack file ${path.basename(stackFile)}; stacks here: ${stacks.join(", ") || "none"}`);
    }
    let doc: any;
    try {
        doc = parseYamlFile(stackFile) ?? {};
    } catch (e) {
        throw new StackFileError(`${path.basename(stackFile)} is not valid YAML: ${(e as Error).message}`);
    }
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const problems: ConfigProblem[] = [];
    // Project-level defaults first (Pulumi.yaml `config: { key: { default: ... } }`), then the stack's values.
    for (const [key, spec] of Object.entries<any>(isMap(project.config) ? project.config : {})) {
        if (spec && typeof spec === "object" && "default" in spec) config[fullKey(project.name, key)] = encode(spec.default);
    }
    const values = isMap(doc) ? doc.config ?? {} : doc;
    if (!isMap(values)) {
        problems.push({ key: `${path.basename(stackFile)}: config`, value: values, message: "must be a map of config keys to values (config:\\n  aws:region: eu-west-1 ...)" });
    }
    for (const [key, value] of Object.entries<any>(isMap(values) ? values : {})) {
        const k = fullKey(project.name, key);
        if (isMap(value) && Object.keys(value).length === 1 && "secure" in value) {
            secretKeys.push(k);
            if (typeof value.secure === "string" && CIPHERTEXT.test(value.secure)) config[k] = SECRET;
            else problems.push({ key: k, value: "(secure value, not shown)", message: `has a malformed secure: value (${describeSecure(value.secure)}); it must be the ciphertext \`pulumi config set --secret ${k} <value>\` writes` });
        } else {
            problems.push(...nonFinite(k, value));
            config[k] = encode(value);
        }
    }
    return { project: project.name, main: project.main ?? "index.ts", config, secretKeys, problems };
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function describeSecure(v: unknown): string {
    if (typeof v === "string") return v === "" ? "empty" : "not base64 ciphertext";
    return v === null ? "empty" : `a ${Array.isArray(v) ? "list" : typeof v}, not text`;
}

/** `.nan`, `.inf` and `-.inf` anywhere in a value: JSON (how config reaches the program) has no such numbers. */
function nonFinite(key: string, value: unknown): ConfigProblem[] {
    if (typeof value === "number" && !Number.isFinite(value)) return [{ key, value, message: "must be a finite number: YAML's .nan and .inf are not config values" }];
    if (Array.isArray(value)) return value.flatMap((v, i) => nonFinite(`${key}[${i}]`, v));
    if (isMap(value)) return Object.entries(value).flatMap(([f, v]) => nonFinite(`${key}.${f}`, v));
    return [];
}

const fullKey = (project: string, key: string) => (key.includes(":") ? key : `${project}:${key}`);
const encode = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v) ?? "null");

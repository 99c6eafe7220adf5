/** Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the Pulumi CLI does, for runs without the CLI. */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { SECRET } from "./recorder";

export interface StackFiles {
    project: string;
    main: string;
    /** Config by full key (`namespace:key`); structured values as JSON text, as the CLI passes them. */
    config: Record<string, string>;
    /** Keys whose values are `secure:` in the stack file (ciphertext the offline plan cannot decrypt). */
    secretKeys: string[];
}

export class StackFileError extends Error {}

/**
 * Parsed stack files by path and identity (size, mtime): a plan command reads the same stack file for the
 * policy config, the program's config and the sizing report, and parsing YAML costs tens of milliseconds.
 * An edited file has another identity, so it is read again.
 */
const parsed = new Map<string, { identity: string; doc: unknown }>();

function parseYamlFile(file: string): unknown {
    const st = fs.statSync(file);
    const identity = `${st.size}:${st.mtimeMs}:${st.ino}`;
    const hit = parsed.get(file);
    if (hit?.identity === identity) return structuredClone(hit.doc);
    const doc = YAML.parse(fs.readFileSync(file, "utf8"));
    parsed.set(file, { identity, doc });
    return structuredClone(doc);
}

export function readStackFiles(projectDir: string, stack: string): StackFiles {
    const projectFile = path.join(projectDir, "Pulumi.yaml");
    const project = (parseYamlFile(projectFile) ?? {}) as { name: string; main?: string; config?: Record<string, unknown> };
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
    // Project-level defaults first (Pulumi.yaml `config: { key: { default: ... } }`), then the stack's values.
    for (const [key, spec] of Object.entries<any>(project.config ?? {})) {
        if (spec && typeof spec === "object" && "default" in spec) config[fullKey(project.name, key)] = encode(spec.default);
    }
    for (const [key, value] of Object.entries<any>(doc.config ?? {})) {
        const k = fullKey(project.name, key);
        if (value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value) {
            secretKeys.push(k);
            config[k] = SECRET;
        } else {
            config[k] = encode(value);
        }
    }
    return { project: project.name, main: project.main ?? "index.ts", config, secretKeys };
}

const fullKey = (project: string, key: string) => (key.includes(":") ? key : `${project}:${key}`);
const encode = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

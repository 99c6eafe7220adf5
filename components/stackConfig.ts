/** The running stack's config, read from the Pulumi runtime and validated in full before any resource. */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";
import { resolveStackConfig } from "../sizing/stackConfig";

/**
 * The keys the engine marks secret (encrypted in the stack file), or undefined when the engine does not say
 * (an engine that predates `PULUMI_CONFIG_SECRET_KEYS`): then plain-text credentials cannot be told apart.
 */
function secretConfigKeys(): string[] | undefined {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const store = require("@pulumi/pulumi/runtime/state").getStore() as { config: Record<string, string | undefined> };
    const text = store.config["PULUMI_CONFIG_SECRET_KEYS"];
    if (!text) return undefined;
    try {
        const keys = JSON.parse(text);
        return Array.isArray(keys) ? keys.map(String) : undefined;
    } catch {
        return undefined;
    }
}

/**
 * Reads the `scaling-topology:` config namespace (and `aws:region`, `cloudflare:apiToken`) of the running
 * stack, whatever the program's own project name, and validates and sizes it (`resolveStackConfig`), with
 * the stack and project names the physical names derive from. Throws `ConfigError` listing every problem;
 * call it before constructing any resource.
 */
export function loadStackConfig(): StackConfig {
    return resolveStackConfig(pulumi.getStack(), pulumi.runtime.allConfig(), pulumi.getProject(), { secretKeys: secretConfigKeys() });
}

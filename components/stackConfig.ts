/** The running stack's config, read from the Pulumi runtime and validated in full before any resource. */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";
import { resolveStackConfig } from "../sizing/stackConfig";

/**
 * Reads the `scaling-topology:` config namespace (and `aws:region`, `cloudflare:apiToken`) of the running
 * stack, whatever the program's own project name, and validates and sizes it (`resolveStackConfig`).
 * Throws `ConfigError` listing every problem; call it before constructing any resource.
 */
export function loadStackConfig(): StackConfig {
    return resolveStackConfig(pulumi.getStack(), pulumi.runtime.allConfig());
}

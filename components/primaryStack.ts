/**
 * What a secondary stack learns from its primary: the primary's `recovery` stack output (read through a
 * `pulumi.StackReference`), checked against the secondary's own config before any resource of the topology
 * is constructed. A mismatch (same region, other engine version, node type, shards) is a `ConfigError`.
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";
import { ConfigError, ConfigProblem } from "../config/errors";
import { PrimaryRecoveryInfo, secondaryMismatches } from "../config/recovery";

/** The primary, as a secondary's topology uses it. */
export interface PrimaryStack {
    info: PrimaryRecoveryInfo;
    /** The header value the primary's origins require (a secret), shared by the standby's ingress. */
    originVerifySecret: pulumi.Output<string>;
    /** Cloudflare's second secret that the primary's CloudFront WAF requires (mode both), else undefined. */
    edgeVerifySecret?: pulumi.Output<string>;
}

const REQUIRED: Array<[string, (p: PrimaryRecoveryInfo) => unknown]> = [
    ["region", (p) => p.region],
    ["aurora.globalClusterIdentifier", (p) => p.aurora?.globalClusterIdentifier],
    ["redis.globalReplicationGroupId", (p) => p.redis?.globalReplicationGroupId],
    ["aurora.secretName", (p) => p.aurora?.secretName],
    ["aurora.roleSecretPrefix", (p) => p.aurora?.roleSecretPrefix],
    ["redis.secretName", (p) => p.redis?.secretName],
];

/**
 * Reads the primary's `recovery` output and refuses a secondary that does not match it. The StackReference
 * is a read of another stack's state: no cloud resource exists yet when this throws.
 */
export async function readPrimaryStack(config: StackConfig, opts?: pulumi.CustomResourceOptions): Promise<PrimaryStack> {
    const name = config.recovery!.primaryStack!; // required with role secondary by the config checks
    const ref = new pulumi.StackReference(`${config.stack}-primary`, { name }, opts);
    const details = await ref.getOutputDetails("recovery");
    const value = (details.value ?? details.secretValue) as PrimaryRecoveryInfo | undefined;
    const key = "scaling-topology:recovery.primaryStack";
    const problems: ConfigProblem[] = [];
    if (!value || typeof value !== "object") {
        problems.push({ key, value: name, message: "names a stack without a `recovery` output: deploy the primary with scaling-topology:recovery.role primary first" });
    } else {
        const missing = REQUIRED.filter(([, get]) => typeof get(value) !== "string" || get(value) === "").map(([k]) => k);
        if (missing.length > 0) problems.push({ key, value: name, message: `names a stack whose recovery output lacks ${missing.join(", ")}: deploy the primary with role primary (and secondaryRegions) first` });
        else {
            problems.push(...secondaryMismatches(config, { ...value, stack: name }));
            if (!problems.length && !value.secretReplicaKeyArns?.[config.region]) problems.push({ key, value: name, message: `names a stack that replicates no secrets to ${config.region} (secretReplicaKeyArns): add ${config.region} to its recovery.secondaryRegions and deploy it first` });
        }
    }
    if (problems.length > 0) throw new ConfigError(config.stack, problems);
    return {
        info: { ...value!, stack: name },
        originVerifySecret: pulumi.secret(ref.getOutput("originVerifySecret") as pulumi.Output<string>),
        ...(value!.edge?.mode === "both" ? { edgeVerifySecret: pulumi.secret(ref.getOutput("edgeVerifySecret") as pulumi.Output<string>) } : {}),
    };
}

/**
 * The policy pack served to the Pulumi engine:
 *
 *   pulumi preview --policy-pack policies [--policy-pack-config policy-config.<stack>.json]
 *
 * `npm run audit -- --stack <name> --pack-config` writes the stack's enforcement levels and rule
 * config in the engine's format. This is the only place that constructs the `PolicyPack` (the
 * constructor starts the analyzer's gRPC server); tests and tools evaluate `RULES` in-process.
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_DESCRIPTION, PACK_ENFORCEMENT_LEVEL, PACK_NAME, RULES } from "./rules";

new PolicyPack(PACK_NAME, {
    description: PACK_DESCRIPTION,
    enforcementLevel: PACK_ENFORCEMENT_LEVEL,
    policies: RULES,
});

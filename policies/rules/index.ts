/**
 * Every rule of the pack, and the pack's identity. Imported by `policies/index.ts` (which serves the
 * pack to the Pulumi engine) and by the in-process evaluator (`audit/`), which never constructs a
 * `PolicyPack`.
 */
import { EnforcementLevel } from "@pulumi/policy";
import { backup } from "./backup";
import { Rule } from "./common";
import { compute } from "./compute";
import { dataRules } from "./data";
import { edge } from "./edge";
import { hardening } from "./hardening";
import { kubernetes } from "./kubernetes";
import { logging } from "./logging";
import { observability } from "./observability";
import { stack } from "./stack";
import { workloads } from "./workloads";

export type { Rule } from "./common";

/** Name of the pack as the engine reports it (`policyPackName`). */
export const PACK_NAME = "scaling-topology";
/** Level of a policy that sets none (each rule here sets its own). */
export const PACK_ENFORCEMENT_LEVEL: EnforcementLevel = "advisory";
export const PACK_DESCRIPTION = "Guards of the scaling topology: data, compute, Kubernetes workloads, edge, backups and stack-wide budgets.";

/**
 * The pack's version: `PolicyPack` reads it from policies/package.json (a test keeps the two equal). A
 * constant here, so the evaluator works from the published package, which ships no policies/package.json.
 */
export const PACK_VERSION = "0.1.0";

export const RULES: Rule[] = [...dataRules, ...compute, ...kubernetes, ...workloads, ...edge, ...backup, ...stack, ...observability, ...logging, ...hardening];

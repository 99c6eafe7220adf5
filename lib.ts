/**
 * The `scaling-topology` package: the `ScalingTopology` component and every component it composes, the
 * stack config loader and validators, and the sizing model. A Pulumi program uses it as
 *
 *     import { ScalingTopology, loadStackConfig } from "scaling-topology";
 *     new ScalingTopology("app", loadStackConfig());
 *
 * and `npx scaling-topology plan --stack <name>` plans that program offline.
 */
export * from "./components";
export { ConfigError, CONFIG_DOMAINS, formatProblems, parseStackConfig, PROJECT } from "./config";
export type { ConfigProblem, RawConfig, StackConfig } from "./config";
export { resolveStackConfig } from "./sizing/stackConfig";
export { sizingOf } from "./sizing/fromConfig";
export type { SizingReport } from "./sizing/report";
export { recoveryReport, recoveryScenarios, disasterRecoveryCost, RECOVERY_TIMES } from "./sizing/recovery";
export type { RecoveryReport, RecoveryScenario, DisasterRecoveryCost } from "./sizing/recovery";
export { alertThresholds, stackAlertRules } from "./sizing/alerts";
export type { AlertThresholds, AlertRule, RuleGroup } from "./sizing/alerts";

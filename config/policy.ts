/**
 * `scaling-topology:policy`: how the policy pack applies to a stack.
 *
 * - `enforcement`: per-policy enforcement level (`advisory`, `mandatory`, `disabled`; `all` sets the
 *   default for every policy), over each policy's own level: stricter in prod by config, not code.
 * - `config`: per-policy settings, validated against each policy's `configSchema` (defaults fill in).
 * - `waivers`: accepted findings, each with a reason, an owner and an expiry date. A waived finding
 *   stays in every report, marked as waived; once the expiry date has passed it counts again.
 */
import { z } from "zod";

export const POLICY_KEY = "scaling-topology:policy";

export const ENFORCEMENT_LEVELS = ["advisory", "mandatory", "disabled"] as const;
export const EnforcementLevel = z.enum(ENFORCEMENT_LEVELS, { message: `must be one of ${ENFORCEMENT_LEVELS.join(", ")}` });

export const Waiver = z.strictObject({
    /** Policy name (kebab-case, as in the README's rule table). */
    policy: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, { message: "must be a policy name such as rds-deletion-protection" }),
    /**
     * What is waived: a resource URN, or a pattern over the resource name (or URN) where `*` matches any
     * run of characters, e.g. `prod-eks-*`. Stack-wide findings without a resource match `*` only.
     */
    resource: z.string().min(1, { message: "must be a URN or a name pattern such as prod-db-*" }),
    /** Why the finding is accepted (shown in every report). */
    reason: z.string().min(10, { message: "must say why the finding is accepted (10 characters or more)" }),
    /** Who answers for it (team or person). */
    owner: z.string().min(2, { message: "must name the team or person who owns the waiver" }),
    /** Last day the waiver holds (YYYY-MM-DD, UTC); afterwards the finding counts again. */
    expires: z.iso.date({ message: "must be a date YYYY-MM-DD" }),
});
export type Waiver = z.output<typeof Waiver>;

export const PolicyConfig = z
    .strictObject({
        enforcement: z.record(z.string(), EnforcementLevel).default({}),
        config: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
        waivers: z.array(Waiver).default([]),
    })
    .prefault({});
export type PolicyConfig = z.output<typeof PolicyConfig>;

/** The pack's defaults: no override, no config, no waiver. */
export const DEFAULT_POLICY_CONFIG: PolicyConfig = { enforcement: {}, config: {}, waivers: [] };

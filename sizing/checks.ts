/**
 * The checks that need numbers: the subnets fit the VPC, the node groups carry every workload at its
 * maximum, PgBouncer's pools fit Aurora's connections, and the topology carries its load targets. They run
 * on the shape-validated config (`config/`), which knows nothing of these formulas.
 */
import type { ConfigCheck } from "../config";
import { capacityProblems, pgbouncerNodeGroup } from "./capacity";
import { auroraConnectionInputs, connectionBudget, describeBudget } from "./connections";
import { sizingChecks } from "./fromConfig";
import { planSubnets } from "./subnets";
import { objectiveMisses, recoveryReport } from "./recovery";

const P = "scaling-topology";

export const SIZING_CHECKS: ConfigCheck[] = [
    {
        needs: ["network"],
        check: (c) =>
            planSubnets(c.network)
                ? []
                : [{
                    key: `${P}:network.subnetPrefixLengths`,
                    value: c.network.subnetPrefixLengths,
                    message: `three public, three private and three isolated subnets of these sizes do not fit in network.cidr ${c.network.cidr}; use a larger VPC CIDR or longer prefixes`,
                }],
    },
    {
        // Every workload at its maximum fits its node group. Runs once every workload names an application
        // group (the config check reports a wrong name; a capacity verdict on it would only add noise).
        needs: ["cluster", "services", "ingress", "pgbouncer"],
        check: (c) => {
            const groups = new Set(c.cluster.nodeGroups.filter((g) => g.role === "application").map((g) => g.name));
            const placed = [...c.services.map((s) => s.nodeGroup), c.ingress.nodeGroup, pgbouncerNodeGroup(c)];
            return placed.every((g) => g !== undefined && groups.has(g)) ? capacityProblems(c) : [];
        },
    },
    {
        // The connection budget: every PgBouncer pod at maxReplicas against the instance behind each endpoint.
        needs: ["aurora", "pgbouncer"],
        check: (c) =>
            connectionBudget(auroraConnectionInputs(c.aurora), c.pgbouncer)
                .filter((b) => !b.ok)
                .map((b) => ({
                    key: `${P}:pgbouncer.${b.pool}`,
                    value: { defaultPoolSize: c.pgbouncer[b.pool].defaultPoolSize, reservePoolSize: c.pgbouncer[b.pool].reservePoolSize, maxReplicas: b.maxReplicas },
                    message: `exceeds the connection budget of ${P}:aurora: ${describeBudget(b)}; lower the pool sizes or maxReplicas, or use a larger aurora instance class`,
                })),
    },
    ...sizingChecks,
    {
        // prod meets the region-loss objectives (RTO <= 60 min, RPO of seconds): it needs a standby region.
        needs: ["environment", "recovery", "aurora", "redis", "network", "backup", "cluster"],
        check: (c) => {
            if (c.environment !== "prod") return [];
            const report = recoveryReport(c);
            return objectiveMisses(report).map((s) => ({
                key: c.recovery ? `${P}:recovery` : `${P}:recovery.role`,
                value: c.recovery?.role,
                message: `prod must recover from the loss of its region within ${report.objectives.regionLossRtoMinutes} min losing at most ${report.objectives.regionLossRpoSeconds} s of writes, but ${s.name} is RTO ${s.rtoMinutes} min, RPO ${s.rpoSeconds} s (${s.basis.split(". ")[0]}); ${c.recovery ? "lower recovery.decisionMinutes or keep a standby Aurora instance (standbyAuroraInstances: 1)" : "run a warm standby: set scaling-topology:recovery (role primary, secondaryRegions) and deploy a secondary stack (README \"Disaster recovery\")"}`,
            }));
        },
    },
];

/**
 * Observability rules: every data store is watched by alarms that notify someone.
 */
import { isSet, list, PolicyResource, Props, Rule } from "./common";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const AURORA = "aws:rds/cluster:Cluster";
const CACHE = "aws:elasticache/replicationGroup:ReplicationGroup";

/** The dimension maps an alarm reads: its own metric's, and each metric of its metric math. */
function alarmDimensions(p: Props): Array<Record<string, unknown>> {
    const own = isSet(p, "dimensions") ? [p.dimensions as Record<string, unknown>] : [];
    return [...own, ...list(p.metricQueries).filter((q) => isSet(q, "metric")).map((q) => (q.metric.dimensions ?? {}) as Record<string, unknown>)];
}

/** Does this alarm watch the store (by its identifier in a dimension, or by taking it from the store: a dependency)? */
function watches(alarm: PolicyResource, store: PolicyResource): boolean {
    if (alarm.dependencies.some((d) => d.urn === store.urn)) return true;
    const dims = alarmDimensions(alarm.props);
    if (store.type === AURORA) {
        const id = store.props.clusterIdentifier;
        return typeof id === "string" && dims.some((d) => d.DBClusterIdentifier === id);
    }
    const id = store.props.replicationGroupId;
    return typeof id === "string" && dims.some((d) => d.ReplicationGroupId === id || (typeof d.CacheClusterId === "string" && d.CacheClusterId.startsWith(`${id}-`)));
}

export const observability: Rule[] = [
    {
        name: "data-store-alarms",
        description: "Every data store (Aurora cluster, ElastiCache replication group) is watched by CloudWatch alarms that notify someone (alarm actions).",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Create `aws.cloudwatch.MetricAlarm`s on the store's metrics (Aurora: DBClusterIdentifier + Role; ElastiCache: each node's CacheClusterId) with `alarmActions` on the alert topic: the Observability component does this for the stores it is given.",
        tags: ["observability", "data"],
        validateStack: (args, report) => {
            const stores = args.resources.filter((r) => r.type === AURORA || r.type === CACHE);
            if (stores.length === 0) args.notApplicable("no Aurora cluster or ElastiCache replication group in the stack");
            const alarms = args.resources.filter((r) => r.type === ALARM && list(r.props.alarmActions).length > 0);
            for (const s of stores) {
                if (!alarms.some((a) => watches(a, s))) report(`${s.name}: no CloudWatch alarm with an alarm action watches this ${s.type === AURORA ? "Aurora cluster" : "replication group"}.`, s.urn);
            }
        },
    },
];

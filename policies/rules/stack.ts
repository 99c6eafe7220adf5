/**
 * Stack-wide budgets that span components.
 *
 * `pgbouncer-pool-within-max-connections`: every PgBouncer Deployment (a pod that mounts a ConfigMap
 * holding `pgbouncer.ini`) opens at most `max_db_connections` (else `default_pool_size +
 * reserve_pool_size`) server connections per pod; at its HPA's `maxReplicas` all pods together must
 * fit in the `max_connections` of the smallest Aurora instance that can end up behind the endpoint it
 * points at, minus the superuser-reserved slots. `max_connections` comes from the instance parameter
 * group when it sets one, else from Aurora's formula per class (`sizing/connections.ts`, shared with
 * the config-time budget check).
 */
import { AWS_RESERVED_CONNECTIONS, auroraMaxConnections, INSTANCE_CLASS_MEMORY_GIB } from "../../sizing/connections";
import { isSet, list, PolicyResource, Props, Rule } from "./common";

/** `key = value` settings by `[section]` of an ini file (`;`/`#` comments). */
export function parseIni(text: string): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    let section = "";
    for (const raw of text.split("\n")) {
        const line = raw.trim();
        if (line === "" || line.startsWith(";") || line.startsWith("#")) continue;
        const s = /^\[(.+)\]$/.exec(line);
        if (s) {
            section = s[1].trim();
            out[section] ??= {};
            continue;
        }
        const eq = line.indexOf("=");
        if (eq > 0) (out[section] ??= {})[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    }
    return out;
}

/** Server connections one PgBouncer pod may open to one database. */
export function perPodServerConnections(ini: Record<string, Record<string, string>>): number {
    const pg = ini.pgbouncer ?? {};
    const cap = Number(pg.max_db_connections ?? 0);
    const pool = Number(pg.default_pool_size ?? 20) + Number(pg.reserve_pool_size ?? 0);
    return cap > 0 ? Math.min(cap, pool) : pool;
}

const ns = (r: PolicyResource): string => (r.props.metadata?.namespace as string | undefined) ?? "default";

function maxConnectionsOf(instance: PolicyResource, paramGroups: PolicyResource[]): { value: number; from: string } {
    const cls = instance.props.instanceClass as string;
    const group = paramGroups.find((g) => isSet(instance.props, "dbParameterGroupName") && g.props.name === instance.props.dbParameterGroupName);
    const param = list<Props>(group?.props.parameters).find((p) => p.name === "max_connections");
    if (param && /^\d+$/.test(String(param.value))) return { value: Number(param.value), from: `${group!.name} max_connections` };
    if (INSTANCE_CLASS_MEMORY_GIB[cls] === undefined) return { value: NaN, from: `unknown class ${cls}` };
    return { value: auroraMaxConnections(cls), from: `${cls} default formula` };
}

export const stack: Rule[] = [
    {
        name: "pgbouncer-pool-within-max-connections",
        description: "PgBouncer's server connections at its maximum replicas fit in Aurora max_connections (minus the superuser-reserved slots) of the smallest instance behind the endpoint.",
        severity: "critical",
        enforcementLevel: "mandatory",
        remediationSteps: "Lower `default_pool_size`/`reserve_pool_size` (or `max_db_connections`) or the HPA's `maxReplicas`, or use a larger Aurora instance class / an explicit `max_connections` in the instance parameter group. The config-time budget (`scaling-topology:pgbouncer`) should have caught it first.",
        tags: ["data", "capacity", "kubernetes"],
        configSchema: { properties: { headroom: { type: "integer", minimum: 0, default: 0 } } },
        validateStack: (args, report) => {
            const resources = args.resources;
            const configMaps = resources.filter((r) => r.type === "kubernetes:core/v1:ConfigMap" && isSet(r.props.data, "pgbouncer.ini"));
            if (configMaps.length === 0) args.notApplicable("no PgBouncer (no ConfigMap with pgbouncer.ini)");
            const clusters = resources.filter((r) => r.type === "aws:rds/cluster:Cluster");
            const instances = resources.filter((r) => r.type === "aws:rds/clusterInstance:ClusterInstance");
            const paramGroups = resources.filter((r) => r.type === "aws:rds/parameterGroup:ParameterGroup");
            const hpas = resources.filter((r) => r.type.startsWith("kubernetes:autoscaling/") && r.type.endsWith(":HorizontalPodAutoscaler"));
            const deployments = resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment");
            const { headroom } = args.getConfig<{ headroom: number }>();
            for (const cm of configMaps) {
                const ini = parseIni(String(cm.props.data["pgbouncer.ini"]));
                const cmName = cm.props.metadata?.name as string;
                const users = deployments.filter((d) => ns(d) === ns(cm) && list<Props>(d.props.spec?.template?.spec?.volumes).some((v) => v.configMap?.name === cmName));
                for (const d of users) {
                    const hpa = hpas.find((h) => ns(h) === ns(d) && h.props.spec?.scaleTargetRef?.kind === "Deployment" && h.props.spec?.scaleTargetRef?.name === d.props.metadata?.name);
                    const maxReplicas = (hpa?.props.spec?.maxReplicas as number | undefined) ?? (d.props.spec?.replicas as number | undefined) ?? 1;
                    const perPod = perPodServerConnections(ini);
                    for (const [db, target] of Object.entries(ini.databases ?? {})) {
                        const host = /(?:^|\s)host=(\S+)/.exec(target)?.[1] ?? "";
                        const cluster = clusters.find((c) => typeof c.props.clusterIdentifier === "string" && host.startsWith(`${c.props.clusterIdentifier}.cluster-`));
                        if (!cluster) continue; // not an Aurora cluster of this stack
                        const members = instances.filter((i) => i.dependencies.some((x) => x.urn === cluster.urn));
                        if (members.length === 0) continue;
                        // Any instance can be promoted to writer; readers are balanced by DNS, not load: the smallest bounds it.
                        // Classes outside the table (db.serverless, ...) have no fixed max_connections to check against.
                        const limits = members.map((i) => ({ i, ...maxConnectionsOf(i, paramGroups) })).filter((l) => Number.isFinite(l.value));
                        if (limits.length === 0) continue;
                        const smallest = limits.reduce((a, b) => (b.value < a.value ? b : a));
                        const available = smallest.value - AWS_RESERVED_CONNECTIONS - headroom;
                        const demand = perPod * maxReplicas;
                        if (!(demand <= available)) {
                            report(`${d.name} (database ${db} on ${host.includes(".cluster-ro-") ? "the reader" : "the writer"} endpoint): ${perPod} server connections x ${maxReplicas} replicas = ${demand} > ${available} available on ${smallest.i.name} (max_connections ${smallest.value} from ${smallest.from}, ${AWS_RESERVED_CONNECTIONS} reserved${headroom ? `, ${headroom} headroom` : ""}).`, d.urn);
                        }
                    }
                }
            }
        },
    },
];

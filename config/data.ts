/**
 * Config of the data tier: `scaling-topology:aurora`, `scaling-topology:pgbouncer`,
 * `scaling-topology:redis`, and the connection budget check between Aurora and PgBouncer.
 * Sizing fields (instance class, readers, pool sizes, replicas, shards) are plain numbers and strings,
 * so the sizing module can derive them from load.
 */
import { z } from "zod";
import type { ConfigCheck } from "./index";
import type { ConfigProblem } from "./errors";
import { LogRetentionDays } from "./network";
import { AURORA_INSTANCE_CLASSES } from "../catalog/auroraClasses";
import { AURORA_POSTGRESQL_VERSIONS, ELASTICACHE_VERSIONS, ENGINE_VERSIONS_RECORDED } from "../catalog/engineVersions";
import { DNS_LABEL_PATTERN } from "./names";

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** `hh24:mi-hh24:mi` (UTC), as RDS and ElastiCache take daily windows. */
const dailyWindow = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, { message: "must be a daily UTC window hh:mm-hh:mm, e.g. 02:00-03:00" });
/** `ddd:hh24:mi-ddd:hh24:mi` (UTC), as RDS and ElastiCache take weekly maintenance windows. */
const weeklyWindow = z.string().regex(/^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$/, {
    message: "must be a weekly UTC window ddd:hh:mm-ddd:hh:mm, e.g. sun:04:00-sun:05:00",
});
const identifier = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, { message: "must be a PostgreSQL identifier: a lowercase letter, then lowercase letters, digits or _ (at most 63)" });

/** `scaling-topology:aurora`: the Aurora PostgreSQL cluster. */
export const AuroraConfig = z.strictObject({
    /** Aurora PostgreSQL engine version `major.minor` (e.g. `16.6`); upgrades are explicit (no automatic minor upgrades). */
    engineVersion: z.string().refine((v) => AURORA_POSTGRESQL_VERSIONS.includes(v), { message: `must be an Aurora PostgreSQL version (catalog/engineVersions.ts, ${ENGINE_VERSIONS_RECORDED}): ${AURORA_POSTGRESQL_VERSIONS.join(", ")}` }),
    /** Class of the writer (and of readers Aurora Auto Scaling adds, which copy the writer's class). */
    instanceClass: z.enum(AURORA_INSTANCE_CLASSES as [string, ...string[]], { message: `must be an Aurora PostgreSQL instance class: ${AURORA_INSTANCE_CLASSES.join(", ")}` }),
    /** Class of the readers this program creates. @default instanceClass */
    readerInstanceClass: z.enum(AURORA_INSTANCE_CLASSES as [string, ...string[]], { message: "must be an Aurora PostgreSQL instance class (see aurora.instanceClass)" }).optional(),
    /** Readers created with the cluster, spread across the zones (the writer fails over to one). 1-15. */
    readers: int(1, 15),
    /** Reader autoscaling (Application Auto Scaling, `rds:cluster:ReadReplicaCount`). */
    readerAutoscaling: z.strictObject({
        /** Fewest readers (>= aurora.readers: autoscaling never removes the readers this program creates). */
        minReaders: int(1, 15),
        /** Most readers (Aurora allows 15). */
        maxReaders: int(1, 15),
        /** `cpu`: average reader CPU %; `connections`: average reader connections. @default "cpu" */
        metric: z.enum(["cpu", "connections"]).default("cpu"),
        /** Target value of the metric (percent for cpu, connections for connections). @default 60 */
        target: z.number().positive().max(100_000).default(60),
        /** Seconds after a scale-in before the next. @default 300 */
        scaleInCooldownSeconds: int(0, 3600).default(300),
        /** Seconds after a scale-out before the next. @default 300 */
        scaleOutCooldownSeconds: int(0, 3600).default(300),
    }).optional(),
    /** Database created in the cluster. @default "app" */
    databaseName: identifier.default("app"),
    /**
     * RDS-managed master password (Secrets Manager integration). Not offered: the master password is generated
     * (`@pulumi/random`, a Pulumi secret) and copied to this program's secret, which replicates to the disaster-
     * recovery regions; Aurora global databases (`scaling-topology:recovery`) cannot use a managed master password.
     * Only `false` is accepted; the key exists so the answer is a clear error, not an unknown field.
     */
    manageMasterUserPassword: z.literal(false, { message: "must be false: this program generates the master password (a Pulumi secret, replicated to the disaster-recovery regions); RDS-managed master passwords cannot be used by an Aurora global database (scaling-topology:recovery) and are not offered" }).optional(),
    /** Master user name (its password is generated; a Pulumi secret, copied to Secrets Manager). @default "app_admin" */
    masterUsername: identifier.refine((s) => !["postgres", "rdsadmin", "admin"].includes(s), { message: "is reserved by Aurora PostgreSQL" }).default("app_admin"),
    /** Days automated backups are kept (1-35). @default 7 */
    backupRetentionDays: int(1, 35).default(7),
    /** Daily backup window (UTC). @default "02:00-03:00" */
    backupWindow: dailyWindow.default("02:00-03:00"),
    /** Weekly maintenance window (UTC); must not overlap the backup window. @default "sun:04:00-sun:05:00" */
    maintenanceWindow: weeklyWindow.default("sun:04:00-sun:05:00"),
    /** Performance Insights retention in days: 7 (free tier) or a multiple of 31 up to 731. @default 7 */
    performanceInsightsRetentionDays: z.number().int().refine((d) => d === 7 || d === 731 || (d % 31 === 0 && d >= 31 && d <= 713), {
        message: "must be 7, 731, or a multiple of 31 up to 713 (Performance Insights retention periods)",
    }).default(7),
    /** Enhanced monitoring interval in seconds (1, 5, 10, 15, 30 or 60). @default 60 */
    monitoringIntervalSeconds: z.union([z.literal(1), z.literal(5), z.literal(10), z.literal(15), z.literal(30), z.literal(60)]).default(60),
    /** `log_min_duration_statement`: statements slower than this (ms) are logged; -1 turns it off. @default 500 */
    logMinDurationMs: int(-1, 3_600_000).default(500),
    /** Retention of the exported PostgreSQL log in CloudWatch Logs (days). @default 30 */
    logRetentionDays: LogRetentionDays.default(30),
    /** Explicit `max_connections` (instance parameter group) instead of AWS's memory-based default. */
    maxConnections: int(10, 262_143).optional(),
    /** Connections kept free of PgBouncer's budget for migrations, psql and monitoring. @default 20 */
    connectionHeadroom: int(0, 1000).default(20),
    /**
     * Secrets Manager rotation of the database credentials: the master secret (single-user rotation) and
     * every service's role (alternating users: `<role>` and `<role>_clone`), by AWS's rotation functions
     * from the Serverless Application Repository. Required in prod. @default { enabled: false, afterDays: 30 }
     */
    credentialRotation: z.strictObject({
        /** Rotate at all. */
        enabled: z.boolean().default(false),
        /** Days between rotations (Secrets Manager `automaticallyAfterDays`, 1-365). @default 30 */
        afterDays: int(1, 365).default(30),
    }).prefault({}),
});
export type AuroraConfig = z.output<typeof AuroraConfig>;

/** One PgBouncer pool (a Deployment): its replicas and per-pod pool sizes. */
const PgBouncerPool = z.strictObject({
    /** HPA minimum. Keep >= 2 so a pod disruption never takes the pool away. */
    minReplicas: int(1, 100),
    /** HPA maximum; the connection budget counts every pod at this number. */
    maxReplicas: int(1, 100),
    /** `default_pool_size`: server connections per pod for the application user and database. */
    defaultPoolSize: int(1, 1000),
    /** `reserve_pool_size`: extra server connections a pod opens when clients wait longer than `reserve_pool_timeout`. @default 5 */
    reservePoolSize: int(0, 1000).default(5),
    /** `max_client_conn`: client connections one pod accepts. @default 2000 */
    maxClientConn: int(10, 100_000).default(2000),
    /** HPA target: average CPU utilization (% of the request). @default 70 */
    targetCpuPercent: int(10, 100).default(70),
});

/** `scaling-topology:pgbouncer`: the PgBouncer pools in front of Aurora (in the EKS cluster). */
export const PgBouncerConfig = z.strictObject({
    /** Application node group the pools run on. @default the first node group with role application */
    nodeGroup: z.string().optional(),
    /** Kubernetes namespace of the pools. @default "pgbouncer" */
    namespace: z.string().max(63, { message: "must be a Kubernetes namespace name (a DNS label): at most 63 characters" }).regex(DNS_LABEL_PATTERN, { message: "must be a Kubernetes namespace name (a DNS label): lowercase letters, digits and hyphens, starting and ending with a letter or digit" }).default("pgbouncer"),
    /** Pool on the writer (cluster) endpoint. */
    readWrite: PgBouncerPool,
    /** Pool on the reader endpoint. */
    readOnly: PgBouncerPool,
    /** `max_prepared_statements` (PgBouncer >= 1.21): protocol-level prepared statements in transaction mode; 0 turns it off. @default 200 */
    maxPreparedStatements: int(0, 100_000).default(200),
    /** `server_lifetime` (s): server connections are closed after this, so pools re-resolve DNS and follow a failover. @default 300 */
    serverLifetimeSeconds: int(10, 86_400).default(300),
    /** `dns_max_ttl` (s): how long a resolved endpoint is cached; Aurora's endpoints have a 5 s TTL. @default 5 */
    dnsMaxTtlSeconds: int(1, 60).default(5),
    /** `query_wait_timeout` (s): a client waiting this long for a server connection gets an error. @default 30 */
    queryWaitTimeoutSeconds: int(1, 3600).default(30),
    /** CPU request per pod, millicores. @default 250 */
    cpuMillis: int(50, 8000).default(250),
    /** Memory request (= limit) per pod, MiB. @default 256 */
    memoryMiB: int(64, 16_384).default(256),
    /**
     * Namespaces whose pods may scrape the exporter (port 9127); the NetworkPolicy admits nothing else on it.
     * @default ["monitoring"]
     */
    metricsNamespaces: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: "must be a DNS label" })).default(["monitoring"]),
});
export type PgBouncerConfig = z.output<typeof PgBouncerConfig>;
export type PgBouncerPoolConfig = z.output<typeof PgBouncerPool>;

/** ElastiCache node types accepted: memory-optimised and general purpose Graviton, t4g for dev. */
const REDIS_NODE_TYPE = /^cache\.(t4g\.(micro|small|medium)|(m6g|m7g|r6g|r7g)\.(large|xlarge|2xlarge|4xlarge|8xlarge|12xlarge|16xlarge))$/;

/** `scaling-topology:redis`: the ElastiCache replication group (cluster mode). */
export const RedisConfig = z.strictObject({
    /** `valkey` or `redis` (Redis OSS). @default "valkey" */
    engine: z.enum(["valkey", "redis"]).default("valkey"),
    /** Engine version `major.minor` (valkey 7.2/8.0/8.1, redis 7.0/7.1). */
    engineVersion: z.string().regex(/^\d+\.\d+$/, { message: `must be major.minor: ${Object.entries(ELASTICACHE_VERSIONS).map(([e, vs]) => `${vs.join(", ")} (${e})`).join("; ")}` }),
    /** Node type, e.g. `cache.r7g.large`. */
    nodeType: z.string().regex(REDIS_NODE_TYPE, { message: "must be an ElastiCache node type: cache.t4g.{micro,small,medium} or cache.{m6g,m7g,r6g,r7g}.{large..16xlarge}" }),
    /** Shards (node groups), 1-500. */
    shards: int(1, 500),
    /** Replicas per shard (1-5): at least 1 for automatic failover and multi-AZ. */
    replicasPerShard: int(1, 5),
    /** `maxmemory-policy`. @default "allkeys-lru" (a cache: evict least recently used keys, never refuse writes) */
    maxmemoryPolicy: z.enum(["volatile-lru", "allkeys-lru", "volatile-lfu", "allkeys-lfu", "volatile-random", "allkeys-random", "volatile-ttl", "noeviction"]).default("allkeys-lru"),
    /** Days snapshots are kept (0 turns them off; prod requires >= 1). @default 7 */
    snapshotRetentionDays: int(0, 35).default(7),
    /** Daily snapshot window (UTC). @default "03:00-04:00" */
    snapshotWindow: dailyWindow.default("03:00-04:00"),
    /** Weekly maintenance window (UTC). @default "sun:05:00-sun:06:00" */
    maintenanceWindow: weeklyWindow.default("sun:05:00-sun:06:00"),
    /** Retention of slow and engine logs in CloudWatch Logs (days). @default 30 */
    logRetentionDays: LogRetentionDays.default(30),
});
export type RedisConfig = z.output<typeof RedisConfig>;

/** Minutes since Sunday 00:00 of a window's bounds. */
function weeklyMinutes(w: string): [number, number] {
    const days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    const [a, b] = w.split("-").map((p) => {
        const [d, h, m] = p.split(":");
        return days.indexOf(d) * 1440 + Number(h) * 60 + Number(m);
    });
    return [a, b];
}

/** Whether a daily window (hh:mm-hh:mm) overlaps a weekly window on any day. */
export function windowsOverlap(daily: string, weekly: string): boolean {
    const [s, e] = daily.split("-").map((p) => Number(p.slice(0, 2)) * 60 + Number(p.slice(3)));
    const [ws, we] = weeklyMinutes(weekly);
    const week = 7 * 1440;
    const wEnd = we >= ws ? we : we + week;
    for (let day = 0; day < 8; day++) {
        const ds = day * 1440 + s;
        const de = day * 1440 + (e > s ? e : e + 1440);
        for (const shift of [0, week, -week]) if (ds < wEnd + shift && ws + shift < de) return true;
    }
    return false;
}

/** Cross-key checks of the data tier, including the connection budget. */
export const dataChecks: ConfigCheck[] = [
    {
        needs: ["aurora"],
        check: (c) => {
            const a = c.aurora;
            const problems = [];
            const as = a.readerAutoscaling;
            if (as && as.minReaders < a.readers) problems.push({ key: "scaling-topology:aurora.readerAutoscaling.minReaders", value: as.minReaders, message: `must be >= aurora.readers (${a.readers}): autoscaling counts the readers this program creates` });
            if (as && as.maxReaders < as.minReaders) problems.push({ key: "scaling-topology:aurora.readerAutoscaling.maxReaders", value: as.maxReaders, message: `must be >= readerAutoscaling.minReaders (${as.minReaders})` });
            if (as && as.metric === "cpu" && as.target > 100) problems.push({ key: "scaling-topology:aurora.readerAutoscaling.target", value: as.target, message: "is a CPU percentage with metric cpu: at most 100" });
            if (windowsOverlap(a.backupWindow, a.maintenanceWindow)) problems.push({ key: "scaling-topology:aurora.maintenanceWindow", value: a.maintenanceWindow, message: `must not overlap aurora.backupWindow ${a.backupWindow}` });
            return problems;
        },
    },
    {
        needs: ["environment", "redis"],
        check: (c) => {
            const problems = [];
            if (c.environment === "prod" && c.redis.snapshotRetentionDays < 1) problems.push({ key: "scaling-topology:redis.snapshotRetentionDays", value: c.redis.snapshotRetentionDays, message: "must be >= 1 in prod: snapshots are the only backup of ElastiCache (AWS Backup does not cover it)" });
            const versions = ELASTICACHE_VERSIONS[c.redis.engine];
            if (!versions.includes(c.redis.engineVersion)) problems.push({ key: "scaling-topology:redis.engineVersion", value: c.redis.engineVersion, message: `must be a version of engine ${c.redis.engine} (catalog/engineVersions.ts, ${ENGINE_VERSIONS_RECORDED}): ${versions.join(", ")}` });
            if (windowsOverlap(c.redis.snapshotWindow, c.redis.maintenanceWindow)) problems.push({ key: "scaling-topology:redis.maintenanceWindow", value: c.redis.maintenanceWindow, message: `must not overlap redis.snapshotWindow ${c.redis.snapshotWindow}` });
            return problems;
        },
    },
    {
        // A disaster-recovery standby rotates nothing: its credentials are the primary's replicated secrets.
        needs: ["environment", "aurora", "recovery"],
        check: (c) => c.environment === "prod" && !c.aurora.credentialRotation.enabled && c.recovery?.role !== "secondary"
            ? [{ key: "scaling-topology:aurora.credentialRotation.enabled", value: false, message: "must be true in prod: the master and every service's database credentials rotate (README \"Credentials and rotation\")" }]
            : [],
    },
    {
        // Every service logs in as a role of its own: never the master user, never another service's role or schema.
        needs: ["aurora", "services", "pgbouncer"],
        check: (c) => {
            const problems: ConfigProblem[] = [];
            const seenRoles = new Map<string, number>();
            const seenSchemas = new Map<string, number>();
            c.services.forEach((s, i) => {
                const role = s.database.role;
                const schema = s.database.schema ?? role;
                if (role === c.aurora.masterUsername) problems.push({ key: `scaling-topology:services[${i}].database.role`, value: role, message: `is the Aurora master user (scaling-topology:aurora.masterUsername): a service needs a role of its own` });
                if (seenRoles.has(role)) problems.push({ key: `scaling-topology:services[${i}].database.role`, value: role, message: `is already the role of services[${seenRoles.get(role)}]: every service has its own role` });
                if (seenSchemas.has(schema)) problems.push({ key: `scaling-topology:services[${i}].database.schema`, value: schema, message: `is already the schema of services[${seenSchemas.get(schema)}]: a schema belongs to one service` });
                if (s.name === c.pgbouncer.namespace) problems.push({ key: `scaling-topology:services[${i}].name`, value: s.name, message: `is PgBouncer's namespace (scaling-topology:pgbouncer.namespace): a service's namespace is its name` });
                seenRoles.set(role, seenRoles.get(role) ?? i);
                seenSchemas.set(schema, seenSchemas.get(schema) ?? i);
            });
            return problems;
        },
    },
    {
        needs: ["pgbouncer"],
        check: (c) =>
            (["readWrite", "readOnly"] as const).flatMap((p) =>
                c.pgbouncer[p].maxReplicas < c.pgbouncer[p].minReplicas
                    ? [{ key: `scaling-topology:pgbouncer.${p}.maxReplicas`, value: c.pgbouncer[p].maxReplicas, message: `must be >= pgbouncer.${p}.minReplicas (${c.pgbouncer[p].minReplicas})` }]
                    : []),
    },
    {
        needs: ["pgbouncer", "cluster"],
        check: (c) => {
            const g = c.pgbouncer.nodeGroup;
            if (g === undefined || c.cluster.nodeGroups.some((x) => x.name === g && x.role === "application")) return [];
            return [{ key: "scaling-topology:pgbouncer.nodeGroup", value: g, message: `must name a node group with role application in scaling-topology:cluster.nodeGroups (${c.cluster.nodeGroups.filter((x) => x.role === "application").map((x) => x.name).join(", ")})` }];
        },
    },
];

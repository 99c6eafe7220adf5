/**
 * Aurora PostgreSQL connection limits and the PgBouncer connection budget (pure: no Pulumi).
 *
 * Aurora PostgreSQL's default `max_connections` is `LEAST({DBInstanceClassMemory/9531392}, 5000)`.
 * `DBInstanceClassMemory` is not the class's nominal memory: AWS subtracts what the operating system
 * and the RDS processes on the instance use. AWS does not publish that figure per class; its documented
 * `max_connections` values sit at or above 90% of nominal memory (e.g. db.t3.medium: 4 GiB nominal,
 * 405 connections = 3.86e9 bytes / 9531392). The budget therefore estimates `DBInstanceClassMemory` as
 * 90% of nominal memory, which errs on the safe side; a stack that sets `aurora.maxConnections`
 * writes that value into the instance parameter group and the budget uses it instead.
 *
 * Of `max_connections`, `superuser_reserved_connections` (3 on Aurora PostgreSQL) are kept for
 * superusers: AWS asks for "at least 3 more connections to support AWS automation". PgBouncer's
 * application user cannot use them. On top, `aurora.connectionHeadroom` keeps connections free for what
 * does not go through PgBouncer (migrations, psql, monitoring agents).
 */
import { INSTANCE_CLASS_MEMORY_GIB } from "../catalog/auroraClasses";
import type { AuroraConfig } from "../config/data";

export { AURORA_INSTANCE_CLASSES, INSTANCE_CLASS_MEMORY_GIB } from "../catalog/auroraClasses";

/** Bytes of `DBInstanceClassMemory` per connection in Aurora PostgreSQL's default formula. */
export const BYTES_PER_CONNECTION = 9531392;
/** Upper bound of the default formula. */
export const DEFAULT_MAX_CONNECTIONS_CAP = 5000;
/** `superuser_reserved_connections` on Aurora PostgreSQL: slots only superusers (AWS automation) may use. */
export const AWS_RESERVED_CONNECTIONS = 3;
/**
 * PgBouncer `reserve_pool_timeout` (s): a client waiting this long gets a connection from the reserve pool.
 * Rendered into pgbouncer.ini, and the pool-exhaustion alert counts from it.
 */
export const RESERVE_POOL_TIMEOUT_SECONDS = 3;
/** Estimated share of nominal memory left as `DBInstanceClassMemory` (see the module comment). */
export const INSTANCE_MEMORY_SHARE = 0.9;

const GIB = 1024 ** 3;

/** Estimated `DBInstanceClassMemory` in bytes (see the module comment), or undefined for an unknown class. */
export function instanceClassMemoryBytes(instanceClass: string): number | undefined {
    const gib = INSTANCE_CLASS_MEMORY_GIB[instanceClass];
    return gib === undefined ? undefined : Math.floor(gib * GIB * INSTANCE_MEMORY_SHARE);
}

/**
 * Aurora PostgreSQL's default `max_connections` for an instance class:
 * `LEAST(DBInstanceClassMemory/9531392, 5000)`; `override` (an explicit parameter group value) wins.
 */
export function auroraMaxConnections(instanceClass: string, override?: number): number {
    if (override !== undefined) return override;
    const bytes = instanceClassMemoryBytes(instanceClass);
    if (bytes === undefined) throw new Error(`unknown Aurora PostgreSQL instance class ${instanceClass}`);
    return Math.min(Math.floor(bytes / BYTES_PER_CONNECTION), DEFAULT_MAX_CONNECTIONS_CAP);
}

/** What the budget needs to know about the Aurora cluster. */
export interface AuroraConnectionInputs {
    /** Class of the writer (and of every reader Aurora Auto Scaling adds: it copies the writer's class). */
    instanceClass: string;
    /** Class of the readers this program creates. @default instanceClass */
    readerInstanceClass?: string;
    /** Static readers. */
    readers: number;
    /** Reader autoscaling bounds, when enabled. */
    readerAutoscaling?: { minReaders: number; maxReaders: number };
    /** Explicit `max_connections` (instance parameter group), replacing the default formula. */
    maxConnections?: number;
    /** Connections kept free for clients outside PgBouncer. */
    connectionHeadroom: number;
}

/** What the budget needs to know about one PgBouncer pool (a Deployment). */
export interface PoolConnectionInputs {
    defaultPoolSize: number;
    reservePoolSize: number;
    maxReplicas: number;
}

/** One endpoint's budget: the PgBouncer side against the Aurora side. */
export interface EndpointBudget {
    endpoint: "writer" | "reader";
    /** PgBouncer pool that connects to this endpoint. */
    pool: "readWrite" | "readOnly";
    /** Server connections one PgBouncer pod may open (`max_db_connections` = pool + reserve). */
    perPod: number;
    maxReplicas: number;
    /** perPod x maxReplicas. */
    demand: number;
    /** The instance class the limit comes from (the smallest one that can serve this endpoint). */
    instanceClass: string;
    /** Why that class: which instances can end up behind the endpoint. */
    limitingInstance: string;
    maxConnections: number;
    reserved: number;
    headroom: number;
    /** maxConnections - reserved - headroom. */
    available: number;
    ok: boolean;
}

/**
 * The connection budget per endpoint. A PgBouncer pod opens at most `pool + reserve` server connections
 * (`max_db_connections` caps it whatever the number of users); all pods together at `maxReplicas`
 * must fit in one instance, because:
 * - writer endpoint: after a failover any reader becomes the writer, so the smallest of the writer and
 *   reader classes bounds it;
 * - reader endpoint: it balances by DNS at connect time, not by load, so one reader can hold every
 *   read-only server connection (e.g. right after a reader is added or another fails). Readers Aurora
 *   Auto Scaling adds use the writer's class, so when autoscaling can add readers, the writer's class
 *   bounds the reader endpoint too.
 */
export function connectionBudget(aurora: AuroraConnectionInputs, pools: { readWrite: PoolConnectionInputs; readOnly: PoolConnectionInputs }): EndpointBudget[] {
    const readerClass = aurora.readerInstanceClass ?? aurora.instanceClass;
    const autoscaledReaders = aurora.readerAutoscaling !== undefined && aurora.readerAutoscaling.maxReaders > aurora.readers;
    const limit = (cls: string) => auroraMaxConnections(cls, aurora.maxConnections);
    const smallest = (candidates: Array<{ cls: string; why: string }>) =>
        candidates.reduce((a, b) => (limit(b.cls) < limit(a.cls) ? b : a));

    const writerSide = smallest([
        { cls: aurora.instanceClass, why: "the writer" },
        ...(aurora.readers > 0 ? [{ cls: readerClass, why: "a reader promoted by failover" }] : []),
    ]);
    const readerSide = smallest([
        ...(aurora.readers > 0 ? [{ cls: readerClass, why: "a reader" }] : [{ cls: aurora.instanceClass, why: "the writer (no readers: the reader endpoint points at the writer)" }]),
        ...(autoscaledReaders ? [{ cls: aurora.instanceClass, why: "a reader added by autoscaling (writer's class)" }] : []),
    ]);

    const entry = (endpoint: "writer" | "reader", pool: "readWrite" | "readOnly", p: PoolConnectionInputs, side: { cls: string; why: string }): EndpointBudget => {
        const perPod = p.defaultPoolSize + p.reservePoolSize;
        const maxConnections = limit(side.cls);
        const available = maxConnections - AWS_RESERVED_CONNECTIONS - aurora.connectionHeadroom;
        const demand = perPod * p.maxReplicas;
        return {
            endpoint, pool, perPod, maxReplicas: p.maxReplicas, demand,
            instanceClass: side.cls, limitingInstance: side.why, maxConnections,
            reserved: AWS_RESERVED_CONNECTIONS, headroom: aurora.connectionHeadroom, available, ok: demand <= available,
        };
    };
    return [entry("writer", "readWrite", pools.readWrite, writerSide), entry("reader", "readOnly", pools.readOnly, readerSide)];
}

/** One line for an error or a report: both sides of the budget. */
export function describeBudget(b: EndpointBudget): string {
    return `(default_pool_size + reserve_pool_size = ${b.perPod}) x maxReplicas ${b.maxReplicas} = ${b.demand} server connections to the ${b.endpoint} endpoint; `
        + `${b.limitingInstance} (${b.instanceClass}) allows max_connections ${b.maxConnections} - ${b.reserved} reserved for AWS - ${b.headroom} headroom = ${b.available}`;
}

/** The budget's view of the Aurora config. */
export function auroraConnectionInputs(a: AuroraConfig): AuroraConnectionInputs {
    return {
        instanceClass: a.instanceClass,
        readerInstanceClass: a.readerInstanceClass,
        readers: a.readers,
        readerAutoscaling: a.readerAutoscaling,
        maxConnections: a.maxConnections,
        connectionHeadroom: a.connectionHeadroom,
    };
}

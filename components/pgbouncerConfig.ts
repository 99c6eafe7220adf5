/**
 * The pure renderer of `pgbouncer.ini` and `userlist.txt` (no Pulumi): the PgBouncer component renders
 * its ConfigMaps with it, and the real-server test (test/realServers.pgbouncer.test.ts) renders the
 * same settings for a local PgBouncer, changing only where it listens, where the server is, and TLS.
 */
import { RESERVE_POOL_TIMEOUT_SECONDS } from "../sizing/connections";

/** Requests of the exporter sidecar (counted in the node capacity check with the PgBouncer container). */
export { EXPORTER_RESOURCES } from "../sizing/capacity";

/** One pool's settings, as typed config gives them. */
export interface PgBouncerPoolSettings {
    /** `default_pool_size`: server connections per (user, database) pair. */
    defaultPoolSize: number;
    /** `reserve_pool_size`: extra server connections when clients wait longer than `reserve_pool_timeout`. */
    reservePoolSize: number;
    /** `max_client_conn`: client connections one PgBouncer accepts. */
    maxClientConn: number;
    /** `max_prepared_statements` (PgBouncer >= 1.21; 0 turns it off). */
    maxPreparedStatements: number;
    /** `server_lifetime` (s): server connections older than this are closed when released. */
    serverLifetimeSeconds: number;
    /** `dns_max_ttl` (s): how long a resolved host name is cached. */
    dnsMaxTtlSeconds: number;
    /** `query_wait_timeout` (s): a client waiting this long for a server connection is disconnected. */
    queryWaitTimeoutSeconds: number;
}

/** The PostgreSQL server the pool connects to. */
export interface PgBouncerServer {
    host: string;
    port: number;
    /** Database name on the server. */
    dbname: string;
    /** Name clients use (the `[databases]` alias). @default dbname */
    alias?: string;
    /** `server_tls_sslmode`: `verify-full` against Aurora; `disable` only for a local test server. */
    sslmode: "verify-full" | "disable";
    /** `server_tls_ca_file`: the CA bundle for `verify-full`. */
    caFile?: string;
}

/** Where and how this PgBouncer runs: differs between the pod and a local test. */
export interface PgBouncerRuntime {
    /** PgBouncer version the config targets (`1.23.1`): settings newer than it are left out. */
    version: string;
    /** `listen_addr`. */
    listenAddr: string;
    /** `listen_port`. */
    listenPort: number;
    /** `auth_file`: the userlist (from a Secret). */
    authFile: string;
    /** `admin_users` / `stats_users`: the metrics exporter's user (SHOW STATS etc., no server connection). */
    statsUser?: string;
    /** `unix_socket_dir`; empty turns the socket off. @default "" */
    unixSocketDir?: string;
    /** `pidfile`. @default none */
    pidFile?: string;
    /** `logfile`; without one PgBouncer logs to stderr (what a pod wants). @default none */
    logFile?: string;
    /**
     * Client-side TLS: `client_tls_sslmode = require` with this key and certificate (clients must use TLS).
     * @default none (`client_tls_sslmode = disable`)
     */
    clientTls?: { keyFile: string; certFile: string };
}

/** Settings and the PgBouncer version that introduced them; older versions refuse unknown settings. */
export const SETTING_MIN_VERSION: Record<string, string> = {
    max_prepared_statements: "1.21.0",
};

/** Compares dotted versions: negative when a < b. */
export function compareVersions(a: string, b: string): number {
    const pa = a.split(".").map(Number);
    const pb = b.split(".").map(Number);
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
        const d = (pa[i] ?? 0) - (pb[i] ?? 0);
        if (d !== 0) return d;
    }
    return 0;
}

/** Server connections one PgBouncer opens to the database at most: `max_db_connections`. */
export const serverConnectionCap = (p: Pick<PgBouncerPoolSettings, "defaultPoolSize" | "reservePoolSize">) => p.defaultPoolSize + p.reservePoolSize;

/** The `[pgbouncer]` and `[databases]` settings as ordered key/value pairs (what the ini holds). */
export function pgbouncerSettings(pool: PgBouncerPoolSettings, server: PgBouncerServer, runtime: PgBouncerRuntime): { databases: Array<[string, string]>; pgbouncer: Array<[string, string | number]> } {
    const alias = server.alias ?? server.dbname;
    const s: Array<[string, string | number]> = [
        ["listen_addr", runtime.listenAddr],
        ["listen_port", runtime.listenPort],
        ["unix_socket_dir", runtime.unixSocketDir ?? ""],
        ["auth_type", "scram-sha-256"],
        ["auth_file", runtime.authFile],
        // Transaction pooling: a server connection serves one client transaction at a time.
        ["pool_mode", "transaction"],
        ["max_client_conn", pool.maxClientConn],
        ["default_pool_size", pool.defaultPoolSize],
        ["min_pool_size", 0],
        ["reserve_pool_size", pool.reservePoolSize],
        ["reserve_pool_timeout", RESERVE_POOL_TIMEOUT_SECONDS],
        // The hard cap behind the connection budget: whatever the users, at most pool + reserve per pod.
        ["max_db_connections", serverConnectionCap(pool)],
        ["max_prepared_statements", pool.maxPreparedStatements],
        // Follow an Aurora failover: re-resolve the endpoint often, recycle server connections.
        ["dns_max_ttl", pool.dnsMaxTtlSeconds],
        ["server_lifetime", pool.serverLifetimeSeconds],
        ["server_idle_timeout", Math.min(600, pool.serverLifetimeSeconds)],
        ["server_connect_timeout", 5],
        ["server_login_retry", 1],
        ["server_check_delay", 10],
        ["server_check_query", "select 1"],
        ["query_wait_timeout", pool.queryWaitTimeoutSeconds],
        ["client_idle_timeout", 0],
        ["idle_transaction_timeout", 60],
        ["server_tls_sslmode", server.sslmode],
        ...(server.sslmode !== "disable" && server.caFile ? [["server_tls_ca_file", server.caFile] as [string, string]] : []),
        ["server_tls_protocols", "secure"],
        ["client_tls_sslmode", runtime.clientTls ? "require" : "disable"],
        ...(runtime.clientTls ? [
            ["client_tls_key_file", runtime.clientTls.keyFile] as [string, string],
            ["client_tls_cert_file", runtime.clientTls.certFile] as [string, string],
            ["client_tls_protocols", "secure"] as [string, string],
        ] : []),
        // JDBC sends extra_float_digits at startup; PgBouncer would refuse it otherwise. Nothing else is ignored.
        ["ignore_startup_parameters", "extra_float_digits"],
        ["application_name_add_host", 1],
        ["log_connections", 0],
        ["log_disconnections", 0],
        ["log_pooler_errors", 1],
        ["stats_period", 60],
        ...(runtime.statsUser ? [["stats_users", runtime.statsUser] as [string, string]] : []),
        ...(runtime.pidFile ? [["pidfile", runtime.pidFile] as [string, string]] : []),
        ...(runtime.logFile ? [["logfile", runtime.logFile] as [string, string]] : []),
    ];
    const supported = s.filter(([k]) => !SETTING_MIN_VERSION[k] || compareVersions(runtime.version, SETTING_MIN_VERSION[k]) >= 0);
    return {
        databases: [[alias, `host=${server.host} port=${server.port} dbname=${server.dbname}`]],
        pgbouncer: supported,
    };
}

/** `pgbouncer.ini` for one pool: no credentials (those live in the userlist, from a Secret). */
export function renderPgBouncerIni(pool: PgBouncerPoolSettings, server: PgBouncerServer, runtime: PgBouncerRuntime): string {
    const { databases, pgbouncer } = pgbouncerSettings(pool, server, runtime);
    const line = ([k, v]: [string, string | number]) => `${k} = ${v}`;
    return [
        `;; Rendered by components/pgbouncerConfig.ts for PgBouncer ${runtime.version}; do not edit by hand.`,
        "[databases]",
        ...databases.map(line),
        "",
        "[pgbouncer]",
        ...pgbouncer.map(line),
        "",
    ].join("\n");
}

/** `userlist.txt`: `"user" "password"` lines, double quotes in values doubled as PgBouncer expects. */
export function renderUserlist(users: Array<{ name: string; password: string }>): string {
    const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
    return users.map((u) => `${q(u.name)} ${q(u.password)}`).join("\n") + "\n";
}

/**
 * The keys of PgBouncer's users Secret (synced by External Secrets Operator from Secrets Manager) for one
 * application role: username and password of the AWSCURRENT and AWSPREVIOUS versions of its secret. Under
 * alternating-users rotation those are `role` and `role_clone`, and both stay valid in PostgreSQL until the
 * next rotation, so PgBouncer lists both.
 */
export function userlistDataKeys(role: string) {
    return {
        currentUsername: `${role}_current_username`,
        currentPassword: `${role}_current_password`,
        previousUsername: `${role}_previous_username`,
        previousPassword: `${role}_previous_password`,
    };
}

/**
 * `userlist.txt` of the application roles as a Go template (External Secrets Operator's `target.template`,
 * engine v2): two lines per role, filled from {@link userlistDataKeys}. Rotated passwords exclude `"` and `\`
 * (the rotation's excludeCharacters), so the plain quoting holds.
 */
export function userlistTemplate(roles: string[]): string {
    return roles.map((role) => {
        const k = userlistDataKeys(role);
        return `"{{ .${k.currentUsername} }}" "{{ .${k.currentPassword} }}"\n"{{ .${k.previousUsername} }}" "{{ .${k.previousPassword} }}"\n`;
    }).join("");
}

/**
 * The PgBouncer container's entrypoint (POSIX sh, busybox-compatible): concatenates the mounted user lists
 * (the application roles from Secrets Manager, the exporter's stats user) into the `auth_file` on a writable
 * emptyDir, starts PgBouncer, and when a mounted list changes (kubelet updates Secret volumes in place after a
 * rotation) rewrites the file and sends SIGHUP: PgBouncer reloads its users without dropping a connection.
 * Arguments: `<pgbouncer.ini> <auth_file> <user list>...`; `PGBOUNCER_RELOAD_CHECK_SECONDS` sets the poll;
 * `PGBOUNCER_WATCH_FILES` (space-separated paths) are watched too without entering the auth_file: the TLS
 * key and certificate cert-manager renews in place, which PgBouncer loads again on SIGHUP.
 */
export const PGBOUNCER_ENTRYPOINT = [
    "set -eu",
    'ini="$1"; out="$2"; shift 2',
    'interval="${PGBOUNCER_RELOAD_CHECK_SECONDS:-10}"',
    "umask 077",
    'build() { cat "$@" > "$out.tmp"; mv "$out.tmp" "$out"; }',
    'digest() { cat "$@" ${PGBOUNCER_WATCH_FILES:-} | md5sum; }',
    'build "$@"; last="$(digest "$@")"',
    'pgbouncer "$ini" & pid=$!',
    "trap 'kill -TERM \"$pid\" 2>/dev/null || true' TERM",
    "trap 'kill -INT \"$pid\" 2>/dev/null || true' INT",
    'while kill -0 "$pid" 2>/dev/null; do',
    '  sleep "$interval" & wait $! || true',
    '  now="$(digest "$@")"',
    '  if [ "$now" != "$last" ]; then build "$@"; kill -HUP "$pid" 2>/dev/null || true; last="$now"; echo "users changed: reloaded" >&2; fi',
    "done",
    'wait "$pid"',
].join("\n");

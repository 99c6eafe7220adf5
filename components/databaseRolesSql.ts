/**
 * The pure renderer of the database-roles SQL (no Pulumi): the `DatabaseRoles` component ships it in a
 * ConfigMap and a Job runs it with `psql` as the master user; the real-server test
 * (test/realServers.roles.test.ts) runs the same text against PostgreSQL.
 *
 * The script is idempotent: every CREATE is guarded by an existence check, every GRANT/REVOKE/ALTER sets a
 * state rather than adding one, so a second run changes nothing (the test counts roles and grants). Passwords
 * are set only when a role is created: afterwards Secrets Manager's rotation owns them, and a re-run must not
 * put back a stale one.
 */

/** Bumped when the SQL changes meaning; the Job's name carries it (a new version runs as a new Job). */
export const DATABASE_ROLES_SQL_VERSION = 1;

/** Group role of every login PgBouncer passes to Aurora: the application roles and their alternates. */
export const APP_CLIENTS_ROLE = "app_clients";

/** The alternate login of a role under alternating-users rotation (the name AWS's multi-user function uses). */
export const cloneRoleName = (role: string) => `${role}_clone`;

/** One service's database access. */
export interface AppDatabaseRole {
    /** Login role (`[a-z][a-z0-9_]*`, at most 57 characters). */
    role: string;
    /** Schema the role owns. */
    schema: string;
}

export interface DatabaseRolesSqlArgs {
    /** Database the roles connect to (its CONNECT is revoked from PUBLIC and granted to each role). */
    database: string;
    /** The application roles. */
    roles: AppDatabaseRole[];
    /**
     * Files of a role's Secrets Manager secret, mounted from a Kubernetes Secret: the username and password of
     * its AWSCURRENT and AWSPREVIOUS versions (one is `role`, the other `role_clone`). psql reads them with a
     * backquoted `cat`; a trailing newline is dropped.
     */
    credentialFiles: (role: string) => RoleCredentialFiles;
}

/** Where the two versions of one role's secret are mounted. */
export interface RoleCredentialFiles {
    currentUsername: string;
    currentPassword: string;
    previousUsername: string;
    previousPassword: string;
}

/** The file names the Job mounts for a role (keys of its Kubernetes Secret). */
export function roleCredentialKeys(role: string): RoleCredentialFiles {
    return {
        currentUsername: `${role}.current.username`,
        currentPassword: `${role}.current.password`,
        previousUsername: `${role}.previous.username`,
        previousPassword: `${role}.previous.password`,
    };
}

const IDENT = /^[a-z][a-z0-9_]{0,62}$/;
const ident = (s: string) => {
    if (!IDENT.test(s)) throw new Error(`"${s}" is not a plain lowercase PostgreSQL identifier`);
    return `"${s}"`;
};
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
const psqlVar = (login: string) => `pw_${login}`;

/**
 * The SQL, for `psql -v ON_ERROR_STOP=1 -f`, run as the Aurora master user (rds_superuser: CREATEROLE, owner of
 * the database). Per application role `r` owning schema `s`:
 * - `r` (LOGIN, member of app_clients, nothing else), `r_clone` (LOGIN, member of `r`, `SET role = r` so objects
 *   it creates belong to `r`);
 * - CONNECT and TEMPORARY on the database (PUBLIC loses both), schema `s` owned by `r`, PUBLIC loses every
 *   privilege on it, `search_path = s` for `r` in this database.
 * The master is made a member of `r` (PostgreSQL 16 requires that to create a schema owned by `r`).
 */
export function renderDatabaseRolesSql(a: DatabaseRolesSqlArgs): string {
    const db = ident(a.database);
    const lines: string[] = [
        `-- scaling-topology database roles, version ${DATABASE_ROLES_SQL_VERSION}. Rendered by components/databaseRolesSql.ts; do not edit by hand.`,
        "\\set ON_ERROR_STOP on",
        // Credentials come from files mounted from a Secret: never on a command line or in an environment variable.
        ...a.roles.flatMap((r) => {
            const f = a.credentialFiles(r.role);
            const v = (k: keyof RoleCredentialFiles) => `\\set ${r.role}_${k} \`cat ${literal(f[k])}\``;
            return [v("currentUsername"), v("currentPassword"), v("previousUsername"), v("previousPassword")];
        }),
        // Each login's password is that of whichever version names it ('' = neither: created without a password).
        ...a.roles.map((r) => `SELECT ${[r.role, cloneRoleName(r.role)].map((l) => `CASE ${literal(l)} WHEN :'${r.role}_currentUsername' THEN :'${r.role}_currentPassword' WHEN :'${r.role}_previousUsername' THEN :'${r.role}_previousPassword' ELSE '' END AS ${psqlVar(l)}`).join(", ")} \\gset`),
        "BEGIN;",
        // One run at a time, even if two Jobs overlap.
        "SELECT pg_advisory_xact_lock(hashtext('scaling-topology database roles'));",
        `SELECT format('CREATE ROLE %I NOLOGIN', ${literal(APP_CLIENTS_ROLE)}) WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${literal(APP_CLIENTS_ROLE)}) \\gexec`,
        `REVOKE ALL ON DATABASE ${db} FROM PUBLIC;`,
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC;",
    ];
    for (const r of a.roles) {
        const role = ident(r.role);
        const clone = ident(cloneRoleName(r.role));
        const schema = ident(r.schema);
        const create = (login: string, memberOf: string) =>
            `SELECT format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE %I', ${literal(login)}, NULLIF(:'${psqlVar(login)}', ''), ${literal(memberOf)}) WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${literal(login)}) \\gexec`;
        lines.push(
            `-- ${r.role}: login, schema ${r.schema}, alternate ${cloneRoleName(r.role)}`,
            create(r.role, APP_CLIENTS_ROLE),
            `ALTER ROLE ${role} LOGIN NOCREATEDB NOCREATEROLE INHERIT;`,
            create(cloneRoleName(r.role), r.role),
            `ALTER ROLE ${clone} LOGIN NOCREATEDB NOCREATEROLE INHERIT;`,
            // Whatever the rotation made current, sessions act as the role: tables stay owned by it.
            `ALTER ROLE ${clone} SET role = ${literal(r.role)};`,
            `GRANT ${role} TO CURRENT_USER;`,
            `GRANT CONNECT, TEMPORARY ON DATABASE ${db} TO ${role};`,
            `CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${role};`,
            `ALTER SCHEMA ${schema} OWNER TO ${role};`,
            `REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC;`,
            `ALTER ROLE ${role} IN DATABASE ${db} SET search_path = ${schema};`,
        );
    }
    lines.push(
        `COMMENT ON DATABASE ${db} IS ${literal(`scaling-topology database roles v${DATABASE_ROLES_SQL_VERSION}: ${a.roles.map((r) => r.role).join(", ")}`)};`,
        "COMMIT;",
        "",
    );
    return lines.join("\n");
}

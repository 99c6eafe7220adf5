/**
 * Database roles and credential rotation, proven on a real PostgreSQL and a real PgBouncer (Debian packages,
 * loopback only):
 * - the SQL the database-roles Job runs (components/databaseRolesSql.ts), run as a master user with Aurora's
 *   master attributes (LOGIN CREATEROLE CREATEDB, not superuser), creates the roles and grants, and a second
 *   run changes nothing;
 * - PgBouncer, started by the pod's entrypoint script with the rendered pgbouncer.ini and the user list rendered
 *   from the component's External Secrets template, authenticates the application roles and refuses the master;
 * - an alternating-users rotation, as AWS's multi-user rotation function performs it, during pgbench runs that
 *   open a new connection per transaction loses no transaction.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ChildProcess } from "child_process";
import { ensureServers, freePort, makeTlsFiles, mustRun, pgbouncerVersion, pgBin, run, startProcess, stopProcess, TempPostgres, waitForPort, writeOwned } from "./realServersHarness";
import { resolveStackConfig } from "../sizing/stackConfig";
import { pgbouncerArgs } from "../components/topologyArgs";
import { readStackFiles } from "../plan/stackFiles";
import { poolSettings, podRuntime } from "../components/pgbouncer";
import { PGBOUNCER_ENTRYPOINT, renderPgBouncerIni, renderUserlist, userlistDataKeys, userlistTemplate } from "../components/pgbouncerConfig";
import { cloneRoleName, renderDatabaseRolesSql, roleCredentialKeys } from "../components/databaseRolesSql";

const MASTER = { user: "app_admin", password: "master-password-1" };
const ROLES = [{ role: "api", schema: "api" }, { role: "worker", schema: "worker" }];

/**
 * The subset of Go templates the user-list template uses (`{{ .key }}` and nothing else), evaluated exactly:
 * anything else in the template fails the test rather than being guessed at.
 */
function renderPlaceholders(template: string, data: Record<string, string>): string {
    const rest = template.replace(/\{\{ \.([A-Za-z0-9_]+) \}\}/g, "");
    assert.ok(!/\{\{|\}\}/.test(rest), `template uses more than {{ .key }}: ${template}`);
    return template.replace(/\{\{ \.([A-Za-z0-9_]+) \}\}/g, (_, k: string) => {
        assert.ok(k in data, `no value for ${k}`);
        return data[k];
    });
}

/** One role's secret, as Secrets Manager holds its two versions. */
interface RoleSecret { current: { username: string; password: string }; previous: { username: string; password: string } }

describe("database roles and credential rotation on real servers (PostgreSQL + PgBouncer)", function () {
    this.timeout(60_000);
    let pg: TempPostgres;
    let tls: Awaited<ReturnType<typeof makeTlsFiles>>;
    let bouncer: ChildProcess | undefined;
    let bouncerPort = 0;
    let sqlFile = "";
    const secrets: Record<string, RoleSecret> = {
        api: { current: { username: "api", password: "api-initial-1" }, previous: { username: "api_clone", password: "api-clone-initial-0" } },
        worker: { current: { username: "worker", password: "worker-initial-1" }, previous: { username: "worker_clone", password: "worker-clone-initial-0" } },
    };
    const f = (...p: string[]) => path.join(pg.dir, ...p);

    /** psql as the master user over TCP (password auth), as the Job connects to Aurora. */
    const asMaster = (args: string[]) => run(pgBin("psql"), ["-X", "-q", "-h", "127.0.0.1", "-p", String(pg.port), "-U", MASTER.user, "-d", "app", ...args], { env: { PGPASSWORD: MASTER.password, PGSSLMODE: "disable" } });
    /** psql as a login, straight to PostgreSQL. */
    const direct = (user: string, password: string, sql: string) => run(pgBin("psql"), ["-X", "-q", "-h", "127.0.0.1", "-p", String(pg.port), "-U", user, "-d", "app", "-v", "ON_ERROR_STOP=1", "-Atc", sql], { env: { PGPASSWORD: password, PGSSLMODE: "disable", PGCONNECT_TIMEOUT: "5" } });
    /** psql through PgBouncer, over TLS verifying its certificate, as applications connect. */
    const viaBouncer = (user: string, password: string, sql: string) => run(pgBin("psql"), ["-X", "-h", "127.0.0.1", "-p", String(bouncerPort), "-U", user, "-d", "app", "-Atc", sql], { env: { PGPASSWORD: password, PGSSLMODE: "verify-full", PGSSLROOTCERT: tls.caFile, PGCONNECT_TIMEOUT: "5" } });

    /** What the roles SQL may change: roles, memberships, per-role settings, database and schema ACLs. */
    const catalogState = async () => {
        const q = async (sql: string) => (await pg.psql(sql, "app")).trim().split("\n").filter(Boolean);
        const roles = await q("select rolname || ':' || rolcanlogin || rolsuper || rolcreaterole || rolcreatedb || rolinherit from pg_roles where rolname !~ '^pg_' order by 1");
        const members = await q("select r.rolname || '>' || m.rolname || ':' || a.admin_option from pg_auth_members a join pg_roles r on r.oid = a.roleid join pg_roles m on m.oid = a.member order by 1");
        const settings = await q("select coalesce(r.rolname, '*') || '@' || coalesce(d.datname, '*') || '=' || array_to_string(s.setconfig, ',') from pg_db_role_setting s left join pg_roles r on r.oid = s.setrole left join pg_database d on d.oid = s.setdatabase order by 1");
        const acls = await q("select 'db ' || datname || ' ' || coalesce(datacl::text, '-') from pg_database where datname = 'app' union all select 'schema ' || nspname || ' ' || pg_get_userbyid(nspowner) || ' ' || coalesce(nspacl::text, '-') from pg_namespace where nspname !~ '^(pg_|information_schema)' order by 1");
        return { roles, members, settings, acls, counts: { roles: roles.length, memberships: members.length, roleSettings: settings.length, aclEntries: acls.join(" ").split(/[{,]/).length } };
    };

    /** Writes a role's secret versions where the Job and PgBouncer read them (atomically, as kubelet updates Secret volumes). */
    const publish = () => {
        for (const r of ROLES) {
            const keys = roleCredentialKeys(r.role);
            const s = secrets[r.role];
            writeOwned(f("creds", keys.currentUsername), s.current.username);
            writeOwned(f("creds", keys.currentPassword), s.current.password);
            writeOwned(f("creds", keys.previousUsername), s.previous.username);
            writeOwned(f("creds", keys.previousPassword), s.previous.password);
        }
        const data: Record<string, string> = {};
        for (const r of ROLES) {
            const k = userlistDataKeys(r.role);
            Object.assign(data, { [k.currentUsername]: secrets[r.role].current.username, [k.currentPassword]: secrets[r.role].current.password, [k.previousUsername]: secrets[r.role].previous.username, [k.previousPassword]: secrets[r.role].previous.password });
        }
        writeOwned(f("users", "apps.tmp"), renderPlaceholders(userlistTemplate(ROLES.map((r) => r.role)), data));
        fs.renameSync(f("users", "apps.tmp"), f("users", "apps.txt"));
    };

    before(async function () {
        ensureServers();
        pg = new TempPostgres();
        tls = await makeTlsFiles(pg.dir);
        await pg.start({ max_connections: "100", password_encryption: "scram-sha-256", ssl: "on", ssl_cert_file: tls.certFile, ssl_key_file: tls.keyFile });
        // Aurora's master: LOGIN CREATEROLE CREATEDB, not a superuser; it owns the application database.
        await pg.psql(`create role ${MASTER.user} login createrole createdb password '${MASTER.password}'`);
        await pg.psql(`create database app owner ${MASTER.user}`);
        for (const d of ["creds", "users", "run"]) {
            fs.mkdirSync(f(d));
            writeOwned(f(d, ".keep"), "");
            fs.chownSync(f(d), fs.statSync(pg.dir).uid, fs.statSync(pg.dir).gid);
        }
        publish();
        sqlFile = f("roles.sql");
        writeOwned(sqlFile, renderDatabaseRolesSql({ database: "app", roles: ROLES, credentialFiles: (role) => {
            const k = roleCredentialKeys(role);
            return { currentUsername: f("creds", k.currentUsername), currentPassword: f("creds", k.currentPassword), previousUsername: f("creds", k.previousUsername), previousPassword: f("creds", k.previousPassword) };
        } }));
    });

    after(async () => {
        await stopProcess(bouncer);
        await pg?.stop();
    });

    it("the roles SQL creates each role, its alternate and its schema with least privilege, and a second run changes nothing", async () => {
        const before = await catalogState();
        const first = await asMaster(["-v", "ON_ERROR_STOP=1", "-f", sqlFile]);
        assert.equal(first.code, 0, first.stderr);
        const once = await catalogState();
        const second = await asMaster(["-v", "ON_ERROR_STOP=1", "-f", sqlFile]);
        assert.equal(second.code, 0, second.stderr);
        const twice = await catalogState();
        console.log(`      figures: ${JSON.stringify({ before: before.counts, afterFirstRun: once.counts, afterSecondRun: twice.counts })}`);
        // app_clients + 2 roles + 2 alternates.
        assert.equal(once.counts.roles - before.counts.roles, 5);
        assert.ok(once.roles.includes("api:truefalsefalsefalsetrue") && once.roles.includes("api_clone:truefalsefalsefalsetrue"), once.roles.join("\n"));
        assert.ok(once.members.includes("app_clients>api:false") && once.members.includes("api>api_clone:false"), once.members.join("\n"));
        assert.deepEqual(twice, once, "the second run changed the catalog");

        // Each role logs in with its secret's password, owns only its schema and cannot reach the other's.
        assert.equal((await direct("api", "api-initial-1", "create table orders(id int); select current_user || ' ' || (select tableowner || '.' || schemaname from pg_tables where tablename = 'orders')")).stdout.trim(), "api api.api");
        const cross = await direct("worker", "worker-initial-1", "select count(*) from api.orders");
        assert.match(cross.stderr, /permission denied for schema api/, cross.stderr);
        const inPublic = await direct("worker", "worker-initial-1", "create table public.x(id int)");
        assert.match(inPublic.stderr, /permission denied for schema public/, inPublic.stderr);
        // The alternate acts as the role: what it creates belongs to the role.
        const clone = await direct("api_clone", "api-clone-initial-0", "create table items(id int); select session_user || ' ' || current_user || ' ' || (select tableowner from pg_tables where tablename = 'items')");
        assert.equal(clone.stdout.trim(), "api_clone api api", clone.stderr);
        // Nobody else connects to the database (PUBLIC lost CONNECT).
        await pg.psql("create role stranger login password 'stranger'");
        const stranger = await direct("stranger", "stranger", "select 1");
        assert.match(stranger.stderr, /permission denied for database "app"/, stranger.stderr);
        // A re-run after a rotation keeps the rotated password (passwords are set only on creation).
        await asMaster(["-c", "alter role worker password 'rotated-worker-2'"]);
        assert.equal((await asMaster(["-v", "ON_ERROR_STOP=1", "-f", sqlFile])).code, 0);
        assert.equal((await direct("worker", "rotated-worker-2", "select 1")).stdout.trim(), "1");
        await asMaster(["-c", "alter role worker password 'worker-initial-1'"]);
    });

    it("PgBouncer with the rendered config and user list authenticates the application roles and refuses the master", async () => {
        const config = resolveStackConfig("dev", readStackFiles(path.resolve(__dirname, ".."), "dev").config);
        const args = pgbouncerArgs(config.pgbouncer);
        // server_lifetime 1 s (instead of the stack's 300): PgBouncer logs in to PostgreSQL again and again
        // during the rotation below, so its server-side logins are exercised, not only the client side.
        const pool = { ...poolSettings(args, args.readWrite!), serverLifetimeSeconds: 1 };
        bouncerPort = await freePort();
        writeOwned(f("users", "stats.txt"), renderUserlist([{ name: "pgbouncer_stats", password: "stats" }]));
        writeOwned(f("pgbouncer.ini"), renderPgBouncerIni(pool, { host: "127.0.0.1", port: pg.port, dbname: "app", sslmode: "disable" }, {
            ...podRuntime(pgbouncerVersion()),
            listenAddr: "127.0.0.1",
            listenPort: bouncerPort,
            authFile: f("run", "userlist.txt"),
            unixSocketDir: "",
            logFile: f("pgbouncer.log"),
            clientTls: { keyFile: tls.keyFile, certFile: tls.certFile },
        }));
        // The pod's entrypoint: builds the auth_file from the mounted lists, starts PgBouncer, reloads on change.
        bouncer = startProcess("sh", ["-c", PGBOUNCER_ENTRYPOINT, "pgbouncer-entrypoint", f("pgbouncer.ini"), f("run", "userlist.txt"), f("users", "apps.txt"), f("users", "stats.txt")], f("entrypoint.log"), { PGBOUNCER_RELOAD_CHECK_SECONDS: "1" });
        await waitForPort(bouncerPort).catch((e) => { throw new Error(`${e.message}\n${fs.readFileSync(f("entrypoint.log"), "utf8")}`); });
        assert.equal(fs.statSync(f("run", "userlist.txt")).mode & 0o077, 0, "the auth_file is private to PgBouncer");

        const api = await viaBouncer("api", "api-initial-1", "select current_user");
        assert.equal(api.stdout.trim(), "api", api.stderr);
        const clone = await viaBouncer("api_clone", "api-clone-initial-0", "select session_user");
        assert.equal(clone.stdout.trim(), "api_clone", clone.stderr);
        const master = await viaBouncer(MASTER.user, MASTER.password, "select 1");
        assert.notEqual(master.code, 0, "PgBouncer must refuse the master user");
        assert.match(master.stderr, /SASL authentication failed|password authentication failed|no such user/, master.stderr);
        const wrong = await viaBouncer("api", "not-the-password", "select 1");
        assert.notEqual(wrong.code, 0, "a wrong password must be refused");
        console.log(`      figures: ${JSON.stringify({ api: "accepted", api_clone: "accepted", master: master.stderr.trim().split("\n").pop(), wrongPassword: "refused" })}`);
    });

    it("an alternating-users rotation during pgbench (a new connection per transaction) loses no transaction", async () => {
        // pgbench tables in api's schema, created as api (its search_path).
        const init = await run("pgbench", ["-i", "-s", "1", "-q", "-h", "127.0.0.1", "-p", String(pg.port), "-U", "api", "app"], { env: { PGPASSWORD: "api-initial-1", PGSSLMODE: "disable" }, timeoutMs: 30_000 });
        assert.equal(init.code, 0, init.stderr);
        const bench = (user: string, password: string, seconds: number) => run("pgbench", ["-n", "-C", "-c", "4", "-j", "2", "-T", String(seconds), "-h", "127.0.0.1", "-p", String(bouncerPort), "-U", user, "app"], {
            env: { PGPASSWORD: password, PGSSLMODE: "verify-full", PGSSLROOTCERT: tls.caFile }, timeoutMs: 30_000,
        });
        const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
        const t0 = Date.now();
        const before = bench("api", "api-initial-1", 5);
        await sleep(1500);

        // AWS's multi-user rotation function, step by step (SecretsManagerRDSPostgreSQLRotationMultiUser):
        // createSecret: AWSPENDING = the alternate user with a new password.
        const pending = { username: cloneRoleName("api"), password: `api-rotated-${Date.now()}` };
        // setSecret: as the master, the alternate's password (the user the applications run as is untouched).
        const set = await asMaster(["-v", "ON_ERROR_STOP=1", "-c", `alter user ${pending.username} with password '${pending.password}'`]);
        assert.equal(set.code, 0, set.stderr);
        // testSecret: the pending credentials log in.
        assert.equal((await direct(pending.username, pending.password, "select 1")).stdout.trim(), "1");
        // finishSecret: AWSCURRENT moves to it; the old current becomes AWSPREVIOUS. External Secrets syncs both
        // to PgBouncer's Secret and kubelet updates the mounted file: published here the same way.
        secrets.api = { current: pending, previous: secrets.api.current };
        publish();
        const rotatedAt = Date.now();
        // PgBouncer picks the new user list up (the entrypoint polls every second here): the new credentials work.
        let reloadMs = -1;
        for (let i = 0; i < 50 && reloadMs < 0; i++) {
            if ((await viaBouncer(pending.username, pending.password, "select 1")).code === 0) reloadMs = Date.now() - rotatedAt;
            else await sleep(200);
        }
        assert.ok(reloadMs >= 0, `PgBouncer never accepted the rotated credentials:\n${fs.readFileSync(f("entrypoint.log"), "utf8")}`);
        // Applications move to the new current credentials while the old ones still run.
        const after = bench(pending.username, pending.password, 2);
        const [a, b] = await Promise.all([before, after]);
        const parse = (r: { stdout: string; stderr: string; code: number }) => ({
            exit: r.code,
            transactions: Number(/number of transactions actually processed: (\d+)/.exec(r.stdout)?.[1] ?? -1),
            failed: Number(/number of failed transactions: (\d+)/.exec(r.stdout)?.[1] ?? 0),
            errors: (r.stderr.match(/error|FATAL|abort/gi) ?? []).length,
        });
        const pa = parse(a);
        const pb = parse(b);
        const reloads = (fs.readFileSync(f("entrypoint.log"), "utf8").match(/users changed: reloaded/g) ?? []).length;
        const serverLogins = await pg.psql("select count(*) from pg_stat_activity where usename in ('api', 'api_clone')");
        console.log(`      figures: ${JSON.stringify({ seconds: Number(((Date.now() - t0) / 1000).toFixed(1)), asApiThroughRotation: pa, asApiCloneAfterRotation: pb, pgbouncerReloadMs: reloadMs, reloads, roles: ["api", "api_clone"], serverConnectionsNow: Number(serverLogins) })}`);
        for (const [who, p, r] of [["api", pa, a], ["api_clone", pb, b]] as const) {
            assert.equal(p.exit, 0, `${who}: pgbench failed:\n${r.stderr.slice(0, 1500)}`);
            assert.ok(p.transactions > 0, `${who}: no transactions:\n${r.stdout}`);
            assert.equal(p.failed, 0, `${who}: failed transactions`);
            assert.equal(p.errors, 0, `${who}: ${r.stderr.slice(0, 1500)}`);
        }
        assert.ok(reloads >= 1, "the entrypoint did not reload PgBouncer");
        // The next rotation changes api's password (the alternate now): the applications already moved off it.
        const next = await asMaster(["-c", "alter user api with password 'api-rotated-again'"]);
        assert.equal(next.code, 0);
        assert.equal((await viaBouncer(pending.username, pending.password, "select 1")).stdout.trim(), "1");
        await mustRun("true", []);
    });
});

/**
 * A renewed server certificate reaches clients without a restart, proven on a real PgBouncer: the pod's
 * entrypoint (components/pgbouncerConfig.ts) watches the TLS files cert-manager rewrites in place
 * (`PGBOUNCER_WATCH_FILES`), and PgBouncer serves the new certificate after its SIGHUP while a session
 * that was open across the renewal completes.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ChildProcess } from "child_process";
import { ensureServers, freePort, mustRun, pgbouncerVersion, pgBin, run, startProcess, stopProcess, TempPostgres, waitForPort, writeOwned } from "./realServersHarness";
import { poolSettings, podRuntime } from "../components/pgbouncer";
import { pgbouncerArgs } from "../components/topologyArgs";
import { PGBOUNCER_ENTRYPOINT, renderPgBouncerIni, renderUserlist } from "../components/pgbouncerConfig";
import { resolveStackConfig } from "../sizing/stackConfig";
import { readStackFiles } from "../plan/stackFiles";

describe("certificate renewal on a real PgBouncer (entrypoint reload, no restart)", function () {
    this.timeout(60_000);
    let pg: TempPostgres;
    let bouncer: ChildProcess | undefined;
    let port = 0;
    const f = (...p: string[]) => path.join(pg.dir, ...p);
    const ssl = (...args: string[]) => mustRun("openssl", args, { timeoutMs: 20_000 });

    /** A server certificate for localhost from the test CA (what cert-manager's CA Issuer issues), with its own key. */
    const issue = async (n: string) => {
        await ssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/CN=localhost/O=${n}`, "-keyout", f(`${n}.key`), "-out", f(`${n}.csr`));
        await ssl("x509", "-req", "-in", f(`${n}.csr`), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", f("san.ext"), "-out", f(`${n}.crt`));
        return (await ssl("x509", "-in", f(`${n}.crt`), "-noout", "-serial")).trim();
    };
    /** As kubelet updates a Secret volume: the new files appear at once (rename). */
    const install = (n: string) => {
        for (const [from, to] of [[`${n}.crt`, "tls.crt"], [`${n}.key`, "tls.key"]]) {
            writeOwned(f("tls", `${to}.tmp`), fs.readFileSync(f(from), "utf8"));
            fs.renameSync(f("tls", `${to}.tmp`), f("tls", to));
        }
    };
    /** The serial of the certificate PgBouncer serves now (a fresh TLS handshake). */
    const served = async () => {
        const r = await run("sh", ["-c", `openssl s_client -starttls postgres -connect 127.0.0.1:${port} -servername localhost </dev/null 2>/dev/null | openssl x509 -noout -serial`], { timeoutMs: 10_000 });
        return r.stdout.trim();
    };
    const psql = (sql: string) => run(pgBin("psql"), ["-X", "-h", "localhost", "-p", String(port), "-U", "app_user", "-d", "app", "-Atc", sql], {
        env: { PGPASSWORD: "app-password-1", PGSSLMODE: "verify-full", PGSSLROOTCERT: f("ca.pem"), PGCONNECT_TIMEOUT: "5" }, timeoutMs: 20_000,
    });

    before(async function () {
        ensureServers();
        pg = new TempPostgres();
        await pg.start({ password_encryption: "scram-sha-256" });
        await pg.psql("create role app_user login password 'app-password-1'");
        await pg.psql("create database app owner app_user");
        for (const d of ["tls", "users", "run"]) {
            fs.mkdirSync(f(d));
            fs.chownSync(f(d), fs.statSync(pg.dir).uid, fs.statSync(pg.dir).gid);
        }
        await ssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=test PgBouncer CA", "-keyout", f("ca.key"), "-out", f("ca.pem"));
        fs.writeFileSync(f("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
    });

    after(async () => {
        await stopProcess(bouncer);
        await pg?.stop();
    });

    it("serves the renewed certificate within seconds, a session open across the renewal completes, clients still verify", async () => {
        const first = await issue("first");
        const second = await issue("second");
        assert.notEqual(first, second);
        install("first");
        const config = resolveStackConfig("dev", readStackFiles(path.resolve(__dirname, ".."), "dev").config);
        const args = pgbouncerArgs(config.pgbouncer);
        port = await freePort();
        writeOwned(f("users", "apps.txt"), renderUserlist([{ name: "app_user", password: "app-password-1" }]));
        writeOwned(f("pgbouncer.ini"), renderPgBouncerIni(poolSettings(args, args.readWrite!), { host: "127.0.0.1", port: pg.port, dbname: "app", sslmode: "disable" }, {
            ...podRuntime(pgbouncerVersion()),
            listenAddr: "127.0.0.1",
            listenPort: port,
            authFile: f("run", "userlist.txt"),
            unixSocketDir: "",
            logFile: f("pgbouncer.log"),
            clientTls: { keyFile: f("tls", "tls.key"), certFile: f("tls", "tls.crt") },
        }));
        // The pod's entrypoint and environment (components/pgbouncer.ts), with a 1 s poll.
        bouncer = startProcess("sh", ["-c", PGBOUNCER_ENTRYPOINT, "pgbouncer-entrypoint", f("pgbouncer.ini"), f("run", "userlist.txt"), f("users", "apps.txt")], f("entrypoint.log"), {
            PGBOUNCER_RELOAD_CHECK_SECONDS: "1",
            PGBOUNCER_WATCH_FILES: `${f("tls", "tls.crt")} ${f("tls", "tls.key")}`,
        });
        await waitForPort(port).catch((e) => { throw new Error(`${e.message}\n${fs.readFileSync(f("entrypoint.log"), "utf8")}`); });
        assert.equal(await served(), first);
        assert.equal((await psql("select current_user")).stdout.trim(), "app_user");

        // A session open across the renewal (4 s), then the renewal: cert-manager rewrites the Secret's files.
        const t0 = Date.now();
        const open = psql("select pg_sleep(4), 'survived'");
        await new Promise((r) => setTimeout(r, 500));
        install("second");
        let now = await served();
        while (now !== second && Date.now() - t0 < 15_000) {
            await new Promise((r) => setTimeout(r, 250));
            now = await served();
        }
        const seconds = (Date.now() - t0) / 1000;
        assert.equal(now, second, `PgBouncer still serves ${now} after ${seconds} s\n${fs.readFileSync(f("entrypoint.log"), "utf8")}`);
        const session = await open;
        assert.equal(session.code, 0, session.stderr);
        assert.match(session.stdout, /survived/);
        const after = await psql("select 'verified'");
        assert.equal(after.stdout.trim(), "verified", after.stderr);
        assert.equal(bouncer.exitCode, null, "PgBouncer was not restarted");
        const reloads = (fs.readFileSync(f("entrypoint.log"), "utf8").match(/changed: reloaded/g) ?? []).length;
        assert.ok(reloads >= 1);
        console.log(`      figures: ${JSON.stringify({ pgbouncer: pgbouncerVersion(), servedBefore: first, servedAfter: now, secondsToServeRenewed: seconds, reloads, sessionAcrossRenewal: "completed" })}`);
    });
});

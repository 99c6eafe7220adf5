/**
 * The PgBouncer configuration, proven on a real PgBouncer in front of a real PostgreSQL (Debian
 * packages, loopback only): rendered by the same functions and from the same stack config as the
 * component's ConfigMap, with only where it listens, where the server is and TLS changed.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ChildProcess } from "child_process";
import { ensureServers, freePort, makeTlsFiles, pgbouncerVersion, pgBin, run, startProcess, stopProcess, TempPostgres, waitForPort, writeOwned } from "./realServersHarness";
import { resolveStackConfig } from "../sizing/stackConfig";
import { pgbouncerArgs } from "../components/topologyArgs";
import { readStackFiles } from "../plan/stackFiles";
import { poolSettings, podRuntime } from "../components/pgbouncer";
import { compareVersions, renderPgBouncerIni, renderUserlist, serverConnectionCap } from "../components/pgbouncerConfig";
import { byName, stackPlan } from "./helpers";

/** Transactions per client: a fixed amount of work, so a loaded machine only makes the run slower. */
const TRANSACTIONS_PER_CLIENT = 10;
const APP_PASSWORD = "test-app-password-1\"x";

describe("PgBouncer on real servers (pgbench through the rendered config)", function () {
    this.timeout(120_000);
    let pool: ReturnType<typeof poolSettings>;
    /** Many more clients than PgBouncer may open server connections: 200, or 4x the cap for larger pools. */
    let CLIENTS = 200;
    let pg: TempPostgres;
    let bouncer: ChildProcess | undefined;
    let bouncerPort = 0;
    let ini = "";
    let tls: Awaited<ReturnType<typeof makeTlsFiles>>;
    let version = "";

    /** Clients reach PgBouncer over TLS and verify its certificate, as apps do with `pgbouncerClientCaCert`. */
    const clientTlsEnv = () => ({ PGSSLMODE: "verify-full", PGSSLROOTCERT: tls.caFile });

    before(async function () {
        // The dev stack's read-write pool, as the component gets it.
        const config = resolveStackConfig("dev", readStackFiles(path.resolve(__dirname, ".."), "dev").config);
        const args = pgbouncerArgs(config.pgbouncer);
        pool = poolSettings(args, args.readWrite!);
        CLIENTS = Math.max(200, 4 * serverConnectionCap(pool));
        ensureServers();
        pg = new TempPostgres();
        // Room for more connections than the pool, so only PgBouncer can be what keeps them down.
        // TLS on the server too (the verify-full case below); the pgbench pool connects without it.
        tls = await makeTlsFiles(pg.dir);
        await pg.start({ max_connections: String(CLIENTS + 20), password_encryption: "scram-sha-256", listen_addresses: "localhost", ssl: "on", ssl_cert_file: tls.certFile, ssl_key_file: tls.keyFile });
        await pg.psql(`create role app login password '${APP_PASSWORD.replace(/'/g, "''")}'`);
        await pg.psql("create database app owner app");
        // pgbench tables, created directly (not through the pool).
        const init = await run("pgbench", ["-i", "-s", "4", "-q", "-h", pg.dir, "-p", String(pg.port), "-U", "app", "app"], { timeoutMs: 60_000 });
        assert.equal(init.code, 0, init.stderr);

        bouncerPort = await freePort();
        version = pgbouncerVersion();
        ini = renderPgBouncerIni(pool, { host: "127.0.0.1", port: pg.port, dbname: "app", sslmode: "disable" }, {
            ...podRuntime(version),
            listenAddr: "127.0.0.1",
            listenPort: bouncerPort,
            authFile: path.join(pg.dir, "userlist.txt"),
            unixSocketDir: pg.dir,
            pidFile: path.join(pg.dir, "pgbouncer.pid"),
            logFile: path.join(pg.dir, "pgbouncer.log"),
            clientTls: { keyFile: tls.keyFile, certFile: tls.certFile },
        });
        writeOwned(path.join(pg.dir, "pgbouncer.ini"), ini);
        writeOwned(path.join(pg.dir, "userlist.txt"), renderUserlist([{ name: "app", password: APP_PASSWORD }, { name: "pgbouncer_stats", password: "stats" }]));
        bouncer = startProcess("pgbouncer", [path.join(pg.dir, "pgbouncer.ini")], path.join(pg.dir, "pgbouncer.stdout"));
        await waitForPort(bouncerPort).catch((e) => {
            const log = [path.join(pg.dir, "pgbouncer.log"), path.join(pg.dir, "pgbouncer.stdout")].filter(fs.existsSync).map((f) => fs.readFileSync(f, "utf8")).join("\n");
            throw new Error(`${e.message}\n${log}`);
        });
    });

    after(async () => {
        await stopProcess(bouncer);
        await pg?.stop();
    });

    it("runs the dev plan's ConfigMap settings: only listen/auth paths, the server and TLS differ", async () => {
        const plan = await stackPlan("dev");
        const podIni = (byName(plan, "dev-pgbouncer-rw-config").props as any).data["pgbouncer.ini"] as string;
        const environment = new Set(["listen_addr", "listen_port", "auth_file", "unix_socket_dir", "pidfile", "logfile", "server_tls_sslmode", "server_tls_ca_file", "client_tls_key_file", "client_tls_cert_file",
            // not known to the installed PgBouncer when older than 1.21 (the renderer leaves it out)
            ...(compareVersions(pgbouncerVersion(), "1.21.0") < 0 ? ["max_prepared_statements"] : [])]);
        const settings = (text: string) => {
            const pgb = text.slice(text.indexOf("[pgbouncer]"));
            return pgb.split("\n").filter((l) => / = /.test(l)).map((l) => l.split(" = ") as [string, string]).filter(([k]) => !environment.has(k));
        };
        assert.ok(settings(podIni).length > 20);
        assert.deepEqual(settings(ini), settings(podIni));
        assert.match(ini, /^pool_mode = transaction$/m);
        assert.match(ini, /^client_tls_sslmode = require$/m);
        assert.match(ini, new RegExp(`^default_pool_size = ${pool.defaultPoolSize}$`, "m"));
        assert.match(ini, new RegExp(`^max_db_connections = ${serverConnectionCap(pool)}$`, "m"));
    });

    it("serves 200 (or 4x the pool cap) concurrent pgbench clients with zero errors while PostgreSQL sees at most pool + reserve server connections", async () => {
        const cap = serverConnectionCap(pool);
        assert.ok(CLIENTS >= 4 * cap, "the test must drive many more clients than the pool");
        const samples: number[] = [];
        let running = true;
        const sampler = (async () => {
            while (running) {
                const n = await pg.psql("select count(*) from pg_stat_activity where usename = 'app' and backend_type = 'client backend'");
                samples.push(Number(n.trim()));
                await new Promise((r) => setTimeout(r, 50));
            }
        })();
        const t0 = Date.now();
        const bench = await run("pgbench", ["-h", "127.0.0.1", "-p", String(bouncerPort), "-U", "app", "-c", String(CLIENTS), "-j", "2", "-t", String(TRANSACTIONS_PER_CLIENT), "-M", "simple", "-n", "-b", "select-only@9", "-b", "tpcb-like@1", "app"], {
            env: { ...clientTlsEnv(), PGPASSWORD: APP_PASSWORD, PGCONNECT_TIMEOUT: "10" },
            timeoutMs: 60_000,
        });
        const seconds = (Date.now() - t0) / 1000;
        running = false;
        await sampler;
        const transactions = Number(/number of transactions actually processed: (\d+)/.exec(bench.stdout)?.[1] ?? NaN);
        const failed = Number(/number of failed transactions: (\d+)/.exec(bench.stdout)?.[1] ?? 0);
        const clientErrors = (bench.stderr.match(/error|FATAL/gi) ?? []).length;
        const peak = Math.max(...samples);
        const figures = { clients: CLIENTS, seconds: Number(seconds.toFixed(1)), poolSize: pool.defaultPoolSize, reservePoolSize: pool.reservePoolSize, maxServerConnections: cap, transactions, failedTransactions: failed, clientErrors, pgbenchExit: bench.code, peakServerConnections: peak, samples: samples.length };
        console.log(`      figures: ${JSON.stringify(figures)}`);
        assert.equal(bench.code, 0, `pgbench failed:\n${bench.stderr.slice(0, 2000)}`);
        assert.equal(transactions, CLIENTS * TRANSACTIONS_PER_CLIENT, `only ${transactions} transactions:\n${bench.stdout}\n${bench.stderr.slice(0, 2000)}`);
        assert.equal(failed, 0);
        assert.equal(clientErrors, 0, bench.stderr.slice(0, 2000));
        assert.ok(samples.length >= 10, `only ${samples.length} samples of pg_stat_activity`);
        assert.ok(peak >= 1, "PostgreSQL never saw the pool's connections");
        assert.ok(peak <= cap, `PostgreSQL saw ${peak} server connections; the pool allows ${cap}`);
        // client_tls_sslmode = require: a client without TLS is turned away.
        const plain = await run(pgBin("psql"), ["-h", "127.0.0.1", "-p", String(bouncerPort), "-U", "app", "-d", "app", "-Atc", "select 1"], { env: { PGSSLMODE: "disable", PGPASSWORD: APP_PASSWORD, PGCONNECT_TIMEOUT: "5" } });
        assert.notEqual(plain.code, 0, "a client without TLS must be refused");
    });
    it("with server_tls_sslmode = verify-full reaches PostgreSQL over TLS with the right CA and host, and refuses another CA", async () => {
        const bouncers: ChildProcess[] = [];
        try {
            const through = async (caFile: string, connectTimeout: number) => {
                const port = await freePort();
                const name = `pgbouncer-tls-${port}`;
                writeOwned(path.join(pg.dir, `${name}.ini`), renderPgBouncerIni(pool, { host: "localhost", port: pg.port, dbname: "app", sslmode: "verify-full", caFile }, {
                    ...podRuntime(version), listenAddr: "127.0.0.1", listenPort: port, authFile: path.join(pg.dir, "userlist.txt"),
                    unixSocketDir: pg.dir, pidFile: path.join(pg.dir, `${name}.pid`), logFile: path.join(pg.dir, `${name}.log`),
                    clientTls: { keyFile: tls.keyFile, certFile: tls.certFile },
                }));
                bouncers.push(startProcess("pgbouncer", [path.join(pg.dir, `${name}.ini`)], path.join(pg.dir, `${name}.stdout`)));
                await waitForPort(port);
                const r = await run(pgBin("psql"), ["-h", "127.0.0.1", "-p", String(port), "-U", "app", "-d", "app", "-Atc", "select ssl, version from pg_stat_ssl where pid = pg_backend_pid()"], { env: { ...clientTlsEnv(), PGPASSWORD: APP_PASSWORD, PGCONNECT_TIMEOUT: String(connectTimeout) }, timeoutMs: 30_000 });
                return { ...r, log: () => fs.readFileSync(path.join(pg.dir, `${name}.log`), "utf8") };
            };
            const good = await through(tls.caFile, 10);
            assert.equal(good.code, 0, good.stderr);
            assert.match(good.stdout.trim(), /^t\|TLSv1\.[23]$/, "the server connection is TLS");
            // Another CA: PgBouncer's TLS handshake with the server fails, so the client never gets a connection.
            const bad = await through(tls.otherCaFile, 3);
            assert.notEqual(bad.code, 0, "a server certificate from another CA must be refused");
            const refusal = /certificate verify failed|certificate.*(unknown|invalid)/i.exec(bad.log());
            assert.ok(refusal, `PgBouncer did not log a certificate failure:\n${bad.log().slice(-1500)}`);
            console.log(`      figures: ${JSON.stringify({ verifyFull: good.stdout.trim(), otherCa: refusal![0] })}`);
        } finally {
            for (const b of bouncers) await stopProcess(b);
        }
    });
});

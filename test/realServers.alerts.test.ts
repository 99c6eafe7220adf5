/**
 * The shipped alert rules, end to end on real servers (Debian packages, loopback only): a real
 * Prometheus loaded with the prod stack's rules (rendered with a test-only time scale: every `for` and
 * rate window x 0.01, so minutes become seconds) scrapes a real redis_exporter in front of a real Redis
 * and an exporter of the real PgBouncer's `SHOW POOLS`. The test overloads PgBouncer (4x more clients
 * than pool + reserve, each holding a server connection for 4 s) and fills Redis (a read-through cache
 * over a key space far larger than maxmemory: misses and evictions), waits for the pool-exhaustion and
 * cache alerts to fire in `/api/v1/alerts`, stops the load and waits for them to resolve.
 */
import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { resolveStackConfig } from "../sizing/stackConfig";
import { pgbouncerArgs } from "../components/topologyArgs";
import { readStackFiles } from "../plan/stackFiles";
import { poolSettings, podRuntime } from "../components/pgbouncer";
import { renderPgBouncerIni, renderUserlist, serverConnectionCap } from "../components/pgbouncerConfig";
import { redisParameters } from "../components/redis";
import { alertThresholds, stackAlertRules } from "../sizing/alerts";
import { ensureServers, freePort, makeTlsFiles, pgBin, pgbouncerVersion, run, startProcess, stopProcess, tempDir, TempPostgres, waitForPort, writeOwned } from "./realServersHarness";

const REPO = path.resolve(__dirname, "..");
const TIME_SCALE = 0.01;
const APP_PASSWORD = "alerts-app-password";
const STATS_PASSWORD = "alerts-stats-password";

/**
 * prometheus-community/pgbouncer_exporter v0.10.2 (the sidecar image the PgBouncer pods run) is not
 * packaged in Debian. This exposes the real PgBouncer's `SHOW POOLS` under that exporter's exact names:
 * collector.go's metricMaps "pools" entry maps each column to `pgbouncer_pools_<name>` with the labels
 * `database` and `user` (namespace "pgbouncer"), all gauges, factor 1 (maxwait in whole seconds, as
 * the exporter reports it; maxwait_us is not exported).
 */
const POOL_COLUMNS: Record<string, string> = {
    cl_active: "client_active_connections",
    cl_waiting: "client_waiting_connections",
    sv_active: "server_active_connections",
    sv_idle: "server_idle_connections",
    sv_used: "server_used_connections",
    sv_tested: "server_testing_connections",
    sv_login: "server_login_connections",
    maxwait: "client_maxwait_seconds",
};

function poolsAsMetrics(csv: string): string {
    const [header, ...rows] = csv.trim().split("\n").map((l) => l.split(","));
    const out: string[] = [];
    for (const row of rows) {
        const v = Object.fromEntries(header.map((h, i) => [h, row[i]]));
        if (v.database === "pgbouncer") continue; // the admin console's own pool
        for (const [column, name] of Object.entries(POOL_COLUMNS)) {
            if (v[column] !== undefined) out.push(`pgbouncer_pools_${name}{database="${v.database}",user="${v.user}"} ${Number(v[column])}`);
        }
    }
    return out.join("\n") + "\n";
}

interface ApiAlert { labels: { alertname: string }; state: string }

describe("alerts fire on real servers (Prometheus, redis_exporter, PgBouncer, Redis)", function () {
    this.timeout(90_000);
        let pg: TempPostgres;
    let bouncer: ChildProcess | undefined;
    let redis: ChildProcess | undefined;
    let redisExporter: ChildProcess | undefined;
    let prometheus: ChildProcess | undefined;
    let shim: http.Server | undefined;
    let bouncerPort = 0;
    let redisPort = 0;
    let promPort = 0;
    let cap = 0;
    let rulesYaml = "";
    let tlsEnv: Record<string, string> = {};
    let promDir = "";
    let redisDir = "";

    const showPools = () => run(pgBin("psql"), ["-h", "127.0.0.1", "-p", String(bouncerPort), "-U", "pgbouncer_stats", "-d", "pgbouncer", "--csv", "-c", "SHOW POOLS"], {
        env: { ...tlsEnv, PGPASSWORD: STATS_PASSWORD, PGCONNECT_TIMEOUT: "5" }, timeoutMs: 5000,
    });

    async function alerts(): Promise<ApiAlert[]> {
        const body = await new Promise<string>((resolve, reject) => http.get(`http://127.0.0.1:${promPort}/api/v1/alerts`, (res) => {
            let data = "";
            res.on("data", (d) => (data += d));
            res.on("end", () => resolve(data));
        }).on("error", reject));
        return (JSON.parse(body) as { data: { alerts: ApiAlert[] } }).data.alerts;
    }
    const firing = async () => new Set((await alerts()).filter((a) => a.state === "firing").map((a) => a.labels.alertname));

    before(async function () {
        ensureServers();
        const config = resolveStackConfig("prod", readStackFiles(REPO, "prod").config);
        rulesYaml = stackAlertRules(alertThresholds(config), { timeScale: TIME_SCALE }).yaml;
        const dev = resolveStackConfig("dev", readStackFiles(REPO, "dev").config);
        const args = pgbouncerArgs(dev.pgbouncer);
        const pool = poolSettings(args, args.readWrite!);
        cap = serverConnectionCap(pool);

        // Started first, so they come up while PostgreSQL initialises.
        bouncerPort = await freePort();
        // Redis with the stack's parameter group settings and a small maxmemory, and the real redis_exporter.
        redisPort = await freePort();
        redisDir = tempDir("obs-redis-");
        const params = redisParameters(dev.redis).filter((p) => p.oss);
        redis = startProcess("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", redisDir, "--maxmemory", String(2 * 1024 * 1024), ...params.flatMap((p) => [`--${p.name}`, p.value])], path.join(redisDir, "redis.log"));
        const exporterPort = await freePort();
        redisExporter = spawn("prometheus-redis-exporter", ["-redis.addr", `redis://127.0.0.1:${redisPort}`, "-web.listen-address", `127.0.0.1:${exporterPort}`], { stdio: "ignore" });

        // The pgbouncer_exporter stand-in (see POOL_COLUMNS).
        const shimPort = await freePort();
        shim = http.createServer((_, res) => {
            showPools().then((r) => {
                res.writeHead(r.code === 0 ? 200 : 500, { "content-type": "text/plain; version=0.0.4" });
                res.end(r.code === 0 ? poolsAsMetrics(r.stdout) : r.stderr);
            });
        }).listen(shimPort, "127.0.0.1");

        // Prometheus: 1 s scrapes and evaluations (the test's choice), the shipped rules as rendered.
        promPort = await freePort();
        promDir = fs.mkdtempSync(path.join(os.tmpdir(), "obs-prom-"));
        fs.writeFileSync(path.join(promDir, "rules.yaml"), rulesYaml);
        fs.writeFileSync(path.join(promDir, "prometheus.yml"), stringify({
            global: { scrape_interval: "1s", evaluation_interval: "1s" },
            rule_files: [path.join(promDir, "rules.yaml")],
            scrape_configs: [
                { job_name: "pgbouncer", static_configs: [{ targets: [`127.0.0.1:${shimPort}`] }] },
                { job_name: "redis", static_configs: [{ targets: [`127.0.0.1:${exporterPort}`] }] },
            ],
        }));
        prometheus = spawn("prometheus", [`--config.file=${path.join(promDir, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(promDir, "data")}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: "ignore" });
        // PostgreSQL and PgBouncer rendered from the dev stack's read-write pool (clients on TLS, as in the pods).
        pg = new TempPostgres();
        tlsEnv = { PGSSLMODE: "require" };
        const [tls] = await Promise.all([makeTlsFiles(pg.dir), pg.start({ max_connections: String(cap + 40), password_encryption: "scram-sha-256" })]);
        await pg.psql(`create role app login password '${APP_PASSWORD}'`);
        await pg.psql("create database app owner app");
        const ini = renderPgBouncerIni(pool, { host: "127.0.0.1", port: pg.port, dbname: "app", sslmode: "disable" }, {
            ...podRuntime(pgbouncerVersion()),
            listenAddr: "127.0.0.1", listenPort: bouncerPort,
            authFile: path.join(pg.dir, "userlist.txt"), unixSocketDir: pg.dir,
            pidFile: path.join(pg.dir, "pgbouncer.pid"), logFile: path.join(pg.dir, "pgbouncer.log"),
            clientTls: { keyFile: tls.keyFile, certFile: tls.certFile },
        });
        writeOwned(path.join(pg.dir, "pgbouncer.ini"), ini);
        writeOwned(path.join(pg.dir, "userlist.txt"), renderUserlist([{ name: "app", password: APP_PASSWORD }, { name: "pgbouncer_stats", password: STATS_PASSWORD }]));
        bouncer = startProcess("pgbouncer", [path.join(pg.dir, "pgbouncer.ini")], path.join(pg.dir, "pgbouncer.stdout"));

        await Promise.all([waitForPort(bouncerPort), waitForPort(redisPort), waitForPort(exporterPort), waitForPort(promPort, 20_000)]);
    });

    after(async () => {
        shim?.close();
        await stopProcess(prometheus);
        await stopProcess(redisExporter);
        await stopProcess(redis);
        await stopProcess(bouncer);
        await pg?.stop();
        for (const d of [promDir, redisDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
    });

    it("the exporter stand-in serves the real PgBouncer's pools under pgbouncer_exporter's names", async () => {
        // PgBouncer creates a pool at its first client.
        const first = await run(pgBin("psql"), ["-h", "127.0.0.1", "-p", String(bouncerPort), "-U", "app", "-d", "app", "-Atc", "select 1"], { env: { ...tlsEnv, PGPASSWORD: APP_PASSWORD } });
        assert.equal(first.code, 0, first.stderr);
        const r = await showPools();
        assert.equal(r.code, 0, r.stderr);
        const metrics = poolsAsMetrics(r.stdout);
        assert.match(metrics, /^pgbouncer_pools_client_waiting_connections\{database="app",user="app"\} 0$/m);
        assert.match(metrics, /^pgbouncer_pools_client_maxwait_seconds\{database="app",user="app"\} 0$/m);
    });

    it("PgBouncerPoolExhausted, PgBouncerClientsWaiting, RedisCacheHitRatioLow and RedisEvicting fire under overload and resolve after it", async () => {
        const expected = ["PgBouncerPoolExhausted", "PgBouncerClientsWaiting", "RedisCacheHitRatioLow", "RedisEvicting"];
        // Healthy first: hot keys read back (hits), pools idle. None of the alerts fires.
        const hot = Array.from({ length: 200 }, (_, i) => `*3\r\n$3\r\nSET\r\n$${`hot:${i}`.length}\r\nhot:${i}\r\n$2\r\nok\r\n`).join("")
            + Array.from({ length: 4000 }, (_, i) => `*2\r\n$3\r\nGET\r\n$${`hot:${i % 200}`.length}\r\nhot:${i % 200}\r\n`).join("");
        await run("redis-cli", ["-h", "127.0.0.1", "-p", String(redisPort), "--pipe"], { input: hot });
        await new Promise((r) => setTimeout(r, 1500));
        const before = await firing();
        assert.deepEqual(expected.filter((a) => before.has(a)), [], "no alert fires before the load");

        // Overload: 4x pool + reserve clients, each transaction holding a server connection for 4 s.
        const script = path.join(pg.dir, "sleep.sql");
        writeOwned(script, "select pg_sleep(4);\n");
        const clients = 4 * cap;
        const t0 = Date.now();
        const benchLog = fs.openSync(path.join(pg.dir, "pgbench.log"), "a");
        const bench = spawn(pgBin("pgbench"), ["-h", "127.0.0.1", "-p", String(bouncerPort), "-U", "app", "-n", "-c", String(clients), "-j", "2", "-T", "60", "-f", script, "app"], {
            env: { ...process.env, ...tlsEnv, PGPASSWORD: APP_PASSWORD, PGCONNECT_TIMEOUT: "10" }, stdio: ["ignore", benchLog, benchLog],
        });
        fs.closeSync(benchLog);
        let loading = true;
        let key = 0;
        const value = "x".repeat(512);
        const cacheLoad = (async () => {
            // A read-through cache over 10x more keys than fit: GET, and SET on a miss (every GET here misses).
            while (loading) {
                const batch: string[] = [];
                for (let i = 0; i < 2000; i++, key++) {
                    const k = `user:${key}`;
                    batch.push(`*2\r\n$3\r\nGET\r\n$${k.length}\r\n${k}\r\n*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$${value.length}\r\n${value}\r\n`);
                }
                await run("redis-cli", ["-h", "127.0.0.1", "-p", String(redisPort), "--pipe"], { input: batch.join("") });
            }
        })();

        const firedAt: Record<string, number> = {};
        try {
            while (Object.keys(firedAt).length < expected.length && Date.now() - t0 < 40_000) {
                const now = await firing();
                for (const a of expected) if (now.has(a) && !(a in firedAt)) firedAt[a] = (Date.now() - t0) / 1000;
                await new Promise((r) => setTimeout(r, 250));
            }
        } finally {
            loading = false;
            await cacheLoad;
            await stopProcess(bench);
        }
        const stoppedAt = Date.now();
        console.log(`      seconds from overload to firing: ${expected.map((a) => `${a} ${firedAt[a]?.toFixed(1) ?? "never"}`).join(", ")}`);
        assert.deepEqual(expected.filter((a) => !(a in firedAt)), [], `alerts that did not fire; pgbench log: ${fs.existsSync(path.join(pg.dir, "pgbench.log")) ? fs.readFileSync(path.join(pg.dir, "pgbench.log"), "utf8").slice(0, 500) : ""}`);

        // Load stopped: the alerts resolve (they leave /api/v1/alerts).
        let still = new Set<string>(expected);
        while (still.size > 0 && Date.now() - stoppedAt < 20_000) {
            await new Promise((r) => setTimeout(r, 500));
            const active = new Set((await alerts()).map((a) => a.labels.alertname));
            still = new Set(expected.filter((a) => active.has(a)));
        }
        console.log(`      seconds from load stop to resolved: ${((Date.now() - stoppedAt) / 1000).toFixed(1)}`);
        assert.deepEqual([...still], [], "alerts still active after the load stopped");
    });
});

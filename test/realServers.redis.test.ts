/**
 * The ElastiCache parameter group's settings, applied to a real redis-server (Debian package, loopback
 * only) with a small maxmemory: the eviction policy holds under memory pressure.
 */
import { strict as assert } from "assert";
import * as path from "path";
import * as fs from "fs";
import { ChildProcess } from "child_process";
import { ensureServers, freePort, mustRun, run, startProcess, stopProcess, tempDir, waitForPort } from "./realServersHarness";
import { resolveStackConfig } from "../sizing/stackConfig";
import { readStackFiles } from "../plan/stackFiles";
import { redisParameters } from "../components/redis";

const MAXMEMORY = 4 * 1024 * 1024;
const KEYS = 30_000;
const VALUE = "v".repeat(256);

/** RESP for SET commands, as `redis-cli --pipe` takes it. */
function setCommands(from: number, to: number): string {
    const out: string[] = [];
    for (let i = from; i < to; i++) {
        const key = `key:${i}`;
        out.push(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${VALUE.length}\r\n${VALUE}\r\n`);
    }
    return out.join("");
}

function infoField(info: string, field: string): number {
    const m = new RegExp(`^${field}:(\\d+)`, "m").exec(info);
    if (!m) throw new Error(`no ${field} in INFO`);
    return Number(m[1]);
}

describe("Redis parameter group on a real redis-server", function () {
    this.timeout(60_000);
    let config: ReturnType<typeof resolveStackConfig>;
    let params: ReturnType<typeof redisParameters>;
    let dir = "";
    let port = 0;
    let server: ChildProcess | undefined;
    const cli = (...args: string[]) => mustRun("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args]);
    const pipe = (input: string) => run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "--pipe"], { input, timeoutMs: 30_000 });

    before(async () => {
        config = resolveStackConfig("dev", readStackFiles(path.resolve(__dirname, ".."), "dev").config);
        params = redisParameters(config.redis).filter((p) => p.oss);
        ensureServers();
        dir = tempDir("data4-redis-");
        port = await freePort();
        const settings = [
            "--port", String(port), "--bind", "127.0.0.1", "--protected-mode", "yes", "--save", "", "--appendonly", "no", "--dir", dir,
            "--maxmemory", String(MAXMEMORY),
            ...params.flatMap((p) => [`--${p.name}`, p.value]),
        ];
        server = startProcess("redis-server", settings, path.join(dir, "redis.log"));
        await waitForPort(port).catch((e) => { throw new Error(`${e.message}\n${fs.readFileSync(path.join(dir, "redis.log"), "utf8")}`); });
    });

    after(async () => {
        await stopProcess(server);
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("runs with every OSS-applicable parameter of the group as set", async () => {
        assert.ok(params.some((p) => p.name === "maxmemory-policy"), "the group sets maxmemory-policy");
        for (const p of params) {
            const [, value] = (await cli("CONFIG", "GET", p.name)).trim().split("\n");
            assert.equal(value, p.value, p.name);
        }
    });

    it("evicts under memory pressure with the configured allkeys policy: writes never fail and memory stays at maxmemory", async () => {
        assert.match(config.redis.maxmemoryPolicy, /^allkeys-/, "the shipped dev stack runs the cache with an allkeys policy");
        const r = await pipe(setCommands(0, KEYS));
        const errors = Number(/errors: (\d+)/.exec(r.stdout)?.[1] ?? NaN);
        const replies = Number(/replies: (\d+)/.exec(r.stdout)?.[1] ?? NaN);
        const info = await cli("INFO");
        const evicted = infoField(info, "evicted_keys");
        const used = infoField(info, "used_memory");
        const keys = Number((await cli("DBSIZE")).trim());
        console.log(`      figures: ${JSON.stringify({ policy: config.redis.maxmemoryPolicy, maxmemory: MAXMEMORY, written: KEYS, replies, errors, evicted, keysLeft: keys, usedMemory: used })}`);
        assert.equal(errors, 0, r.stdout);
        assert.equal(replies, KEYS);
        assert.ok(evicted > 0, "nothing was evicted: the test wrote too little to press memory");
        assert.ok(keys < KEYS && keys > 0);
        assert.ok(used <= MAXMEMORY * 1.05, `used_memory ${used} exceeds maxmemory ${MAXMEMORY}`);
        // Which keys go is not asserted: Redis' LRU clock ticks once a second, so keys written within a second
        // are equally old, and any later command (even INFO) may evict again while memory is over the limit.
    });

    it("refuses writes at maxmemory under noeviction (the policy is what keeps the cache writable)", async () => {
        await cli("CONFIG", "SET", "maxmemory-policy", "noeviction");
        const r = await pipe(setCommands(KEYS, KEYS + 5000));
        const errors = Number(/errors: (\d+)/.exec(r.stdout)?.[1] ?? NaN);
        assert.ok(errors > 0, `expected OOM errors under noeviction, got: ${r.stdout}`);
        await cli("CONFIG", "SET", "maxmemory-policy", config.redis.maxmemoryPolicy);
    });
});

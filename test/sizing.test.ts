/** Sizing from load targets: the pure functions, without Pulumi. */
import { strict as assert } from "assert";
import { LoadConfig } from "../config/core";
import { demandOf } from "../sizing/load";
import { binPack, deriveTopology, SizingInput, Topology } from "../sizing/derive";
import { planSizing, reportOf } from "../sizing/report";
import { AURORA_PRICES, CACHE_PRICES, ec2Price, FIXED_PRICES, Price } from "../sizing/prices";
import { INSTANCE_TYPE_NAMES } from "../catalog/instances";
import { usd, wholeNumber } from "../sizing/numbers";

const load = (peakConcurrentUsers: number, dailyActiveUsers = peakConcurrentUsers * 20, extra: Record<string, unknown> = {}) =>
    LoadConfig.parse({ dailyActiveUsers, peakConcurrentUsers, ...extra });
const sized = (l: LoadConfig, extra: Partial<SizingInput> = {}) => planSizing({ load: l, environment: "prod", ...extra });

describe("sizing: report numbers", () => {
    it("print as en-US whole numbers whatever the machine's locale, without Intl", () => {
        const en = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
        for (const x of [0, 7, 999, 1000, 12_345.4, 12_345.5, 999_999.5, 10_000_000, 123_456_789_012, -1, -999, -1000, -1_234_567.6, 0.49, Infinity, -Infinity, NaN]) {
            assert.equal(wholeNumber(x), en.format(Math.round(x)), String(x));
        }
        assert.equal(wholeNumber(-0.4), "0", "no negative zero");
        assert.equal(usd(43_210.6), "$43,211");
    });
});

describe("sizing: load model", () => {
    it("10,000 peak users at the defaults make ~10,000 requests/s, 60% of them reaching the origin", () => {
        const d = demandOf(load(10_000, 1_000_000));
        assert.equal(d.peakRps, 10_000);
        assert.equal(Math.round(d.originRps), 6_000);
        assert.equal(Math.round(d.dbWriteQps), 600); // 6,000 x 2 queries x 5% writes
        assert.equal(Math.round(d.dbReadQps), 3_420); // 6,000 x 2 x 95% x (1 - 70% Redis)
        assert.equal(d.workingSetBytes, 1_000_000 * 8192);
    });

    it("refuses assumptions out of range, naming the field", () => {
        const r = LoadConfig.safeParse({ dailyActiveUsers: 10, peakConcurrentUsers: 1, edgeAbsorbedShare: 1.5, services: { API: { rpsPerPod: 0 } } });
        assert.ok(!r.success);
        const paths = r.error.issues.map((i) => i.path.join("."));
        assert.ok(paths.includes("edgeAbsorbedShare"), paths.join(","));
        assert.ok(paths.some((p) => p.startsWith("services")), paths.join(","));
    });
});

describe("sizing: derivation", () => {
    it("bin-packs by CPU, memory and max pods, whichever binds first", () => {
        const alloc = { cpuMillicores: 3700, memoryMiB: 15000, pods: 54 };
        assert.equal(binPack([{ cpuMillicores: 500, memoryMiB: 512, count: 14 }], alloc), 2); // 7 per node by CPU
        assert.equal(binPack([{ cpuMillicores: 100, memoryMiB: 4000, count: 7 }], alloc), 3); // 3 per node by memory
        assert.equal(binPack([{ cpuMillicores: 10, memoryMiB: 10, count: 109 }], alloc), 3); // 54 per node by pods
        assert.equal(binPack([{ cpuMillicores: 5000, memoryMiB: 10, count: 1 }], alloc), Infinity); // never fits
        // Small pods fill the gaps big ones leave (first-fit decreasing).
        assert.equal(binPack([{ cpuMillicores: 3000, memoryMiB: 100, count: 2 }, { cpuMillicores: 700, memoryMiB: 100, count: 2 }], alloc), 2);
    });

    it("derives HPA bounds from the measured capacity per pod, with headroom on the maximum", () => {
        const t = deriveTopology({ load: load(10_000, 1_000_000), environment: "prod" });
        const api = t.services.find((s) => s.name === "api")!;
        assert.equal(api.replicas.max, Math.ceil((6_000 * 1.3) / 250));
        assert.equal(api.replicas.min, Math.ceil((6_000 * 0.25) / 250));
        assert.ok(t.services.every((s) => s.replicas.min >= 2));
    });

    it("derives from the services' own figures: two services share the origin traffic", () => {
        const t = deriveTopology({ load: load(10_000, 1_000_000, { services: { api: { rpsPerPod: 100, trafficShare: 0.8 }, web: { rpsPerPod: 400, trafficShare: 0.5 } } }), environment: "prod" });
        assert.deepEqual(t.services.map((s) => [s.name, s.replicas.max]), [["api", Math.ceil((4_800 * 1.3) / 100)], ["web", Math.ceil((3_000 * 1.3) / 400)]]);
    });

    it("a service without a measured capacity is a problem naming load.services", () => {
        const { problems } = sized(load(1000), { services: [{ name: "worker" }] });
        assert.ok(problems.some((p) => p.key === "scaling-topology:load.services" && /worker/.test(p.message)), JSON.stringify(problems));
    });

    it("keeps PgBouncer's pools within one instance's connection budget", () => {
        for (const users of [1_000, 100_000, 500_000]) {
            const t = deriveTopology({ load: load(users), environment: "prod" });
            const budget = t.aurora.maxConnections - 3 - 20;
            for (const p of [t.pgbouncer.readWrite, t.pgbouncer.readOnly]) {
                assert.ok((p.poolSize + p.reservePoolSize) * p.replicas.max <= budget, `${users}: ${JSON.stringify(p)} within ${budget}`);
                assert.ok(p.replicas.min >= 2 && p.replicas.min <= p.replicas.max);
            }
        }
    });

    const measures = (t: Topology, cost: number): Record<string, number> => ({
        servicesMin: t.services.reduce((s, x) => s + x.replicas.min, 0),
        servicesMax: t.services.reduce((s, x) => s + x.replicas.max, 0),
        ingressMax: t.ingress.max,
        nodesMin: t.nodeGroups.reduce((s, g) => s + g.size.min, 0),
        nodesMax: t.nodeGroups.reduce((s, g) => s + g.size.max, 0),
        writerVcpu: t.aurora.vcpu,
        dbVcpuAtMax: t.aurora.vcpu * (1 + t.aurora.readers.max),
        pgbouncerMax: t.pgbouncer.readWrite.replicas.max + t.pgbouncer.readOnly.replicas.max,
        redisMemory: t.redis.shards * t.redis.memoryGiB,
        redisNodes: t.redis.shards * (t.redis.replicasPerShard + 1),
        monthlyCost: cost,
    });

    it("is monotone: more load never yields a smaller topology or a lower cost (1k to 500k users, 40 steps)", () => {
        let prev: { users: number; m: Record<string, number> } | undefined;
        for (let i = 0; i <= 40; i++) {
            const users = Math.round(1000 * 500 ** (i / 40));
            const { topology, report, problems } = sized(load(users));
            assert.deepEqual(problems, [], `${users} users plan without problems`);
            const m = measures(topology, report.monthlyCostUsd);
            if (prev) for (const k of Object.keys(m)) assert.ok(m[k] >= prev.m[k], `${k}: ${prev.m[k]} at ${prev.users} users, ${m[k]} at ${users}`);
            prev = { users, m };
        }
    });

    it("is monotone in each assumption that adds load (requests per user, queries per request, bytes per user)", () => {
        for (const [field, values] of [["requestsPerUserPerMinute", [10, 30, 60, 120]], ["dbQueriesPerRequest", [1, 2, 4, 6]], ["edgeAbsorbedShare", [0.8, 0.6, 0.4, 0.1]]] as const) {
            let prev: Record<string, number> | undefined;
            for (const v of values) {
                const { topology, report } = sized(load(50_000, 1_000_000, { [field]: v }));
                const m = measures(topology, report.monthlyCostUsd);
                if (prev) for (const k of Object.keys(m)) assert.ok(m[k] >= prev[k], `${field}=${v}: ${k} ${m[k]} < ${prev[k]}`);
                prev = m;
            }
        }
        let prevMem = 0;
        for (const bytes of [1024, 8192, 65536]) {
            const t = deriveTopology({ load: load(50_000, 5_000_000, { redis: { bytesPerDailyActiveUser: bytes, opsPerShardPerSecond: 100_000 } }), environment: "prod" });
            assert.ok(t.redis.shards * t.redis.memoryGiB >= prevMem);
            prevMem = t.redis.shards * t.redis.memoryGiB;
        }
    });

    it("takes the documented next step before a limit: a bigger Aurora class rather than a 16th reader, a bigger cache node rather than an 11th shard", () => {
        const t = deriveTopology({ load: load(500_000, 10_000_000), environment: "prod" });
        assert.ok(t.aurora.readers.max <= 15);
        assert.notEqual(t.aurora.instanceClass, "db.r7g.large");
        const big = deriveTopology({ load: load(10_000, 50_000_000), environment: "prod" }); // 400 GB working set
        assert.ok(big.redis.shards <= 10, `${big.redis.shards} shards`);
        assert.notEqual(big.redis.nodeType, "cache.r7g.large");
    });
});

describe("sizing: limits", () => {
    it("refuses 50,000,000 concurrent users, naming load.peakConcurrentUsers and the limit", () => {
        const { problems, report } = sized(load(50_000_000, 500_000_000));
        const p = problems.find((x) => x.key === "scaling-topology:load.peakConcurrentUsers");
        assert.ok(p, JSON.stringify(problems));
        assert.equal(p!.value, 50_000_000);
        assert.match(p!.message, /Aurora/);
        assert.match(p!.message, /writer|readers|connections/);
        assert.ok(report.capacity.peakConcurrentUsers < 50_000_000, "the report does not claim capacity it lacks");
    });

    it("caps readers at Aurora's 15 when the class is fixed, and refuses the load that needs more", () => {
        const { problems, topology } = sized(load(300_000), { data: { aurora: { instanceClass: "db.r7g.2xlarge" } } });
        assert.equal(topology.aurora.readers.max, 15);
        const p = problems.find((x) => x.key === "scaling-topology:load.peakConcurrentUsers" && /Aurora readers/.test(x.message));
        assert.ok(p, JSON.stringify(problems));
        assert.match(p!.message, /15 x db\.r7g\.2xlarge/);
    });

    it("refuses a cache past ElastiCache's 500 nodes per cluster", () => {
        const { problems } = sized(load(1_000, 1_000_000, { redis: { bytesPerDailyActiveUser: 100 * 1024 * 1024, opsPerShardPerSecond: 100_000 } })); // 100 TB
        const p = problems.find((x) => /ElastiCache/.test(x.message));
        assert.ok(p, JSON.stringify(problems));
        assert.equal(p!.key, "scaling-topology:load.dailyActiveUsers");
        assert.match(p!.message, /500 nodes/);
    });

    it("refuses an explicit value below the load, naming the load key and the limiting component", () => {
        const l = load(100_000);
        const { problems } = sized(l, { services: [{ name: "api", replicas: { min: 2, max: 10 } }] });
        const p = problems.find((x) => x.key === "scaling-topology:load.peakConcurrentUsers");
        assert.ok(p, JSON.stringify(problems));
        assert.match(p!.message, /service api/);
    });

    it("accepts explicit values at or above the load, and reports their capacity", () => {
        const { problems, report } = sized(load(10_000, 1_000_000), { services: [{ name: "api", replicas: { min: 4, max: 100 } }] });
        assert.deepEqual(problems, []);
        assert.equal(report.items.find((i) => i.component.startsWith("service api"))!.count.max, 100);
    });
});

describe("sizing: capacity and cost report", () => {
    it("states targets, capacity >= target, the bottleneck and a cost that is the sum of its items", () => {
        const r = reportOf({ load: load(10_000, 1_000_000), environment: "prod" });
        assert.deepEqual(r.targets, { dailyActiveUsers: 1_000_000, peakConcurrentUsers: 10_000, peakRps: 10_000 });
        assert.ok(r.capacity.peakConcurrentUsers >= 10_000 && r.capacity.peakRps >= 10_000);
        assert.ok(r.items.some((i) => i.component === r.bottleneck));
        const sum = r.items.reduce((s, i) => s + i.monthlyCostUsd, 0);
        assert.ok(Math.abs(sum - r.monthlyCostUsd) < 0.01);
        assert.ok(r.monthlyCostUsdAtMin <= r.monthlyCostUsd && r.monthlyCostUsdAtMin > 0);
        for (const i of r.items) for (const k of ["component", "count", "unit", "capacity", "monthlyCostUsd"]) assert.ok(k in i, `${i.component} has ${k}`);
    });

    it("every price has a source, a date, and says whether it is an estimate", () => {
        const all: Price[] = [...INSTANCE_TYPE_NAMES.map((t) => ec2Price(t)!), ...Object.values(AURORA_PRICES), ...Object.values(CACHE_PRICES), ...Object.values(FIXED_PRICES)];
        assert.ok(all.length > 40);
        for (const p of all) {
            assert.ok(p.usdPerHour > 0);
            assert.match(p.source, /^https:\/\/aws\.amazon\.com\//);
            assert.match(p.asOf, /^\d{4}-\d{2}$/);
            assert.equal(typeof p.estimate, "boolean");
            if (p.estimate) assert.ok(p.note, "an estimate says how it was made");
        }
    });
});

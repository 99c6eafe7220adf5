import { strict as assert } from "assert";
import { ConfigError, RawConfig } from "../config";
import { resolveStackConfig } from "../sizing/stackConfig";
import { readStackFiles } from "../plan/stackFiles";
import { PROJECT_DIR } from "../plan/run";

const shipped = (stack: string): RawConfig => readStackFiles(PROJECT_DIR, stack).config;

function problemsOf(stack: string, patch: (raw: Record<string, any>) => void) {
    const raw: Record<string, any> = {};
    for (const [k, v] of Object.entries(shipped(stack))) {
        try { raw[k] = JSON.parse(v as string); } catch { raw[k] = v; }
    }
    patch(raw);
    try {
        resolveStackConfig(stack, raw);
    } catch (e) {
        assert.ok(ConfigError.isInstance(e), `expected ConfigError, got ${e}`);
        return (e as ConfigError).problems;
    }
    assert.fail("expected the config to be refused");
}

describe("stack config validation", () => {
    for (const stack of ["dev", "prod"]) {
        it(`accepts the shipped ${stack} stack and applies defaults`, () => {
            const c = resolveStackConfig(stack, shipped(stack));
            assert.equal(c.environment, stack);
            assert.equal(c.network.availabilityZones.length, 3);
            assert.ok(c.load.peakConcurrentUsers > 0);
        });
    }

    it("prod targets 500,000 peak concurrent users and 10M daily actives; dev a small fraction", () => {
        const prod = resolveStackConfig("prod", shipped("prod"));
        const dev = resolveStackConfig("dev", shipped("dev"));
        assert.equal(prod.load.peakConcurrentUsers, 500_000);
        assert.equal(prod.load.dailyActiveUsers, 10_000_000);
        assert.ok(dev.load.peakConcurrentUsers <= prod.load.peakConcurrentUsers / 20);
    });

    const cases: Array<[string, (raw: Record<string, any>) => void, string, RegExp]> = [
        ["a CIDR prefix out of range", (r) => (r["scaling-topology:network"].cidr = "10.0.0.0/33"), "scaling-topology:network.cidr", /IPv4 CIDR/],
        ["a CIDR with host bits set", (r) => (r["scaling-topology:network"].cidr = "10.0.0.1/16"), "scaling-topology:network.cidr", /no host bits/],
        ["a negative count", (r) => (r["scaling-topology:load"].peakConcurrentUsers = -5), "scaling-topology:load.peakConcurrentUsers", />=1/],
        ["a fractional count", (r) => (r["scaling-topology:load"].dailyActiveUsers = 10.5), "scaling-topology:load.dailyActiveUsers", /expected int/],
        ["a number given as text", (r) => (r["scaling-topology:load"].dailyActiveUsers = "many"), "scaling-topology:load.dailyActiveUsers", /number/],
        ["an unknown enum value", (r) => (r["scaling-topology:environment"] = "staging"), "scaling-topology:environment", /"dev"\|"prod"/],
        ["an unknown field (typo)", (r) => (r["scaling-topology:network"].natGateway = "single"), "scaling-topology:network.natGateway", /not a known field.*natGateways/],
        ["an unknown top-level key", (r) => (r["scaling-topology:netwrk"] = {}), "scaling-topology:netwrk", /not a known key/],
        ["a missing required key", (r) => delete r["scaling-topology:network"], "scaling-topology:network", /required/],
        ["two zones instead of three", (r) => r["scaling-topology:network"].availabilityZones.pop(), "scaling-topology:network.availabilityZones", /exactly three/],
        ["a duplicated zone", (r) => (r["scaling-topology:network"].availabilityZones[2] = r["scaling-topology:network"].availabilityZones[0]), "scaling-topology:network.availabilityZones", /distinct/],
        ["a zone of another region", (r) => (r["scaling-topology:network"].availabilityZones[1] = "us-east-1b"), "scaling-topology:network.availabilityZones[1]", /zone of aws:region/],
        ["an invalid region", (r) => (r["aws:region"] = "Europe"), "aws:region", /AWS region of the commercial partition/],
        ["a log retention CloudWatch does not offer", (r) => (r["scaling-topology:network"].flowLogs = { retentionDays: 8 }), "scaling-topology:network.flowLogs.retentionDays", /retention periods/],
        ["subnets that do not fit the VPC", (r) => (r["scaling-topology:network"].subnetPrefixLengths = { public: 20, private: 16, isolated: 20 }), "scaling-topology:network.subnetPrefixLengths", /do not fit/],
        ["more peak users than daily actives", (r) => (r["scaling-topology:load"].peakConcurrentUsers = r["scaling-topology:load"].dailyActiveUsers + 1), "scaling-topology:load.peakConcurrentUsers", /dailyActiveUsers/],
    ];
    for (const [what, patch, key, message] of cases) {
        it(`refuses ${what}, naming ${key}`, () => {
            const problems = problemsOf("dev", patch);
            const p = problems.find((x) => x.key === key);
            assert.ok(p, `no problem names ${key}; got: ${problems.map((x) => x.key).join(", ")}`);
            assert.match(p!.message, message);
        });
    }

    it("reports every problem at once, each line naming key and value", () => {
        try {
            resolveStackConfig("dev", { ...shipped("dev"), "aws:region": "mars", "scaling-topology:environment": "qa", "scaling-topology:load": JSON.stringify({ dailyActiveUsers: -1, peakConcurrentUsers: 0 }) });
            assert.fail("expected a ConfigError");
        } catch (e) {
            assert.ok(ConfigError.isInstance(e));
            const keys = e.problems.map((p) => p.key);
            for (const k of ["aws:region", "scaling-topology:environment", "scaling-topology:load.dailyActiveUsers", "scaling-topology:load.peakConcurrentUsers"]) assert.ok(keys.includes(k), `missing ${k}`);
            assert.match(e.message, /aws:region = "mars"/);
            assert.match(e.message, /scaling-topology:environment = "qa"/);
            assert.doesNotMatch(e.message, /\n\s+at /, "no stack trace in the message");
        }
    });

    it("refuses a plain-text credential when the engine says which keys are secret, never showing it", () => {
        const raw = { ...shipped("dev"), "cloudflare:apiToken": "plain-token-0123456789" };
        // The keys the shipped stack file holds as secure: (the Cloudflare token, the registry tokens).
        const secure = readStackFiles(`${__dirname}/..`, "dev").secretKeys;
        assert.doesNotThrow(() => resolveStackConfig("dev", shipped("dev"), undefined, { secretKeys: secure }));
        try {
            resolveStackConfig("dev", raw, undefined, { secretKeys: secure.filter((k) => k !== "cloudflare:apiToken") });
            assert.fail("expected a ConfigError");
        } catch (e) {
            assert.ok(ConfigError.isInstance(e));
            assert.deepEqual(e.problems.map((p) => p.key), ["cloudflare:apiToken"]);
            assert.match(e.message, /pulumi config set --secret cloudflare:apiToken/);
            assert.doesNotMatch(e.message, /plain-token-0123456789/);
        }
    });

    it("shows .nan and .inf as YAML writes them, not as null", () => {
        const problems = problemsOf("dev", (r) => { r["scaling-topology:load"].dailyActiveUsers = NaN; r["scaling-topology:load"].headroom = -Infinity; });
        const line = (k: string) => new ConfigError("dev", problems.filter((p) => p.key === k)).message;
        assert.match(line("scaling-topology:load.dailyActiveUsers"), /dailyActiveUsers = \.nan: must be a finite number/);
        assert.match(line("scaling-topology:load.headroom"), /headroom = -\.inf/);
    });

    it("names the allowed keys of a record with fixed keys", () => {
        const problems = problemsOf("dev", (r) => (r["scaling-topology:cluster"].addonVersions = { coredns: "v1.11.4-eksbuild.2", "kube-prxy": "v1.31.3-eksbuild.2" }));
        const p = problems.find((x) => x.key === "scaling-topology:cluster.addonVersions.kube-prxy");
        assert.ok(p, problems.map((x) => x.key).join(", "));
        assert.match(p!.message, /vpc-cni, kube-proxy, eks-pod-identity-agent, coredns/);
    });
});

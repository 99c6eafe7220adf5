import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ConfigError } from "../config/errors";
import { derivedNames, maxStackNameLength, NAME_RULES, nameRuleProblem, serviceNameProblems, stackNameProblems } from "../config/names";
import { MAX_COMPONENT_TAGS, STACK_TAG_KEYS } from "../config/tags";
import { PROVIDER_CONFIG_KEYS } from "../catalog/providerConfig";
import { readStackFiles } from "../plan/stackFiles";
import { PROJECT_DIR } from "../plan/run";
import { resolveStackConfig } from "../sizing/stackConfig";
import { stackPlan } from "./helpers";

/** Every string of a plan: resource names and every string property, at any depth. */
function planStrings(plan: { resources: { name: string; props: unknown }[] }): Set<string> {
    const out = new Set<string>();
    const walk = (v: unknown): void => {
        if (typeof v === "string") out.add(v);
        else if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === "object") Object.values(v).forEach(walk);
    };
    for (const r of plan.resources) {
        out.add(r.name);
        walk(r.props);
    }
    return out;
}

describe("names derived from the stack name", () => {
    it("lists names the components really create (each found in the dev or prod plan)", async () => {
        const missing: string[] = [];
        const strings = { dev: planStrings(await stackPlan("dev")), prod: planStrings(await stackPlan("prod")) };
        const stacks = ["dev", "prod"] as const;
        const seen = derivedNames("scaling-topology-dev", "dev").map(() => false);
        for (const stack of stacks) {
            derivedNames(`scaling-topology-${stack}`, stack).forEach((d, i) => {
                // The list holds the longest variant (16th instance, newest engine family); the plans hold the first.
                const name = d.name.replace(/-aurora-16$/, "-aurora-1").replace(/postgresql17$/, "postgresql16");
                if (strings[stack].has(name)) seen[i] = true;
            });
        }
        derivedNames("scaling-topology-dev", "dev").forEach((d, i) => { if (!seen[i]) missing.push(d.name); });
        assert.deepEqual(missing, [], "derived names not found in any shipped plan: the list in config/names.ts no longer follows the components");
    });

    it("the longest stack name with this project is 17 characters (the ElastiCache replication group id, 40)", () => {
        assert.equal(maxStackNameLength("scaling-topology"), 17);
        assert.deepEqual(stackNameProblems("scaling-topology", "a".repeat(17)), []);
        const [p] = stackNameProblems("scaling-topology", "a".repeat(18));
        assert.match(p.message, /ElastiCache replication group id "scaling-topology-a{18}-redis" is 41 characters, 1-40 allowed/);
        // A shorter project leaves room for longer stack names.
        assert.ok(maxStackNameLength("st") > 17);
    });

    for (const [name, why] of [
        ["Prod", /lowercase/], ["my.stack", /may hold only/], ["my_stack", /may hold only/], ["1dev", /Kubernetes Service name/],
        ["-dev", /no trailing or double hyphen|may hold only/], ["dev-", /no trailing or double hyphen/], ["de--v", /no trailing or double hyphen/],
    ] as const) {
        it(`refuses the stack name "${name}" with the names it would break`, () => {
            const problems = stackNameProblems("scaling-topology", name);
            assert.equal(problems.length, 1);
            assert.equal(problems[0].key, "stack name");
            assert.equal(problems[0].value, name);
            assert.match(problems[0].message, why);
        });
    }

    it("resolveStackConfig reports a bad stack name with the config's other problems, before any resource", () => {
        const raw = readStackFiles(PROJECT_DIR, "dev").config;
        try {
            resolveStackConfig("Dev.Stack", { ...raw, "aws:region": "eu-west-9" });
            assert.fail("expected a ConfigError");
        } catch (e) {
            assert.ok(ConfigError.isInstance(e), String(e));
            assert.deepEqual(e.problems.map((p) => p.key).sort(), ["aws:region", "stack name"]);
        }
    });

    it("checks service names against the stack name they are combined with (the secret-store IAM role)", () => {
        assert.deepEqual(serviceNameProblems("dev", [{ name: "a".repeat(32) }]), []);
        const [p] = serviceNameProblems("abcdefghijklmnopq", [{ name: "api" }, { name: "a".repeat(32) }]);
        assert.equal(p.key, "scaling-topology:services[1].name");
        assert.match(p.message, /abcdefghijklmnopq-svc-a{32}-store-role/);
        assert.match(p.message, /at most 23 characters/);
    });

    it("applies the auto-naming suffix to names Pulumi completes", () => {
        assert.equal(nameRuleProblem("x".repeat(56), NAME_RULES.iamRole, true), undefined);
        assert.match(nameRuleProblem("x".repeat(57), NAME_RULES.iamRole, true)!, /57 characters, 1-56 allowed/);
        assert.equal(nameRuleProblem("x".repeat(57), NAME_RULES.iamRole), undefined);
    });
});

describe("tags the components add", () => {
    for (const stack of ["dev", "prod"]) {
        it(`${stack}: the providers' default tags are the stack tags and the config's; no resource sets more than ${MAX_COMPONENT_TAGS} of its own`, async () => {
            const plan = await stackPlan(stack);
            const configTags = Object.keys(JSON.parse(readStackFiles(PROJECT_DIR, stack).config["scaling-topology:tags"] ?? "{}"));
            for (const provider of plan.resources.filter((r) => r.type === "pulumi:providers:aws")) {
                const dt = typeof provider.props.defaultTags === "string" ? JSON.parse(provider.props.defaultTags) : provider.props.defaultTags;
                assert.deepEqual(Object.keys(dt.tags).sort(), [...STACK_TAG_KEYS, ...configTags].sort(), provider.name);
            }
            for (const r of plan.resources) {
                const tags = r.props.tags;
                if (!tags || typeof tags !== "object") continue;
                const own = Object.keys(tags).filter((k) => !(STACK_TAG_KEYS as readonly string[]).includes(k) && !configTags.includes(k));
                assert.ok(own.length <= MAX_COMPONENT_TAGS, `${r.name} sets ${own.length} tags (${own.join(", ")}): raise MAX_COMPONENT_TAGS in config/tags.ts`);
            }
        });
    }
});

describe("provider config keys", () => {
    it("match the config keys of the installed provider packages", () => {
        const getters = (pkg: string) => [...fs.readFileSync(require.resolve(`@pulumi/${pkg}/config/vars.js`), "utf8").matchAll(/__config\.get[A-Za-z]*\("([A-Za-z0-9]+)"/g)].map((m) => m[1]);
        assert.deepEqual([...PROVIDER_CONFIG_KEYS.aws].sort(), [...new Set(getters("aws"))].sort());
        assert.deepEqual([...PROVIDER_CONFIG_KEYS.cloudflare].sort(), [...new Set(getters("cloudflare"))].sort());
        const d = fs.readFileSync(path.join(path.dirname(require.resolve("@pulumi/kubernetes/package.json")), "provider.d.ts"), "utf8");
        const args = d.slice(d.indexOf("export interface ProviderArgs"));
        const k8s = [...args.slice(0, args.indexOf("\n}")).matchAll(/^\s+(?:readonly\s+)?([A-Za-z]+)\?:/gm)].map((m) => m[1]);
        assert.deepEqual([...PROVIDER_CONFIG_KEYS.kubernetes].sort(), [...new Set(k8s)].sort());
    });
});

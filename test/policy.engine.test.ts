/**
 * Differential test: the in-process evaluator against the policy SDK's own analyzer handlers
 * (`makeAnalyzeRpcFun` / `makeAnalyzeStackRpcFun` of `@pulumi/policy/server.js`, called directly with
 * the protobuf requests the engine sends; no gRPC server is started and no `PolicyPack` constructed).
 * Over real plans (a preview with unknowns, and a prod plan with injected violations) both must report
 * the same findings. With the stack's policy config, the SDK module gets it the way the engine hands it
 * over (its `Configure` handler, each policy's level and settings with schema defaults filled in).
 */
import * as assert from "assert";
import { AuditResource, evaluatePolicies, toEngineValue } from "../audit/evaluate";
import { enforcementLevelOf, settingsOf } from "../audit/policyConfig";
import { stackPolicyConfig } from "../audit/stackConfig";
import { PolicyConfig } from "../config/policy";
import { PROJECT_DIR } from "../plan/run";
import { PACK_ENFORCEMENT_LEVEL, PACK_NAME, PACK_VERSION, RULES } from "../policies/rules";
import { stackPlan } from "./helpers";

/* eslint-disable @typescript-eslint/no-require-imports */
const Module = require("module");
const fs = require("fs") as typeof import("fs");
const server = require("@pulumi/policy/server");

/**
 * A private copy of the SDK's server module with its `configure` handler exposed: the engine calls it
 * (gRPC `Configure`) with each policy's enforcement level and settings before any analysis.
 */
function configurableServer() {
    const file = require.resolve("@pulumi/policy/server");
    const m = new Module(file, module);
    m.filename = file;
    m.paths = Module._nodeModulePaths(require("path").dirname(file));
    m._compile(`${fs.readFileSync(file, "utf8")}\nexports.__configure = configure;\n`, file);
    return m.exports;
}
const pb = require("@pulumi/pulumi/proto/analyzer_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

const LEVELS = Object.fromEntries(Object.entries(pb.EnforcementLevel).map(([k, v]) => [v, k.toLowerCase()]));
const SEVERITIES: Record<number, string | undefined> = { 1: "low", 2: "medium", 3: "high", 4: "critical" };
const seconds = (d?: string) => (d ? [...d.matchAll(/([\d.]+)(h|m|s)/g)].reduce((t, [, n, u]) => t + Number(n) * ({ h: 3600, m: 60, s: 1 } as Record<string, number>)[u], 0) : 0);

function options(r: AuditResource) {
    const o = new pb.AnalyzerResourceOptions();
    o.setProtect(r.opts?.protect ?? false);
    o.setIgnorechangesList(r.opts?.ignoreChanges ?? []);
    o.setAdditionalsecretoutputsList(r.opts?.additionalSecretOutputs ?? []);
    o.setAliasesList((r.opts?.aliases ?? []).map((a) => a.urn).filter(Boolean));
    if (r.opts?.deleteBeforeReplace !== undefined) {
        o.setDeletebeforereplace(r.opts.deleteBeforeReplace);
        o.setDeletebeforereplacedefined(true);
    }
    const t = new pb.AnalyzerResourceOptions.CustomTimeouts();
    t.setCreate(seconds(r.opts?.customTimeouts?.create));
    t.setUpdate(seconds(r.opts?.customTimeouts?.update));
    t.setDelete(seconds(r.opts?.customTimeouts?.delete));
    o.setCustomtimeouts(t);
    if (r.parent) o.setParent(r.parent);
    return o;
}

function provider(r: AuditResource, byUrn: Map<string, AuditResource>) {
    const p = r.opts?.provider ? byUrn.get(r.opts.provider) : undefined;
    if (!p) return undefined;
    const m = new pb.AnalyzerProviderResource();
    m.setType(p.type);
    m.setProperties(Struct.fromJavaScript(toEngineValue(p.props)));
    m.setUrn(p.urn);
    m.setName(p.name);
    return m;
}

type Finding = [string, string, string, string, string];

/** What the SDK's analyzer reports for these resources: Analyze per resource, then AnalyzeStack. */
async function sdkFindings(resources: AuditResource[], rules: typeof RULES, srv = server): Promise<Finding[]> {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const analyze = srv.makeAnalyzeRpcFun(PACK_NAME, PACK_VERSION, PACK_ENFORCEMENT_LEVEL, rules);
    const analyzeStack = srv.makeAnalyzeStackRpcFun(PACK_NAME, PACK_VERSION, PACK_ENFORCEMENT_LEVEL, rules);
    const call = (fn: (call: unknown, cb: (err: unknown, resp: any) => void) => void, request: unknown) =>
        new Promise<any>((resolve, reject) => fn({ request }, (err, resp) => (err ? reject(err) : resolve(resp))));
    const out: Finding[] = [];
    const collect = (resp: any, defaultUrn: string) => {
        for (const d of resp.getDiagnosticsList()) {
            out.push([d.getPolicyname(), LEVELS[d.getEnforcementlevel()], SEVERITIES[d.getSeverity()] ?? "", d.getUrn() || defaultUrn, d.getMessage()]);
        }
    };
    for (const r of resources) {
        const req = new pb.AnalyzeRequest();
        req.setType(r.type);
        req.setProperties(Struct.fromJavaScript(toEngineValue(r.props)));
        req.setUrn(r.urn);
        req.setName(r.name);
        req.setOptions(options(r));
        const p = provider(r, byUrn);
        if (p) req.setProvider(p);
        // The engine attributes a resource's diagnostics to the resource analyzed.
        collect(await call(analyze, req), r.urn);
    }
    const stackReq = new pb.AnalyzeStackRequest();
    stackReq.setResourcesList(resources.map((r) => {
        const a = new pb.AnalyzerResource();
        a.setType(r.type);
        a.setProperties(Struct.fromJavaScript(toEngineValue(r.props)));
        a.setUrn(r.urn);
        a.setName(r.name);
        a.setOptions(options(r));
        const p = provider(r, byUrn);
        if (p) a.setProvider(p);
        if (r.parent) a.setParent(r.parent);
        a.setDependenciesList(r.opts?.dependsOn ?? []);
        return a;
    }));
    collect(await call(analyzeStack, stackReq), "");
    return out;
}

async function ourFindings(resources: AuditResource[], rules: typeof RULES, config?: PolicyConfig): Promise<Finding[]> {
    const report = await evaluatePolicies(resources, { rules, config, now: new Date("2026-01-01") });
    return report.violations.map((v) => [v.policyName, v.enforcementLevel, v.severity ?? "", v.urn ?? "", v.message]);
}

const sorted = (xs: Finding[]) => xs.map((x) => x.join(" | ")).sort();

/** Rules the SDK handlers can run unconfigured. */
const UNCONFIGURED = RULES.filter((r) => !r.configSchema);

describe("policy evaluation vs the policy SDK's analyzer handlers", () => {
    it("reports the pack version PolicyPack reads from policies/package.json", () => {
        assert.equal(PACK_VERSION, JSON.parse(require("fs").readFileSync(`${__dirname}/../policies/package.json`, "utf8")).version);
    });

    it("runs the rules without settings on an unconfigured SDK module", () => {
        assert.ok(UNCONFIGURED.length >= 20, `${UNCONFIGURED.length} rules compared`);
    });

    it("the dev preview plan, with unknowns read by rules: the same findings", async () => {
        const resources = structuredClone((await stackPlan("dev", true)).resources) as AuditResource[];
        // Unknowns where the rules must read them (the plan's own unknowns are ARNs the rules only test for presence).
        (resources.find((r) => r.type === "aws:kms/key:Key")!.props as any).enableKeyRotation = "[unknown]";
        (resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!.props as any).spec.template.spec.containers[0].image = "[unknown]";
        const [sdk, ours] = await Promise.all([sdkFindings(resources, UNCONFIGURED), ourFindings(resources, UNCONFIGURED)]);
        assert.ok(sdk.filter((f) => f[4].includes("during preview")).length >= 2, JSON.stringify(sdk, null, 1));
        assert.deepStrictEqual(sorted(ours), sorted(sdk));
    });

    it("the prod plan with injected violations: the same findings, message for message", async () => {
        const resources = structuredClone((await stackPlan("prod")).resources) as AuditResource[];
        const first = (type: string) => resources.find((r) => r.type === type)!.props as any;
        delete first("aws:cloudfront/distribution:Distribution").webAclId;
        first("aws:eks/cluster:Cluster").vpcConfig.endpointPublicAccess = true;
        first("aws:eks/cluster:Cluster").vpcConfig.publicAccessCidrs = ["0.0.0.0/0"];
        const dep = first("kubernetes:apps/v1:Deployment").spec.template.spec.containers[0];
        dep.image = "nginx";
        dep.securityContext = { privileged: true };
        delete dep.readinessProbe;
        first("aws:backup/vault:Vault").kmsKeyArn = undefined;
        first("aws:kms/key:Key").enableKeyRotation = "[unknown]";
        first("aws:backup/selection:Selection").selectionTags = [];
        const [sdk, ours] = await Promise.all([sdkFindings(resources, UNCONFIGURED), ourFindings(resources, UNCONFIGURED)]);
        assert.ok(sdk.length >= 8, JSON.stringify(sdk, null, 1));
        assert.deepStrictEqual(sorted(ours), sorted(sdk));
    });
    it("every rule, with the prod stack's levels and settings handed over as the engine's Configure does", async () => {
        const config = stackPolicyConfig(PROJECT_DIR, "prod");
        const srv = configurableServer();
        const req = new pb.ConfigureAnalyzerRequest();
        const map = req.getPolicyconfigMap();
        for (const rule of RULES) {
            const c = new pb.PolicyConfig();
            c.setEnforcementlevel(pb.EnforcementLevel[enforcementLevelOf(rule, config).toUpperCase()]);
            c.setProperties(Struct.fromJavaScript(settingsOf(rule, config)));
            map.set(rule.name, c);
        }
        await new Promise<void>((resolve, reject) => srv.__configure({ request: req }, (err: unknown) => (err ? reject(err) : resolve())));
        const resources = structuredClone((await stackPlan("prod")).resources) as AuditResource[];
        const first = (type: string) => resources.find((r) => r.type === type)!.props as any;
        first("aws:rds/cluster:Cluster").backupRetentionPeriod = 7; // prod asks for 14
        delete first("aws:rds/cluster:Cluster").kmsKeyId; // prod requires a customer key
        first("aws:eks/cluster:Cluster").enabledClusterLogTypes = ["api", "audit"]; // prod requires all five
        first("aws:ec2/launchTemplate:LaunchTemplate").metadataOptions.httpPutResponseHopLimit = 5;
        first("kubernetes:autoscaling/v2:HorizontalPodAutoscaler").spec.minReplicas = 1;
        const rw = resources.find((r) => r.type === "kubernetes:autoscaling/v2:HorizontalPodAutoscaler" && /pgbouncer-rw/.test(r.name))!.props as any;
        rw.spec.maxReplicas = 1000;
        const [sdk, ours] = await Promise.all([sdkFindings(resources, RULES, srv), ourFindings(resources, RULES, config)]);
        for (const p of ["rds-backup-retention", "rds-storage-encrypted", "eks-control-plane-logging", "launch-template-imdsv2", "k8s-hpa-min-replicas", "pgbouncer-pool-within-max-connections"]) {
            assert.ok(sdk.some((f) => f[0] === p && f[1] === "mandatory"), `${p} in ${JSON.stringify(sdk, null, 1)}`);
        }
        assert.deepStrictEqual(sorted(ours), sorted(sdk));
    });
});

/**
 * Differential test: the in-process evaluator against the policy SDK's own analyzer handlers
 * (`makeAnalyzeRpcFun` / `makeAnalyzeStackRpcFun` of `@pulumi/policy/server.js`, called directly with
 * the protobuf requests the engine sends; no gRPC server is started and no `PolicyPack` constructed).
 * Over real plans (a preview with unknowns, and a prod plan with injected violations) both must report
 * the same findings. Rules with a config schema are left out: the SDK handlers read their settings from
 * module state set only by the engine's `Configure` call.
 */
import * as assert from "assert";
import { AuditResource, evaluatePolicies, toEngineValue } from "../audit/evaluate";
import { PACK_ENFORCEMENT_LEVEL, PACK_NAME, PACK_VERSION, RULES } from "../policies/rules";
import { stackPlan } from "./helpers";

/* eslint-disable @typescript-eslint/no-require-imports */
const server = require("@pulumi/policy/server");
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
async function sdkFindings(resources: AuditResource[], rules: typeof RULES): Promise<Finding[]> {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const analyze = server.makeAnalyzeRpcFun(PACK_NAME, PACK_VERSION, PACK_ENFORCEMENT_LEVEL, rules);
    const analyzeStack = server.makeAnalyzeStackRpcFun(PACK_NAME, PACK_VERSION, PACK_ENFORCEMENT_LEVEL, rules);
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

async function ourFindings(resources: AuditResource[], rules: typeof RULES): Promise<Finding[]> {
    const report = await evaluatePolicies(resources, { rules, now: new Date("2026-01-01") });
    return report.violations.map((v) => [v.policyName, v.enforcementLevel, v.severity ?? "", v.urn ?? "", v.message]);
}

const sorted = (xs: Finding[]) => xs.map((x) => x.join(" | ")).sort();

/** Rules the SDK handlers can run unconfigured. */
const UNCONFIGURED = RULES.filter((r) => !r.configSchema);

describe("policy evaluation vs the policy SDK's analyzer handlers", () => {
    it("leaves out only the rules with settings", () => {
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
});

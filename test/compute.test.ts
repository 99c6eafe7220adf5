import { strict as assert } from "assert";
import * as path from "path";
import { Plan, runPlan } from "../plan/run";
import { RecordedResource, SECRET, UNKNOWN } from "../plan/recorder";
import { byName, childrenOf, configErrorOf, ofType, stackConfigValue, stackPlan } from "./helpers";
import { allocatable, capacityProblems, kubeReservedCpuMillis, maxPods, stackWorkloads } from "../sizing/capacity";
import { resolveStackConfig } from "../sizing/stackConfig";
import { readStackFiles } from "../plan/stackFiles";
import { INSTANCE_TYPES } from "../catalog/instances";
import { CLUSTER_AUTOSCALER_RELEASES } from "../catalog/kubernetesReleases";
// eslint-disable-next-line @typescript-eslint/no-require-imports
import { autoscalerPolicy } from "../components/clusterAutoscaler";
import { loadBalancerControllerPolicy } from "../components/loadBalancerController";
import { AWS_LOAD_BALANCER_CONTROLLER_IAM_POLICY } from "../catalog/awsLoadBalancerController";
import { vpaHpaConflict } from "../components/scalableService";
import { nodeTemplateTags } from "../components/nodeGroup";
import type { StackConfig } from "../config";
import { ClusterConfig, IngressConfig, ServicesConfig } from "../config/compute";
import { gatewayCrdProblems, GATEWAY_CRD_TYPES } from "./gatewayCrds";

const FIXTURE = path.join(__dirname, "fixtures", "compute");
const fixturePlan = new Map<boolean, Promise<Plan>>();
const fixture = (preview: boolean) => {
    if (!fixturePlan.has(preview)) fixturePlan.set(preview, runPlan({ stack: "t", projectDir: FIXTURE, preview }));
    return fixturePlan.get(preview)!;
};
const props = (r: RecordedResource) => r.props as any;
const one = (plan: Plan, type: string) => {
    const rs = ofType(plan, type);
    assert.equal(rs.length, 1, `exactly one ${type}`);
    return rs[0];
};

// ---- Upstream Kubernetes schemas (kubernetes-models, CommonJS builds of its per-kind modules) ----
const MODELS = path.join(__dirname, "..", "node_modules", "kubernetes-models");
/** `kubernetes:apps/v1:Deployment` -> the kubernetes-models class, or undefined for kinds it has no model of (CRDs). */
function modelOf(type: string): (new (data: unknown) => { validate(): void }) | undefined {
    const m = /^kubernetes:([^/]+)\/([^:]+):(\w+)$/.exec(type);
    if (!m) return undefined;
    const [, group, version, kind] = m;
    const dir = group === "core" ? version : `${group}/${version}`;
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require(path.join(MODELS, dir, `${kind}.js`))[kind];
    } catch {
        return undefined;
    }
}
/** The VPA CRD's (autoscaling.k8s.io/v1) constraints on what we set: kubernetes-models has no model of CRDs. */
function vpaProblems(p: any): string[] {
    const out: string[] = [];
    const ConfigMap = modelOf("kubernetes:core/v1:ConfigMap")!;
    try {
        new ConfigMap({ apiVersion: "v1", kind: "ConfigMap", metadata: p.metadata }).validate(); // ObjectMeta schema
    } catch (e) {
        out.push(`metadata: ${(e as Error).message}`);
    }
    if (p.apiVersion !== "autoscaling.k8s.io/v1" || p.kind !== "VerticalPodAutoscaler") out.push("apiVersion/kind");
    const t = p.spec?.targetRef;
    if (!t || typeof t.apiVersion !== "string" || typeof t.kind !== "string" || typeof t.name !== "string") out.push("spec.targetRef needs apiVersion, kind, name");
    if (!["Off", "Initial", "Recreate", "InPlaceOrRecreate", "Auto"].includes(p.spec?.updatePolicy?.updateMode)) out.push("spec.updatePolicy.updateMode");
    for (const c of p.spec?.resourcePolicy?.containerPolicies ?? []) {
        if (typeof c.containerName !== "string") out.push("containerName");
        if (!(c.controlledResources ?? []).every((r: string) => r === "cpu" || r === "memory")) out.push("controlledResources");
        if (c.controlledValues && !["RequestsAndLimits", "RequestsOnly"].includes(c.controlledValues)) out.push("controlledValues");
    }
    return out;
}
/**
 * cert-manager's Certificate and Issuer, against the constraints of their CRDs at the pinned chart (v1.21.1,
 * deploy/crds/cert-manager.io_{certificates,issuers}.yaml) on the fields this program sets.
 */
function certManagerProblems(r: { type: string; props: any }): string[] {
    const p = r.props;
    const out: string[] = [];
    if (p.apiVersion !== "cert-manager.io/v1") out.push("apiVersion");
    if (typeof p.metadata?.name !== "string" || typeof p.metadata?.namespace !== "string") out.push("metadata.name and namespace");
    const duration = (d: unknown) => d === undefined || (typeof d === "string" && /^(\d+h)?(\d+m)?(\d+s)?$/.test(d) && d !== "");
    if (r.type.endsWith(":Certificate")) {
        const sp = p.spec ?? {};
        if (typeof sp.secretName !== "string") out.push("spec.secretName is required");
        if (typeof sp.issuerRef?.name !== "string") out.push("spec.issuerRef.name is required");
        if (sp.issuerRef?.kind && !["Issuer", "ClusterIssuer"].includes(sp.issuerRef.kind)) out.push("spec.issuerRef.kind");
        if (!(sp.dnsNames ?? []).every((d: unknown) => typeof d === "string")) out.push("spec.dnsNames");
        if (!duration(sp.duration) || !duration(sp.renewBefore)) out.push("spec.duration / renewBefore must be Go durations");
        const k = sp.privateKey ?? {};
        if (k.algorithm && !["RSA", "ECDSA", "Ed25519"].includes(k.algorithm)) out.push("spec.privateKey.algorithm");
        if (k.algorithm === "ECDSA" && k.size !== undefined && ![256, 384, 521].includes(k.size)) out.push("spec.privateKey.size");
        if (k.rotationPolicy && !["Never", "Always"].includes(k.rotationPolicy)) out.push("spec.privateKey.rotationPolicy");
        const usages = ["signing", "digital signature", "content commitment", "key encipherment", "key agreement", "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only", "any", "server auth", "client auth", "code signing", "email protection", "s/mime", "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc"];
        if (!(sp.usages ?? []).every((u: string) => usages.includes(u))) out.push("spec.usages");
    } else {
        const types = Object.keys(p.spec ?? {}).filter((x) => ["acme", "ca", "selfSigned", "vault", "venafi"].includes(x));
        if (types.length !== 1) out.push("an Issuer has exactly one type");
        if (p.spec?.ca && typeof p.spec.ca.secretName !== "string") out.push("spec.ca.secretName is required");
    }
    return out;
}
/**
 * The plan records secret values as "[secret]" (and preview unknowns as "[unknown]"): their shape is not
 * in the plan, so those fields are left out of validation (the rest of the object is still checked).
 */
function withoutMarkers(v: unknown): unknown {
    if (Array.isArray(v)) return v.filter((x) => x !== SECRET && x !== UNKNOWN).map(withoutMarkers);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== SECRET && x !== UNKNOWN).map(([k, x]) => [k, withoutMarkers(x)]));
    return v;
}
function kubernetesSchemaProblems(plan: Plan): { checked: number; crds: number; problems: string[] } {
    let checked = 0;
    let crds = 0;
    const problems: string[] = [];
    for (const r of plan.resources.filter((x) => x.custom && x.type.startsWith("kubernetes:") && x.type !== "kubernetes:helm.sh/v3:Release")) {
        const Model = modelOf(r.type);
        if (Model) {
            checked++;
            try {
                new Model(withoutMarkers(r.props)).validate();
            } catch (e) {
                problems.push(`${r.name} (${r.type}): ${(e as Error).message}`);
            }
        } else if (r.type === "kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler") {
            crds++;
            problems.push(...vpaProblems(withoutMarkers(r.props)).map((p) => `${r.name}: ${p}`));
        } else if (GATEWAY_CRD_TYPES.includes(r.type)) {
            // Gateway API, Envoy Gateway and External Secrets objects: their fields, types and enums (test/gatewayCrds.ts).
            crds++;
            problems.push(...gatewayCrdProblems(r.type, withoutMarkers(r.props)).map((p) => `${r.name}: ${p}`));
        } else if (r.type === "kubernetes:cert-manager.io/v1:Certificate" || r.type === "kubernetes:cert-manager.io/v1:Issuer") {
            crds++;
            problems.push(...certManagerProblems({ type: r.type, props: withoutMarkers(r.props) }).map((p) => `${r.name}: ${p}`));
        } else {
            problems.push(`${r.name}: no schema for ${r.type}`);
        }
    }
    return { checked, crds, problems };
}

describe("compute: sizing/capacity (pure)", () => {
    it("computes VPC CNI max pods as ENIs x (IPs per ENI - 1) + 2, or 110 with prefix delegation", () => {
        assert.equal(maxPods("m6i.large", false), 29); // 3 x (10 - 1) + 2, as EKS eni-max-pods.txt
        assert.equal(maxPods("t3.medium", false), 17);
        assert.equal(maxPods("m6i.2xlarge", false), 58);
        assert.equal(maxPods("m6i.4xlarge", false), 234);
        assert.equal(maxPods("m6i.large", true), 110);
    });
    it("reserves CPU and memory as EKS does, and leaves less than the instance", () => {
        assert.equal(kubeReservedCpuMillis(2), 70);
        assert.equal(kubeReservedCpuMillis(8), 90);
        const a = allocatable("m6i.2xlarge", true);
        assert.equal(a.cpuMillis, 8000 - 90 - 100);
        assert.equal(a.memoryMiB, 32768 - (255 + 11 * 110) - 100 - 100);
        for (const [name, t] of Object.entries(INSTANCE_TYPES)) {
            assert.ok(t.onDemandUsdPerHour["eu-west-1"] > 0, `${name} has an eu-west-1 price`);
            assert.ok(allocatable(name as keyof typeof INSTANCE_TYPES, false).memoryMiB > 0);
        }
    });
    it("takes the workloads a caller adds into the same check", () => {
        const config = resolveStackConfig("dev", readStackFiles(path.resolve(__dirname, ".."), "dev").config);
        assert.deepEqual(capacityProblems(config), []);
        const extra = { name: "batch (test)", key: "scaling-topology:services", nodeGroup: config.ingress.nodeGroup, replicas: 400, cpuMillis: 500, memoryMiB: 256 };
        const problems = capacityProblems(config, [...stackWorkloads(config), extra]);
        assert.ok(problems.some((p) => /batch \(test\)/.test(p.message) && /node group "application"/.test(p.message)), JSON.stringify(problems));
        assert.deepEqual(capacityProblems(config), [], "a call with extra workloads leaves later checks alone");
    });
    it("maps labels and taints to the autoscaler's scale-from-zero ASG tags", () => {
        assert.deepEqual(nodeTemplateTags({ "node-role": "system" }, [{ key: "CriticalAddonsOnly", value: "true", effect: "NO_SCHEDULE" }]), {
            "k8s.io/cluster-autoscaler/node-template/label/node-role": "system",
            "k8s.io/cluster-autoscaler/node-template/taint/CriticalAddonsOnly": "true:NoSchedule",
        });
    });
    it("flags a VPA that would act on what the HPA scales on, and only then", () => {
        assert.deepEqual(vpaHpaConflict({ vpaMode: "Auto", targetCpuUtilization: 60 }), ["cpu"]);
        assert.deepEqual(vpaHpaConflict({ vpaMode: "Recreate", vpaControlledResources: ["memory"], targetCpuUtilization: 60 }), []);
        assert.deepEqual(vpaHpaConflict({ vpaMode: "Off", targetCpuUtilization: 60, targetMemoryUtilization: 70 }), []);
    });
});

describe("compute: the load balancer controller's IAM policy", () => {
    it("keeps the documented policy but scopes every write it left on * without a condition, and drops the ALB-only WAF/Shield/rule actions", () => {
        const narrowed = loadBalancerControllerPolicy("vpc-0123456789abcdef0").Statement;
        const actions = (st: { Action: string | string[] }) => ([] as string[]).concat(st.Action);
        for (const st of narrowed.filter((x) => x.Resource === "*" && !x.Condition)) {
            assert.deepEqual(actions(st).filter((a) => !/^[a-z0-9-]+:(Describe|Get|List)/.test(a)), [], `only reads stay on "*" unconditioned: ${JSON.stringify(st)}`);
        }
        const all = (sts: Array<{ Action: string | string[] }>) => new Set(sts.flatMap(actions));
        const dropped = ["elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule", "elasticloadbalancing:SetWebAcl", "elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities"];
        const kept = all(narrowed);
        const missing = [...all(AWS_LOAD_BALANCER_CONTROLLER_IAM_POLICY.Statement)].filter((a) => !kept.has(a) && !dropped.includes(a) && !/^(waf-regional|wafv2|waf|shield):/.test(a));
        assert.ok(![...kept].some((a) => /^(waf-regional|wafv2|shield):/.test(a)), "no WAF or Shield access: those add-ons are off");
        assert.deepEqual(missing, [], "everything an NLB needs is still granted");
        const sgIngress = narrowed.find((x) => actions(x).includes("ec2:AuthorizeSecurityGroupIngress") && x.Condition?.ArnLike)!;
        assert.equal(sgIngress.Condition!.ArnLike["ec2:Vpc"], "arn:aws:ec2:*:*:vpc/vpc-0123456789abcdef0", "security group rules only in the cluster's VPC");
    });
});

describe("compute: config refusals (before any resource)", () => {
    it("refuses a service whose maxReplicas x requests cannot fit, naming the service and the node group", async () => {
        const services = stackConfigValue("prod", "scaling-topology:services");
        const e = await configErrorOf("prod", { "scaling-topology:services": [{ ...services[0], replicas: { min: 6, max: 5000 } }] });
        const p = e.problems.find((x) => x.key === "scaling-topology:services[0].replicas.max");
        assert.ok(p, e.message);
        assert.equal(p.value, 5000);
        assert.match(p.message, /service "api" cannot fit/);
        assert.match(p.message, /node group "application"/);
        assert.match(p.message, /raise scaling-topology:cluster\.nodeGroups\[1\]\.maxSize to at least \d+/);
        assert.match(e.message, /no resource was created/);
    });
    it("refuses a replica larger than any node of its group", async () => {
        const services = stackConfigValue("dev", "scaling-topology:services");
        const e = await configErrorOf("dev", { "scaling-topology:services": [{ ...services[0], resources: { cpuMillis: 4000, memoryMiB: 256 } }] });
        assert.ok(e.problems.some((p) => p.key === "scaling-topology:services[0].resources" && /one replica requests more CPU/.test(p.message)), e.message);
    });
    it("refuses a VPA acting on the HPA's resource, a one-replica service and an unpinned image", async () => {
        const [api] = stackConfigValue("dev", "scaling-topology:services");
        const e = await configErrorOf("dev", {
            "scaling-topology:services": [
                { ...api, vpa: { mode: "Auto" }, hpa: { cpuUtilization: 60, memoryUtilization: 80 } },
                { ...api, name: "web", replicas: { min: 1, max: 2 }, image: "ghcr.io/stefanprodan/podinfo:latest" },
                { ...api, name: "worker", vpa: { mode: "Auto", controlledResources: ["memory"] } }, // allowed: the HPA scales on CPU only
            ],
        });
        const keys = e.problems.map((p) => `${p.key}: ${p.message}`).join("\n");
        assert.match(keys, /services\[0\]\.vpa: VPA mode Auto would act on cpu and memory, which the HPA also scales on/);
        assert.match(keys, /services\[1\]\.replicas\.min: must be at least 2/);
        assert.match(keys, /services\[1\]\.image: must pin a version/);
        assert.ok(!keys.includes("services[2]"), keys);
    });
    it("refuses a service placed on the system node group or on an unknown one", async () => {
        const [api] = stackConfigValue("dev", "scaling-topology:services");
        const e = await configErrorOf("dev", { "scaling-topology:services": [{ ...api, nodeGroup: "system" }, { ...api, name: "web", nodeGroup: "gpu", database: { role: "web" } }] });
        const mine = e.problems.filter((p) => /^scaling-topology:(services|ingress|cluster)\b/.test(p.key));
        assert.deepEqual(mine.map((p) => p.key), ["scaling-topology:services[0].nodeGroup", "scaling-topology:services[1].nodeGroup"]);
        assert.match(mine[0].message, /is not an application node group .*\(application\)/);
    });
    it("refuses an unsupported Kubernetes version and a cluster without a system node group", async () => {
        const cluster = stackConfigValue("dev", "scaling-topology:cluster");
        const e = await configErrorOf("dev", { "scaling-topology:cluster": { ...cluster, kubernetesVersion: "1.29", nodeGroups: cluster.nodeGroups.filter((g: any) => g.role !== "system").concat([{ ...cluster.nodeGroups[1], name: "app2" }]) } });
        assert.ok(e.problems.some((p) => p.key === "scaling-topology:cluster.kubernetesVersion"), e.message);
        assert.ok(e.problems.some((p) => p.key === "scaling-topology:cluster.nodeGroups" && /role system/.test(p.message)), e.message);
        const bad = await configErrorOf("dev", { "scaling-topology:cluster": { ...cluster, addonVersions: { "vpc-cni": "latest", "kube-dns": "v1.0.0-eksbuild.1" } } });
        assert.ok(bad.problems.some((p) => p.key === "scaling-topology:cluster.addonVersions.vpc-cni" && /EKS add-on version/.test(p.message)), bad.message);
        assert.ok(bad.problems.some((p) => p.key.startsWith("scaling-topology:cluster.addonVersions")), bad.message);
    });
});

describe("compute components under mocks (fixture program)", () => {
    for (const preview of [false, true]) {
        it(`builds Cluster, NodeGroups, ClusterAutoscaler, VPA, LoadBalancerController, Gateway and two ScalableServices in ${preview ? "preview" : "update"} mode`, async () => {
            const plan = await fixture(preview);
            for (const t of ["Cluster", "ClusterAutoscaler", "VerticalPodAutoscaler", "LoadBalancerController", "Gateway"]) assert.equal(ofType(plan, `scaling:compute:${t}`).length, 1, t);
            const routes = ofType(plan, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute");
            assert.deepEqual(routes.map((r) => props(r).metadata.name), ["alpha"], "only the service with an ingressPath is routed");
            assert.equal(ofType(plan, "scaling:compute:NodeGroup").length, 2);
            assert.equal(ofType(plan, "scaling:compute:ScalableService").length, 2);
            assert.equal(ofType(plan, "kubernetes:apps/v1:Deployment").length, 2, "two instances do not collide");
            const cluster = one(plan, "aws:eks/cluster:Cluster");
            assert.equal(props(cluster).vpcConfig.endpointPublicAccess, true, "public endpoint only because CIDRs were given");
            assert.deepEqual(props(cluster).vpcConfig.publicAccessCidrs, ["198.51.100.0/24"]);
            const arm = ofType(plan, "aws:eks/nodeGroup:NodeGroup").find((n) => props(n).nodeGroupName === "sys")!;
            assert.equal(props(arm).amiType, "AL2023_ARM_64_STANDARD");
            assert.equal(props(arm).scalingConfig.desiredSize, 1, "a group with minSize 0 starts with one node");
            const vpas = ofType(plan, "kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler").map((v) => props(v).spec);
            assert.deepEqual(vpas.map((s) => s.updatePolicy.updateMode).sort(), ["Auto", "Off"]);
            assert.deepEqual(vpas.find((s) => s.updatePolicy.updateMode === "Auto").resourcePolicy.containerPolicies[0].controlledResources, ["memory"]);
            const release = ofType(plan, "kubernetes:helm.sh/v3:Release").find((r) => props(r).chart === "vpa")!;
            assert.equal(props(release).values.updater.enabled, true);
            assert.equal(props(release).values.admissionController.enabled, false);
            const addons = ofType(plan, "aws:eks/addon:Addon");
            assert.equal(props(addons.find((a) => props(a).addonName === "vpc-cni")!).addonVersion, "v1.20.4-eksbuild.1", "a pinned add-on version");
            assert.equal(props(addons.find((a) => props(a).addonName === "coredns")!).addonVersion, undefined, "unpinned: EKS's default for the minor");
            const pias = ofType(plan, "aws:eks/podIdentityAssociation:PodIdentityAssociation");
            assert.deepEqual(pias.map((p) => props(p).serviceAccount).sort(), ["aws-load-balancer-controller", "cluster-autoscaler"]);
            for (const pia of pias) {
                assert.equal(props(pia).clusterName, "fx-eks");
                assert.ok(pia.opts.dependsOn?.includes(one(plan, "aws:eks/cluster:Cluster").urn), `${props(pia).serviceAccount}'s Pod Identity association waits for the cluster`);
            }
            if (preview) {
                assert.equal(plan.outputs.outputs && (plan.outputs.outputs as any).hostname, "[unknown]");
                assert.equal(props(one(plan, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")).url, "[unknown]");
            } else {
                assert.match((plan.outputs.outputs as any).hostname, /^[a-z0-9-]+\.elb\.[a-z0-9-]+\.amazonaws\.com$/);
                assert.match((plan.outputs.outputs as any).clusterSecurityGroupId, /^sg-0[0-9a-f]{16}$/);
                assert.equal(kubernetesSchemaProblems(plan).problems.length, 0, kubernetesSchemaProblems(plan).problems.join("\n"));
            }
        });
    }
    for (const [scenario, message] of [["vpa-conflict", /vpaMode Auto would act on cpu, which the HPA scales on/], ["one-replica", /minReplicas must be >= 2/], ["latest", /must pin a tag or digest other than latest/]] as const) {
        it(`ScalableService refuses ${scenario}`, async () => {
            await assert.rejects(runPlan({ stack: "t", projectDir: FIXTURE, configOverrides: { "compute-fixture:scenario": scenario } }), message);
        });
    }
});

describe("compute in the stack plans", () => {
    it("prod: one EKS cluster as specified (version, private endpoint, logs, KMS secrets, access entries, OIDC, add-ons)", async () => {
        const plan = await stackPlan("prod");
        const cfg = stackConfigValue("prod", "scaling-topology:cluster");
        const c = props(one(plan, "aws:eks/cluster:Cluster"));
        assert.equal(c.version, cfg.kubernetesVersion);
        assert.equal(c.vpcConfig.endpointPrivateAccess, true);
        assert.equal(c.vpcConfig.endpointPublicAccess, false);
        assert.equal((c.vpcConfig.subnetIds as string[]).length, 3);
        assert.deepEqual([...c.enabledClusterLogTypes].sort(), ["api", "audit", "authenticator", "controllerManager", "scheduler"]);
        assert.deepEqual(c.encryptionConfig.resources, ["secrets"]);
        const key = ofType(plan, "aws:kms/key:Key").find((k) => k.name === "prod-eks-secrets-key")!;
        assert.equal(props(key).enableKeyRotation, true);
        assert.match(c.encryptionConfig.provider.keyArn, /^arn:aws:kms:eu-west-1:\d{12}:key\//);
        assert.equal(c.accessConfig.authenticationMode, "API");
        assert.equal(c.bootstrapSelfManagedAddons, false);
        assert.equal(c.deletionProtection, true);
        assert.equal(one(plan, "aws:eks/cluster:Cluster").opts.protect, true);
        assert.ok(!plan.resources.some((r) => r.type === "kubernetes:core/v1:ConfigMap" && props(r).metadata?.name === "aws-auth"), "no aws-auth ConfigMap");
        // People, the deploy role and the preview role.
        assert.equal(ofType(plan, "aws:eks/accessEntry:AccessEntry").length, cfg.adminRoleNames.length + 2);
        assert.match(props(one(plan, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")).url, /^https:\/\/oidc\.eks\.eu-west-1\.amazonaws\.com\/id\//);
        assert.match(plan.outputs.oidcProviderArn as string, /^arn:aws:iam::\d{12}:oidc-provider\/oidc\.eks\.eu-west-1\.amazonaws\.com\/id\//);
        const addons = Object.fromEntries(ofType(plan, "aws:eks/addon:Addon").map((a) => [props(a).addonName, a]));
        // kube-state-metrics and prometheus-node-exporter come from the Observability component.
        assert.deepEqual(Object.keys(addons).sort(), ["aws-ebs-csi-driver", "coredns", "eks-pod-identity-agent", "kube-proxy", "kube-state-metrics", "metrics-server", "prometheus-node-exporter", "vpc-cni"]);
        assert.equal(JSON.parse(props(addons["vpc-cni"]).configurationValues).env.ENABLE_PREFIX_DELEGATION, "true");
        assert.equal(JSON.parse(props(addons.coredns).configurationValues).replicaCount, cfg.corednsReplicas);
        // vpc-cni before the nodes; coredns after them.
        for (const ng of ofType(plan, "aws:eks/nodeGroup:NodeGroup")) assert.ok(ng.opts.dependsOn?.includes(addons["vpc-cni"].urn), `${ng.name} waits for vpc-cni`);
        assert.ok(ofType(plan, "aws:eks/nodeGroup:NodeGroup").every((g) => addons.coredns.opts.dependsOn?.includes(g.urn)), "coredns waits for the nodes");
        assert.match(plan.outputs.clusterSecurityGroupId as string, /^sg-0[0-9a-f]{16}$/);
        assert.match(plan.outputs.ingressHostname as string, /\.elb\.eu-west-1\.amazonaws\.com$/);
    });

    it("prod: >= 2 managed node groups, AL2023, IMDSv2 hop 1, encrypted gp3, desiredSize left to the autoscaler, scale-from-zero tags", async () => {
        const plan = await stackPlan("prod");
        const groups = ofType(plan, "aws:eks/nodeGroup:NodeGroup");
        assert.ok(groups.length >= 2);
        const cfg = stackConfigValue("prod", "scaling-topology:cluster");
        for (const g of groups) {
            const p = props(g);
            const want = cfg.nodeGroups.find((x: any) => x.name === p.nodeGroupName);
            assert.deepEqual([p.scalingConfig.minSize, p.scalingConfig.maxSize], [want.minSize, want.maxSize]);
            assert.equal(p.capacityType, want.capacityType);
            assert.match(p.amiType, /^AL2023_/);
            assert.deepEqual(g.opts.ignoreChanges, ["scalingConfig.desiredSize"]);
            assert.equal(p.tags[`k8s.io/cluster-autoscaler/${plan.outputs.clusterName}`], "owned");
            const lt = childrenOf(plan, plan.resources.find((r) => r.urn === g.parent)!).find((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate")!;
            assert.equal(props(lt).metadataOptions.httpTokens, "required");
            assert.equal(props(lt).metadataOptions.httpPutResponseHopLimit, 1);
            const ebs = props(lt).blockDeviceMappings[0].ebs;
            assert.deepEqual([ebs.volumeType, ebs.encrypted], ["gp3", "true"]);
            assert.match(p.launchTemplate.id, /^lt-0[0-9a-f]{16}$/);
        }
        const system = groups.find((g) => props(g).nodeGroupName === "system")!;
        assert.deepEqual(props(system).taints, [{ key: "CriticalAddonsOnly", value: "true", effect: "NO_SCHEDULE" }]);
        const tags = ofType(plan, "aws:autoscaling/tag:Tag").map((t) => props(t).tag.key);
        assert.ok(tags.includes("k8s.io/cluster-autoscaler/node-template/taint/CriticalAddonsOnly"));
        assert.ok(tags.includes("k8s.io/cluster-autoscaler/node-template/label/node-role"));
    });

    it("prod: cluster autoscaler with Pod Identity, a least-privilege policy scoped by the cluster tag, a chart and image of the cluster's minor", async () => {
        const plan = await stackPlan("prod");
        const version = stackConfigValue("prod", "scaling-topology:cluster").kubernetesVersion as keyof typeof CLUSTER_AUTOSCALER_RELEASES;
        const release = ofType(plan, "kubernetes:helm.sh/v3:Release").find((r) => props(r).chart === "cluster-autoscaler")!;
        assert.equal(props(release).version, CLUSTER_AUTOSCALER_RELEASES[version].chart);
        assert.equal(props(release).values.image.tag.replace(/^v(\d+\.\d+)\..*$/, "$1"), version, "image minor = cluster minor");
        assert.equal(props(release).repositoryOpts.repo, "https://kubernetes.github.io/autoscaler");
        assert.equal(props(release).values.autoDiscovery.clusterName, plan.outputs.clusterName);
        assert.equal(props(release).values.priorityClassName, "system-cluster-critical");
        assert.deepEqual(props(release).values.podDisruptionBudget, { maxUnavailable: 1 });
        assert.equal(props(release).values.extraArgs.expander, "least-waste");
        const policy = JSON.parse(props(ofType(plan, "aws:iam/policy:Policy").find((p) => p.name.includes("cluster-autoscaler"))!).policy);
        const mutate = policy.Statement.find((s: any) => s.Action.includes("autoscaling:SetDesiredCapacity"));
        assert.deepEqual(mutate.Condition, { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${plan.outputs.clusterName}`]: "owned" } });
        assert.ok(!policy.Statement.some((s: any) => s.Action.some((a: string) => a.endsWith("*"))), "no wildcard actions");
        assert.deepEqual(policy, autoscalerPolicy(plan.outputs.clusterName as string, "eu-west-1"));
        const pia = ofType(plan, "aws:eks/podIdentityAssociation:PodIdentityAssociation")[0];
        assert.deepEqual([props(pia).namespace, props(pia).serviceAccount], ["kube-system", "cluster-autoscaler"]);
    });

    it("prod: metrics-server and the VPA recommender from a pinned chart, updater and admission controller off", async () => {
        const plan = await stackPlan("prod");
        const vpa = ofType(plan, "kubernetes:helm.sh/v3:Release").find((r) => props(r).chart === "vpa")!;
        assert.match(props(vpa).version, /^\d+\.\d+\.\d+$/);
        assert.equal(props(vpa).values.recommender.enabled, true);
        assert.equal(props(vpa).values.updater.enabled, false);
        assert.equal(props(vpa).values["metrics-server"].enabled, false, "metrics-server comes from the EKS add-on");
        assert.ok(ofType(plan, "aws:eks/addon:Addon").some((a) => props(a).addonName === "metrics-server"));
        // An exact version (jetstack's cert-manager chart versions carry a leading v).
        for (const r of ofType(plan, "kubernetes:helm.sh/v3:Release")) assert.match(props(r).version, /^v?\d+\.\d+\.\d+$/, `${r.name} pins its chart`);
    });

    for (const stack of ["dev", "prod"]) {
        it(`${stack}: every service Deployment has an HPA (min >= 2), a PDB selecting it, requests, probes, a restricted securityContext, pinned image`, async () => {
            const plan = await stackPlan(stack);
            const deployments = ofType(plan, "kubernetes:apps/v1:Deployment");
            const serviceComponents = new Set(ofType(plan, "scaling:compute:ScalableService").map((c) => c.urn));
            assert.equal(serviceComponents.size, stackConfigValue(stack, "scaling-topology:services").length);
            assert.equal(deployments.filter((d) => serviceComponents.has(d.parent!)).length, serviceComponents.size);
            // Every Deployment (ScalableService's and other domains', e.g. PgBouncer): HPA, PDB, requests, probes.
            for (const d of deployments) {
                const dp = props(d);
                const name = dp.metadata.name;
                const ns = dp.metadata.namespace;
                const sameNs = (t: string) => ofType(plan, t).filter((r) => props(r).metadata.namespace === ns);
                const hpa = sameNs("kubernetes:autoscaling/v2:HorizontalPodAutoscaler").find((h) => props(h).spec.scaleTargetRef.name === name);
                assert.ok(hpa, `${name} has an HPA`);
                assert.equal(props(hpa).spec.scaleTargetRef.kind, "Deployment");
                assert.ok(props(hpa).spec.minReplicas >= 2);
                const labels = dp.spec.template.metadata.labels;
                const pdb = sameNs("kubernetes:policy/v1:PodDisruptionBudget").find((p) => Object.entries(props(p).spec.selector.matchLabels).every(([k, v]) => labels[k] === v));
                assert.ok(pdb, `${name} has a PDB selecting its pods`);
                assert.deepEqual(dp.spec.selector.matchLabels, props(pdb).spec.selector.matchLabels);
                const pod = dp.spec.template.spec;
                for (const c of pod.containers) {
                    assert.ok(c.resources.requests.cpu && c.resources.requests.memory, `${name} requests`);
                    assert.ok(c.readinessProbe && c.livenessProbe, `${name} probes`);
                }
                if (!serviceComponents.has(d.parent!)) continue;
                // ScalableService's own guarantees.
                assert.ok(props(hpa).spec.behavior.scaleUp.policies.length > 0 && props(hpa).spec.behavior.scaleDown.stabilizationWindowSeconds > 0, `${name} HPA behavior`);
                assert.ok(["name", "instance", "version", "component", "part-of", "managed-by"].every((k) => labels[`app.kubernetes.io/${k}`]));
                assert.equal(pod.securityContext.runAsNonRoot, true);
                assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault");
                assert.ok(pod.topologySpreadConstraints.some((t: any) => t.topologyKey === "topology.kubernetes.io/zone"));
                for (const c of pod.containers) {
                    assert.ok(c.resources.limits.memory, `${name} memory limit`);
                    assert.ok(c.readinessProbe.httpGet && c.livenessProbe.httpGet, `${name} HTTP probes`);
                    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
                    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
                    assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
                    assert.match(c.image, /:(\d+\.\d+\.\d+)$/);
                }
                const nsObj = ofType(plan, "kubernetes:core/v1:Namespace").find((n) => props(n).metadata.name === ns)!;
                assert.equal(props(nsObj).metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
                const vpa = sameNs("kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler").find((v) => props(v).spec.targetRef.name === name)!;
                assert.equal(props(vpa).spec.updatePolicy.updateMode, "Off", "recommend-only by default");
                const netpol = sameNs("kubernetes:networking.k8s.io/v1:NetworkPolicy").find((n) => props(n).metadata.name === name)!;
                assert.deepEqual(props(netpol).spec.podSelector.matchLabels, dp.spec.selector.matchLabels);
                // The gateway's proxies; the retired ingress-nginx for the release that moves a stack over.
                assert.deepEqual(props(netpol).spec.ingress[0].from.map((f: any) => f.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] ?? "own namespace"), ["own namespace", "envoy-gateway-system", "ingress-nginx"]);
            }
        });

        it(`${stack}: every Kubernetes object in the plan is valid against the upstream Kubernetes schemas`, async () => {
            const plan = await stackPlan(stack);
            const { checked, crds, problems } = kubernetesSchemaProblems(plan);
            assert.deepEqual(problems, []);
            assert.ok(checked >= 8, `validated ${checked} objects`);
            assert.equal(crds, ["kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler", "kubernetes:cert-manager.io/v1:Certificate", "kubernetes:cert-manager.io/v1:Issuer", ...GATEWAY_CRD_TYPES].reduce((n, t) => n + ofType(plan, t).length, 0));
            assert.ok(GATEWAY_CRD_TYPES.reduce((n, t) => n + ofType(plan, t).length, 0) >= 6, "the Gateway API and Envoy Gateway objects are checked");
        });
    }

    it("the schema check catches an invalid object (so it can fail)", async () => {
        const plan = await stackPlan("dev");
        const broken = JSON.parse(JSON.stringify(plan)) as Plan;
        const d = broken.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
        (d.props as any).spec.replicas = "two";
        const v = broken.resources.find((r) => r.type === "kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler")!;
        (v.props as any).spec.updatePolicy.updateMode = "Sometimes";
        // A misspelt field the API server would prune, and values the CRDs' enums refuse.
        const route = broken.resources.find((r) => r.type === "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")!;
        (route.props as any).spec.rules[0].backendRef = (route.props as any).spec.rules[0].backendRefs;
        const policy = broken.resources.find((r) => r.type === "kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy")!;
        (policy.props as any).spec.headers.withUnderscoresAction = "Ignore";
        const es = broken.resources.find((r) => r.type === "kubernetes:external-secrets.io/v1:ExternalSecret")!;
        (es.props as any).spec.target.creationPolicy = "Sometimes";
        const problems = kubernetesSchemaProblems(broken).problems.join("\n");
        assert.match(problems, /spec\/replicas must be integer/);
        assert.match(problems, /updateMode/);
        assert.match(problems, /dev-svc-api-route: \/spec\.rules\[0\]\.backendRef: is not a field of this API/);
        assert.match(problems, /withUnderscoresAction: must be one of Allow, RejectRequest, DropHeader/);
        assert.match(problems, /\/spec\.target\.creationPolicy: must be one of Owner, Orphan, Merge, None/);
    });

    it("dev: Envoy Gateway from its pinned chart, the proxies autoscaled behind an internet-facing NLB, in update and preview mode", async () => {
        const plan = await stackPlan("dev");
        assert.equal(ofType(plan, "kubernetes:networking.k8s.io/v1:Ingress").length, 0, "no Ingress objects");
        assert.ok(!ofType(plan, "kubernetes:helm.sh/v3:Release").some((r) => /ingress-nginx/.test(props(r).chart)), "no ingress-nginx");
        const release = ofType(plan, "kubernetes:helm.sh/v3:Release").find((r) => props(r).chart === "oci://docker.io/envoyproxy/gateway-helm")!;
        assert.equal(props(release).version, "v1.9.2");
        assert.match(props(release).values.deployment.envoyGateway.image.tag, /^v1\.9\.2@sha256:[0-9a-f]{64}$/, "the controller image is pinned by digest");
        const proxy = ofType(plan, "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy")[0];
        const k8sSpec = props(proxy).spec.provider.kubernetes;
        const ingress = stackConfigValue("dev", "scaling-topology:ingress");
        assert.deepEqual([k8sSpec.envoyHpa.minReplicas, k8sSpec.envoyHpa.maxReplicas], [ingress.replicas.min, ingress.replicas.max]);
        assert.equal(k8sSpec.envoyPDB.minAvailable, 1);
        assert.ok(k8sSpec.envoyDeployment.pod.topologySpreadConstraints.some((t: any) => t.topologyKey === "topology.kubernetes.io/zone"));
        // Through the ECR pull-through cache (components/imageCache.ts), the published digest kept.
        assert.match(k8sSpec.envoyDeployment.container.image, /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/docker-hub\/envoyproxy\/envoy:distroless-v1\.39\.1@sha256:[0-9a-f]{64}$/);
        assert.equal(k8sSpec.envoyService.type, "ClusterIP", "the proxies' own Service is not a second load balancer");
        const gatewayClass = ofType(plan, "kubernetes:gateway.networking.k8s.io/v1:GatewayClass")[0];
        assert.equal(props(gatewayClass).spec.parametersRef.name, props(proxy).metadata.name);
        const gateway = ofType(plan, "kubernetes:gateway.networking.k8s.io/v1:Gateway")[0];
        assert.equal(props(gateway).spec.gatewayClassName, props(gatewayClass).metadata.name);
        assert.deepEqual(props(gateway).spec.listeners.map((l: any) => [l.protocol, l.hostname]), [["HTTP", stackConfigValue("dev", "scaling-topology:edge").hostname]]);
        // One HTTPRoute per routed service, attached to that Gateway from a namespace its listener admits.
        const services = stackConfigValue("dev", "scaling-topology:services") as any[];
        const routes = ofType(plan, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute");
        assert.equal(routes.length, services.filter((x) => x.ingressPath).length);
        for (const r of routes) {
            const parent = props(r).spec.parentRefs[0];
            assert.deepEqual([parent.kind, parent.name, parent.namespace], ["Gateway", props(gateway).metadata.name, props(gateway).metadata.namespace]);
            const ns = ofType(plan, "kubernetes:core/v1:Namespace").find((n) => props(n).metadata.name === props(r).metadata.namespace)!;
            const wanted = props(gateway).spec.listeners[0].allowedRoutes.namespaces.selector.matchLabels;
            assert.ok(Object.entries(wanted).every(([k, v]) => props(ns).metadata.labels[k] === v), "the route's namespace carries the label the listener selects");
        }
        const svc = ofType(plan, "kubernetes:core/v1:Service").find((s) => props(s).spec.type === "LoadBalancer")!;
        assert.equal(props(svc).spec.loadBalancerClass, "service.k8s.aws/nlb", "the AWS Load Balancer Controller provisions it");
        assert.equal(props(svc).metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"], "ip");
        assert.equal(props(svc).spec.allocateLoadBalancerNodePorts, false, "no node ports");
        assert.deepEqual(props(svc).spec.ports.map((p: any) => p.port), [443], "HTTPS only");
        assert.equal(props(svc).spec.ports[0].targetPort, 10080, "the proxies' listener port (80 shifted by Envoy Gateway)");
        assert.deepEqual(props(svc).spec.selector, { "app.kubernetes.io/name": "envoy", "gateway.envoyproxy.io/owning-gateway-name": props(gateway).metadata.name, "gateway.envoyproxy.io/owning-gateway-namespace": props(gateway).metadata.namespace });
        assert.match(plan.outputs.ingressHostname as string, /^[a-z0-9]+-[0-9a-f]+\.elb\.eu-west-1\.amazonaws\.com$/);
        const lbc = ofType(plan, "kubernetes:helm.sh/v3:Release").find((r) => props(r).chart === "aws-load-balancer-controller")!;
        assert.equal(props(lbc).version, "3.5.0");
        assert.match(props(lbc).values.image.tag, /^v3\.5\.0@sha256:[0-9a-f]{64}$/);
        const preview = await stackPlan("dev", true);
        assert.equal(preview.outputs.ingressHostname, "[unknown]");
        assert.equal(ofType(preview, "kubernetes:apps/v1:Deployment").length, ofType(plan, "kubernetes:apps/v1:Deployment").length);
        assert.equal(ofType(preview, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute").length, routes.length);
        assert.ok(byName(preview, "dev-eks-k8s"), "the k8s provider is built in preview too");
    });
});

/**
 * Origin lockdown on the Gateway's data plane, and who may reach the origin load balancer.
 *
 * No Envoy binary is installable here (Debian packages none; no npm package ships one), so the check is
 * shown on the configuration Envoy Gateway reads: the rendered `SecurityPolicy`, the `Secret` it names
 * and the `Gateway`/`HTTPRoute`s it covers, validated against the CRDs of the pinned release
 * (compute.test.ts), and evaluated here the way Envoy Gateway's `apiKeyAuth` is documented to behave:
 * the policy on a Gateway applies to every route attached to it; the key is read from the first listed
 * header; it must equal a value of the credential Secret (one key per client id); a missing or wrong key
 * gets 401; with `sanitize` the header is removed before the backend.
 */
import { strict as assert } from "assert";
import * as k8s from "@pulumi/kubernetes";
import { Gateway, GatewayArgs } from "../components/gateway";
import { underMocks, valueOf } from "./edge.harness";
import { byName, ofType, planWith, stackPlan } from "./helpers";
import { RecordedResource, SECRET } from "../plan/recorder";

const SECRET_VALUE = "s3cretValue42abcdefXYZ";
const baseArgs: GatewayArgs = {
    hostname: "app.example.org",
    minReplicas: 2, maxReplicas: 4, cpuMillis: 500, memoryMiB: 512,
    originVerify: { header: "X-Origin-Verify", value: SECRET_VALUE },
    tlsCertificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/test",
    vpcId: "vpc-0123456789abcdef0", vpcCidr: "10.20.0.0/16",
    sourcePrefixListIds: ["pl-0123456789abcdef0"], trustedHops: 1,
    loadBalancerClass: "service.k8s.aws/nlb",
};
const build = (args: Partial<GatewayArgs> = {}) => underMocks(() => new Gateway("lock", { ...baseArgs, ...args }, { providers: { kubernetes: new k8s.Provider("k8s", { kubeconfig: "{}" }) } }));

type Obj = { type: string; props: any };
/** A secret value as the mock runtime hands it back (Pulumi's secret signature around the value). */
const unwrapSecret = (v: any) => (v && typeof v === "object" && "4dabf18193072939515e22adb298388d" in v ? v.value : v);
/** A request as the data plane sees it after the listener matched: path and headers (lower-case names). */
interface Request { path: string; headers: Record<string, string> }

/**
 * What the proxies do with a request on `route`, from the rendered objects: the SecurityPolicies that
 * target the route's Gateway (or the route itself, which would replace the Gateway's), and the Secrets
 * they name (values as the API server stores them: `stringData` decoded).
 */
function dataPlane(objects: Obj[], route: Obj, req: Request): { status: number; upstreamHeaders?: Record<string, string> } {
    const parent = route.props.spec.parentRefs[0];
    const policies = objects.filter((o) => o.type === "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy");
    const targets = (p: Obj, kind: string, name: string, ns: string) => p.props.metadata.namespace === ns && p.props.spec.targetRefs.some((t: any) => t.kind === kind && t.name === name);
    const routeLevel = policies.find((p) => targets(p, "HTTPRoute", route.props.metadata.name, route.props.metadata.namespace));
    const policy = routeLevel ?? policies.find((p) => targets(p, "Gateway", parent.name, parent.namespace ?? route.props.metadata.namespace));
    const auth = policy?.props.spec.apiKeyAuth;
    if (!auth) return { status: 200, upstreamHeaders: req.headers };
    const secrets = auth.credentialRefs.map((ref: any) => objects.find((o) => o.type === "kubernetes:core/v1:Secret" && o.props.metadata.name === ref.name && o.props.metadata.namespace === (ref.namespace ?? policy!.props.metadata.namespace)));
    assert.ok(secrets.every(Boolean), "every credentialRef names a Secret the plan creates, in the policy's namespace");
    const keys = new Set<string>(secrets.flatMap((s: Obj) => Object.values({ ...(s.props.stringData ?? {}), ...Object.fromEntries(Object.entries(s.props.data ?? {}).map(([k, v]) => [k, Buffer.from(String(v), "base64").toString()])) }) as string[]));
    const header = auth.extractFrom.flatMap((e: any) => e.headers ?? []).map((h: string) => h.toLowerCase()).find((h: string) => h in req.headers);
    if (!header || !keys.has(req.headers[header])) return { status: 401 };
    const upstreamHeaders = { ...req.headers };
    if (auth.sanitize) delete upstreamHeaders[header];
    return { status: 200, upstreamHeaders };
}

describe("origin lockdown on the gateway (Envoy Gateway apiKeyAuth from a Secret)", () => {
    it("refuses a request without the edge's header or with a wrong value (401), admits the edge's, and strips the header", async () => {
        const { result: gw, records } = await build();
        // The rendered objects; the plan masks the Secret's data, so it is read from the resource itself.
        const secret = records.find((r) => r.type === "kubernetes:core/v1:Secret")!;
        assert.equal((secret.props as any).stringData, SECRET, "the plan shows the Secret's data only as a secret");
        const stringData = unwrapSecret(await valueOf(gw.originVerifySecret.stringData as any));
        const withSecret: Obj[] = records.filter((r) => r.type.startsWith("kubernetes:")).map((r) => (r === secret ? { type: r.type, props: { ...(r.props as any), stringData } } : { type: r.type, props: r.props }));
        const route = { type: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", props: { metadata: { name: "api", namespace: "api" }, spec: { parentRefs: [gw.parentRef] } } };

        assert.equal(dataPlane(withSecret, route, { path: "/", headers: {} }).status, 401, "no header");
        assert.equal(dataPlane(withSecret, route, { path: "/", headers: { "x-origin-verify": "guess" } }).status, 401, "wrong value");
        assert.equal(dataPlane(withSecret, route, { path: "/", headers: { "x-origin-verify": SECRET_VALUE.toLowerCase() } }).status, 401, "the value is case-sensitive");
        const ok = dataPlane(withSecret, route, { path: "/api/x", headers: { "x-origin-verify": SECRET_VALUE, accept: "application/json" } });
        assert.equal(ok.status, 200);
        assert.deepEqual(ok.upstreamHeaders, { accept: "application/json" }, "the service never sees the secret");
        // Without the policy the same data plane admits anything: the check above is the policy's doing.
        assert.equal(dataPlane(withSecret.filter((o) => !o.type.endsWith("SecurityPolicy")), route, { path: "/", headers: {} }).status, 200);
    });

    it("the value lives in the Secret only: no other object, chart value or spec carries it", async () => {
        const { records } = await build();
        for (const r of records.filter((x) => x.type.startsWith("kubernetes:") && x.type !== "kubernetes:core/v1:Secret")) {
            assert.ok(!JSON.stringify(r.props).includes(SECRET_VALUE), `${r.name} (${r.type}) contains the origin secret`);
        }
        const secret = records.find((r) => r.type === "kubernetes:core/v1:Secret")!;
        assert.equal((secret.props as any).type, "Opaque");
    });

    it("refuses a header name the edges could not send, and an empty source list", async () => {
        await assert.rejects(build({ originVerify: { header: "X Origin", value: SECRET_VALUE } }), /letters, digits and dashes/);
        await assert.rejects(build({ sourcePrefixListIds: [] }), /at least one prefix list/);
    });

    for (const stack of ["dev", "prod"]) {
        it(`${stack}: every route is behind the Gateway's policy, whose Secret holds the one generated value the last edge hop sends`, async () => {
            const plan = await stackPlan(stack);
            const [policy] = ofType(plan, "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy");
            const [gateway] = ofType(plan, "kubernetes:gateway.networking.k8s.io/v1:Gateway");
            const spec = (policy.props as any).spec;
            assert.deepEqual(spec.targetRefs, [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: (gateway.props as any).metadata.name }]);
            for (const route of ofType(plan, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")) {
                assert.equal((route.props as any).spec.parentRefs[0].name, (gateway.props as any).metadata.name, `${route.name} attaches to the locked Gateway`);
            }
            assert.equal(ofType(plan, "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy").length, 1, "no route-level policy replaces the Gateway's");
            const header = plan.outputs.originVerifyHeader as string;
            assert.deepEqual(spec.apiKeyAuth.extractFrom, [{ headers: [header] }]);
            const secret = ofType(plan, "kubernetes:core/v1:Secret").find((s) => (s.props as any).metadata.name === spec.apiKeyAuth.credentialRefs[0].name)!;
            assert.equal((secret.props as any).stringData, "[secret]");
            // Every secret in a Kubernetes object of the plan sits in a Secret.
            for (const r of plan.resources.filter((x) => x.type.startsWith("kubernetes:") && x.type !== "kubernetes:core/v1:Secret")) {
                assert.ok(!JSON.stringify(r.props).includes("[secret]"), `${r.name} (${r.type}) carries a secret value`);
            }
            const secrets = ofType(plan, "random:index/randomPassword:RandomPassword").filter((r) => r.name.endsWith("-origin-verify"));
            assert.deepEqual(secrets.map((r) => r.name), [`${stack}-origin-verify`], "one origin secret for the whole path");
            const distribution = ofType(plan, "aws:cloudfront/distribution:Distribution")[0];
            if (distribution) {
                assert.deepEqual((distribution.props.origins as any[])[0].customHeaders, [{ name: header, value: "[secret]" }]);
            } else {
                const transform = ofType(plan, "cloudflare:index/ruleset:Ruleset").find((r) => r.props.phase === "http_request_late_transform")!;
                assert.ok(JSON.stringify(transform.props).includes(header), "Cloudflare sets the header");
            }
        });
    }
});

describe("only the edge reaches the origin load balancer", () => {
    const nlbRules = (plan: { resources: RecordedResource[] }, stack: string) => {
        const sg = byName(plan as any, `${stack}-gateway-nlb-sg`);
        const ingress = plan.resources.filter((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" && r.name.startsWith(`${stack}-gateway-nlb-sg-`));
        const egress = plan.resources.filter((r) => r.type === "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule" && r.name.startsWith(`${stack}-gateway-nlb-sg-`));
        return { sg, ingress, egress };
    };
    const assertNoWorld = (plan: { resources: RecordedResource[] }) => {
        for (const r of plan.resources) {
            const p = r.props as any;
            if (r.type === "kubernetes:core/v1:Service" && p.spec?.type === "LoadBalancer") {
                assert.ok(!(p.spec.loadBalancerSourceRanges ?? []).includes("0.0.0.0/0"), `${r.name} admits 0.0.0.0/0`);
                assert.equal(p.spec.allocateLoadBalancerNodePorts, false, `${r.name} opens node ports`);
                assert.ok(p.spec.ports.every((x: any) => x.port === 443), `${r.name} listens on more than 443`);
            }
            if (r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") assert.notEqual(p.cidrIpv4, "0.0.0.0/0", `${r.name} admits the world`);
            if (r.type === "aws:ec2/securityGroup:SecurityGroup") for (const rule of p.ingress ?? []) assert.ok(!(rule.cidrBlocks ?? []).includes("0.0.0.0/0"), `${r.name} admits the world`);
        }
    };

    it("prod (Cloudflare -> CloudFront): the NLB's security group admits 443 from CloudFront's origin-facing prefix list only", async () => {
        const plan = await stackPlan("prod");
        const { sg, ingress, egress } = nlbRules(plan, "prod");
        assert.equal(ingress.length, 1);
        assert.deepEqual([ingress[0].props.ipProtocol, ingress[0].props.fromPort, ingress[0].props.toPort], ["tcp", 443, 443]);
        assert.match(ingress[0].props.prefixListId as string, /^pl-[0-9a-f]{8}$/, "the managed list's id, from the lookup by name");
        assert.deepEqual(egress.map((r) => [r.props.toPort, r.props.cidrIpv4]).sort(), [[10080, "10.30.0.0/16"], [19003, "10.30.0.0/16"]]);
        const svc = ofType(plan, "kubernetes:core/v1:Service").find((s) => (s.props as any).spec.type === "LoadBalancer")!;
        assert.equal((svc.props as any).metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-security-groups"], sg.props.id ?? (svc.props as any).metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-security-groups"]);
        assert.match((svc.props as any).metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-security-groups"], /^sg-0[0-9a-f]{16}$/);
        assert.equal((svc.props as any).metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-manage-backend-security-group-rules"], "true");
        assertNoWorld(plan);
        assert.equal(ofType(plan, "aws:ec2/managedPrefixList:ManagedPrefixList").length, 0, "no Cloudflare list: Cloudflare does not reach the NLB in mode both");
    });

    it("dev (Cloudflare): a prefix list of Cloudflare's published IPv4 ranges, the only source of the NLB", async () => {
        const plan = await stackPlan("dev");
        const [list] = ofType(plan, "aws:ec2/managedPrefixList:ManagedPrefixList");
        const { CLOUDFLARE_RANGES } = await import("../catalog/cloudflareIpRanges");
        assert.deepEqual((list.props.entries as any[]).map((e) => e.cidr), CLOUDFLARE_RANGES.ranges.ipv4);
        assert.equal(list.props.maxEntries, CLOUDFLARE_RANGES.ranges.ipv4.length, "its weight against the security group quota");
        assert.equal(list.props.addressFamily, "IPv4");
        const { ingress } = nlbRules(plan, "dev");
        assert.equal(ingress.length, 1);
        assert.equal(ingress[0].props.prefixListId, list.props.id ?? ingress[0].props.prefixListId);
        assertNoWorld(plan);
    });

    it("mode cloudfront alone also uses CloudFront's list; the check fails on a Service open to the world", async () => {
        const plan = await planWith("prod", { "scaling-topology:edge": { mode: "cloudfront", hostname: "app.example.com", cloudfront: { route53ZoneId: "Z0123456789ABCDEFGHIJ" } } });
        const { ingress } = nlbRules(plan, "prod");
        assert.equal(ingress.length, 1);
        assert.ok(ingress[0].props.prefixListId);
        const broken = JSON.parse(JSON.stringify(plan));
        const svc = broken.resources.find((r: any) => r.type === "kubernetes:core/v1:Service" && r.props.spec.type === "LoadBalancer");
        svc.props.spec.loadBalancerSourceRanges = ["0.0.0.0/0"];
        assert.throws(() => assertNoWorld(broken), /admits 0\.0\.0\.0\/0/);
    });
});

import { strict as assert } from "assert";
import * as k8s from "@pulumi/kubernetes";
import { Ingress } from "../components/ingress";
import { underMocks, valueOf } from "./edge.harness";
import { ofType, stackPlan } from "./helpers";

const ingressArgs = { minReplicas: 2, maxReplicas: 4, cpuMillis: 500, memoryMiB: 512 };

describe("origin lockdown", () => {
    it("the ingress controller refuses requests without the edge's secret header", async () => {
        const { result } = await underMocks(() => {
            const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
            return new Ingress("lock", { ...ingressArgs, originVerify: { header: "X-Origin-Verify", value: "s3cretValue42" } }, { providers: { kubernetes: provider } });
        });
        const values = (await valueOf(result.release.values)) as any;
        assert.equal(values.controller.config["server-snippet"], 'if ($http_x_origin_verify != "s3cretValue42") { return 403; }');
        assert.equal(values.controller.allowSnippetAnnotations, false, "services still cannot inject snippets");
    });

    it("without originVerify the controller has no check", async () => {
        const { result } = await underMocks(() => new Ingress("open", ingressArgs, { providers: { kubernetes: new k8s.Provider("k8s", { kubeconfig: "{}" }) } }));
        const values = (await valueOf(result.release.values)) as any;
        assert.equal(values.controller.config["server-snippet"], undefined);
    });

    for (const stack of ["dev", "prod"]) {
        it(`${stack}: the hop in front of the ingress sends the header the ingress requires, from one generated secret`, async () => {
            const plan = await stackPlan(stack);
            const release = ofType(plan, "kubernetes:helm.sh/v3:Release").find((r) => r.name.includes("ingress"))!;
            assert.equal((release.props as any).values.controller.config["server-snippet"], "[secret]");
            const secrets = ofType(plan, "random:index/randomPassword:RandomPassword").filter((r) => r.name.includes("origin"));
            assert.deepEqual(secrets.map((r) => r.name), [`${stack}-origin-verify`], "one origin secret for the whole path");
            const header = plan.outputs.originVerifyHeader;
            const distribution = ofType(plan, "aws:cloudfront/distribution:Distribution")[0];
            if (distribution) {
                const origin = (distribution.props.origins as any[])[0];
                assert.deepEqual(origin.customHeaders, [{ name: header, value: "[secret]" }]);
            } else {
                const transform = ofType(plan, "cloudflare:index/ruleset:Ruleset").find((r) => r.props.phase === "http_request_late_transform")!;
                assert.ok(JSON.stringify(transform.props).includes(String(header)), "Cloudflare sets the header");
            }
            assert.equal(plan.outputs.originVerifySecret, "[secret]");
        });
    }
});

describe("TLS at the origin load balancer", () => {
    for (const stack of ["dev", "prod"]) {
        it(`${stack}: the NLB terminates TLS with a regional certificate for the public hostname, which validates`, async () => {
            const plan = await stackPlan(stack);
            const hostname = plan.outputs.edgeHostname;
            const certs = ofType(plan, "aws:acm/certificate:Certificate");
            const regional = certs.find((c) => c.name === `${stack}-origin-cert`)!;
            assert.equal(regional.props.domainName, hostname);
            assert.equal(regional.props.validationMethod, "DNS");
            const provider = plan.resources.find((r) => r.urn === regional.opts.provider)!;
            assert.equal(provider.props.region, "eu-west-1", "the NLB's certificate lives in the stack's region");
            const nlb = ofType(plan, "kubernetes:core/v1:Service").find((s) => s.name === `${stack}-ingress-nlb`)!;
            const annotations = (nlb.props.metadata as any).annotations;
            assert.match(annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"], /^arn:aws:acm:eu-west-1:/);
            assert.equal(annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-ports"], "https");
            assert.match(annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy"], /TLS13-1-2/);
            const https = (nlb.props.spec as any).ports.find((p: any) => p.port === 443);
            assert.equal(https.targetPort, "http", "TLS ends at the NLB");

            // One validation record per name: ACM uses the same record for every certificate of a domain,
            // and Cloudflare refuses a duplicate.
            const validationRecords = [...ofType(plan, "cloudflare:index/dnsRecord:DnsRecord"), ...ofType(plan, "aws:route53/record:Record")].filter((r) => r.name.endsWith("-cert-validation"));
            assert.equal(validationRecords.length, 1);
            assert.equal(new Set(certs.map((c) => c.props.domainName)).size, 1, "every certificate is for the public hostname");
            const validations = ofType(plan, "aws:acm/certificateValidation:CertificateValidation");
            assert.equal(validations.length, certs.length, "every certificate waits for its validation");
        });
    }

    it("without a certificate the NLB passes TLS through to the controller", async () => {
        const { records } = await underMocks(() => new Ingress("plain", ingressArgs, { providers: { kubernetes: new k8s.Provider("k8s", { kubeconfig: "{}" }) } }));
        const nlb = records.find((r) => r.type === "kubernetes:core/v1:Service")!;
        assert.equal((nlb.props.spec as any).ports.find((p: any) => p.port === 443).targetPort, "https");
        assert.ok(!("service.beta.kubernetes.io/aws-load-balancer-ssl-cert" in (nlb.props.metadata as any).annotations));
    });
});

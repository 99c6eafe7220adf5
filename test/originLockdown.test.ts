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

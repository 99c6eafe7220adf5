/**
 * Cluster access: how deploys and previews reach the EKS API (public endpoint for listed CIDRs, or a private
 * endpoint with a CodeBuild-hosted runner inside the VPC), the access entries, and the creator's admin.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { ConfigError } from "../config/errors";
import { resolveStackConfig } from "../sizing/stackConfig";
import { readStackFiles } from "../plan/stackFiles";
import { PROJECT_DIR } from "../plan/run";
import { runRunsOn, resolveLabel } from "../cli/runsOn";
import { byName, ofType, planWith, stackConfigValue, stackPlan } from "./helpers";

const KEY = "scaling-topology:cluster";
const raw = (stack: string) => readStackFiles(PROJECT_DIR, stack).config;
const withAccess = (stack: string, apiAccess: unknown, extra: Record<string, unknown> = {}) => ({
    ...raw(stack), [KEY]: JSON.stringify({ ...stackConfigValue(stack, KEY), apiAccess, ...extra }),
});
function problemsOf(stack: string, config: Record<string, unknown>) {
    try {
        resolveStackConfig(stack, config);
    } catch (e) {
        if (ConfigError.isInstance(e)) return e.problems;
        throw e;
    }
    return [];
}
const RUNNER = { type: "codebuild", githubRepository: "example-org/scaling-topology", connectionArn: "arn:aws:codeconnections:eu-west-1:123456789012:connection/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b" };

describe("cluster access (scaling-topology:cluster.apiAccess)", () => {
    describe("config refuses combinations that cannot work", () => {
        it("a private endpoint with no runner", () => {
            const p = problemsOf("prod", withAccess("prod", { endpoint: "private", deployRoleName: "deploy" }));
            assert.ok(p.some((x) => x.key === `${KEY}.apiAccess.runner` && /required when endpoint is private/.test(x.message)), JSON.stringify(p));
        });
        it("a public endpoint with an empty CIDR list, or none", () => {
            for (const cidrs of [[], undefined]) {
                const p = problemsOf("dev", withAccess("dev", { endpoint: "public", publicAccessCidrs: cidrs, deployRoleName: "deploy" }));
                assert.ok(p.some((x) => x.key === `${KEY}.apiAccess.publicAccessCidrs` && /at least one CIDR/.test(x.message)), JSON.stringify(p));
            }
        });
        it("0.0.0.0/0 for the API in prod (dev may, for a throw-away stack)", () => {
            const access = { endpoint: "public", publicAccessCidrs: ["0.0.0.0/0"], deployRoleName: "deploy" };
            const p = problemsOf("prod", withAccess("prod", access));
            assert.ok(p.some((x) => x.key === `${KEY}.apiAccess.publicAccessCidrs` && /0\.0\.0\.0\/0 in prod/.test(x.message)), JSON.stringify(p));
            assert.deepEqual(problemsOf("dev", withAccess("dev", access)), []);
        });
        it("the retired endpointPublicAccessCidrs names its replacement; mixed fields and one role for both uses are refused, all at once", () => {
            const p = problemsOf("prod", withAccess("prod", { endpoint: "private", runner: RUNNER, publicAccessCidrs: ["198.51.100.0/24"], deployRoleName: "ci", previewRoleName: "ci" }, { endpointPublicAccessCidrs: [] }));
            const keys = p.map((x) => x.key).sort();
            assert.deepEqual(keys, [`${KEY}.apiAccess.previewRoleName`, `${KEY}.apiAccess.publicAccessCidrs`, `${KEY}.endpointPublicAccessCidrs`]);
            assert.match(p.find((x) => x.key === `${KEY}.endpointPublicAccessCidrs`)!.message, /replaced by cluster\.apiAccess/);
        });
        it("a runner whose CodeConnections connection is in another region (connections are regional)", () => {
            const p = problemsOf("prod", withAccess("prod", { endpoint: "private", runner: { ...RUNNER, connectionArn: RUNNER.connectionArn.replace("eu-west-1", "eu-central-1") }, deployRoleName: "deploy" }));
            assert.deepEqual(p.map((x) => x.key), [`${KEY}.apiAccess.runner.connectionArn`]);
            assert.match(p[0].message, /a connection in eu-central-1; CodeBuild in aws:region eu-west-1/);
        });
        it("a runner with a malformed repository or connection ARN names the field", () => {
            const p = problemsOf("prod", withAccess("prod", { endpoint: "private", runner: { ...RUNNER, githubRepository: "scaling-topology", connectionArn: "arn:aws:iam::1:role/x" }, deployRoleName: "deploy" }));
            assert.deepEqual(p.map((x) => x.key).sort(), [`${KEY}.apiAccess.runner.connectionArn`, `${KEY}.apiAccess.runner.githubRepository`]);
        });
    });

    for (const stack of ["dev", "prod"]) {
        describe(`${stack} plan`, () => {
            it("the deploy path reaches the private API: a runner in the private subnets with 443 to the cluster security group", async () => {
                const plan = await stackPlan(stack);
                const cluster = ofType(plan, "aws:eks/cluster:Cluster")[0].props as any;
                assert.equal(cluster.vpcConfig.endpointPublicAccess, false);
                const project = ofType(plan, "aws:codebuild/project:Project")[0].props as any;
                const privateSubnets = plan.outputs.privateSubnetIds as string[];
                assert.deepEqual(project.vpcConfig.subnets, privateSubnets);
                const rule = ofType(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").find((r) => (r.props as any).securityGroupId === plan.outputs.clusterSecurityGroupId)!.props as any;
                assert.equal(rule.fromPort, 443);
                assert.equal(rule.toPort, 443);
                assert.deepEqual(project.vpcConfig.securityGroupIds, [rule.referencedSecurityGroupId]);
                const hook = ofType(plan, "aws:codebuild/webhook:Webhook")[0].props as any;
                assert.equal(hook.projectName, project.name);
                assert.deepEqual(hook.filterGroups, [{ filters: [{ type: "EVENT", pattern: "WORKFLOW_JOB_QUEUED" }] }]);
                assert.equal(project.source.auth.type, "CODECONNECTIONS");
                // Its logs under a customer key; its network rights scoped to its subnets, security group and VPC.
                const logs = ofType(plan, "aws:cloudwatch/logGroup:LogGroup").find((l) => (l.props as any).name === `/aws/codebuild/${project.name}`)!.props as any;
                assert.match(logs.kmsKeyId, /^arn:aws:kms:/);
                const policy = JSON.parse((ofType(plan, "aws:iam/rolePolicy:RolePolicy").find((p) => p.name.endsWith("-ci-runner-policy"))!.props as any).policy);
                const writes = policy.Statement.filter((x: any) => [x.Action].flat().some((a: string) => /^ec2:(Create|Delete)/.test(a)));
                assert.equal(writes.length, 3);
                for (const w of writes) assert.ok(w.Condition || [w.Resource].flat().every((r: string) => r !== "*"), JSON.stringify(w));
            });

            it("access entries: deploy role admin, preview role view, people admin; no creator-admin on new clusters, no replacement of old ones", async () => {
                const plan = await stackPlan(stack);
                const access = stackConfigValue(stack, KEY).apiAccess;
                const assoc = ofType(plan, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation").map((r) => r.props as any);
                const policyOf = (role: string) => assoc.filter((a) => String(a.principalArn).endsWith(`:role/${role}`)).map((a) => a.policyArn.split("/").pop());
                assert.ok(ofType(plan, "aws:eks/accessEntry:AccessEntry").length >= 2);
                assert.deepEqual(policyOf(access.deployRoleName), ["AmazonEKSClusterAdminPolicy"]);
                assert.deepEqual(policyOf(access.previewRoleName), ["AmazonEKSViewPolicy"]);
                const cluster = ofType(plan, "aws:eks/cluster:Cluster")[0];
                assert.equal((cluster.props as any).accessConfig.bootstrapClusterCreatorAdminPermissions, false);
                assert.ok(cluster.opts.ignoreChanges?.includes("accessConfig.bootstrapClusterCreatorAdminPermissions"));
                // The k8s provider (every in-cluster resource) waits for the access policies.
                const provider = ofType(plan, "pulumi:providers:kubernetes")[0];
                for (const a of ofType(plan, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")) assert.ok(provider.opts.dependsOn?.includes(a.urn), a.name);
            });
        });
    }

    it("preview mode (cluster outputs unknown): the runner, its 443 rule and the access entries still plan", async () => {
        for (const stack of ["dev", "prod"]) {
            const plan = await stackPlan(stack, true);
            assert.equal(ofType(plan, "aws:codebuild/project:Project").length, 1, stack);
            const rule = ofType(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").find((r) => r.name.endsWith("-ci-runner-eks-api"))!.props as any;
            assert.equal(rule.fromPort, 443);
            assert.equal(rule.securityGroupId, "[unknown]", "the cluster security group is not known before the cluster exists");
            assert.ok(ofType(plan, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation").length >= 3, stack);
        }
    });

    it("an existing cluster's creator entry is imported (cluster:principal) with its tags ignored, not created twice", async () => {
        const plan = await stackPlan("prod");
        const access = stackConfigValue("prod", KEY).apiAccess;
        const entry = byName(plan, `prod-eks-access-${access.deployRoleName}`);
        assert.equal(entry.opts.import, `scaling-topology-prod-eks:${access.existingClusterCreatorArn}`);
        assert.deepEqual(entry.opts.ignoreChanges, ["tags", "tagsAll"]);
        const preview = byName(plan, `prod-eks-access-${access.previewRoleName}`);
        assert.equal(preview.opts.import, undefined);
    });

    it("a new cluster (no existingClusterCreatorArn) imports nothing; a public endpoint gets its CIDRs and no runner", async () => {
        const cluster = stackConfigValue("dev", KEY);
        const plan = await planWith("dev", { [KEY]: { ...cluster, apiAccess: { endpoint: "public", publicAccessCidrs: ["198.51.100.0/24"], runsOn: "deploy-static-ip", deployRoleName: "ci-deploy" } } });
        const vpc = (ofType(plan, "aws:eks/cluster:Cluster")[0].props as any).vpcConfig;
        assert.equal(vpc.endpointPublicAccess, true);
        assert.deepEqual(vpc.publicAccessCidrs, ["198.51.100.0/24"]);
        assert.equal(ofType(plan, "aws:codebuild/project:Project").length, 0);
        assert.ok(ofType(plan, "aws:eks/accessEntry:AccessEntry").every((e) => e.opts.import === undefined));
        assert.equal(plan.outputs.ciRunsOn, "deploy-static-ip");
    });

    describe("the workflows' runs-on follows the config", () => {
        const wf = (f: string) => parse(fs.readFileSync(path.join(PROJECT_DIR, ".github", "workflows", f), "utf8"));
        it("runs-on command: the CodeBuild label of the runner the plan creates, run id filled in inside a run", async () => {
            const out: string[] = [];
            const code = await runRunsOn(["--stack", "dev", "--stack", "prod"], { stdout: (t) => out.push(t), stderr: () => undefined }, PROJECT_DIR, {});
            assert.equal(code, 0);
            const labels = JSON.parse(out.join(""));
            for (const stack of ["dev", "prod"]) {
                const project = (ofType(await stackPlan(stack), "aws:codebuild/project:Project")[0].props as any).name;
                assert.equal(labels[stack], `codebuild-${project}-\${{ github.run_id }}-\${{ github.run_attempt }}`);
                assert.equal((await stackPlan(stack)).outputs.ciRunsOn, labels[stack]);
            }
            assert.equal(resolveLabel(labels.prod, { GITHUB_RUN_ID: "42", GITHUB_RUN_ATTEMPT: "3" }), "codebuild-scaling-topology-prod-gha-runner-42-3");
            const bad: string[] = [];
            assert.equal(await runRunsOn(["--stack", "nope"], { stdout: () => undefined, stderr: (t) => bad.push(t) }, PROJECT_DIR, {}), 1);
            assert.match(bad.join(""), /no stack file/);
        });
        it("the deploy and preview jobs run where the runs-on command says, and it runs in the tests job", () => {
            const deploy = wf("deploy.yml").jobs, pr = wf("pull-request.yml").jobs;
            assert.equal(deploy.dev["runs-on"], "${{ fromJSON(needs.test.outputs.runners).dev }}");
            assert.equal(deploy.prod["runs-on"], "${{ fromJSON(needs.test.outputs.runners).prod }}");
            assert.equal(pr.preview["runs-on"], "${{ fromJSON(needs.test.outputs.runners)[matrix.stack] }}");
            for (const j of [deploy.test, pr.test]) {
                assert.equal(j.outputs.runners, "${{ steps.runners.outputs.runners }}");
                assert.match(j.steps.find((s: any) => s.id === "runners").run, /npm run runs-on --silent -- --stack dev --stack prod/);
            }
        });
    });
});

/**
 * The parity table (`policies/parity.ts`) against the pack and the plans: every row names a rule the
 * pack has or says why not; every control a rule cites has its row; the types it names are types the
 * plans create; the README shows the table as generated; the fixes for the scanners' real gaps hold.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AuditResource, evaluatePolicies } from "../audit/evaluate";
import { stackPolicyConfig } from "../audit/stackConfig";
import { DEFAULT_POLICY_CONFIG } from "../config/policy";
import { PROJECT_DIR } from "../plan/run";
import { PARITY } from "../policies/parity";
import { RULES } from "../policies/rules";
import { parityTable, README, renderParity } from "../scripts/policy-readme";
import { ofType, stackConfigValue, stackPlan } from "./helpers";
import { r } from "./policyFixtures";

/** Kinds the pack checks although the stack declares none (Helm charts create them; a user's change may). */
const CHECKED_BUT_NOT_DECLARED = [
    "kubernetes:rbac.authorization.k8s.io/v1:Role", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
    "kubernetes:policy/v1beta1:PodSecurityPolicy",
    // Users' own Ingresses (ingress-nginx rules): the shipped stacks route with HTTPRoutes instead.
    "kubernetes:networking.k8s.io/v1:Ingress",
];

describe("policy parity with Checkov, cdk-nag and kube-score", () => {
    it("every row either names a rule of the pack or says why it is not adopted", () => {
        const names = new Set(RULES.map((x) => x.name));
        for (const row of PARITY) {
            const label = `${row.tool} ${row.id}`;
            assert.ok(Boolean(row.rule) !== Boolean(row.notAdopted), `${label}: exactly one of rule / notAdopted`);
            if (row.rule) assert.ok(names.has(row.rule), `${label}: no rule ${row.rule} in the pack`);
            if (row.notAdopted) assert.match(row.notAdopted, /^[a-z`A-Z].{20,}/, `${label}: a reason, not a stub`);
            assert.ok(row.title.length > 10 && row.types.length > 0, label);
        }
        const keys = PARITY.map((x) => `${x.tool} ${x.id}`);
        assert.deepStrictEqual(keys.filter((k, i) => keys.indexOf(k) !== i), [], "each check has one row");
    });

    it("every control a rule cites has its row, naming that rule", () => {
        for (const rule of RULES.filter((x) => x.framework)) {
            const row = PARITY.find((x) => x.tool === rule.framework!.name && x.id === rule.framework!.reference);
            assert.ok(row, `${rule.name} cites ${rule.framework!.name} ${rule.framework!.reference}, which has no row`);
            assert.strictEqual(row!.rule, rule.name, `${rule.framework!.reference} is enforced by ${row!.rule ?? "nothing"}, not ${rule.name}`);
        }
    });

    it("names only types the dev and prod plans create (or kinds the pack checks for charts and users)", async () => {
        const created = new Set([...(await stackPlan("dev")).resources, ...(await stackPlan("prod")).resources].map((x) => x.type));
        for (const row of PARITY) {
            for (const t of row.types) assert.ok(created.has(t) || CHECKED_BUT_NOT_DECLARED.includes(t), `${row.tool} ${row.id}: ${t} is in neither plan`);
        }
    });

    it("the scanners' real gaps on main are enforced by a rule; the two miscited ids are gone", () => {
        const gaps = ["CKV2_K8S_6", "CKV2_AWS_57", "CKV2_AWS_31", "CKV_K8S_43", "CKV_AWS_158", "CKV_AWS_226", "CKV2_AWS_27", "CKV2_AWS_64", "CKV_K8S_35", "CKV_K8S_40", "CKV_AWS_21", "CKV_AWS_145"];
        for (const id of gaps) assert.ok(PARITY.find((x) => x.tool === "Checkov" && x.id === id)?.rule, `${id} has no rule`);
        const cited = (name: string) => RULES.find((x) => x.name === name)!.framework?.reference;
        // CKV_AWS_134 is for aws_elasticache_cluster; CKV_AWS_8 for launch configurations and instances.
        assert.notStrictEqual(cited("elasticache-snapshots"), "CKV_AWS_134");
        assert.strictEqual(cited("ebs-volumes-encrypted"), "CKV_AWS_3");
    });

    it("README.md shows the table as generated (npm run policy:readme)", () => {
        const text = fs.readFileSync(README, "utf8");
        assert.strictEqual(renderParity(text, parityTable()), text, "README.md parity table is stale: run npm run policy:readme");
    });

    it("npm run policy:readme -- --check passes on the README and fails on a copy whose parity table is stale", () => {
        const run = (file: string) => spawnSync(process.execPath, ["-r", "./scripts/register.js", "scripts/policy-readme.ts", "--check", "--readme", file], { cwd: PROJECT_DIR, encoding: "utf8" });
        assert.strictEqual(run(README).status, 0);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parity-"));
        const stale = path.join(dir, "README.md");
        fs.writeFileSync(stale, fs.readFileSync(README, "utf8").replace("| Checkov | `CKV_K8S_43` | Images are pinned by digest |", "| Checkov | `CKV_K8S_43` | Images carry any tag |"));
        const res = run(stale);
        assert.strictEqual(res.status, 1);
        assert.match(res.stderr, /parity table is stale/);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("rds-minor-version-patching: off without a stated patch process fails, with one passes; both stacks point at the README's process", async () => {
        const instance = r("aws:rds/clusterInstance:ClusterInstance", { autoMinorVersionUpgrade: false });
        const rules = RULES.filter((x) => x.name === "rds-minor-version-patching");
        const run = (settings: Record<string, unknown>) => evaluatePolicies([instance], { rules, config: { ...DEFAULT_POLICY_CONFIG, config: { "rds-minor-version-patching": settings } }, now: new Date("2026-01-01") });
        assert.strictEqual((await run({})).violations.length, 1);
        assert.strictEqual((await run({ patchProcess: "   " })).violations.length, 1);
        assert.strictEqual((await run({ patchProcess: "README.md#patching-aurora-minor-versions" })).violations.length, 0);
        const readme = fs.readFileSync(README, "utf8");
        for (const stack of ["dev", "prod"]) {
            const where: string = stackConfigValue(stack, "scaling-topology:policy").config["rds-minor-version-patching"].patchProcess;
            const anchor = where.split("#")[1];
            const headings = readme.split("\n").filter((l) => l.startsWith("#")).map((l) => l.replace(/^#+\s*/, "").toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-"));
            assert.ok(headings.includes(anchor), `${stack}: ${where} names no README heading`);
        }
    });

    it("prod plan: log groups and the CloudFront log bucket use customer keys admitting only their own log service; the EKS secrets key has an explicit policy", async () => {
        const plan = await stackPlan("prod");
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const props = (x: { props: unknown }) => x.props as any;
        const keys = ofType(plan, "aws:kms/key:Key");
        for (const g of ofType(plan, "aws:cloudwatch/logGroup:LogGroup")) {
            assert.ok(typeof props(g).kmsKeyId === "string" && props(g).kmsKeyId.startsWith("arn:aws:kms:"), `${g.name} has no customer key`);
            // The group's kmsKeyId is the key's ARN output: the plan records the key as a dependency.
            const key = keys.find((k) => g.opts.dependsOn?.includes(k.urn));
            assert.ok(key, `${g.name}: its key is not in the plan`);
            const policy = JSON.parse(props(key!).policy);
            const logs = policy.Statement.find((s: any) => s.Principal?.Service?.startsWith?.("logs."));
            assert.ok(logs, `${g.name}: key ${key!.name} does not admit CloudWatch Logs`);
            assert.ok(logs.Condition.ArnEquals["kms:EncryptionContext:aws:logs:arn"].some((a: string) => a.endsWith(`:log-group:${props(g).name}`)), `${key!.name} does not name ${props(g).name}`);
        }
        const secretsKey = keys.find((k) => k.name.endsWith("eks-secrets-key"))!;
        const statements = JSON.parse(props(secretsKey).policy).Statement;
        assert.deepStrictEqual(statements.map((s: any) => s.Sid), ["AccountAdministers"]);
        const sse = ofType(plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")[0];
        assert.strictEqual(props(sse).rules[0].applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
        const bucketKey = keys.find((k) => k.name.endsWith("cloudfront-logs-kms"))!;
        const delivery = JSON.parse(props(bucketKey).policy).Statement.find((s: any) => s.Principal?.Service === "delivery.logs.amazonaws.com");
        assert.deepStrictEqual(delivery.Action, ["kms:GenerateDataKey*"], "CloudFront's log delivery may only generate data keys");
        assert.strictEqual(props(ofType(plan, "aws:s3/bucketVersioning:BucketVersioning")[0]).versioningConfiguration.status, "Enabled");
        const params = props(ofType(plan, "aws:rds/clusterParameterGroup:ClusterParameterGroup")[0]).parameters as { name: string; value: string }[];
        assert.deepStrictEqual(params.filter((p) => p.name === "log_statement").map((p) => p.value), ["ddl"]);
    });
});

describe("policy parity: the new rules bite on the real prod plan", () => {
    const now = new Date("2026-06-15T12:00:00Z");
    /** A change to real prod resources that a rule must catch, mandatory in prod. */
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const MUTATIONS: { policy: string; type: string; name?: RegExp; mutate: (props: any) => void }[] = [
        { policy: "cloudwatch-log-group-kms", type: "aws:cloudwatch/logGroup:LogGroup", name: /control-plane/, mutate: (p) => { delete p.kmsKeyId; } },
        { policy: "cloudwatch-log-group-retention", type: "aws:cloudwatch/logGroup:LogGroup", name: /flow-logs/, mutate: (p) => { p.retentionInDays = 30; } },
        { policy: "kms-key-policy", type: "aws:kms/key:Key", name: /secrets-key/, mutate: (p) => { delete p.policy; } },
        { policy: "rds-statement-logging", type: "aws:rds/clusterParameterGroup:ClusterParameterGroup", mutate: (p) => { p.parameters = p.parameters.filter((x: { name: string }) => x.name !== "log_statement"); } },
        { policy: "rds-force-ssl", type: "aws:rds/clusterParameterGroup:ClusterParameterGroup", mutate: (p) => { p.parameters = p.parameters.filter((x: { name: string }) => x.name !== "rds.force_ssl"); } },
        { policy: "rds-minor-version-patching", type: "aws:rds/clusterInstance:ClusterInstance", mutate: () => undefined },
        { policy: "s3-bucket-hardening", type: "aws:s3/bucketVersioning:BucketVersioning", mutate: (p) => { p.versioningConfiguration = { status: "Suspended" }; } },
        { policy: "s3-bucket-hardening", type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", mutate: (p) => { p.rules = [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]; } },
        { policy: "iam-least-privilege", type: "aws:iam/policy:Policy", mutate: (p) => { const d = JSON.parse(p.policy); delete d.Statement[0].Condition; p.policy = JSON.stringify(d); } },
        { policy: "k8s-capabilities-dropped", type: "kubernetes:apps/v1:Deployment", name: /svc-api/, mutate: (p) => { p.spec.template.spec.containers[0].securityContext.capabilities = { drop: ["ALL"], add: ["SYS_ADMIN"] }; } },
        { policy: "k8s-no-host-namespaces", type: "kubernetes:apps/v1:Deployment", name: /svc-api/, mutate: (p) => { p.spec.template.spec.hostNetwork = true; } },
        { policy: "k8s-read-only-root-filesystem", type: "kubernetes:apps/v1:Deployment", name: /pgbouncer-rw/, mutate: (p) => { p.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false; } },
        { policy: "k8s-service-account-token", type: "kubernetes:apps/v1:Deployment", name: /svc-api/, mutate: (p) => { delete p.spec.template.spec.automountServiceAccountToken; } },
        { policy: "k8s-seccomp-profile", type: "kubernetes:apps/v1:Deployment", name: /svc-api/, mutate: (p) => { delete p.spec.template.spec.securityContext.seccompProfile; } },
        { policy: "k8s-service-no-node-port", type: "kubernetes:core/v1:Service", name: /svc-api/, mutate: (p) => { p.spec.type = "NodePort"; } },
        { policy: "vpc-default-security-group-closed", type: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", mutate: (p) => { p.ingress = [{ protocol: "-1", fromPort: 0, toPort: 0, self: true }]; } },
        { policy: "no-world-ingress", type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name: /aurora/, mutate: (p) => { delete p.referencedSecurityGroupId; p.cidrIpv4 = "0.0.0.0/0"; } },
        { policy: "wafv2-managed-rules", type: "aws:wafv2/webAcl:WebAcl", mutate: (p) => { p.rules = p.rules.filter((r: { name: string }) => !/KnownBadInputs/.test(r.name)); } },
        { policy: "cloudfront-security-headers", type: "aws:cloudfront/distribution:Distribution", mutate: (p) => { delete p.defaultCacheBehavior.responseHeadersPolicyId; } },
    ];

    for (const m of MUTATIONS) {
        it(`${m.policy} catches a ${m.type.split(":").pop()} changed in the prod plan`, async () => {
            const plan = await stackPlan("prod");
            const resources = structuredClone(plan.resources) as AuditResource[];
            const target = resources.find((x) => x.type === m.type && (!m.name || m.name.test(x.name)));
            assert.ok(target, `the prod plan has a ${m.type}${m.name ? ` named like ${m.name}` : ""}`);
            const rules = RULES.filter((x) => x.name === m.policy);
            const config = stackPolicyConfig(PROJECT_DIR, "prod");
            const before = await evaluatePolicies(resources, { rules, config, now });
            assert.deepStrictEqual(before.violations, []);
            m.mutate(target!.props);
            // The patch-process case: the same plan without the stack's stated process.
            const after = await evaluatePolicies(resources, { rules, config: m.policy === "rds-minor-version-patching" ? { ...config, config: {} } : config, now });
            const found = after.violations.filter((v) => v.policyName === m.policy);
            assert.ok(found.length > 0 && found.every((v) => v.enforcementLevel === "mandatory"), JSON.stringify(after.violations.map((v) => [v.policyName, v.message])));
        });
    }
});

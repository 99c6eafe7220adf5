/**
 * Credentials in the plans: every service reads a connection Secret synced into its namespace from Secrets
 * Manager (its own role, PgBouncer's hosts, Redis endpoint and token); PgBouncer authenticates the services'
 * roles, never the master; only the database-roles Job's store may read the master secret; prod rotates the
 * credentials; and config refuses a service without a role of its own.
 */
import { strict as assert } from "assert";
import { Plan } from "../plan/run";
import { RecordedResource } from "../plan/recorder";
import { byName, configErrorOf, ofType, stackConfigValue, stackPlan } from "./helpers";
import { digest, MOCK_ACCOUNT_ID } from "../plan/mocks";
import { planSubnets } from "../sizing/subnets";
import { ROTATION_APPLICATIONS } from "../components/credentialRotation";
import { EXTERNAL_SECRETS_CHART } from "../components/externalSecrets";
import { CONNECTION_DIR } from "../components/scalableService";

const props = (r: RecordedResource) => r.props as any;
const ES = "kubernetes:external-secrets.io/v1:ExternalSecret";
const STORE = "kubernetes:external-secrets.io/v1:SecretStore";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const inNamespace = (plan: Plan, type: string, ns: string) => ofType(plan, type).filter((r) => props(r).metadata?.namespace === ns);
/** The Secrets Manager ARNs an IAM role policy lets its role read. */
const readableSecrets = (policy: RecordedResource): string[] => {
    const doc = JSON.parse(props(policy).policy);
    return doc.Statement.filter((s: any) => [].concat(s.Action).includes("secretsmanager:GetSecretValue" as never)).flatMap((s: any) => [].concat(s.Resource));
};
/** The ARN the offline plan's mocks give the Secrets Manager secret named `name` (plan/mocks.data.ts). */
const secretArn = (plan: Plan, name: string) => {
    const s = ofType(plan, "aws:secretsmanager/secret:Secret").find((r) => props(r).name === name);
    assert.ok(s, `no secret named ${name}`);
    return `arn:aws:secretsmanager:eu-west-1:${MOCK_ACCOUNT_ID}:secret:${name}-${digest("sm", s!.name).slice(0, 6)}`;
};
/** The IAM role policy of a SecretStore made by `namespaceSecretStore` (`<x>-store` -> `<x>-store-policy`). */
const storePolicy = (plan: Plan, store: RecordedResource) => byName(plan, `${store.name}-policy`);

describe("credentials in the plans (External Secrets, database roles, rotation)", () => {
    for (const stack of ["dev", "prod"]) {
        describe(`${stack} plan`, () => {
            it("every service Deployment mounts a connection Secret that an ExternalSecret of its namespace creates, with its own role and the cache token", async () => {
                const plan = await stackPlan(stack);
                const services = stackConfigValue(stack, "scaling-topology:services") as Array<{ name: string; database: { role: string } }>;
                assert.ok(services.length >= 1);
                for (const s of services) {
                    const d = ofType(plan, DEPLOYMENT).find((r) => props(r).metadata.namespace === s.name && props(r).metadata.name === s.name)!;
                    assert.ok(d, `Deployment ${s.name}`);
                    const pod = props(d).spec.template.spec;
                    const volume = pod.volumes.find((v: any) => v.secret);
                    assert.ok(volume, `${s.name} mounts a Secret`);
                    assert.ok(pod.containers[0].volumeMounts.some((m: any) => m.name === volume.name && m.mountPath === CONNECTION_DIR && m.readOnly));
                    // No secret in an environment variable (CKV_K8S_35).
                    assert.ok(pod.containers.every((c: any) => (c.env ?? []).every((e: any) => !e.valueFrom?.secretKeyRef)), `${s.name}: secrets as files only`);
                    const es = inNamespace(plan, ES, s.name).find((r) => props(r).spec.target.name === volume.secret.secretName);
                    assert.ok(es, `an ExternalSecret in ${s.name} creates ${volume.secret.secretName}`);
                    const spec = props(es!).spec;
                    const template = spec.target.template.data;
                    for (const k of ["PGHOST", "PGHOST_READONLY", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGSSLMODE", "PGSSLROOTCERT", "pgbouncer-ca.crt", "REDIS_CONFIGURATION_ENDPOINT", "REDIS_AUTH_TOKEN", "REDIS_TLS"]) assert.ok(template[k], `${s.name}: ${k}`);
                    assert.match(template.PGHOST, /-pgbouncer-rw\.pgbouncer\.svc\.cluster\.local$/);
                    assert.match(template.PGHOST_READONLY, /-pgbouncer-ro\.pgbouncer\.svc\.cluster\.local$/);
                    assert.equal(template.PGSSLMODE, "verify-full");
                    // The values come from the service's own role secret and the cache's token secret: nothing else.
                    const roleSecret = secretArn(plan, `scaling-topology-${stack}-aurora/roles/${s.database.role}`);
                    const tokenSecret = secretArn(plan, `scaling-topology-${stack}-redis/auth-token`);
                    const remote = new Set(spec.data.map((x: any) => x.remoteRef.key));
                    assert.deepEqual([...remote].sort(), [roleSecret, tokenSecret].sort());
                    // Its store's role may read exactly those two.
                    const store = inNamespace(plan, STORE, s.name).find((r) => props(r).metadata.name === spec.secretStoreRef.name)!;
                    const sa = inNamespace(plan, "kubernetes:core/v1:ServiceAccount", s.name).find((r) => props(r).metadata.name === props(store).spec.provider.aws.auth.jwt.serviceAccountRef.name)!;
                    assert.match(props(sa).metadata.annotations["eks.amazonaws.com/role-arn"], new RegExp(`:role/${store.name}-role-`));
                    const trust = JSON.parse(props(byName(plan, `${store.name}-role`)).assumeRolePolicy);
                    assert.deepEqual(Object.values(trust.Statement[0].Condition.StringEquals).sort(), [`system:serviceaccount:${s.name}:${props(sa).metadata.name}`, "sts.amazonaws.com"].sort());
                    const policy = storePolicy(plan, store);
                    assert.deepEqual(readableSecrets(policy).sort(), [roleSecret, tokenSecret].sort());
                }
            });

            it("PgBouncer: its user list comes from the services' role secrets (never the master), a NetworkPolicy admits only the services and the scraper, pods run as UID >= 10000 with no secret in an environment variable", async () => {
                const plan = await stackPlan(stack);
                const services = stackConfigValue(stack, "scaling-topology:services") as Array<{ name: string; database: { role: string } }>;
                const master = secretArn(plan, `scaling-topology-${stack}-aurora/master`);
                const users = inNamespace(plan, ES, "pgbouncer")[0];
                const keys = props(users).spec.data.map((x: any) => x.remoteRef.key);
                assert.ok(!keys.includes(master), "PgBouncer never reads the master secret");
                assert.deepEqual([...new Set(keys)].sort(), services.map((s) => secretArn(plan, `scaling-topology-${stack}-aurora/roles/${s.database.role}`)).sort());
                assert.ok(props(users).spec.data.some((x: any) => x.remoteRef.version === "AWSPREVIOUS"), "both logins of the alternating pair");
                assert.match(props(users).spec.target.template.data["userlist.txt"], /\{\{ \.api_current_username \}\}/);

                const netpol = inNamespace(plan, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "pgbouncer");
                assert.equal(netpol.length, 1);
                const rules = props(netpol[0]).spec.ingress.map((i: any) => ({ from: i.from.map((f: any) => f.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] ?? f.ipBlock.cidr), ports: i.ports.map((p: any) => p.port) }));
                // The AMP managed scraper connects from ENIs in the private subnets: those CIDRs, on the metrics port only.
                const privateCidrs = planSubnets(stackConfigValue(stack, "scaling-topology:network"))!.private.map((x) => x.cidr);
                assert.deepEqual(rules, [{ from: services.map((s) => s.name), ports: [6432] }, { from: ["monitoring", ...privateCidrs], ports: [9127] }]);
                assert.deepEqual(props(netpol[0]).spec.podSelector.matchLabels, { "app.kubernetes.io/name": "pgbouncer" });

                for (const d of inNamespace(plan, DEPLOYMENT, "pgbouncer")) {
                    const pod = props(d).spec.template.spec;
                    assert.ok(pod.securityContext.runAsUser >= 10000 && pod.securityContext.runAsGroup >= 10000, "CKV_K8S_40: a high UID");
                    assert.ok(pod.containers.every((c: any) => c.securityContext.readOnlyRootFilesystem && (c.securityContext.runAsUser ?? pod.securityContext.runAsUser) >= 10000));
                    assert.ok(pod.containers.every((c: any) => (c.env ?? []).every((e: any) => !e.valueFrom?.secretKeyRef)), "CKV_K8S_35: no secret in an environment variable");
                    assert.ok(!JSON.stringify(pod.containers).includes("postgres://"), "no DSN in the pod spec");
                    const run = pod.volumes.find((v: any) => v.name === "run");
                    assert.ok(run?.emptyDir, "a writable emptyDir for the auth file");
                    assert.ok(pod.containers[0].volumeMounts.some((m: any) => m.name === "run" && m.mountPath === "/var/run/pgbouncer"));
                    assert.ok(pod.volumes.some((v: any) => v.secret?.secretName === props(users).spec.target.name), "mounts the synced user list");
                }
                // The Secret that held the master's password in PgBouncer's user list is gone (the upgrade deletes it).
                assert.ok(!plan.resources.some((r) => r.name === `${stack}-pgbouncer-credentials`));
                const ini = props(byName(plan, `${stack}-pgbouncer-rw-config`)).data["pgbouncer.ini"] as string;
                assert.match(ini, /^auth_file = \/var\/run\/pgbouncer\/userlist\.txt$/m);
            });

            it("only the database-roles Job's store may read the master secret; the Job runs the versioned SQL as the master over verify-full TLS", async () => {
                const plan = await stackPlan(stack);
                const master = secretArn(plan, `scaling-topology-${stack}-aurora/master`);
                const readers = ofType(plan, "aws:iam/rolePolicy:RolePolicy").filter((p) => readableSecrets(p).includes(master)).map((p) => p.name);
                assert.deepEqual(readers, [`${stack}-db-roles-store-policy`]);
                const masterReaders = ofType(plan, ES).filter((r) => props(r).spec.data.some((x: any) => x.remoteRef.key === master));
                assert.deepEqual(masterReaders.map((r) => props(r).metadata.namespace), ["database-roles"]);
                const job = ofType(plan, "kubernetes:batch/v1:Job").find((r) => props(r).metadata.namespace === "database-roles")!;
                assert.match(props(job).metadata.name, /^database-roles-v\d+-[0-9a-f]{8}$/);
                const c = props(job).spec.template.spec.containers[0];
                assert.match(c.command.join(" "), /sslmode=verify-full/);
                assert.match(c.command.join(" "), /-f \/etc\/database-roles\/sql\/roles\.sql/);
                assert.ok((c.env ?? []).every((e: any) => !e.valueFrom), "credentials from files, not the pod spec");
                assert.ok(props(job).spec.template.spec.securityContext.runAsUser >= 10000);
                const sql = props(byName(plan, `${stack}-db-roles-sql`)).data["roles.sql"] as string;
                assert.match(sql, /CREATE ROLE %I LOGIN PASSWORD %L IN ROLE %I', 'api'/);
                assert.match(sql, /'api_clone'/);
                // Each role secret starts with two versions (the alternate's is AWSPREVIOUS), kept from then on by rotation.
                for (const v of ["current", "previous"]) assert.deepEqual(byName(plan, `${stack}-db-roles-api-${v}`).opts.ignoreChanges, ["secretString"]);
                assert.ok(byName(plan, `${stack}-db-roles-api-current`).opts.dependsOn?.includes(byName(plan, `${stack}-db-roles-api-previous`).urn));
            });

            it("the VPC CNI enforces NetworkPolicies, External Secrets comes from its pinned chart, the Redis token is in Secrets Manager under the cache's key", async () => {
                const plan = await stackPlan(stack);
                const cni = JSON.parse(props(byName(plan, `${stack}-eks-addon-vpc-cni`)).configurationValues);
                assert.equal(cni.enableNetworkPolicy, "true");
                const release = props(byName(plan, `${stack}-external-secrets-release`));
                assert.equal(release.version, EXTERNAL_SECRETS_CHART.version);
                assert.equal(release.values.installCRDs, true);
                for (const r of [...ofType(plan, ES), ...ofType(plan, STORE)]) {
                    assert.ok(r.opts.dependsOn?.length, `${r.name} waits for something`);
                }
                const token = props(byName(plan, `${stack}-redis-auth-token-secret`));
                assert.equal(token.kmsKeyId, props(byName(plan, `${stack}-redis-group`)).kmsKeyId);
            });
        });
    }

    it("prod rotates the master (single user) and every role (alternating users) with AWS's pinned functions in the VPC; dev does not", async () => {
        const prod = await stackPlan("prod");
        const rotations = ofType(prod, "aws:secretsmanager/secretRotation:SecretRotation");
        assert.deepEqual(rotations.map((r) => r.name).sort(), ["prod-rotation-master", "prod-rotation-role-api"]);
        assert.ok(rotations.every((r) => props(r).rotationRules.automaticallyAfterDays === 30 && props(r).rotateImmediately === false));
        assert.equal(props(rotations.find((r) => r.name === "prod-rotation-master")!).secretId, secretArn(prod, "scaling-topology-prod-aurora/master"));
        const stacks = ofType(prod, "aws:serverlessrepository/cloudFormationStack:CloudFormationStack");
        assert.deepEqual(stacks.map((s) => [props(s).applicationId, props(s).semanticVersion]).sort(), Object.values(ROTATION_APPLICATIONS).map((a) => [a.applicationId, a.semanticVersion]).sort());
        const multi = stacks.find((s) => props(s).applicationId === ROTATION_APPLICATIONS.multiUser.applicationId)!;
        assert.equal(props(multi).parameters.masterSecretArn, secretArn(prod, "scaling-topology-prod-aurora/master"));
        assert.equal(props(multi).parameters.endpoint, "https://secretsmanager.eu-west-1.amazonaws.com");
        assert.ok(!props(multi).parameters.excludeCharacters.includes("a") && props(multi).parameters.excludeCharacters.includes("\""));
        assert.deepEqual(props(multi).capabilities.sort(), ["CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"]);
        // The functions reach Aurora: an ingress rule on its security group from theirs.
        const ingress = props(byName(prod, "prod-rotation-aurora-ingress"));
        assert.equal(ingress.fromPort, 5432);
        assert.equal(ingress.securityGroupId, `sg-0${digest("aws:ec2/securityGroup:SecurityGroup", "prod-aurora-sg").slice(0, 16)}`);
        // Pulumi never resets a rotated master password.
        assert.deepEqual(byName(prod, "prod-aurora-master-secret-value").opts.ignoreChanges, ["secretString"]);
        const dev = await stackPlan("dev");
        assert.equal(ofType(dev, "aws:secretsmanager/secretRotation:SecretRotation").length, 0);
    });

    it("plans in preview mode (unknown ARNs and endpoints) as well", async () => {
        const plan = await stackPlan("prod", true);
        assert.ok(ofType(plan, ES).length >= 3);
        assert.ok(ofType(plan, "kubernetes:batch/v1:Job").length === 1);
    });
});

describe("credentials: config refusals (before any resource)", () => {
    it("refuses a service without a database role, naming the key", async () => {
        const [api] = stackConfigValue("dev", "scaling-topology:services");
        const { database: _, ...withoutRole } = api;
        const e = await configErrorOf("dev", { "scaling-topology:services": [withoutRole] });
        const p = e.problems.find((x) => x.key === "scaling-topology:services[0].database");
        assert.ok(p, e.message);
        assert.match(p!.message, /is required: every service connects to the database as a role of its own/);
    });
    it("refuses the master user, a shared role or schema, and reserved names, all at once", async () => {
        const [api] = stackConfigValue("dev", "scaling-topology:services");
        const e = await configErrorOf("dev", {
            "scaling-topology:services": [
                { ...api, database: { role: "app_admin" } },
                { ...api, name: "web", database: { role: "app_admin", schema: "app_admin" } },
                { ...api, name: "jobs", database: { role: "pg_monitor" } },
            ],
        });
        const keys = e.problems.map((p) => `${p.key}: ${p.message}`).join("\n");
        assert.match(keys, /services\[2\]\.database\.role: must not start with pg_ or rds/);
        const e2 = await configErrorOf("dev", {
            "scaling-topology:services": [{ ...api, database: { role: "app_admin" } }, { ...api, name: "web", database: { role: "app_admin" } }],
        });
        const keys2 = e2.problems.map((p) => `${p.key}: ${p.message}`).join("\n");
        assert.match(keys2, /services\[0\]\.database\.role: is the Aurora master user/);
        assert.match(keys2, /services\[1\]\.database\.role: is already the role of services\[0\]/);
        assert.match(keys2, /services\[1\]\.database\.schema: is already the schema of services\[0\]/);
    });
    it("refuses prod without credential rotation", async () => {
        const aurora = stackConfigValue("prod", "scaling-topology:aurora");
        const e = await configErrorOf("prod", { "scaling-topology:aurora": { ...aurora, credentialRotation: { enabled: false } } });
        assert.ok(e.problems.some((p) => p.key === "scaling-topology:aurora.credentialRotation.enabled" && /must be true in prod/.test(p.message)), e.message);
    });
});

describe("database roles SQL renderer (pure)", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { renderDatabaseRolesSql, DATABASE_ROLES_SQL_VERSION, roleCredentialKeys } = require("../components/databaseRolesSql") as typeof import("../components/databaseRolesSql");
    const files = (role: string) => {
        const k = roleCredentialKeys(role);
        return { currentUsername: `/c/${k.currentUsername}`, currentPassword: `/c/${k.currentPassword}`, previousUsername: `/c/${k.previousUsername}`, previousPassword: `/c/${k.previousPassword}` };
    };
    it("guards every CREATE, reads credentials from files, carries its version, runs in one transaction", () => {
        const sql = renderDatabaseRolesSql({ database: "app", roles: [{ role: "api", schema: "api" }, { role: "worker", schema: "jobs" }], credentialFiles: files });
        assert.match(sql, new RegExp(`version ${DATABASE_ROLES_SQL_VERSION}\\b`));
        assert.equal((sql.match(/CREATE ROLE/g) ?? []).length, (sql.match(/WHERE NOT EXISTS \(SELECT 1 FROM pg_roles/g) ?? []).length, "every CREATE ROLE is guarded");
        assert.match(sql, /CREATE SCHEMA IF NOT EXISTS "jobs" AUTHORIZATION "worker";/);
        assert.match(sql, /\\set api_currentPassword `cat '\/c\/api\.current\.password'`/);
        assert.doesNotMatch(sql, /PASSWORD '[^%]/, "no password literal in the script");
        assert.equal((sql.match(/^BEGIN;$/gm) ?? []).length, 1);
        assert.match(sql, /^COMMIT;$/m);
    });
    it("refuses identifiers it would have to quote", () => {
        assert.throws(() => renderDatabaseRolesSql({ database: "app", roles: [{ role: "Api-1", schema: "api" }], credentialFiles: files }), /not a plain lowercase PostgreSQL identifier/);
    });
});

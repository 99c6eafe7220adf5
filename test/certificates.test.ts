/** Certificates pods serve renew without a human: cert-manager issues PgBouncer's and PgBouncer reloads it. */
import { strict as assert } from "assert";
import { CERT_MANAGER_CHART } from "../components/certManager";
import { PGBOUNCER_ENTRYPOINT } from "../components/pgbouncerConfig";
import { ofType, stackPlan } from "./helpers";

describe("certificates: cert-manager issues and renews PgBouncer's server certificate", () => {
    for (const stack of ["dev", "prod"]) {
        it(`${stack}: a pinned cert-manager, a CA Issuer on PgBouncer's CA, a 90-day Certificate renewed 30 days ahead, mounted by the pools`, async () => {
            const plan = await stackPlan(stack);
            const release = ofType(plan, "kubernetes:helm.sh/v3:Release").find((r) => r.name.endsWith("-cert-manager-release"))!.props as any;
            assert.equal(release.version, CERT_MANAGER_CHART.version);
            assert.deepEqual(release.values.crds, { enabled: true, keep: true });
            const crs = ofType(plan, "kubernetes:cert-manager.io/v1:Issuer").concat(ofType(plan, "kubernetes:cert-manager.io/v1:Certificate"));
            const issuer = crs.find((r) => r.type.endsWith(":Issuer"))!.props as any;
            const cert = crs.find((r) => r.type.endsWith(":Certificate"))!;
            const spec = (cert.props as any).spec;
            assert.equal(issuer.metadata.namespace, "pgbouncer");
            const caSecret = ofType(plan, "kubernetes:core/v1:Secret").find((s) => (s.props as any).metadata.name === issuer.spec.ca.secretName)!.props as any;
            assert.equal(caSecret.type, "kubernetes.io/tls");
            assert.equal(caSecret.stringData, "[secret]", "the CA key pair stays a secret");
            // Clients keep verifying with the stack output: the same @pulumi/tls CA, never re-created.
            assert.equal(ofType(plan, "tls:index/selfSignedCert:SelfSignedCert").filter((c) => c.name === `${stack}-pgbouncer-ca`).length, 1);
            assert.equal(spec.issuerRef.name, issuer.metadata.name);
            assert.equal(spec.duration, "2160h");
            assert.equal(spec.renewBefore, "720h");
            assert.equal(spec.privateKey.rotationPolicy, "Always");
            assert.ok(spec.dnsNames.includes(`${stack}-pgbouncer-rw.pgbouncer.svc`));
            for (const d of ofType(plan, "kubernetes:apps/v1:Deployment").filter((x) => x.name.startsWith(`${stack}-pgbouncer-`))) {
                const pod = (d.props as any).spec.template.spec;
                assert.equal(pod.volumes.find((v: any) => v.name === "tls").secret.secretName, spec.secretName);
                const env = pod.containers.find((c: any) => c.name === "pgbouncer").env;
                assert.match(env.find((e: any) => e.name === "PGBOUNCER_WATCH_FILES").value, /tls\.crt .*tls\.key/);
                assert.ok(d.opts.dependsOn?.includes(cert.urn), `${d.name} waits for its Certificate`);
            }
            assert.equal(ofType(plan, "tls:index/locallySignedCert:LocallySignedCert").length, 0, "no certificate that only a pulumi up renews");
        });
    }

    it("the entrypoint's reload check covers the watched files without putting them in the auth_file", () => {
        assert.match(PGBOUNCER_ENTRYPOINT, /digest\(\) \{ cat "\$@" \$\{PGBOUNCER_WATCH_FILES:-\} \| md5sum; \}/);
        assert.match(PGBOUNCER_ENTRYPOINT, /build\(\) \{ cat "\$@" > "\$out\.tmp"/);
    });
});

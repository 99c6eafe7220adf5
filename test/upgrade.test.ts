/**
 * The upgrade guard: today's plans of the shipped stacks against plans of the previous release
 * (`test/fixtures/baseline/`, see its README). A stack that upgrades to this code must lose nothing:
 * no stateful resource (Aurora, Redis, KMS keys, secrets, vaults, EKS, VPC, subnets) is deleted or
 * replaced, and any other delete or replace is one this file lists, with the reason it is safe.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { diffPlans, PlanLike, ResourceChange } from "../plan/diff";
import { isStateful } from "../plan/replacements";
import { stackPlan } from "./helpers";

const BASELINE = path.join(__dirname, "fixtures", "baseline");

/**
 * Stateless resources an upgrade may delete or replace, by type and name pattern, and why that is safe.
 */
export const ALLOWED_UPGRADE_CHANGES: Array<{ type: string; name: RegExp; ops: Array<"delete" | "replace">; why: string }> = [
    // ingress-nginx is retired upstream; the Gateway (Envoy Gateway) replaces it. Pulumi creates the gateway,
    // its NLB and HTTPRoutes and points the edge at the new NLB before it deletes these (deletes run last),
    // and the services keep admitting the old controller's namespace meanwhile: README "Moving a running
    // stack to the Gateway".
    { type: "scaling:compute:Ingress", name: /-ingress$/, ops: ["delete"], why: "the retired ingress-nginx component (no state of its own)" },
    { type: "kubernetes:helm.sh/v3:Release", name: /-ingress-release$/, ops: ["delete"], why: "the ingress-nginx release: stateless controller pods" },
    { type: "kubernetes:core/v1:Service", name: /-ingress-nlb$/, ops: ["delete"], why: "its NLB (the in-tree controller's, open to 0.0.0.0/0), deleted after the edge points at the gateway's NLB" },
    { type: "kubernetes:core/v1:Namespace", name: /-ingress-ns$/, ops: ["delete"], why: "the ingress-nginx namespace: only the controller and its ConfigMap (which held the origin secret in clear) live there" },
    { type: "kubernetes:networking.k8s.io/v1:Ingress", name: /-svc-[a-z0-9-]+-ingress$/, ops: ["delete"], why: "each service's Ingress route, replaced by its HTTPRoute" },
    {
        type: "cloudflare:index/zoneSetting:ZoneSetting",
        name: /-cloudflare-setting-brotli$/,
        ops: ["delete"],
        why: "Cloudflare retired the brotli setting's endpoint on 2024-06-14 (Brotli is always on); the provider's delete of a zone_setting only drops it from the state (no API call), so nothing changes at Cloudflare",
    },
    {
        type: "kubernetes:core/v1:Secret",
        name: /^(dev|prod)-pgbouncer-credentials$/,
        ops: ["delete"],
        why: "it held PgBouncer's user list with the Aurora master user's password; PgBouncer now authenticates the services' own roles (user list synced from Secrets Manager) and its stats user lives in <name>-stats, so the old Secret is deleted to take the master password out of the namespace. Nothing but PgBouncer's pods mounted it, and the new pods mount the new Secrets.",
    },
    {
        type: "tls:index/privateKey:PrivateKey",
        name: /^(dev|prod)-pgbouncer-tls-key$/,
        ops: ["delete"],
        why: "PgBouncer's server key, certificate request and certificate move to cert-manager (a CA Issuer holding the same CA, renewed in the cluster); these exist only in the state (tls resources call no API), the CA key and certificate clients verify with stay",
    },
    { type: "tls:index/certRequest:CertRequest", name: /^(dev|prod)-pgbouncer-tls-csr$/, ops: ["delete"], why: "as the server key above: moved to cert-manager, state only" },
    { type: "tls:index/locallySignedCert:LocallySignedCert", name: /^(dev|prod)-pgbouncer-tls-cert$/, ops: ["delete"], why: "as the server key above: moved to cert-manager, state only" },
    {
        type: "kubernetes:core/v1:Secret",
        name: /^(dev|prod)-pgbouncer-tls$/,
        ops: ["delete"],
        why: "held the @pulumi/tls server certificate; the pools now mount <name>-server-tls, which cert-manager writes and renews (the Deployments wait for the Certificate), and nothing else mounted it",
    },
];

const baseline = (stack: string): PlanLike => JSON.parse(fs.readFileSync(path.join(BASELINE, `${stack}.json`), "utf8"));
const allowed = (c: ResourceChange) => ALLOWED_UPGRADE_CHANGES.some((a) => a.type === c.type && a.name.test(c.name) && (a.ops as string[]).includes(c.op));

describe("upgrade from the previous release (plan --diff against test/fixtures/baseline)", () => {
    for (const stack of ["dev", "prod"]) {
        it(`${stack}: deletes and replaces no stateful resource, and nothing else unlisted`, async () => {
            const diff = diffPlans(baseline(stack), await stackPlan(stack));
            const destructive = diff.changes.filter((c) => (c.op === "delete" || c.op === "replace") && (isStateful(c.type) || c.destructive));
            assert.deepEqual(destructive.map((c) => `${c.op} ${c.type} ${c.name}`), [], "stateful resources deleted or replaced");
            const unlisted = diff.changes.filter((c) => (c.op === "delete" || c.op === "replace") && !allowed(c));
            assert.deepEqual(unlisted.map((c) => `${c.op} ${c.type} ${c.name}${c.replaceKeys ? ` (${c.replaceKeys.join(", ")})` : ""}`), [], "deletes or replaces not in ALLOWED_UPGRADE_CHANGES");
            // Every stateful resource of the old stack is still there, adopted under its new URN.
            const kept = diff.changes.filter((c) => isStateful(c.type) && c.op !== "create" && c.op !== "delete").length;
            assert.equal(kept, baseline(stack).resources.filter((r) => isStateful(r.type)).length);
        });
    }

    it("the guard can fail: a renamed Aurora cluster without an alias is a stateful delete", async () => {
        const base = baseline("dev");
        const head = JSON.parse(JSON.stringify(await stackPlan("dev"))) as PlanLike;
        const cluster = head.resources.find((r) => r.type === "aws:rds/cluster:Cluster")!;
        cluster.urn = cluster.urn.replace(/::[^:]+$/, "::renamed-aurora");
        cluster.name = "renamed-aurora";
        cluster.opts = { ...cluster.opts, aliases: undefined };
        const diff = diffPlans(base, head);
        assert.ok(diff.changes.some((c) => c.op === "delete" && c.type === "aws:rds/cluster:Cluster" && c.destructive));
    });
});

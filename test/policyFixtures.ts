/**
 * Builders of synthetic plan resources for the policy rule tests (`policy.rules.test.ts` and the cases
 * of the parity rules in `policy.parity.cases.ts`).
 */
import { AuditResource } from "../audit/evaluate";

export const U = "[unknown]";
let seq = 0;
/** A recorded resource of the plan contract. */
export function r(type: string, props: Record<string, unknown>, extra: Partial<AuditResource> = {}): AuditResource {
    const name = extra.name ?? `res${++seq}`;
    return { urn: `urn:pulumi:test::scaling-topology::${type}::${name}`, type, name, parent: null, custom: true, props, opts: {}, ...extra };
}

export interface Case {
    /** Each entry: resources that together must yield at least one finding of the rule. */
    violate: AuditResource[][];
    /** Each entry: resources that must yield no finding of the rule. */
    pass: AuditResource[][];
    /** Preview: unknown values in the props. */
    unknown: { resources: AuditResource[]; expect: "cannot-run" | "pass" }[];
    /** Policy settings for this rule in every case. */
    settings?: Record<string, unknown>;
}

export const CLUSTER = "aws:rds/cluster:Cluster";
export const INSTANCE = "aws:rds/clusterInstance:ClusterInstance";
export const RG = "aws:elasticache/replicationGroup:ReplicationGroup";
export const EKS = "aws:eks/cluster:Cluster";
export const LT = "aws:ec2/launchTemplate:LaunchTemplate";
export const DEP = "kubernetes:apps/v1:Deployment";
export const HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler";
export const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
export const VPA = "kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler";
export const CF = "aws:cloudfront/distribution:Distribution";
export const RULESET = "cloudflare:index/ruleset:Ruleset";

export const goodContainer = (over: Record<string, unknown> = {}) => ({
    name: "app",
    image: "ghcr.io/acme/api:1.4.2",
    resources: { requests: { cpu: "500m", memory: "512Mi" }, limits: { memory: "512Mi" } },
    readinessProbe: { httpGet: { path: "/readyz", port: 8080 } },
    livenessProbe: { httpGet: { path: "/healthz", port: 8080 } },
    securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, runAsUser: 10001 },
    ...over,
});
export const deployment = (container: Record<string, unknown>, extra: { name?: string; replicas?: number; labels?: Record<string, string>; pod?: Record<string, unknown> } = {}) =>
    r(DEP, {
        metadata: { name: extra.name ?? "api", namespace: "app" },
        spec: { replicas: extra.replicas ?? 3, template: { metadata: { labels: extra.labels ?? { app: "api" } }, spec: { containers: [container], ...(extra.pod ?? {}) } } },
    });
export const hpa = (spec: Record<string, unknown>) => r(HPA, { metadata: { name: "api", namespace: "app" }, spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "api" }, minReplicas: 2, maxReplicas: 10, ...spec } });
export const pdb = (spec: Record<string, unknown>) => r(PDB, { metadata: { name: "api", namespace: "app" }, spec: { selector: { matchLabels: { app: "api" } }, ...spec } });
export const vpa = (spec: Record<string, unknown>) => r(VPA, { apiVersion: "autoscaling.k8s.io/v1", kind: "VerticalPodAutoscaler", metadata: { name: "api", namespace: "app" }, spec: { targetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "api" }, ...spec } });

export const goodDistribution = (over: Record<string, unknown> = {}) => ({
    enabled: true,
    webAclId: "arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/1",
    origins: [{ originId: "ingress", domainName: "origin.example.com", customOriginConfig: { httpPort: 80, httpsPort: 443, originProtocolPolicy: "https-only", originSslProtocols: ["TLSv1.2"] } }],
    defaultCacheBehavior: { targetOriginId: "ingress", viewerProtocolPolicy: "redirect-to-https", cachePolicyId: "658327ea-f89d-4fab-a63d-7e88639e58f6", allowedMethods: ["GET", "HEAD"], cachedMethods: ["GET", "HEAD"] },
    orderedCacheBehaviors: [{ pathPattern: "/api/*", targetOriginId: "ingress", viewerProtocolPolicy: "https-only", cachePolicyId: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", allowedMethods: ["GET", "HEAD"], cachedMethods: ["GET", "HEAD"] }],
    viewerCertificate: { acmCertificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/abc", sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" },
    restrictions: { geoRestriction: { restrictionType: "none" } },
    ...over,
});

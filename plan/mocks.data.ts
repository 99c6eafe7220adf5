/** Computed outputs of the data tier's resource types (Aurora, ElastiCache, Secrets Manager, TLS for PgBouncer). */
import { Computed, digest } from "./mocks";

/** The cluster-unique part of RDS endpoint names (`<id>.cluster-<suffix>.<region>.rds.amazonaws.com`). */
const rdsSuffix = (ctx: { accountId: string; region: string }) => `c${digest("rds", ctx.accountId, ctx.region).slice(0, 11)}`;

/** ElastiCache writes regions short in endpoints: eu-west-1 -> euw1. */
const shortRegion = (r: string) => r.split("-").map((p, i) => (i === 1 ? p[0] : p)).join("");

/** A PEM block with a deterministic body (the offline plan never needs real keys or certificates). */
const pem = (label: string, name: string) => `-----BEGIN ${label}-----\n${Buffer.from(digest("pem", label, name)).toString("base64")}\n-----END ${label}-----\n`;

export const dataMocks: Record<string, Computed> = {
    "tls:index/privateKey:PrivateKey": (name) => ({ privateKeyPem: pem("PRIVATE KEY", name), publicKeyPem: pem("PUBLIC KEY", name), publicKeyFingerprintSha256: `SHA256:${digest("fp", name).slice(0, 43)}` }),
    "tls:index/selfSignedCert:SelfSignedCert": (name) => ({ certPem: pem("CERTIFICATE", name) }),
    "tls:index/certRequest:CertRequest": (name) => ({ certRequestPem: pem("CERTIFICATE REQUEST", name) }),
    "tls:index/locallySignedCert:LocallySignedCert": (name) => ({ certPem: pem("CERTIFICATE", name) }),
    "aws:rds/cluster:Cluster": (name, inputs, ctx) => {
        const id = inputs.clusterIdentifier ?? name;
        return {
            clusterIdentifier: id,
            arn: `arn:aws:rds:${ctx.region}:${ctx.accountId}:cluster:${id}`,
            endpoint: `${id}.cluster-${rdsSuffix(ctx)}.${ctx.region}.rds.amazonaws.com`,
            readerEndpoint: `${id}.cluster-ro-${rdsSuffix(ctx)}.${ctx.region}.rds.amazonaws.com`,
            port: inputs.port ?? 5432,
            clusterResourceId: `cluster-${digest("res", id).slice(0, 26).toUpperCase()}`,
            hostedZoneId: "Z29XKXDKYMONMX",
        };
    },
    "aws:rds/clusterInstance:ClusterInstance": (name, inputs, ctx) => {
        const id = inputs.identifier ?? name;
        return { identifier: id, arn: `arn:aws:rds:${ctx.region}:${ctx.accountId}:db:${id}`, endpoint: `${id}.${rdsSuffix(ctx)}.${ctx.region}.rds.amazonaws.com`, port: 5432, writer: inputs.promotionTier === 0 };
    },
    // aws:kms/key:Key: in mocks.edge.ts (shared by every domain).
    "aws:rds/globalCluster:GlobalCluster": (_n, inputs, ctx) => ({
        arn: `arn:aws:rds::${ctx.accountId}:global-cluster:${inputs.globalClusterIdentifier}`,
        globalClusterResourceId: `cluster-${digest("global", String(inputs.globalClusterIdentifier)).slice(0, 26)}`,
        engine: "aurora-postgresql",
    }),
    // AWS prefixes the suffix with a short code of the primary's region ("ldgnf-" for eu-west-1 style).
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": (_n, inputs, ctx) => {
        const id = `${digest("grg", ctx.region).replace(/[0-9]/g, "").slice(0, 5).padEnd(5, "x")}-${inputs.globalReplicationGroupIdSuffix}`;
        return { globalReplicationGroupId: id, arn: `arn:aws:elasticache::${ctx.accountId}:globalreplicationgroup:${id}` };
    },
    "aws:secretsmanager/secret:Secret": (name, inputs, ctx) => ({ arn: `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${inputs.name ?? name}-${digest("sm", name).slice(0, 6)}` }),
    // The rotation application's stack: its output is the function's ARN.
    "aws:serverlessrepository/cloudFormationStack:CloudFormationStack": (name, inputs, ctx) => ({
        outputs: { RotationLambdaARN: `arn:aws:lambda:${ctx.region}:${ctx.accountId}:function:${inputs.parameters?.functionName ?? name}` },
    }),
    "aws:elasticache/replicationGroup:ReplicationGroup": (name, inputs, ctx) => {
        const id = inputs.replicationGroupId ?? name;
        return {
            arn: `arn:aws:elasticache:${ctx.region}:${ctx.accountId}:replicationgroup:${id}`,
            configurationEndpointAddress: `clustercfg.${id}.${digest("ec", id).slice(0, 6)}.${shortRegion(ctx.region)}.cache.amazonaws.com`,
            memberClusters: [],
        };
    },
};

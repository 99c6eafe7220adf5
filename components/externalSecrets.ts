/**
 * External Secrets Operator: syncs Secrets Manager secrets into Kubernetes Secrets. One Helm release for the
 * cluster, and per consuming namespace a SecretStore whose ServiceAccount has an IAM role (IRSA) that may read
 * only the secrets that namespace needs. ESO cannot impersonate a ServiceAccount bound with EKS Pod Identity
 * (its `auth.jwt.serviceAccountRef` takes a projected token and calls AssumeRoleWithWebIdentity), so the
 * per-namespace roles trust the cluster's OIDC provider.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EXTERNAL_SECRETS_RESOURCES } from "../sizing/capacity";

/** The pinned chart (external-secrets/external-secrets `deploy/charts/external-secrets`, values checked at v2.9.0). */
export const EXTERNAL_SECRETS_CHART = { chart: "external-secrets", version: "2.9.0", repo: "https://charts.external-secrets.io" } as const;
/** API version of SecretStore and ExternalSecret served by that release. */
export const EXTERNAL_SECRETS_API = "external-secrets.io/v1";

/** Arguments of {@link ExternalSecretsOperator}. */
export interface ExternalSecretsOperatorArgs {
    /** Namespace of the operator. @default "external-secrets" */
    namespace?: string;
    /** Node selector of the operator's pods (the system node group). @default {} */
    nodeSelector?: Record<string, string>;
    /** Tolerations of the operator's pods (the system group's taint). @default [] */
    tolerations?: k8s.types.input.core.v1.Toleration[];
    /** Image repository of the controller, webhook and cert controller (the chart's tag), e.g. through the ECR pull-through cache. @default the chart's */
    imageRepository?: pulumi.Input<string>;
}

/**
 * External Secrets Operator from its pinned chart, with its CRDs (`installCRDs`), webhook and cert controller on
 * the system nodes. SecretStores and ExternalSecrets must depend on {@link release}: the chart installs their CRDs
 * and the webhook that validates them.
 */
export class ExternalSecretsOperator extends pulumi.ComponentResource {
    public readonly release: k8s.helm.v3.Release;
    public readonly namespace: string;

    constructor(name: string, args: ExternalSecretsOperatorArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:data:ExternalSecretsOperator", name, {}, opts);
        this.namespace = args.namespace ?? "external-secrets";
        const ns = new k8s.core.v1.Namespace(`${name}-ns`, {
            metadata: { name: this.namespace, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
        }, { parent: this });
        const res = (r: { cpuMillis: number; memoryMiB: number }) => ({ requests: { cpu: `${r.cpuMillis}m`, memory: `${r.memoryMiB}Mi` }, limits: { memory: `${2 * r.memoryMiB}Mi` } });
        const r = EXTERNAL_SECRETS_RESOURCES;
        const image = args.imageRepository ? { image: { repository: args.imageRepository } } : {};
        this.release = new k8s.helm.v3.Release(`${name}-release`, {
            name: "external-secrets",
            namespace: ns.metadata.name,
            chart: EXTERNAL_SECRETS_CHART.chart,
            version: EXTERNAL_SECRETS_CHART.version,
            repositoryOpts: { repo: EXTERNAL_SECRETS_CHART.repo },
            values: {
                installCRDs: true,
                // Applied to the controller, webhook and cert controller (their own keys are empty).
                global: { nodeSelector: args.nodeSelector ?? {}, tolerations: args.tolerations ?? [] },
                replicaCount: r.controller.replicas,
                // Two controller replicas need leader election (one reconciles, the other stands by).
                leaderElect: true,
                podDisruptionBudget: { enabled: true, minAvailable: 1 },
                resources: res(r.controller),
                webhook: { replicaCount: r.webhook.replicas, resources: res(r.webhook), podDisruptionBudget: { enabled: true, minAvailable: 1 }, ...image },
                certController: { replicaCount: r.certController.replicas, resources: res(r.certController), ...image },
                ...image,
                // The controller requests tokens of the namespaces' ServiceAccounts (IRSA through serviceAccountRef).
                rbac: { serviceAccountTokenCreate: true },
            },
        }, { parent: this });
        this.registerOutputs({ namespace: this.namespace });
    }
}

/** What a namespace's SecretStore may read. */
export interface SecretStoreArgs {
    /** Namespace of the store (and of its ServiceAccount). */
    namespace: pulumi.Input<string>;
    /** Name of the store and its ServiceAccount. */
    storeName: string;
    /** AWS region of the secrets. */
    region: string;
    /** The cluster's IAM OIDC provider ARN and issuer URL (IRSA). */
    oidcProviderArn: pulumi.Input<string>;
    oidcIssuerUrl: pulumi.Input<string>;
    /** The only secrets the store may read. */
    secretArns: pulumi.Input<string>[];
    /** KMS keys those secrets are encrypted with (decrypt only through Secrets Manager). */
    kmsKeyArns: pulumi.Input<string>[];
    /** The operator's release (CRDs and webhook). */
    dependsOn: pulumi.Input<pulumi.Resource>[];
    labels?: Record<string, string>;
}

/**
 * A SecretStore in one namespace, children of `parent` named `${name}-store-*`: an IAM role trusted by that
 * namespace's ServiceAccount only, allowed `GetSecretValue`/`DescribeSecret` on the given secrets and
 * `kms:Decrypt` of their keys via Secrets Manager, the ServiceAccount (no token mounted anywhere: ESO requests
 * one), and the store.
 */
export function namespaceSecretStore(parent: pulumi.Resource, name: string, a: SecretStoreArgs): { store: k8s.apiextensions.CustomResource; role: aws.iam.Role } {
    const issuer = pulumi.output(a.oidcIssuerUrl).apply((u) => u.replace(/^https:\/\//, ""));
    const role = new aws.iam.Role(`${name}-store-role`, {
        description: pulumi.interpolate`External Secrets: secrets of namespace ${a.namespace}`,
        assumeRolePolicy: pulumi.all([a.oidcProviderArn, issuer, a.namespace]).apply(([arn, iss, ns]) => JSON.stringify({
            Version: "2012-10-17",
            Statement: [{
                Effect: "Allow",
                Principal: { Federated: arn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: { StringEquals: { [`${iss}:sub`]: `system:serviceaccount:${ns}:${a.storeName}`, [`${iss}:aud`]: "sts.amazonaws.com" } },
            }],
        })),
    }, { parent });
    new aws.iam.RolePolicy(`${name}-store-policy`, {
        role: role.id,
        policy: pulumi.all([pulumi.all(a.secretArns), pulumi.all(a.kmsKeyArns)]).apply(([secrets, keys]) => JSON.stringify({
            Version: "2012-10-17",
            Statement: [
                { Sid: "ReadTheseSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: secrets },
                { Sid: "DecryptThroughSecretsManager", Effect: "Allow", Action: "kms:Decrypt", Resource: keys, Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${a.region}.amazonaws.com` } } },
            ],
        })),
    }, { parent });
    const sa = new k8s.core.v1.ServiceAccount(`${name}-store-sa`, {
        metadata: { name: a.storeName, namespace: a.namespace, labels: a.labels, annotations: { "eks.amazonaws.com/role-arn": role.arn } },
        automountServiceAccountToken: false,
    }, { parent });
    const store = new k8s.apiextensions.CustomResource(`${name}-store`, {
        apiVersion: EXTERNAL_SECRETS_API,
        kind: "SecretStore",
        metadata: { name: a.storeName, namespace: a.namespace, labels: a.labels },
        spec: {
            provider: { aws: { service: "SecretsManager", region: a.region, auth: { jwt: { serviceAccountRef: { name: sa.metadata.name } } } } },
        },
    }, { parent, dependsOn: a.dependsOn });
    return { store, role };
}

/** One key of an ExternalSecret: a JSON property of a secret, at a version stage. */
export interface ExternalSecretKey {
    secretKey: string;
    secretArn: pulumi.Input<string>;
    property: string;
    /** `AWSCURRENT` (default) or `AWSPREVIOUS`. */
    version?: "AWSCURRENT" | "AWSPREVIOUS";
}

/**
 * An ExternalSecret filling Kubernetes Secret `targetName` (owned by it) from the store, refreshed every
 * `refreshInterval`; with `template`, the Secret's keys are rendered from the fetched values (engine v2).
 */
export function externalSecret(parent: pulumi.Resource, name: string, a: {
    namespace: pulumi.Input<string>;
    targetName: string;
    store: k8s.apiextensions.CustomResource;
    keys: ExternalSecretKey[];
    template?: Record<string, pulumi.Input<string>>;
    refreshInterval?: string;
    labels?: Record<string, string>;
}): k8s.apiextensions.CustomResource {
    return new k8s.apiextensions.CustomResource(name, {
        apiVersion: EXTERNAL_SECRETS_API,
        kind: "ExternalSecret",
        metadata: { name: a.targetName, namespace: a.namespace, labels: a.labels },
        spec: {
            refreshInterval: a.refreshInterval ?? "1m",
            secretStoreRef: { kind: "SecretStore", name: a.store.metadata.name },
            target: {
                name: a.targetName,
                creationPolicy: "Owner",
                deletionPolicy: "Retain",
                ...(a.template ? { template: { engineVersion: "v2", type: "Opaque", data: a.template } } : {}),
            },
            data: a.keys.map((k) => ({ secretKey: k.secretKey, remoteRef: { key: k.secretArn, property: k.property, version: k.version ?? "AWSCURRENT" } })),
        },
    }, { parent, dependsOn: [a.store] });
}

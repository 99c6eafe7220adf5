import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NodeGroup, NodeTaint } from "./nodeGroup";
import { SYSTEM_NODE_PLACEMENT } from "./topologyArgs";
import { dataKeyPolicy } from "./dataKeys";
import { dataStoreKey } from "./dataStore";

/** One managed node group of a {@link Cluster}. */
export interface ClusterNodeGroupArgs {
    /** Node group name, unique in the cluster. */
    name: string;
    /**
     * `system` groups carry the taint `CriticalAddonsOnly=true:NoSchedule` (only add-ons that tolerate it
     * run there); `application` groups take everything else. Nodes get the label `node-role: <role>`.
     */
    role: "system" | "application";
    instanceTypes: string[];
    /** CPU architecture of the instance types. */
    architecture: "x86_64" | "arm64";
    /** @default "ON_DEMAND" */
    capacityType?: "ON_DEMAND" | "SPOT";
    minSize: number;
    maxSize: number;
    /** Root volume size, GiB. @default 50 */
    diskSizeGiB?: number;
    /** Extra node labels. */
    labels?: Record<string, string>;
}

/** An EKS access entry for an IAM role of the cluster's account. */
export interface ClusterAccessEntry {
    roleName: string;
    /** `admin`: AmazonEKSClusterAdminPolicy; `view`: AmazonEKSViewPolicy (no Secrets). */
    access: "admin" | "view";
}

/** Access policies of {@link ClusterAccessEntry.access}. */
export const ACCESS_POLICIES = {
    admin: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
    view: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
} as const;

/** Arguments of {@link Cluster}. */
export interface ClusterArgs {
    /** EKS cluster name (also in the subnets' `kubernetes.io/cluster/<name>` tags). */
    clusterName: string;
    /** AWS region (the exec kubeconfig passes it to `aws eks get-token`). */
    region: string;
    /** Kubernetes minor, e.g. `1.35`. */
    kubernetesVersion: string;
    /** Private subnets (one per zone) for the control plane ENIs and the nodes. */
    subnetIds: pulumi.Input<string>[];
    /**
     * CIDRs allowed to reach the public API endpoint. Empty: public endpoint off, private only.
     * @default []
     */
    endpointPublicAccessCidrs?: string[];
    /** IAM role names of this account given cluster-admin by an EKS access entry. @default [] */
    adminRoleNames?: string[];
    /**
     * More access entries, by IAM role name of this account: `admin` (AmazonEKSClusterAdminPolicy) or `view`
     * (AmazonEKSViewPolicy), cluster-wide. The identity that runs `pulumi up` must be one of the admins: the
     * cluster no longer makes its creator an admin behind the scenes. @default []
     */
    accessEntries?: ClusterAccessEntry[];
    /**
     * The role that created an existing cluster while EKS still bootstrapped the creator's admin: its
     * access entry (which no config showed) is imported and managed like any other. Leave out on new clusters.
     */
    existingClusterCreatorArn?: string;
    /** Control-plane log retention, days. @default 90 */
    logRetentionDays?: number;
    /** VPC CNI prefix delegation (110 pods per node). @default true */
    prefixDelegation?: boolean;
    /** CoreDNS replicas. @default 2 */
    corednsReplicas?: number;
    /**
     * Managed add-on versions by add-on name (e.g. `{ "vpc-cni": "v1.20.4-eksbuild.1" }`); an add-on not
     * listed gets EKS's default version for the cluster's Kubernetes minor at creation.
     * @default {}
     */
    addonVersions?: Record<string, string>;
    /** Managed node groups: at least one `system` and one `application`. */
    nodeGroups: ClusterNodeGroupArgs[];
    /**
     * Prod: EKS deletion protection, Pulumi `protect` on the cluster and its secrets key.
     * @default false
     */
    protect?: boolean;
    /** Tags for every AWS resource, besides the provider's default tags. */
    tags?: Record<string, string>;
}

const DEFAULTS = { logRetentionDays: 90, prefixDelegation: true, corednsReplicas: 2 };

/** Control-plane log types: all five. */
export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

/** Taint of `system` node groups. */
export const SYSTEM_TAINT: NodeTaint = { key: "CriticalAddonsOnly", value: "true", effect: "NO_SCHEDULE" };
const assumeRole = (service: string, actions = ["sts:AssumeRole"]) => JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: actions }],
});

/** Trust policy of a role assumed through EKS Pod Identity. */
export const POD_IDENTITY_TRUST = assumeRole("pods.eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]);

/**
 * An EKS cluster from raw `@pulumi/aws` resources:
 * - pinned Kubernetes version, standard support only (no extended-support surcharge);
 * - private API endpoint, public only for configured CIDRs;
 * - access entries only, each one declared (no admin bootstrapped for the creator);
 * - all five control-plane log types to a retained log group;
 * - Kubernetes secrets envelope-encrypted with a customer KMS key (rotation on);
 * - API authentication mode: access entries, no aws-auth ConfigMap;
 * - an IAM OIDC provider (IRSA) and the Pod Identity agent;
 * - managed add-ons: vpc-cni (before nodes, prefix delegation), kube-proxy, eks-pod-identity-agent,
 *   then after the nodes coredns, aws-ebs-csi-driver (Pod Identity role) and metrics-server;
 * - managed node groups ({@link NodeGroup});
 * - a `k8s.Provider` (exec kubeconfig, `aws eks get-token`) for everything in-cluster.
 */
export class Cluster extends pulumi.ComponentResource {
    public readonly cluster: aws.eks.Cluster;
    /** Cluster name. */
    public readonly name: pulumi.Output<string>;
    /** Cluster name as given (known at construction, for names and tags). */
    public readonly clusterName: string;
    public readonly endpoint: pulumi.Output<string>;
    /** The EKS-managed cluster security group: managed nodes and their pods use it; data stores admit it. */
    public readonly clusterSecurityGroupId: pulumi.Output<string>;
    public readonly oidcProviderArn: pulumi.Output<string>;
    /** OIDC issuer URL (`https://oidc.eks.<region>.amazonaws.com/id/<id>`). */
    public readonly oidcIssuerUrl: pulumi.Output<string>;
    /** Kubeconfig (exec-based: no credentials inside). */
    public readonly kubeconfig: pulumi.Output<string>;
    /** Provider for every in-cluster resource. */
    public readonly k8sProvider: k8s.Provider;
    public readonly secretsKey: aws.kms.Key;
    /** Customer key of the control-plane log group. */
    public readonly logsKey: aws.kms.Key;
    public readonly nodeRole: aws.iam.Role;
    /** Node groups by name. */
    public readonly nodeGroups: Record<string, NodeGroup>;
    /** Managed add-ons by name. */
    public readonly addons: Record<string, aws.eks.Addon>;
    public readonly kubernetesVersion: string;
    /** Access policy associations of every access entry (the k8s provider waits for them). */
    public readonly accessPolicyAssociations: aws.eks.AccessPolicyAssociation[];

    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:compute:Cluster", name, {}, opts);
        const tags = args.tags ?? {};
        const protect = args.protect ?? false;
        const nameTag = (role: string) => ({ ...tags, Name: `${name}-${role}` });
        const publicCidrs = args.endpointPublicAccessCidrs ?? [];
        const roles = new Set(args.nodeGroups.map((g) => g.role));
        if (!roles.has("system") || !roles.has("application")) throw new pulumi.ResourceError("nodeGroups needs at least one system and one application group", this);
        this.clusterName = args.clusterName;
        this.kubernetesVersion = args.kubernetesVersion;

        // Envelope encryption of Kubernetes secrets with a customer key.
        this.secretsKey = new aws.kms.Key(`${name}-secrets-key`, {
            description: `EKS ${args.clusterName}: envelope encryption of Kubernetes secrets`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            // Explicit, not the implicit default: the account administers it; EKS uses it through the
            // cluster role's IAM policy below.
            policy: dataKeyPolicy(this, []),
            tags: nameTag("secrets-key"),
        }, { parent: this, protect });
        new aws.kms.Alias(`${name}-secrets-key-alias`, { name: `alias/eks/${args.clusterName}`, targetKeyId: this.secretsKey.keyId }, { parent: this });

        const clusterRole = new aws.iam.Role(`${name}-cluster-role`, { assumeRolePolicy: assumeRole("eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]), tags: nameTag("cluster-role") }, { parent: this });
        const clusterPolicy = new aws.iam.RolePolicyAttachment(`${name}-cluster-policy`, { role: clusterRole.name, policyArn: "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy" }, { parent: this });
        const clusterKms = new aws.iam.RolePolicy(`${name}-cluster-kms`, {
            role: clusterRole.id,
            policy: this.secretsKey.arn.apply((arn) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], Resource: arn }],
            })),
        }, { parent: this });

        // EKS writes to /aws/eks/<name>/cluster; creating it first sets the retention and the key. The audit
        // log holds every API request (who read which secret): a customer key admitting this group only.
        const logGroupName = `/aws/eks/${args.clusterName}/cluster`;
        this.logsKey = dataStoreKey(this, `${name}-logs`, {
            identifier: `eks/${args.clusterName}/logs`,
            description: `EKS ${args.clusterName}: control-plane logs`,
            logGroupNames: [logGroupName],
            protect,
            tags: nameTag("logs-key"),
        });
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-control-plane-logs`, {
            name: logGroupName,
            retentionInDays: args.logRetentionDays ?? DEFAULTS.logRetentionDays,
            kmsKeyId: this.logsKey.arn,
            tags: nameTag("control-plane-logs"),
        }, { parent: this });

        this.cluster = new aws.eks.Cluster(`${name}-cluster`, {
            name: args.clusterName,
            version: args.kubernetesVersion,
            roleArn: clusterRole.arn,
            vpcConfig: {
                subnetIds: args.subnetIds,
                endpointPrivateAccess: true,
                endpointPublicAccess: publicCidrs.length > 0,
                publicAccessCidrs: publicCidrs.length > 0 ? publicCidrs : undefined,
            },
            enabledClusterLogTypes: CONTROL_PLANE_LOG_TYPES,
            encryptionConfig: { provider: { keyArn: this.secretsKey.arn }, resources: ["secrets"] },
            // Access entries only (no aws-auth ConfigMap), every one of them visible below: the creator gets no
            // hidden admin. The deploy role applies the in-cluster resources through its own entry.
            accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
            // vpc-cni, kube-proxy and CoreDNS come as managed add-ons below, not as unmanaged defaults.
            bootstrapSelfManagedAddons: false,
            kubernetesNetworkConfig: { ipFamily: "ipv4" },
            upgradePolicy: { supportType: "STANDARD" },
            deletionProtection: protect,
            tags: nameTag("cluster"),
        }, {
            parent: this, protect, dependsOn: [logGroup, clusterPolicy, clusterKms],
            // Changing it replaces the cluster: clusters created with `true` keep it (their creator's entry is
            // imported below instead); new clusters are created with `false`.
            ignoreChanges: ["accessConfig.bootstrapClusterCreatorAdminPermissions"],
        });

        this.name = this.cluster.name;
        this.endpoint = this.cluster.endpoint;
        this.clusterSecurityGroupId = this.cluster.vpcConfig.apply((v) => v.clusterSecurityGroupId);
        this.oidcIssuerUrl = this.cluster.identities.apply((ids) => ids?.[0]?.oidcs?.[0]?.issuer);
        const accountId = this.cluster.arn.apply((arn) => arn.split(":")[4]);

        const oidc = new aws.iam.OpenIdConnectProvider(`${name}-oidc`, {
            url: this.oidcIssuerUrl,
            clientIdLists: ["sts.amazonaws.com"],
            tags: nameTag("oidc"),
        }, { parent: this });
        this.oidcProviderArn = oidc.arn;

        // Access entries: people (adminRoleNames) and the workflows' roles; an existing cluster's creator
        // entry is imported (EKS made it at creation) rather than created a second time.
        const creator = args.existingClusterCreatorArn;
        const creatorRole = creator?.slice(creator.lastIndexOf("/") + 1);
        const entries: ClusterAccessEntry[] = [...(args.adminRoleNames ?? []).map((roleName) => ({ roleName, access: "admin" as const })), ...(args.accessEntries ?? [])];
        if (creatorRole && !entries.some((e) => e.roleName === creatorRole)) entries.push({ roleName: creatorRole, access: "admin" });
        const seen = new Set<string>();
        this.accessPolicyAssociations = [];
        for (const e of entries) {
            if (seen.has(e.roleName)) throw new pulumi.ResourceError(`role ${e.roleName} has two access entries (adminRoleNames and accessEntries)`, this);
            seen.add(e.roleName);
            const imported = e.roleName === creatorRole;
            const principalArn = imported ? pulumi.output(creator!) : pulumi.interpolate`arn:aws:iam::${accountId}:role/${e.roleName}`;
            const entry = new aws.eks.AccessEntry(`${name}-access-${e.roleName}`, { clusterName: this.cluster.name, principalArn, type: "STANDARD", tags: nameTag(`access-${e.roleName}`) }, {
                parent: this,
                ...(imported ? { import: `${args.clusterName}:${creator}`, ignoreChanges: ["tags", "tagsAll"] } : {}),
            });
            // The old name of the admin association stays (`-admin`): existing stacks keep theirs.
            this.accessPolicyAssociations.push(new aws.eks.AccessPolicyAssociation(`${name}-access-${e.roleName}-${e.access}`, {
                clusterName: this.cluster.name,
                principalArn: entry.principalArn,
                policyArn: ACCESS_POLICIES[e.access],
                accessScope: { type: "cluster" },
            }, { parent: this }));
        }

        // Nodes: worker, CNI (aws-node runs on the host network) and ECR pull; SSM instead of SSH.
        this.nodeRole = new aws.iam.Role(`${name}-node-role`, { assumeRolePolicy: assumeRole("ec2.amazonaws.com"), tags: nameTag("node-role") }, { parent: this });
        const nodePolicies = ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly", "AmazonSSMManagedInstanceCore"].map((p) =>
            new aws.iam.RolePolicyAttachment(`${name}-node-${p}`, { role: this.nodeRole.name, policyArn: `arn:aws:iam::aws:policy/${p}` }, { parent: this }));

        const addon = (addonName: string, extra: Partial<aws.eks.AddonArgs> = {}, dependsOn: pulumi.Resource[] = []) =>
            new aws.eks.Addon(`${name}-addon-${addonName}`, {
                clusterName: this.cluster.name,
                addonName,
                addonVersion: args.addonVersions?.[addonName],
                resolveConflictsOnCreate: "OVERWRITE",
                resolveConflictsOnUpdate: "OVERWRITE",
                tags: nameTag(`addon-${addonName}`),
                ...extra,
            }, { parent: this, dependsOn });

        const prefixDelegation = args.prefixDelegation ?? DEFAULTS.prefixDelegation;
        const beforeNodes = [
            addon("vpc-cni", {
                configurationValues: JSON.stringify({
                    env: prefixDelegation ? { ENABLE_PREFIX_DELEGATION: "true", WARM_PREFIX_TARGET: "1" } : {},
                    enableNetworkPolicy: "true",
                }),
            }),
            addon("kube-proxy"),
            addon("eks-pod-identity-agent"),
        ];

        this.nodeGroups = {};
        for (const g of args.nodeGroups) {
            this.nodeGroups[g.name] = new NodeGroup(`${name}-${g.name}`, {
                clusterName: this.cluster.name,
                nodeGroupName: g.name,
                nodeRoleArn: this.nodeRole.arn,
                subnetIds: args.subnetIds,
                instanceTypes: g.instanceTypes,
                architecture: g.architecture,
                capacityType: g.capacityType,
                minSize: g.minSize,
                maxSize: g.maxSize,
                diskSizeGiB: g.diskSizeGiB,
                labels: { ...(g.labels ?? {}), "node-role": g.role },
                taints: g.role === "system" ? [SYSTEM_TAINT] : [],
                kubernetesVersion: args.kubernetesVersion,
                tags,
                dependsOn: [...beforeNodes, ...nodePolicies],
            }, { parent: this });
        }
        const nodes = Object.values(this.nodeGroups);

        const ebsCsiRole = new aws.iam.Role(`${name}-ebs-csi-role`, { assumeRolePolicy: POD_IDENTITY_TRUST, tags: nameTag("ebs-csi-role") }, { parent: this });
        const ebsCsiPolicy = new aws.iam.RolePolicyAttachment(`${name}-ebs-csi-policy`, { role: ebsCsiRole.name, policyArn: "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy" }, { parent: this });

        // Pods need nodes: these add-ons would report DEGRADED (and the update time out) without them.
        const afterNodes = [
            addon("coredns", { configurationValues: JSON.stringify({ replicaCount: args.corednsReplicas ?? DEFAULTS.corednsReplicas, ...SYSTEM_NODE_PLACEMENT }) }, nodes),
            addon("aws-ebs-csi-driver", { podIdentityAssociations: [{ roleArn: ebsCsiRole.arn, serviceAccount: "ebs-csi-controller-sa" }] }, [...nodes, ebsCsiPolicy, beforeNodes[2]]),
            addon("metrics-server", {}, nodes),
        ];
        this.addons = Object.fromEntries([...beforeNodes, ...afterNodes].map((a, i) => [["vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns", "aws-ebs-csi-driver", "metrics-server"][i], a]));

        this.kubeconfig = pulumi.all([this.cluster.name, this.cluster.endpoint, this.cluster.certificateAuthority]).apply(([clusterName, endpoint, ca]) =>
            JSON.stringify(execKubeconfig(clusterName, endpoint, ca?.data, args.region)));
        this.k8sProvider = new k8s.Provider(`${name}-k8s`, {
            kubeconfig: this.kubeconfig,
            enableServerSideApply: true,
        // The deploying identity reaches the API only once its access entry is associated.
        }, { parent: this, dependsOn: [...nodes, ...this.accessPolicyAssociations] });

        this.registerOutputs({
            name: this.name,
            endpoint: this.endpoint,
            clusterSecurityGroupId: this.clusterSecurityGroupId,
            oidcProviderArn: this.oidcProviderArn,
            oidcIssuerUrl: this.oidcIssuerUrl,
        });
    }
}

/** A kubeconfig that gets a token from `aws eks get-token` on each use: nothing secret is stored. */
export function execKubeconfig(clusterName: string, endpoint: string, caData: string | undefined, region: string) {
    return {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: clusterName, cluster: { server: endpoint, "certificate-authority-data": caData } }],
        contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
        "current-context": clusterName,
        users: [{
            name: clusterName,
            user: {
                exec: {
                    apiVersion: "client.authentication.k8s.io/v1beta1",
                    command: "aws",
                    args: ["eks", "get-token", "--cluster-name", clusterName, "--region", region, "--output", "json"],
                    interactiveMode: "Never",
                },
            },
        }],
    };
}

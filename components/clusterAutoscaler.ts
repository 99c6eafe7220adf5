import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PLATFORM_IMAGES } from "../catalog/images";
import { podIdentityRole } from "./podIdentity";
import { AutoscalerKubernetesVersion, CLUSTER_AUTOSCALER_RELEASES, CLUSTER_AUTOSCALER_REPO } from "../catalog/kubernetesReleases";

export { AutoscalerKubernetesVersion, CLUSTER_AUTOSCALER_RELEASES, CLUSTER_AUTOSCALER_REPO };

/** Arguments of {@link ClusterAutoscaler}. */
export interface ClusterAutoscalerArgs {
    /** EKS cluster name (auto-discovery and the IAM condition use it). */
    clusterName: string;
    /**
     * The cluster's name as an output of the cluster resource: the Pod Identity association is created
     * after the cluster exists. @default clusterName (no dependency)
     */
    clusterNameOutput?: pulumi.Input<string>;
    /** Region of the cluster's ASGs. */
    region: string;
    /** Kubernetes minor of the cluster: picks the chart and image. */
    kubernetesVersion: AutoscalerKubernetesVersion;
    /** Image repository (without tag), e.g. through the ECR pull-through cache. @default PLATFORM_IMAGES.clusterAutoscaler */
    imageRepository?: pulumi.Input<string>;
    /** @default "least-waste" */
    expander?: "least-waste" | "random" | "most-pods" | "price";
    /** @default 0.5 */
    scaleDownUtilizationThreshold?: number;
    /** Minutes a node must be unneeded before removal. @default 10 */
    scaleDownUnneededMinutes?: number;
    /** Minutes after a scale-up before any scale-down. @default 10 */
    scaleDownDelayAfterAddMinutes?: number;
    /** Replicas (leader-elected). @default 2 */
    replicas?: number;
    /** Requests per replica. */
    cpuMillis: number;
    memoryMiB: number;
    /** Placement on the system nodes. */
    nodeSelector?: Record<string, string>;
    tolerations?: Array<Record<string, string>>;
}

const DEFAULTS = { expander: "least-waste", scaleDownUtilizationThreshold: 0.5, scaleDownUnneededMinutes: 10, scaleDownDelayAfterAddMinutes: 10, replicas: 2 };
const NAMESPACE = "kube-system";
const SERVICE_ACCOUNT = "cluster-autoscaler";

/**
 * The least-privilege policy of the cluster-autoscaler AWS docs: it may change the size of, and
 * terminate instances in, only the ASGs tagged `k8s.io/cluster-autoscaler/<cluster>: owned` (every
 * managed node group of this cluster); describe calls (which take no resource) on `*`; and read the
 * cluster's own node groups (labels/taints for scale from zero).
 */
export function autoscalerPolicy(clusterName: string, region: string): object {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ScaleOwnedGroupsOnly",
                Effect: "Allow",
                Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                Resource: "*",
                Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: "owned" } },
            },
            {
                Sid: "Describe",
                Effect: "Allow",
                Action: [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "autoscaling:DescribeTags",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                ],
                Resource: "*",
            },
            {
                Sid: "ReadOwnNodeGroups",
                Effect: "Allow",
                Action: ["eks:DescribeNodegroup"],
                Resource: `arn:aws:eks:${region}:*:nodegroup/${clusterName}/*`,
            },
        ],
    };
}

/**
 * The Kubernetes cluster autoscaler for the cluster's managed node groups: an IAM role through EKS
 * Pod Identity with {@link autoscalerPolicy}, and the pinned chart with auto-discovery by cluster tag,
 * the expander and scale-down settings, a PDB and the `system-cluster-critical` priority class.
 */
export class ClusterAutoscaler extends pulumi.ComponentResource {
    public readonly role: aws.iam.Role;
    public readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: ClusterAutoscalerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:compute:ClusterAutoscaler", name, {}, opts);
        const release = CLUSTER_AUTOSCALER_RELEASES[args.kubernetesVersion];
        if (!release) throw new pulumi.ResourceError(`kubernetesVersion ${args.kubernetesVersion} has no cluster-autoscaler release here; supported: ${Object.keys(CLUSTER_AUTOSCALER_RELEASES).join(", ")}`, this);
        const replicas = args.replicas ?? DEFAULTS.replicas;

        const { role, association } = podIdentityRole(name, {
            clusterName: args.clusterNameOutput ?? args.clusterName,
            namespace: NAMESPACE,
            serviceAccount: SERVICE_ACCOUNT,
            description: `cluster-autoscaler of EKS ${args.clusterName}: scale only this cluster's node groups`,
            policy: JSON.stringify(autoscalerPolicy(args.clusterName, args.region)),
        }, this);
        this.role = role;

        this.release = new k8s.helm.v3.Release(`${name}-release`, {
            name: "cluster-autoscaler",
            chart: "cluster-autoscaler",
            version: release.chart,
            repositoryOpts: { repo: CLUSTER_AUTOSCALER_REPO },
            namespace: NAMESPACE,
            atomic: true,
            cleanupOnFail: true,
            values: {
                cloudProvider: "aws",
                awsRegion: args.region,
                autoDiscovery: { clusterName: args.clusterName },
                image: { repository: args.imageRepository ?? PLATFORM_IMAGES.clusterAutoscaler, tag: release.image },
                rbac: { create: true, serviceAccount: { create: true, name: SERVICE_ACCOUNT } },
                replicaCount: replicas,
                priorityClassName: "system-cluster-critical",
                podDisruptionBudget: { maxUnavailable: 1 },
                resources: { requests: { cpu: `${args.cpuMillis}m`, memory: `${args.memoryMiB}Mi` }, limits: { memory: `${args.memoryMiB}Mi` } },
                extraArgs: {
                    expander: args.expander ?? DEFAULTS.expander,
                    "scale-down-utilization-threshold": args.scaleDownUtilizationThreshold ?? DEFAULTS.scaleDownUtilizationThreshold,
                    "scale-down-unneeded-time": `${args.scaleDownUnneededMinutes ?? DEFAULTS.scaleDownUnneededMinutes}m`,
                    "scale-down-delay-after-add": `${args.scaleDownDelayAfterAddMinutes ?? DEFAULTS.scaleDownDelayAfterAddMinutes}m`,
                    "balance-similar-node-groups": true,
                    "skip-nodes-with-system-pods": false,
                    "skip-nodes-with-local-storage": false,
                    "max-node-provision-time": "15m",
                    "leader-elect": replicas > 1,
                },
                nodeSelector: args.nodeSelector ?? {},
                tolerations: args.tolerations ?? [],
                securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
                containerSecurityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            },
        }, { parent: this, dependsOn: [association] });

        this.registerOutputs({ roleArn: this.role.arn, releaseStatus: this.release.status });
    }
}

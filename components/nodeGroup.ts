import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** A node taint (EKS API spelling of the effect). */
export interface NodeTaint {
    key: string;
    value?: string;
    effect: "NO_SCHEDULE" | "NO_EXECUTE" | "PREFER_NO_SCHEDULE";
}

/** Arguments of {@link NodeGroup}. */
export interface NodeGroupArgs {
    /** EKS cluster name. */
    clusterName: pulumi.Input<string>;
    /** Managed node group name, unique in the cluster (e.g. `system`, `application`). */
    nodeGroupName: string;
    /** IAM role of the nodes (worker node, CNI and ECR pull policies). */
    nodeRoleArn: pulumi.Input<string>;
    /** Private subnets, one per zone: the ASG spreads nodes over them. */
    subnetIds: pulumi.Input<string>[];
    /** Instance types (one architecture). */
    instanceTypes: string[];
    /** CPU architecture of the instance types: picks the AL2023 AMI type. */
    architecture: "x86_64" | "arm64";
    /** @default "ON_DEMAND" */
    capacityType?: "ON_DEMAND" | "SPOT";
    /** Scaling bounds. The autoscaler owns the desired size after creation. */
    minSize: number;
    maxSize: number;
    /** Desired size at creation. @default minSize (at least 1) */
    desiredSize?: number;
    /** Root volume size, GiB (gp3, encrypted). @default 50 */
    diskSizeGiB?: number;
    /** KMS key for the root volumes; @default the account's EBS default key (aws/ebs) */
    volumeKmsKeyArn?: pulumi.Input<string>;
    /** Node labels. */
    labels?: Record<string, string>;
    /** Node taints. */
    taints?: NodeTaint[];
    /** Kubernetes minor of the nodes (the cluster's). */
    kubernetesVersion: string;
    /** Tags for every resource. */
    tags?: Record<string, string>;
    /** Resources the node group must wait for (the VPC CNI add-on: nodes need it to become Ready). */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

const DEFAULTS = { capacityType: "ON_DEMAND" as const, diskSizeGiB: 50 };

const TAINT_EFFECT_K8S: Record<NodeTaint["effect"], string> = { NO_SCHEDULE: "NoSchedule", NO_EXECUTE: "NoExecute", PREFER_NO_SCHEDULE: "PreferNoSchedule" };

/** The cluster-autoscaler auto-discovery tags (EKS sets them on a managed group's ASG). */
export function autoDiscoveryTags(clusterName: string): Record<string, string> {
    return { "k8s.io/cluster-autoscaler/enabled": "true", [`k8s.io/cluster-autoscaler/${clusterName}`]: "owned" };
}

/**
 * The scale-from-zero tags: with no node running, the autoscaler learns a group's labels and taints
 * from these ASG tags (`k8s.io/cluster-autoscaler/node-template/label/<k>`, `.../taint/<k>`).
 */
export function nodeTemplateTags(labels: Record<string, string>, taints: NodeTaint[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(labels)) out[`k8s.io/cluster-autoscaler/node-template/label/${k}`] = v;
    for (const t of taints) out[`k8s.io/cluster-autoscaler/node-template/taint/${t.key}`] = `${t.value ?? ""}:${TAINT_EFFECT_K8S[t.effect]}`;
    return out;
}

/**
 * An EKS managed node group on AL2023 with its own launch template: IMDSv2 required with hop limit 1
 * (pods cannot reach the node's credentials; they get their own through Pod Identity), encrypted gp3
 * root volume, labels and taints, and the ASG tags the cluster autoscaler needs to scale from zero.
 * `desiredSize` is ignored after creation: the autoscaler owns it.
 */
export class NodeGroup extends pulumi.ComponentResource {
    public readonly nodeGroup: aws.eks.NodeGroup;
    public readonly launchTemplate: aws.ec2.LaunchTemplate;
    /** The managed node group's ASG name (unknown in preview). */
    public readonly autoscalingGroupName: pulumi.Output<string>;

    constructor(name: string, args: NodeGroupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:compute:NodeGroup", name, {}, opts);
        if (args.minSize > args.maxSize) throw new pulumi.ResourceError(`minSize (${args.minSize}) exceeds maxSize (${args.maxSize})`, this);
        if (args.instanceTypes.length === 0) throw new pulumi.ResourceError("instanceTypes must not be empty", this);
        const tags = args.tags ?? {};
        const labels = { "node-group": args.nodeGroupName, ...(args.labels ?? {}) };
        const taints = args.taints ?? [];

        this.launchTemplate = new aws.ec2.LaunchTemplate(`${name}-lt`, {
            description: `EKS managed node group ${args.nodeGroupName}: IMDSv2 only, encrypted gp3 root volume`,
            updateDefaultVersion: true,
            metadataOptions: {
                httpEndpoint: "enabled",
                httpTokens: "required", // IMDSv2 only
                httpPutResponseHopLimit: 1, // containers (one hop further) cannot reach IMDS
                instanceMetadataTags: "disabled",
            },
            blockDeviceMappings: [{
                deviceName: "/dev/xvda", // AL2023 root volume
                ebs: {
                    volumeSize: args.diskSizeGiB ?? DEFAULTS.diskSizeGiB,
                    volumeType: "gp3",
                    iops: 3000,
                    throughput: 125,
                    encrypted: "true",
                    kmsKeyId: args.volumeKmsKeyArn,
                    deleteOnTermination: "true",
                },
            }],
            monitoring: { enabled: true },
            tagSpecifications: ["instance", "volume", "network-interface"].map((resourceType) => ({ resourceType, tags: { ...tags, Name: `${name}-node` } })),
            tags: { ...tags, Name: `${name}-lt` },
        }, { parent: this });

        const amiType = args.architecture === "arm64" ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD";
        this.nodeGroup = new aws.eks.NodeGroup(`${name}-ng`, {
            clusterName: args.clusterName,
            nodeGroupName: args.nodeGroupName,
            nodeRoleArn: args.nodeRoleArn,
            subnetIds: args.subnetIds,
            version: args.kubernetesVersion,
            amiType,
            capacityType: args.capacityType ?? DEFAULTS.capacityType,
            instanceTypes: args.instanceTypes,
            scalingConfig: { minSize: args.minSize, maxSize: args.maxSize, desiredSize: args.desiredSize ?? Math.max(args.minSize, 1) },
            updateConfig: { maxUnavailablePercentage: 33 },
            launchTemplate: { id: this.launchTemplate.id, version: this.launchTemplate.latestVersion.apply(String) },
            labels,
            taints: taints.map((t) => ({ key: t.key, value: t.value, effect: t.effect })),
            nodeRepairConfig: { enabled: true },
            tags: pulumi.output(args.clusterName).apply((cluster) => ({ ...tags, Name: `${name}-ng`, ...autoDiscoveryTags(cluster) })),
        }, { parent: this, dependsOn: args.dependsOn, ignoreChanges: ["scalingConfig.desiredSize"] });

        this.autoscalingGroupName = this.nodeGroup.resources.apply((rs) => rs?.[0]?.autoscalingGroups?.[0]?.name);
        const templateTags = nodeTemplateTags(labels, taints);
        for (const [key, value] of Object.entries(templateTags)) {
            const role = key.replace("k8s.io/cluster-autoscaler/node-template/", "").replace(/[^A-Za-z0-9-]+/g, "-");
            new aws.autoscaling.Tag(`${name}-asg-tag-${role}`, {
                autoscalingGroupName: this.autoscalingGroupName,
                tag: { key, value, propagateAtLaunch: false },
            }, { parent: this });
        }

        this.registerOutputs({ nodeGroupArn: this.nodeGroup.arn, autoscalingGroupName: this.autoscalingGroupName });
    }
}

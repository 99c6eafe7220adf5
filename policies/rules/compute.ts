/**
 * Compute rules: the EKS control plane, node launch templates and volumes.
 */
import { checkov, isSet, list, onType, Props, Rule } from "./common";

const EKS_CLUSTER = "aws:eks/cluster:Cluster";
const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";

export const compute: Rule[] = [
    {
        name: "eks-endpoint-not-public",
        description: "The EKS API endpoint is private, or public only to listed CIDRs (never 0.0.0.0/0).",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `vpcConfig.endpointPrivateAccess: true` and either `endpointPublicAccess: false` or `publicAccessCidrs` listing the office/VPN/CI ranges.",
        framework: checkov("CKV_AWS_38", "Ensure Amazon EKS public endpoint not accessible to 0.0.0.0/0"),
        tags: ["compute", "network"],
        validateResource: onType(EKS_CLUSTER, (props, args, report) => {
            const vpc: Props = props.vpcConfig ?? {};
            // The provider defaults endpointPublicAccess to true and publicAccessCidrs to 0.0.0.0/0.
            if (vpc.endpointPublicAccess === false) return;
            const cidrs = isSet(vpc, "publicAccessCidrs") ? list<string>(vpc.publicAccessCidrs) : ["0.0.0.0/0"];
            if (cidrs.length === 0 || cidrs.includes("0.0.0.0/0")) report(`${args.name}: the API endpoint is public to 0.0.0.0/0.`);
        }),
    },
    {
        name: "eks-secrets-encryption",
        description: "EKS envelope-encrypts Kubernetes Secrets with a KMS key.",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `encryptionConfig: { resources: [\"secrets\"], provider: { keyArn: key.arn } }` with a rotating customer-managed key.",
        framework: checkov("CKV_AWS_58", "Ensure EKS Cluster has Secrets Encryption Enabled"),
        tags: ["compute", "encryption"],
        validateResource: onType(EKS_CLUSTER, (props, args, report) => {
            const enc: Props | undefined = props.encryptionConfig;
            if (!enc || !list<string>(enc.resources).includes("secrets") || !isSet(enc.provider, "keyArn")) {
                report(`${args.name}: encryptionConfig does not cover "secrets" with a KMS key.`);
            }
        }),
    },
    {
        name: "eks-control-plane-logging",
        description: "The EKS control plane ships the required log types (api, audit, authenticator by default) to CloudWatch.",
        severity: "medium",
        enforcementLevel: "advisory",
        remediationSteps: "Add the missing types to `enabledClusterLogTypes`.",
        framework: checkov("CKV_AWS_37", "Ensure Amazon EKS control plane logging is enabled for all log types"),
        tags: ["compute", "observability"],
        configSchema: {
            properties: {
                requiredLogTypes: {
                    type: "array",
                    items: { type: "string", enum: ["api", "audit", "authenticator", "controllerManager", "scheduler"] },
                    default: ["api", "audit", "authenticator"],
                },
            },
        },
        validateResource: onType(EKS_CLUSTER, (props, args, report) => {
            const enabled = list<string>(props.enabledClusterLogTypes);
            const missing = args.getConfig<{ requiredLogTypes: string[] }>().requiredLogTypes.filter((t) => !enabled.includes(t));
            if (missing.length > 0) report(`${args.name}: control-plane log types not enabled: ${missing.join(", ")}.`);
        }),
    },
    {
        name: "launch-template-imdsv2",
        description: "Launch templates require IMDSv2 (session tokens), with a hop limit that keeps pods off the node's credentials.",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `metadataOptions: { httpEndpoint: \"enabled\", httpTokens: \"required\", httpPutResponseHopLimit: 1 }` (2 only if pods need IMDS).",
        framework: checkov("CKV_AWS_79", "Ensure Instance Metadata Service Version 1 is not enabled"),
        tags: ["compute", "identity"],
        configSchema: { properties: { maxHopLimit: { type: "integer", minimum: 1, maximum: 64, default: 2 } } },
        validateResource: onType(LAUNCH_TEMPLATE, (props, args, report) => {
            const md: Props = props.metadataOptions ?? {};
            if (md.httpEndpoint === "disabled") return;
            if (md.httpTokens !== "required") report(`${args.name}: metadataOptions.httpTokens is ${JSON.stringify(md.httpTokens ?? "optional")}; IMDSv1 stays usable.`);
            const { maxHopLimit } = args.getConfig<{ maxHopLimit: number }>();
            if (isSet(md, "httpPutResponseHopLimit") && md.httpPutResponseHopLimit > maxHopLimit) {
                report(`${args.name}: httpPutResponseHopLimit ${md.httpPutResponseHopLimit} exceeds ${maxHopLimit}.`);
            }
        }),
    },
    {
        name: "ebs-volumes-encrypted",
        description: "EBS volumes (launch template block devices, standalone volumes) are encrypted.",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Declare the root device in `blockDeviceMappings` with `ebs: { encrypted: \"true\", kmsKeyId }` (a launch template without one boots the AMI's unencrypted snapshot unless the account enables EBS encryption by default); `encrypted: true` on `aws.ebs.Volume`.",
        framework: checkov("CKV_AWS_3", "EBS volumes are encrypted"),
        tags: ["compute", "encryption"],
        validateResource: [
            onType(LAUNCH_TEMPLATE, (props, args, report) => {
                const mappings = list(props.blockDeviceMappings).filter((m) => m.ebs !== undefined);
                if (mappings.length === 0) report(`${args.name}: no blockDeviceMappings: the root volume inherits the AMI snapshot's (unencrypted) setting.`);
                for (const m of mappings) {
                    if (String(m.ebs.encrypted) !== "true") report(`${args.name}: ${m.deviceName ?? "a block device"} is not encrypted.`);
                }
            }),
            onType("aws:ebs/volume:Volume", (props, args, report) => {
                if (props.encrypted !== true) report(`${args.name}: encrypted is not true.`);
            }),
        ],
    },
];

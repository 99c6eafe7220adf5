/**
 * Computed outputs of the compute domain's resources, as AWS and Kubernetes return them:
 * (KMS keys: the edge domain's mock serves all of them.) EKS endpoint, CA, OIDC issuer and cluster security group; the OIDC provider ARN; the node group's
 * ASG; the NLB hostname of a LoadBalancer Service; a Helm release's status.
 */
import type { Computed } from "./mocks";
import { digest } from "./mocks";

export const computeMocks: Record<string, Computed> = {
    "aws:eks/cluster:Cluster": (_n, inputs, ctx, id) => {
        const oidcId = digest("oidc", id).slice(0, 32).toUpperCase();
        return {
            endpoint: `https://${digest("endpoint", id).slice(0, 32).toUpperCase()}.gr7.${ctx.region}.eks.amazonaws.com`,
            certificateAuthority: { data: Buffer.from(`-----BEGIN CERTIFICATE-----\nMOCK${digest("ca", id).slice(0, 48)}\n-----END CERTIFICATE-----\n`).toString("base64") },
            identities: [{ oidcs: [{ issuer: `https://oidc.eks.${ctx.region}.amazonaws.com/id/${oidcId}` }] }],
            vpcConfig: { ...(inputs.vpcConfig ?? {}), clusterSecurityGroupId: `sg-0${digest("cluster-sg", id).slice(0, 16)}`, vpcId: `vpc-0${digest("vpc", id).slice(0, 16)}` },
            platformVersion: "eks.1",
            status: "ACTIVE",
        };
    },
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (_n, inputs, ctx) => ({
        arn: `arn:aws:iam::${ctx.accountId}:oidc-provider/${String(inputs.url ?? "").replace(/^https:\/\//, "")}`,
    }),
    "aws:ec2/launchTemplate:LaunchTemplate": () => ({ latestVersion: 1, defaultVersion: 1 }),
    "aws:eks/nodeGroup:NodeGroup": (_n, inputs, ctx) => ({
        arn: `arn:aws:eks:${ctx.region}:${ctx.accountId}:nodegroup/${inputs.clusterName}/${inputs.nodeGroupName}/${digest("ng", inputs.nodeGroupName).slice(0, 8)}-${digest("ng2", inputs.nodeGroupName).slice(0, 4)}`,
        status: "ACTIVE",
        resources: [{ autoscalingGroups: [{ name: `eks-${inputs.nodeGroupName}-${digest("asg", inputs.clusterName, inputs.nodeGroupName).slice(0, 8)}` }], remoteAccessSecurityGroupId: "" }],
    }),
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": (_n, inputs, ctx, id) => ({ associationId: `a-${digest(id).slice(0, 17)}`, associationArn: `arn:aws:eks:${ctx.region}:${ctx.accountId}:podidentityassociation/${inputs.clusterName}/a-${digest(id).slice(0, 17)}` }),
    "kubernetes:core/v1:Service": (name, inputs, ctx) => inputs.spec?.type === "LoadBalancer"
        ? { status: { loadBalancer: { ingress: [{ hostname: `a${digest("elb", name).slice(0, 31)}-${digest("elb2", name).slice(0, 16)}.elb.${ctx.region}.amazonaws.com` }] } } }
        : {},
    "kubernetes:helm.sh/v3:Release": (name, inputs) => ({
        status: { name: inputs.name ?? name, namespace: inputs.namespace ?? "default", chart: inputs.chart, version: inputs.version, appVersion: "", revision: 1, status: "deployed" },
    }),
};

import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { podIdentityRole } from "./podIdentity";
import { chartImage, ContainerImage, imageReference, pullReference } from "./containerImage";
import { AWS_LOAD_BALANCER_CONTROLLER_IAM_POLICY, AWS_LOAD_BALANCER_CONTROLLER_RELEASE } from "../catalog/awsLoadBalancerController";

export { AWS_LOAD_BALANCER_CONTROLLER_RELEASE };

/** Arguments of {@link LoadBalancerController}. */
export interface LoadBalancerControllerArgs {
    /** EKS cluster name (the controller tags and discovers its load balancers by it). */
    clusterName: string;
    /** The cluster's name as an output of the cluster resource (the Pod Identity association waits for it). @default clusterName */
    clusterNameOutput?: pulumi.Input<string>;
    region: string;
    /** VPC of the cluster (given, so the controller does not need IMDS, which the nodes limit to hop 1). */
    vpcId: pulumi.Input<string>;
    /** Replicas (one leader, the others serve the webhooks). @default 2 */
    replicas?: number;
    /** Requests per replica. */
    cpuMillis: number;
    memoryMiB: number;
    /** Controller image. @default v3.5.0 pinned by digest ({@link AWS_LOAD_BALANCER_CONTROLLER_RELEASE}) */
    image?: ContainerImage;
    /** ECR pull-through cache registry host (`ImageCache.registry`): the image is pulled through it. @default its upstream */
    imageRegistry?: pulumi.Input<string>;
    /** Placement on the system nodes. */
    nodeSelector?: Record<string, string>;
    tolerations?: Array<Record<string, string>>;
}

const NAMESPACE = "kube-system";

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string | string[]>> };
const actionsOf = (s: Statement) => ([] as string[]).concat(s.Action);
const NLB_ARN = "arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*";
const NLB_LISTENER_ARN = "arn:aws:elasticloadbalancing:*:*:listener/net/*/*/*";

/**
 * The release's documented policy, narrowed to what this program uses it for (network load balancers
 * in one VPC, no WAF/Shield add-ons, which are for ALBs): the statements the documented policy leaves on
 * `*` without a condition are scoped instead; every other statement is kept verbatim, so a refresh of
 * the documented policy carries over.
 * - WAF and Shield actions: dropped (`enableWaf*`/`enableShield` are off);
 * - security group ingress changes: only on security groups of this VPC (`ec2:Vpc`);
 * - security group creation: in this VPC, and only tagged for the controller's cluster on creation;
 * - listener create/delete/modify and listener certificates: NLB listeners only (ALB rules dropped).
 */
export function loadBalancerControllerPolicy(vpcId: string): { Version: string; Statement: Statement[] } {
    const vpcArn = `arn:aws:ec2:*:*:vpc/${vpcId}`;
    const unconditionedOnAny = (s: Statement) => s.Resource === "*" && !s.Condition;
    const out: Statement[] = [];
    for (const s of AWS_LOAD_BALANCER_CONTROLLER_IAM_POLICY.Statement as Statement[]) {
        const actions = actionsOf(s);
        if (!unconditionedOnAny(s)) {
            out.push(s);
        } else if (actions.some((a) => /^(waf-regional|wafv2|shield):/.test(a))) {
            // Certificate and user-pool reads stay; WAF and Shield go.
            out.push({ ...s, Action: actions.filter((a) => !/^(waf-regional|wafv2|shield):/.test(a)) });
        } else if (actions.includes("ec2:AuthorizeSecurityGroupIngress")) {
            out.push({ ...s, Resource: "arn:aws:ec2:*:*:security-group/*", Condition: { ArnLike: { "ec2:Vpc": vpcArn } } });
        } else if (actions.includes("ec2:CreateSecurityGroup")) {
            out.push({ Effect: "Allow", Action: ["ec2:CreateSecurityGroup"], Resource: vpcArn });
            out.push({ Effect: "Allow", Action: ["ec2:CreateSecurityGroup"], Resource: "arn:aws:ec2:*:*:security-group/*", Condition: { Null: { "aws:RequestTag/elbv2.k8s.aws/cluster": "false" } } });
        } else if (actions.includes("elasticloadbalancing:CreateListener")) {
            out.push({ Effect: "Allow", Action: ["elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener"], Resource: [NLB_ARN, NLB_LISTENER_ARN] });
        } else if (actions.includes("elasticloadbalancing:ModifyListener")) {
            out.push({ Effect: "Allow", Action: ["elasticloadbalancing:ModifyListener", "elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates"], Resource: NLB_LISTENER_ARN });
        } else {
            out.push(s);
        }
    }
    return { Version: AWS_LOAD_BALANCER_CONTROLLER_IAM_POLICY.Version, Statement: out };
}
const SERVICE_ACCOUNT = "aws-load-balancer-controller";

/**
 * The AWS Load Balancer Controller from its pinned chart, with the IAM policy its release documents,
 * narrowed to this use ({@link loadBalancerControllerPolicy}), through EKS Pod Identity. It provisions the origin NLB of a `loadBalancerClass: service.k8s.aws/nlb`
 * Service: IP targets (pods directly, no node ports), a security group of ours on the NLB, and the rules
 * that let that security group (only) reach the pods. EKS's built-in service controller cannot attach a
 * security group to an NLB and opens node ports on the cluster security group to the source ranges.
 */
export class LoadBalancerController extends pulumi.ComponentResource {
    public readonly role: aws.iam.Role;
    public readonly release: k8s.helm.v3.Release;
    /** The `loadBalancerClass` this controller serves. */
    public readonly loadBalancerClass = "service.k8s.aws/nlb";

    constructor(name: string, args: LoadBalancerControllerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:compute:LoadBalancerController", name, {}, opts);
        const replicas = args.replicas ?? 2;
        const image = args.image ?? AWS_LOAD_BALANCER_CONTROLLER_RELEASE.image;

        const { role, association } = podIdentityRole(name, {
            clusterName: args.clusterNameOutput ?? args.clusterName,
            namespace: NAMESPACE,
            serviceAccount: SERVICE_ACCOUNT,
            description: `AWS Load Balancer Controller ${AWS_LOAD_BALANCER_CONTROLLER_RELEASE.version} of EKS ${args.clusterName}`,
            policy: pulumi.output(args.vpcId).apply((vpcId) => JSON.stringify(loadBalancerControllerPolicy(vpcId))),
        }, this);
        this.role = role;

        const ref = imageReference(image);
        this.release = new k8s.helm.v3.Release(`${name}-release`, {
            name: "aws-load-balancer-controller",
            chart: AWS_LOAD_BALANCER_CONTROLLER_RELEASE.chart,
            version: AWS_LOAD_BALANCER_CONTROLLER_RELEASE.version,
            repositoryOpts: { repo: AWS_LOAD_BALANCER_CONTROLLER_RELEASE.repo },
            namespace: NAMESPACE,
            atomic: true,
            cleanupOnFail: true,
            timeout: 600,
            values: {
                clusterName: args.clusterName,
                region: args.region,
                vpcId: args.vpcId,
                replicaCount: replicas,
                // The chart writes `repository:tag`: the digest rides on the tag.
                image: { ...chartImage(pullReference(ref, args.imageRegistry)), pullPolicy: "IfNotPresent" },
                serviceAccount: { create: true, name: SERVICE_ACCOUNT },
                // Ingress is not used here; no IngressClass "alb" that a team could pick by accident.
                createIngressClassResource: false,
                ingressClassParams: { create: false },
                defaultTargetType: "ip",
                // Nothing becomes internet-facing unless a Service says so.
                defaultLoadBalancerScheme: "internal",
                enableShield: false,
                enableWaf: false,
                enableWafv2: false,
                resources: { requests: { cpu: `${args.cpuMillis}m`, memory: `${args.memoryMiB}Mi` }, limits: { memory: `${args.memoryMiB}Mi` } },
                nodeSelector: args.nodeSelector ?? {},
                tolerations: args.tolerations ?? [],
                podDisruptionBudget: { maxUnavailable: 1 },
                priorityClassName: "system-cluster-critical",
            },
        }, { parent: this, dependsOn: [association] });

        this.registerOutputs({ roleArn: this.role.arn });
    }
}

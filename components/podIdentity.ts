/**
 * An IAM role that one Kubernetes service account assumes through EKS Pod Identity, with one managed
 * policy: the four resources every add-on with AWS rights needs, named from the add-on's component.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { POD_IDENTITY_TRUST } from "./cluster";

export interface PodIdentityRoleArgs {
    /** Cluster the association belongs to (an output of the cluster, so the association waits for it). */
    clusterName: pulumi.Input<string>;
    namespace: string;
    serviceAccount: string;
    /** What the policy is for (the IAM policy's description). */
    description: pulumi.Input<string>;
    /** The policy document, as JSON. */
    policy: pulumi.Input<string>;
}

/**
 * Creates `${name}-role`, `${name}-policy`, `${name}-policy-attachment` and `${name}-pod-identity` under
 * `parent`. The association depends on the attachment, so pods never start with the role but not its rights.
 */
export function podIdentityRole(name: string, args: PodIdentityRoleArgs, parent: pulumi.Resource): { role: aws.iam.Role; association: aws.eks.PodIdentityAssociation } {
    const role = new aws.iam.Role(`${name}-role`, { assumeRolePolicy: POD_IDENTITY_TRUST, tags: { Name: `${name}-role` } }, { parent });
    const policy = new aws.iam.Policy(`${name}-policy`, { description: args.description, policy: args.policy }, { parent });
    const attachment = new aws.iam.RolePolicyAttachment(`${name}-policy-attachment`, { role: role.name, policyArn: policy.arn }, { parent });
    const association = new aws.eks.PodIdentityAssociation(`${name}-pod-identity`, {
        clusterName: args.clusterName,
        namespace: args.namespace,
        serviceAccount: args.serviceAccount,
        roleArn: role.arn,
    }, { parent, dependsOn: [attachment] });
    return { role, association };
}

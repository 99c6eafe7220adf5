import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { dataStoreKey } from "./dataStore";

/** Arguments of {@link CodeBuildRunner}. */
export interface CodeBuildRunnerArgs {
    /** CodeBuild project name; the workflows' `runs-on` is `codebuild-<projectName>-<run id>-<attempt>`. */
    projectName: string;
    /** GitHub repository (`owner/name`) whose queued workflow jobs start builds. */
    githubRepository: string;
    /** AWS CodeConnections connection to GitHub (created once in the console). */
    connectionArn: string;
    /** VPC and private subnets (with NAT egress: GitHub, npm, Pulumi Cloud and AWS APIs) the jobs run in. */
    vpcId: pulumi.Input<string>;
    subnetIds: pulumi.Input<string>[];
    /** Security group of the EKS API endpoint (the EKS-managed cluster security group): the runner gets 443 to it. */
    clusterSecurityGroupId: pulumi.Input<string>;
    /** CodeBuild compute type. @default "BUILD_GENERAL1_MEDIUM" */
    computeType?: string;
    /** Build image. @default "aws/codebuild/amazonlinux-x86_64-standard:5.0" */
    image?: string;
    /** Job timeout, minutes. @default 120 */
    timeoutMinutes?: number;
    /** Job log retention, days. @default 90 */
    logRetentionDays?: number;
    /** Prod: Pulumi `protect` on the log key. @default false */
    protect?: boolean;
    /** Tags for every AWS resource, besides the provider's default tags. */
    tags?: Record<string, string>;
}

const DEFAULTS = { computeType: "BUILD_GENERAL1_MEDIUM", image: "aws/codebuild/amazonlinux-x86_64-standard:5.0", timeoutMinutes: 120, logRetentionDays: 90 };

/** The `runs-on` label of a CodeBuild-hosted runner project, as a workflow writes it (GitHub fills in the expressions). */
export const codebuildRunsOn = (projectName: string) => `codebuild-${projectName}-\${{ github.run_id }}-\${{ github.run_attempt }}`;

/**
 * A CodeBuild-hosted GitHub Actions runner inside the VPC, so that deploys and previews reach a private EKS
 * API endpoint:
 * - a CodeBuild project on the repository (authenticated through a CodeConnections connection) with VPC
 *   config in the private subnets, and a webhook on WORKFLOW_JOB_QUEUED: each queued job whose `runs-on`
 *   names the project starts one ephemeral build that runs it;
 * - its own security group (egress only) and a rule admitting it on 443 to the cluster security group;
 * - a service role that can only write its logs, manage its network interfaces and use the connection.
 *   AWS credentials of the jobs still come from the workflow's OIDC role (`configure-aws-credentials`).
 */
export class CodeBuildRunner extends pulumi.ComponentResource {
    public readonly project: aws.codebuild.Project;
    public readonly securityGroupId: pulumi.Output<string>;
    /** The 443 rule from the runner to the cluster security group. */
    public readonly apiIngressRule: aws.vpc.SecurityGroupIngressRule;
    /** `runs-on` label of the jobs this runner takes. */
    public readonly runsOn: string;

    constructor(name: string, args: CodeBuildRunnerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:ci:CodeBuildRunner", name, {}, opts);
        const tags = args.tags ?? {};
        const nameTag = (role: string) => ({ ...tags, Name: `${name}-${role}` });
        if (!/^[\w-]+\/[\w.-]+$/.test(args.githubRepository)) throw new pulumi.ResourceError(`githubRepository "${args.githubRepository}" must be owner/name`, this);

        const sg = new aws.ec2.SecurityGroup(`${name}-sg`, {
            vpcId: args.vpcId,
            description: `GitHub Actions runner ${args.projectName}: egress only`,
            egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], description: "GitHub, registries, Pulumi backend, AWS and EKS APIs" }],
            tags: nameTag("sg"),
        }, { parent: this });
        this.securityGroupId = sg.id;
        this.apiIngressRule = new aws.vpc.SecurityGroupIngressRule(`${name}-eks-api`, {
            securityGroupId: args.clusterSecurityGroupId,
            referencedSecurityGroupId: sg.id,
            ipProtocol: "tcp",
            fromPort: 443,
            toPort: 443,
            description: `EKS API from the CI runner ${args.projectName}`,
            tags: nameTag("eks-api"),
        }, { parent: this });

        // The jobs' logs show deploy output (resource names, diffs): a customer key admitting this group only.
        const logGroupName = `/aws/codebuild/${args.projectName}`;
        const logsKey = dataStoreKey(this, `${name}-logs`, {
            identifier: `codebuild/${args.projectName}/logs`,
            description: `CI runner ${args.projectName}: job logs`,
            logGroupNames: [logGroupName],
            protect: args.protect ?? false,
            tags: nameTag("logs-key"),
        });
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, {
            name: logGroupName,
            retentionInDays: args.logRetentionDays ?? DEFAULTS.logRetentionDays,
            kmsKeyId: logsKey.arn,
            tags: nameTag("logs"),
        }, { parent: this });

        const role = new aws.iam.Role(`${name}-role`, {
            assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "codebuild.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
            tags: nameTag("role"),
        }, { parent: this });
        const subnetIds = pulumi.output(args.subnetIds);
        const policy = new aws.iam.RolePolicy(`${name}-policy`, {
            role: role.id,
            policy: pulumi.all([logGroup.arn, subnetIds, sg.id, pulumi.output(args.vpcId)]).apply(([logArn, subnets, sgId, vpcId]) => {
                const [, partition, , region, account] = logArn.split(":");
                const ec2 = (what: string) => `arn:${partition}:ec2:${region}:${account}:${what}`;
                return JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        { Sid: "Logs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [logArn, `${logArn}:*`] },
                        // CodeBuild in a VPC (CodeBuild user guide, "Allow CodeBuild access to AWS services required to create a VPC network interface").
                        { Sid: "VpcRead", Effect: "Allow", Action: ["ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs"], Resource: "*" },
                        // Network interfaces in its own subnets, with its own security group, and only in its VPC.
                        { Sid: "VpcEniCreate", Effect: "Allow", Action: "ec2:CreateNetworkInterface", Resource: [ec2("network-interface/*"), ...subnets.map((s) => ec2(`subnet/${s}`)), ec2(`security-group/${sgId}`)] },
                        { Sid: "VpcEniDelete", Effect: "Allow", Action: "ec2:DeleteNetworkInterface", Resource: ec2("network-interface/*"), Condition: { ArnEquals: { "ec2:Vpc": ec2(`vpc/${vpcId}`) } } },
                        {
                            Sid: "VpcEniPermission", Effect: "Allow", Action: "ec2:CreateNetworkInterfacePermission",
                            Resource: ec2("network-interface/*"),
                            Condition: { StringEquals: { "ec2:AuthorizedService": "codebuild.amazonaws.com" }, ArnEquals: { "ec2:Subnet": subnets.map((s) => ec2(`subnet/${s}`)) } },
                        },
                        { Sid: "Connection", Effect: "Allow", Action: ["codeconnections:GetConnection", "codeconnections:GetConnectionToken", "codeconnections:UseConnection", "codestar-connections:GetConnection", "codestar-connections:GetConnectionToken", "codestar-connections:UseConnection"], Resource: args.connectionArn },
                    ],
                });
            }),
        }, { parent: this });

        this.project = new aws.codebuild.Project(`${name}-project`, {
            name: args.projectName,
            description: `GitHub Actions runner for ${args.githubRepository} inside the VPC (reaches the private EKS API)`,
            serviceRole: role.arn,
            buildTimeout: args.timeoutMinutes ?? DEFAULTS.timeoutMinutes,
            source: {
                type: "GITHUB",
                location: `https://github.com/${args.githubRepository}.git`,
                gitCloneDepth: 1,
                auth: { type: "CODECONNECTIONS", resource: args.connectionArn },
            },
            artifacts: { type: "NO_ARTIFACTS" },
            environment: {
                type: "LINUX_CONTAINER",
                computeType: args.computeType ?? DEFAULTS.computeType,
                image: args.image ?? DEFAULTS.image,
                imagePullCredentialsType: "CODEBUILD",
                privilegedMode: false,
            },
            vpcConfig: { vpcId: args.vpcId, subnets: args.subnetIds, securityGroupIds: [sg.id] },
            logsConfig: { cloudwatchLogs: { status: "ENABLED", groupName: logGroup.name } },
            tags: nameTag("project"),
        }, { parent: this, dependsOn: [policy] });

        new aws.codebuild.Webhook(`${name}-webhook`, {
            projectName: this.project.name,
            buildType: "BUILD",
            filterGroups: [{ filters: [{ type: "EVENT", pattern: "WORKFLOW_JOB_QUEUED" }] }],
        }, { parent: this });

        this.runsOn = codebuildRunsOn(args.projectName);
        this.registerOutputs({ projectName: this.project.name, securityGroupId: this.securityGroupId, runsOn: this.runsOn });
    }
}

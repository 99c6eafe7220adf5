import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * AWS's rotation functions from the Serverless Application Repository, pinned (the versions AWS CDK pins for
 * the `aws` partition).
 */
export const ROTATION_APPLICATIONS = {
    singleUser: { applicationId: "arn:aws:serverlessrepo:us-east-1:297356227824:applications/SecretsManagerRDSPostgreSQLRotationSingleUser", semanticVersion: "1.1.671" },
    multiUser: { applicationId: "arn:aws:serverlessrepo:us-east-1:297356227824:applications/SecretsManagerRDSPostgreSQLRotationMultiUser", semanticVersion: "1.1.671" },
} as const;

/**
 * Characters rotated passwords never contain: `"` and `\` (PgBouncer's user list quotes with `"`), and what
 * breaks connection URLs or shells (`/ @ ' : ` and space).
 */
export const ROTATION_EXCLUDE_CHARACTERS = "/@\"'\\: `";

/** Arguments of {@link DatabaseCredentialRotation}. */
export interface DatabaseCredentialRotationArgs {
    /** Physical name prefix of the functions' stacks (`<prefix>-rotation-master`, `<prefix>-rotation-roles`). */
    identifier: string;
    region: string;
    vpcId: pulumi.Input<string>;
    /** Subnets of the functions: private subnets (NAT egress to the Secrets Manager API). */
    subnetIds: pulumi.Input<string>[];
    /** Aurora's security group: admits the functions on the PostgreSQL port. */
    databaseSecurityGroupId: pulumi.Input<string>;
    /** PostgreSQL port. @default 5432 */
    port?: number;
    /** The master secret and its KMS key (single-user rotation; the multi-user function reads it). */
    masterSecretArn: pulumi.Input<string>;
    kmsKeyArn: pulumi.Input<string>;
    /** The application roles' secrets (multi-user rotation: alternating `<role>` / `<role>_clone`). */
    roleSecretArns: Record<string, pulumi.Input<string>>;
    /** Days between rotations. */
    afterDays: number;
    /** Rotations start only after these (the roles Job: the first rotation logs in with the current credentials). */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Secrets Manager rotation of the database credentials, with AWS's functions deployed from the Serverless
 * Application Repository into the VPC (private subnets, a security group reaching Aurora on 5432 and
 * Secrets Manager on 443):
 * - the master secret: single-user rotation (only the roles Job uses it, and it reads it afresh every run);
 *   Aurora ignores its generated password after creation (`AuroraPostgresArgs.masterPasswordRotated`);
 * - each role's secret: multi-user rotation. It alternates between `<role>` and `<role>_clone`, changing the
 *   password of the login that is not current, so the credentials applications and PgBouncer hold stay valid
 *   until the next rotation.
 * First rotations happen `afterDays` after creation (not immediately: the roles must exist first).
 */
export class DatabaseCredentialRotation extends pulumi.ComponentResource {
    public readonly securityGroup: aws.ec2.SecurityGroup;

    constructor(name: string, args: DatabaseCredentialRotationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:data:DatabaseCredentialRotation", name, {}, opts);
        const port = args.port ?? 5432;
        this.securityGroup = new aws.ec2.SecurityGroup(`${name}-sg`, {
            vpcId: args.vpcId,
            description: `Secrets Manager rotation functions of ${args.identifier}: PostgreSQL and HTTPS out only`,
            tags: { Name: `${name}-sg` },
        }, { parent: this });
        new aws.vpc.SecurityGroupEgressRule(`${name}-egress-postgres`, {
            securityGroupId: this.securityGroup.id,
            referencedSecurityGroupId: args.databaseSecurityGroupId,
            ipProtocol: "tcp", fromPort: port, toPort: port,
            description: "PostgreSQL to Aurora",
        }, { parent: this });
        new aws.vpc.SecurityGroupEgressRule(`${name}-egress-https`, {
            securityGroupId: this.securityGroup.id,
            cidrIpv4: "0.0.0.0/0",
            ipProtocol: "tcp", fromPort: 443, toPort: 443,
            description: "Secrets Manager API (through the NAT gateways)",
        }, { parent: this });
        new aws.vpc.SecurityGroupIngressRule(`${name}-aurora-ingress`, {
            securityGroupId: args.databaseSecurityGroupId,
            referencedSecurityGroupId: this.securityGroup.id,
            ipProtocol: "tcp", fromPort: port, toPort: port,
            description: "PostgreSQL from the Secrets Manager rotation functions",
        }, { parent: this });

        const common = {
            endpoint: `https://secretsmanager.${args.region}.amazonaws.com`,
            vpcSubnetIds: pulumi.all(args.subnetIds).apply((ids) => ids.join(",")),
            vpcSecurityGroupIds: this.securityGroup.id,
            excludeCharacters: ROTATION_EXCLUDE_CHARACTERS,
            kmsKeyArn: args.kmsKeyArn,
        };
        const app = (role: "master" | "roles", application: { applicationId: string; semanticVersion: string }, parameters: Record<string, pulumi.Input<string>>) =>
            new aws.serverlessrepository.CloudFormationStack(`${name}-${role}-function`, {
                name: `${args.identifier}-rotation-${role}`,
                applicationId: application.applicationId,
                semanticVersion: application.semanticVersion,
                // The application's template creates the function's IAM role and its resource policy.
                capabilities: ["CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"],
                parameters: { ...common, functionName: `${args.identifier}-rotation-${role}`, ...parameters },
            }, { parent: this });
        const single = app("master", ROTATION_APPLICATIONS.singleUser, {});
        const multi = app("roles", ROTATION_APPLICATIONS.multiUser, { masterSecretArn: args.masterSecretArn, masterSecretKmsKeyArn: args.kmsKeyArn });
        const lambdaArn = (s: aws.serverlessrepository.CloudFormationStack) => s.outputs.apply((o) => o["RotationLambdaARN"]);
        const rotation = (n: string, secretId: pulumi.Input<string>, fn: aws.serverlessrepository.CloudFormationStack) => new aws.secretsmanager.SecretRotation(`${name}-${n}`, {
            secretId,
            rotationLambdaArn: lambdaArn(fn),
            rotationRules: { automaticallyAfterDays: args.afterDays },
            rotateImmediately: false,
        }, { parent: this, dependsOn: args.dependsOn });
        rotation("master", args.masterSecretArn, single);
        for (const [role, arn] of Object.entries(args.roleSecretArns)) rotation(`role-${role}`, arn, multi);
        this.registerOutputs({ securityGroupId: this.securityGroup.id });
    }
}

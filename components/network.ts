import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SubnetLayout, SubnetTier, SUBNET_TIERS } from "../sizing/subnets";
import { dataStoreKey } from "./dataStore";

/** Arguments of {@link Network}. */
export interface NetworkArgs {
    /** AWS region; names the S3 gateway endpoint service. */
    region: string;
    /** VPC CIDR, e.g. `10.20.0.0/16`. */
    cidr: string;
    /** Subnet CIDRs per tier and zone, from `planSubnets` (three zones). */
    subnets: SubnetLayout;
    /**
     * `perAz`: a NAT gateway in every zone, so losing a zone never cuts the others off the internet.
     * `single`: one NAT gateway shared by all zones (cheaper; for dev).
     * @default "perAz"
     */
    natGateways?: "perAz" | "single";
    /**
     * EKS cluster name; subnets get the `kubernetes.io/cluster/<name>` tag that EKS and the AWS load
     * balancer integration use to discover them.
     */
    clusterName?: string;
    /** VPC flow logs to CloudWatch Logs. */
    flowLogs?: {
        /** Log retention in days (a CloudWatch Logs retention period). @default 30 */
        retentionDays?: number;
        /** Which traffic to log. @default "ALL" */
        trafficType?: "ALL" | "ACCEPT" | "REJECT";
    };
    /**
     * Pulumi `protect` on the VPC and its subnets: replacing them would take down everything inside,
     * so prod refuses to delete them without an explicit unprotect.
     * @default false
     */
    protect?: boolean;
    /** Tags for every resource, besides the provider's default tags. */
    tags?: Record<string, string>;
}

const DEFAULTS = { natGateways: "perAz" as const, retentionDays: 30, trafficType: "ALL" as const };

/**
 * A VPC across three availability zones with three subnet tiers:
 * - `public`: internet-facing load balancers and the NAT gateways;
 * - `private`: workloads (EKS nodes and pods), egress through NAT;
 * - `isolated`: data stores (Aurora, ElastiCache), no route to or from the internet.
 *
 * Also: flow logs, an S3 gateway endpoint on the private and isolated route tables (image layers and
 * backups do not pay for NAT), and a default security group stripped of rules (CIS AWS 5.4).
 */
export class Network extends pulumi.ComponentResource {
    public readonly vpc: aws.ec2.Vpc;
    public readonly vpcId: pulumi.Output<string>;
    public readonly vpcCidr: string;
    /** Subnet ids by tier, in zone order. */
    public readonly publicSubnetIds: pulumi.Output<string>[];
    public readonly privateSubnetIds: pulumi.Output<string>[];
    public readonly isolatedSubnetIds: pulumi.Output<string>[];
    public readonly natGatewayIds: pulumi.Output<string>[];
    public readonly privateRouteTableIds: pulumi.Output<string>[];
    public readonly availabilityZones: string[];

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:network:Network", name, {}, opts);
        const natMode = args.natGateways ?? DEFAULTS.natGateways;
        const tags = args.tags ?? {};
        const azs = args.subnets.public.map((s) => s.az);
        const nameTag = (role: string) => ({ ...tags, Name: `${name}-${role}` });
        const clusterTag: Record<string, string> = args.clusterName ? { [`kubernetes.io/cluster/${args.clusterName}`]: "shared" } : {};
        // Tags by tier: EKS places internet-facing load balancers in `elb` subnets and internal ones in `internal-elb`.
        const tierTags: Record<SubnetTier, Record<string, string>> = {
            public: { ...clusterTag, "kubernetes.io/role/elb": "1", tier: "public" },
            private: { ...clusterTag, "kubernetes.io/role/internal-elb": "1", tier: "private" },
            isolated: { tier: "isolated" },
        };

        this.vpc = new aws.ec2.Vpc(`${name}-vpc`, {
            cidrBlock: args.cidr,
            enableDnsHostnames: true, // required for EKS private endpoints and RDS/ElastiCache DNS names
            enableDnsSupport: true,
            tags: nameTag("vpc"),
        }, { parent: this, protect: args.protect ?? false });
        const vpcId = this.vpc.id;

        // No rules on the default security group: nothing can fall back to it (CIS AWS 5.4).
        new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId, tags: nameTag("default-sg") }, { parent: this });

        const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId, tags: nameTag("igw") }, { parent: this });

        const subnets = {} as Record<SubnetTier, aws.ec2.Subnet[]>;
        for (const tier of SUBNET_TIERS) {
            subnets[tier] = args.subnets[tier].map((s, i) => new aws.ec2.Subnet(`${name}-${tier}-${i + 1}`, {
                vpcId,
                cidrBlock: s.cidr,
                availabilityZone: s.az,
                mapPublicIpOnLaunch: false, // nothing gets a public IP by accident; load balancers and NAT have their own
                tags: { ...nameTag(`${tier}-${s.az}`), ...tierTags[tier] },
            }, { parent: this, protect: args.protect ?? false }));
        }

        const publicRt = new aws.ec2.RouteTable(`${name}-public-rt`, {
            vpcId,
            routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
            tags: nameTag("public-rt"),
        }, { parent: this });
        subnets.public.forEach((s, i) => new aws.ec2.RouteTableAssociation(`${name}-public-rta-${i + 1}`, { subnetId: s.id, routeTableId: publicRt.id }, { parent: this }));

        const natCount = natMode === "perAz" ? azs.length : 1;
        const nats = Array.from({ length: natCount }, (_, i) => {
            const eip = new aws.ec2.Eip(`${name}-nat-eip-${i + 1}`, { domain: "vpc", tags: nameTag(`nat-eip-${azs[i]}`) }, { parent: this });
            return new aws.ec2.NatGateway(`${name}-nat-${i + 1}`, {
                allocationId: eip.id,
                subnetId: subnets.public[i].id,
                connectivityType: "public",
                tags: nameTag(`nat-${azs[i]}`),
            }, { parent: this, dependsOn: [igw] });
        });

        // One private route table per zone, each to its own zone's NAT (or to the single NAT).
        const privateRts = subnets.private.map((s, i) => {
            const rt = new aws.ec2.RouteTable(`${name}-private-rt-${i + 1}`, {
                vpcId,
                routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nats[Math.min(i, nats.length - 1)].id }],
                tags: nameTag(`private-rt-${azs[i]}`),
            }, { parent: this });
            new aws.ec2.RouteTableAssociation(`${name}-private-rta-${i + 1}`, { subnetId: s.id, routeTableId: rt.id }, { parent: this });
            return rt;
        });

        // Isolated subnets: only the VPC-local route (and the S3 endpoint below).
        const isolatedRt = new aws.ec2.RouteTable(`${name}-isolated-rt`, { vpcId, tags: nameTag("isolated-rt") }, { parent: this });
        subnets.isolated.forEach((s, i) => new aws.ec2.RouteTableAssociation(`${name}-isolated-rta-${i + 1}`, { subnetId: s.id, routeTableId: isolatedRt.id }, { parent: this }));

        new aws.ec2.VpcEndpoint(`${name}-s3-endpoint`, {
            vpcId,
            serviceName: `com.amazonaws.${args.region}.s3`,
            vpcEndpointType: "Gateway",
            routeTableIds: [...privateRts.map((rt) => rt.id), isolatedRt.id],
            tags: nameTag("s3-endpoint"),
        }, { parent: this });

        this.createFlowLogs(name, vpcId, args, nameTag);

        this.vpcId = vpcId;
        this.vpcCidr = args.cidr;
        this.availabilityZones = azs;
        this.publicSubnetIds = subnets.public.map((s) => s.id);
        this.privateSubnetIds = subnets.private.map((s) => s.id);
        this.isolatedSubnetIds = subnets.isolated.map((s) => s.id);
        this.natGatewayIds = nats.map((n) => n.id);
        this.privateRouteTableIds = privateRts.map((rt) => rt.id);
        this.registerOutputs({
            vpcId: this.vpcId,
            publicSubnetIds: this.publicSubnetIds,
            privateSubnetIds: this.privateSubnetIds,
            isolatedSubnetIds: this.isolatedSubnetIds,
            natGatewayIds: this.natGatewayIds,
        });
    }

    private createFlowLogs(name: string, vpcId: pulumi.Output<string>, args: NetworkArgs, nameTag: (role: string) => Record<string, string>) {
        // Flow logs map who talked to whom: a customer key that admits this log group only.
        const logGroupName = `/vpc/${name}/flow-logs`;
        const key = dataStoreKey(this, `${name}-flow-logs`, {
            identifier: `vpc/${name}/flow-logs`,
            description: `VPC ${name}: flow logs`,
            logGroupNames: [logGroupName],
            protect: args.protect ?? false,
            tags: nameTag("flow-logs-key"),
        });
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-flow-logs`, {
            name: logGroupName,
            retentionInDays: args.flowLogs?.retentionDays ?? DEFAULTS.retentionDays,
            kmsKeyId: key.arn,
            tags: nameTag("flow-logs"),
        }, { parent: this });
        const role = new aws.iam.Role(`${name}-flow-logs-role`, {
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "vpc-flow-logs.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
            tags: nameTag("flow-logs-role"),
        }, { parent: this });
        new aws.iam.RolePolicy(`${name}-flow-logs-policy`, {
            role: role.id,
            // Least privilege: write to this log group only.
            policy: logGroup.arn.apply((arn) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [{
                    Effect: "Allow",
                    Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    Resource: [arn, `${arn}:*`],
                }],
            })),
        }, { parent: this });
        new aws.ec2.FlowLog(`${name}-flow-log`, {
            vpcId,
            trafficType: args.flowLogs?.trafficType ?? DEFAULTS.trafficType,
            logDestinationType: "cloud-watch-logs",
            logDestination: logGroup.arn,
            iamRoleArn: role.arn,
            maxAggregationInterval: 60,
            tags: nameTag("flow-log"),
        }, { parent: this });
    }
}

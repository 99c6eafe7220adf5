import { strict as assert } from "assert";
import { byName, childrenOf, ofType, stackPlan, stackConfigValue } from "./helpers";
import { planSubnets } from "../sizing/subnets";
import { cidrContains, cidrsOverlap, parseCidr } from "../config/cidr";

describe("Network component", () => {
    for (const stack of ["dev", "prod"]) {
        describe(`in the ${stack} plan`, () => {
            const net = stackConfigValue(stack, "scaling-topology:network");

            it("puts one subnet per tier in each of the three zones, inside the VPC and without overlap", async () => {
                const plan = await stackPlan(stack);
                const vpc = ofType(plan, "aws:ec2/vpc:Vpc");
                assert.equal(vpc.length, 1);
                assert.equal(vpc[0].props.cidrBlock, net.cidr);
                const subnets = ofType(plan, "aws:ec2/subnet:Subnet");
                assert.equal(subnets.length, 9);
                for (const tier of ["public", "private", "isolated"]) {
                    const ofTier = subnets.filter((s) => (s.props.tags as any).tier === tier);
                    assert.deepEqual(ofTier.map((s) => s.props.availabilityZone).sort(), [...net.availabilityZones].sort(), `${tier} zones`);
                }
                const cidrs = subnets.map((s) => parseCidr(s.props.cidrBlock as string)!);
                for (const c of cidrs) assert.ok(cidrContains(parseCidr(net.cidr)!, c));
                for (let i = 0; i < cidrs.length; i++) for (let j = i + 1; j < cidrs.length; j++) assert.ok(!cidrsOverlap(cidrs[i], cidrs[j]), "subnets overlap");
                assert.ok(subnets.every((s) => s.props.mapPublicIpOnLaunch === false), "no subnet hands out public IPs");
            });

            it("tags subnets for EKS load balancer discovery", async () => {
                const plan = await stackPlan(stack);
                const subnets = ofType(plan, "aws:ec2/subnet:Subnet");
                const tags = (tier: string) => subnets.filter((s) => (s.props.tags as any).tier === tier).map((s) => s.props.tags as Record<string, string>);
                assert.ok(tags("public").every((t) => t["kubernetes.io/role/elb"] === "1"));
                assert.ok(tags("private").every((t) => t["kubernetes.io/role/internal-elb"] === "1"));
                assert.ok([...tags("public"), ...tags("private")].every((t) => Object.keys(t).some((k) => k.startsWith("kubernetes.io/cluster/"))));
                assert.ok(tags("isolated").every((t) => !("kubernetes.io/role/elb" in t) && !("kubernetes.io/role/internal-elb" in t)));
            });

            it(`has ${net.natGateways === "perAz" ? "a NAT gateway per zone" : "one NAT gateway"} and routes each private subnet through NAT`, async () => {
                const plan = await stackPlan(stack);
                const nats = ofType(plan, "aws:ec2/natGateway:NatGateway");
                assert.equal(nats.length, net.natGateways === "perAz" ? 3 : 1);
                const privateRts = ofType(plan, "aws:ec2/routeTable:RouteTable").filter((r) => r.name.includes("private-rt"));
                assert.equal(privateRts.length, 3);
                const natIds = new Set(Object.values(plan.outputs.natGatewayIds as string[]));
                const used = privateRts.map((rt) => (rt.props.routes as any[]).find((x) => x.cidrBlock === "0.0.0.0/0").natGatewayId);
                assert.ok(used.every((id) => natIds.has(id)));
                assert.equal(new Set(used).size, nats.length, "each NAT serves its zone");
            });

            it("gives isolated subnets no route out and the public tier a route to the internet gateway", async () => {
                const plan = await stackPlan(stack);
                const isolated = byName(plan, `${stack}-net-isolated-rt`);
                assert.deepEqual(isolated.props.routes ?? [], []);
                const pub = byName(plan, `${stack}-net-public-rt`);
                assert.ok((pub.props.routes as any[]).some((r) => r.cidrBlock === "0.0.0.0/0" && String(r.gatewayId).startsWith("igw-")));
            });

            it("has flow logs, an S3 gateway endpoint on private and isolated route tables, and a closed default security group", async () => {
                const plan = await stackPlan(stack);
                const fl = ofType(plan, "aws:ec2/flowLog:FlowLog");
                assert.equal(fl.length, 1);
                assert.equal(fl[0].props.trafficType, net.flowLogs.trafficType);
                const lg = ofType(plan, "aws:cloudwatch/logGroup:LogGroup").find((l) => l.name.endsWith("flow-logs"))!;
                assert.equal(lg.props.retentionInDays, net.flowLogs.retentionDays);
                const ep = ofType(plan, "aws:ec2/vpcEndpoint:VpcEndpoint")[0];
                assert.equal(ep.props.vpcEndpointType, "Gateway");
                assert.match(ep.props.serviceName as string, /^com\.amazonaws\.[a-z0-9-]+\.s3$/);
                assert.equal((ep.props.routeTableIds as string[]).length, 4);
                const dsg = ofType(plan, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")[0];
                assert.ok(!dsg.props.ingress || (dsg.props.ingress as unknown[]).length === 0);
            });

            it(`${stack === "prod" ? "protects" : "does not protect"} the VPC and subnets`, async () => {
                const plan = await stackPlan(stack);
                const guarded = [...ofType(plan, "aws:ec2/vpc:Vpc"), ...ofType(plan, "aws:ec2/subnet:Subnet")];
                assert.ok(guarded.every((r) => (r.opts.protect ?? false) === (stack === "prod")));
            });

            it("parents every network resource to the component and exports subnet ids by tier", async () => {
                const plan = await stackPlan(stack);
                const component = ofType(plan, "scaling:network:Network")[0];
                assert.equal(childrenOf(plan, component).length, plan.resources.filter((r) => r.type.startsWith("aws:") && r.parent === component.urn).length);
                assert.ok(ofType(plan, "aws:ec2/subnet:Subnet").every((s) => s.parent === component.urn));
                for (const k of ["publicSubnetIds", "privateSubnetIds", "isolatedSubnetIds"]) {
                    assert.equal((plan.outputs[k] as string[]).length, 3);
                    assert.ok((plan.outputs[k] as string[]).every((id) => id.startsWith("subnet-")));
                }
            });
        });
    }

    it("in preview mode the subnet ids are unknown, as in a real preview", async () => {
        const plan = await stackPlan("dev", true);
        assert.equal(plan.mode, "preview");
        assert.deepEqual(plan.outputs.privateSubnetIds, ["[unknown]", "[unknown]", "[unknown]"]);
        const subnet = ofType(plan, "aws:ec2/subnet:Subnet")[0];
        assert.equal(subnet.props.vpcId, "[unknown]");
    });
});

describe("subnet layout", () => {
    const azs = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
    it("packs private /19s before smaller tiers, aligned", () => {
        const l = planSubnets({ cidr: "10.0.0.0/16", availabilityZones: azs, subnetPrefixLengths: { public: 24, private: 19, isolated: 24 } })!;
        assert.deepEqual(l.private.map((s) => s.cidr), ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"]);
        assert.deepEqual(l.public.map((s) => s.cidr), ["10.0.96.0/24", "10.0.97.0/24", "10.0.98.0/24"]);
        assert.deepEqual(l.isolated.map((s) => s.az), azs);
    });
    it("returns undefined when the tiers do not fit", () => {
        assert.equal(planSubnets({ cidr: "10.0.0.0/20", availabilityZones: azs, subnetPrefixLengths: { public: 24, private: 19, isolated: 24 } }), undefined);
    });
});

/**
 * Mocks that stand in for the cloud during the offline plan: each resource gets the computed outputs
 * its provider would return (ids, ARNs, endpoints, hostnames), so every stack output resolves in
 * update mode. In preview mode resources get only their inputs back, as the engine does for a create,
 * so computed outputs stay unknown.
 *
 * Add a type to `COMPUTED` when a component needs a computed output of it.
 */
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { edgeMocks } from "./mocks.edge";
import { computeMocks } from "./mocks.compute";
import { dataMocks } from "./mocks.data";
import { SECRET } from "./recorder";
import { observabilityMocks } from "./mocks.observability";

export const MOCK_ACCOUNT_ID = "123456789012";

export interface MockContext {
    region: string;
    accountId: string;
    stack: string;
}

type Inputs = Record<string, any>;
export type Computed = (name: string, inputs: Inputs, ctx: MockContext, id: string) => Inputs;

/** A short, stable hex digest: the same program yields the same ids run after run. */
export function digest(...parts: string[]): string {
    return createHash("sha256").update(parts.join("\0")).digest("hex");
}

/** EC2-style id prefixes (`vpc-0abc...`) by resource type. */
const EC2_ID_PREFIX: Record<string, string> = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
    "aws:ec2/managedPrefixList:ManagedPrefixList": "pl",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
};

function mockId(type: string, name: string, inputs: Inputs): string {
    const h = digest(type, name);
    const prefix = EC2_ID_PREFIX[type];
    if (prefix) return `${prefix}-0${h.slice(0, 16)}`;
    if (type.startsWith("kubernetes:")) {
        const md = inputs.metadata ?? {};
        return md.namespace ? `${md.namespace}/${md.name ?? name}` : String(md.name ?? name);
    }
    // Most AWS resources take their physical name from an explicit `name` input, else Pulumi auto-names.
    if (typeof inputs.name === "string") return inputs.name;
    return `${name}-${h.slice(0, 7)}`;
}

/** `aws:ec2/vpc:Vpc` -> service `ec2`, resource `vpc`. */
function arnFor(type: string, id: string, ctx: MockContext): string {
    const [, mod, res] = /^aws:([^/]+)\/([^:]+):/.exec(type) ?? [, "unknown", "resource"];
    const service = mod === "cloudwatch" ? "logs" : mod;
    const region = ["iam", "cloudfront", "route53", "waf"].includes(service) ? "" : ctx.region;
    return `arn:aws:${service}:${region}:${ctx.accountId}:${res.toLowerCase()}/${id}`;
}

/**
 * Computed outputs by type token, beyond `id` and `arn`. Each domain keeps its entries in its own
 * `plan/mocks.<domain>.ts` (exporting a `Record<string, Computed>`) spread in here.
 */
export const COMPUTED: Record<string, Computed> = {
    ...computeMocks,
    ...dataMocks,
    ...edgeMocks,
    ...observabilityMocks,
    "aws:ec2/vpc:Vpc": (_n, _i, ctx, id) => ({ defaultSecurityGroupId: `sg-0${digest(id, "default").slice(0, 16)}`, mainRouteTableId: `rtb-0${digest(id, "main").slice(0, 16)}`, ownerId: ctx.accountId }),
    "aws:ec2/eip:Eip": (_n, _i, _c, id) => ({ publicIp: `203.0.113.${parseInt(digest(id).slice(0, 2), 16) % 250 + 1}`, allocationId: id }),
    "aws:cloudwatch/logGroup:LogGroup": (_n, inputs, ctx) => ({ arn: `arn:aws:logs:${ctx.region}:${ctx.accountId}:log-group:${inputs.name}` }),
    "aws:iam/role:Role": (_n, _i, ctx, id) => ({ arn: `arn:aws:iam::${ctx.accountId}:role/${id}`, uniqueId: `AROA${digest(id).slice(0, 17).toUpperCase()}` }),
    "aws:iam/policy:Policy": (_n, _i, ctx, id) => ({ arn: `arn:aws:iam::${ctx.accountId}:policy/${id}` }),
    // Generated values: deterministic stand-ins (the provider marks `result` secret, so they stay secret).
    "random:index/randomPassword:RandomPassword": (name, inputs) => ({ result: mockSecretText(name, inputs.length ?? 32) }),
    "random:index/randomString:RandomString": (name, inputs) => ({ result: mockSecretText(name, inputs.length ?? 16) }),
    "random:index/randomId:RandomId": (name, inputs) => ({ hex: digest("id", name).slice(0, 2 * (inputs.byteLength ?? 8)), b64Url: digest("b64", name).slice(0, 11) }),
};

function mockSecretText(name: string, length: number): string {
    let out = "";
    for (let i = 0; out.length < length; i++) out += digest("secret", name, String(i));
    return out.slice(0, length);
}

/** Results of provider functions (invokes) the program calls. */
export const INVOKES: Record<string, (inputs: Inputs, ctx: MockContext) => Inputs> = {
    "aws:index/getCallerIdentity:getCallerIdentity": (_i, ctx) => ({ accountId: ctx.accountId, arn: `arn:aws:iam::${ctx.accountId}:user/offline-plan`, userId: "AIDAOFFLINEPLAN", id: ctx.accountId }),
    "aws:index/getRegion:getRegion": (_i, ctx) => ({ name: ctx.region, region: ctx.region, id: ctx.region }),
    "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" }),
    // AWS-managed prefix lists by name (CloudFront's origin-facing list: 55 entries in every region).
    "aws:ec2/getManagedPrefixList:getManagedPrefixList": (inputs, ctx) => {
        const id = `pl-${digest("prefix-list", String(inputs.name ?? inputs.id), ctx.region).slice(0, 8)}`;
        return { id, name: inputs.name, addressFamily: "IPv4", maxEntries: 55, ownerId: "AWS", arn: `arn:aws:ec2:${ctx.region}:aws:prefix-list/${id}`, entries: [], tags: {}, version: 1 };
    },
    // A replicated secret read in its replica region: a stand-in of the JSON the primary writes (the password is a mock).
    "aws:secretsmanager/getSecretVersion:getSecretVersion": (i, ctx) => ({
        id: `${i.secretId}|AWSCURRENT`,
        arn: `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${i.secretId}-${digest("sm", String(i.secretId)).slice(0, 6)}`,
        secretId: i.secretId,
        versionId: digest("version", String(i.secretId)).slice(0, 32),
        // Carries the fields of both kinds of secret the program reads (database credentials, a cache's AUTH token).
        secretString: JSON.stringify({ engine: "postgres", username: "app_admin", password: digest("secret", String(i.secretId)).slice(0, 40), port: 5432, dbname: "app", authToken: digest("token", String(i.secretId)).slice(0, 64) }),
    }),
    "aws:secretsmanager/getSecret:getSecret": (i, ctx) => ({
        id: `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${i.name}-${digest("sm", String(i.name)).slice(0, 6)}`,
        arn: `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${i.name}-${digest("sm", String(i.name)).slice(0, 6)}`,
        name: i.name,
    }),
};

/** Outputs of other stacks a program reads through `pulumi.StackReference`, by the name it gives. */
export type StackReferenceOutputs = Record<string, Record<string, unknown>>;

export function createMocks(baseCtx: MockContext, preview: boolean, stackReferences: StackReferenceOutputs = {}): pulumi.runtime.Mocks {
    // Regions of explicit aws providers by name: a resource of a second-region provider (DR, us-east-1) gets that region's ARNs.
    const providerRegions = new Map<string, string>();
    return {
        newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Inputs } {
            if (args.type === "pulumi:pulumi:StackReference") {
                // A read of another stack's outputs (in preview too, as the engine does); secrets stay secret.
                // A saved plan shows secret outputs as "[secret]": the program gets a deterministic stand-in, still secret.
                const name = String(args.inputs.name);
                const given = stackReferences[name] ?? {};
                const secretOutputNames = Object.keys(given).filter((k) => given[k] === SECRET);
                const outputs = Object.fromEntries(Object.entries(given).map(([k, v]) => [k, v === SECRET ? digest("stack-reference", name, k).slice(0, 48) : v]));
                return { id: name, state: { name, outputs, secretOutputNames } };
            }
            if (args.type === "pulumi:providers:aws" && typeof args.inputs.region === "string") providerRegions.set(args.name, args.inputs.region);
            if (preview) {
                // As in a real preview of a create: inputs echo back, computed outputs and the id are unknown.
                return { id: undefined, state: args.inputs };
            }
            // A provider reference is `<provider urn>::<id>`; the urn's last part is the provider's name.
            const providerName = args.provider?.split("::")[3];
            const ctx = { ...baseCtx, region: (providerName && providerRegions.get(providerName)) || baseCtx.region };
            const id = args.id || mockId(args.type, args.name, args.inputs);
            const state: Inputs = { ...args.inputs };
            if (args.type.startsWith("aws:")) state.arn = arnFor(args.type, id, ctx);
            if (args.type.startsWith("kubernetes:") && args.type !== "kubernetes:helm.sh/v3:Release") {
                const md = args.inputs.metadata ?? {};
                state.metadata = { ...md, name: md.name ?? `${args.name}-${digest(args.name).slice(0, 8)}`, uid: digest("uid", args.type, args.name).slice(0, 32) };
            }
            Object.assign(state, COMPUTED[args.type]?.(args.name, args.inputs, ctx, id));
            return { id, state };
        },
        call(args: pulumi.runtime.MockCallArgs): Inputs {
            const fn = INVOKES[args.token];
            if (!fn) throw new Error(`the offline plan has no mock for the provider function ${args.token}; add one to plan/mocks.ts`);
            return fn(args.inputs, baseCtx);
        },
    };
}

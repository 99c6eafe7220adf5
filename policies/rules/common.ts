/**
 * Shared helpers for the rule modules. Rules are written against provider type tokens and input
 * property names, so the pack needs neither `@pulumi/aws` nor `@pulumi/kubernetes` at run time.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    EnforcementLevel, PolicyComplianceFramework, PolicyResource, ReportViolation, ResourceValidationArgs,
    ResourceValidationPolicy, Severity, StackValidationPolicy, validateResourceOfType,
} from "@pulumi/policy";

/** Resource inputs as the engine hands them to a policy (plain JSON behind the unknown-checking proxy). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Props = Record<string, any>;

/** A policy of this pack: a resource or stack policy with the metadata every rule carries. */
export type Rule = (ResourceValidationPolicy | StackValidationPolicy) & {
    severity: Severity;
    enforcementLevel: EnforcementLevel;
    remediationSteps: string;
};

/**
 * A stand-in for a provider resource class: `validateResourceOfType` and `isType` only read its
 * `__pulumiType`, exactly as they do on the generated SDK classes.
 */
export function resourceType(token: string): { new (name: string, args: Props): pulumi.Resource } {
    return { __pulumiType: token } as unknown as { new (name: string, args: Props): pulumi.Resource };
}

/** `validateResourceOfType` for a type token. */
export function onType(token: string, validate: (props: Props, args: ResourceValidationArgs, report: ReportViolation) => void) {
    return validateResourceOfType(resourceType(token), validate as never);
}

/** A Checkov control. */
export const checkov = (id: string, title: string): PolicyComplianceFramework => ({
    name: "Checkov", version: "3", reference: id, specification: title,
});

/** A kube-score check (its check id, e.g. `pod-networkpolicy`). */
export const kubeScore = (id: string, title: string): PolicyComplianceFramework => ({
    name: "kube-score", version: "1", reference: id, specification: title,
});

/** A cdk-nag AwsSolutions rule (e.g. `AwsSolutions-SMG4`). */
export const cdkNag = (id: string, title: string): PolicyComplianceFramework => ({
    name: "cdk-nag", version: "2", reference: id, specification: title,
});

/** A CIS benchmark control. */
export const cis = (benchmark: string, version: string, id: string, title: string): PolicyComplianceFramework => ({
    name: benchmark, version, reference: id, specification: title,
});

/**
 * True when `key` holds a value, without reading it through the unknown-checking proxy: an input
 * that is unknown during preview (an ARN of a resource not created yet) counts as set.
 */
export function isSet(props: Props | undefined, key: string): boolean {
    if (props === undefined || props === null) return false;
    const d = Object.getOwnPropertyDescriptor(props, key);
    return d !== undefined && d.value !== undefined && d.value !== null && d.value !== "";
}

/** The element list of an optional array input (reading it: an unknown array is reported in preview). */
export function list<T = Props>(value: T[] | undefined | null): T[] {
    return Array.isArray(value) ? value : [];
}

/** The tags a resource gets: the provider's default tags, then its own. */
export function effectiveTags(r: { props: Props; provider?: { props: Props } }): Record<string, string> {
    // Provider inputs reach the engine JSON-encoded (`defaultTags: "{\"tags\":{...}}"`).
    let defaultTags = r.provider?.props?.defaultTags;
    if (typeof defaultTags === "string") {
        try {
            defaultTags = JSON.parse(defaultTags);
        } catch {
            defaultTags = undefined;
        }
    }
    const defaults = (defaultTags?.tags ?? {}) as Record<string, string>;
    return { ...defaults, ...((r.props.tags ?? {}) as Record<string, string>) };
}

export type { PolicyResource };

/** Addresses that mean the whole internet. */
const WORLD = new Set(["0.0.0.0/0", "::/0"]);

/**
 * What a security group rule (inline, `SecurityGroupRule` or `SecurityGroupIngressRule`) opens to the whole
 * internet: the world CIDRs among `cidrs` and the port range (all ports for protocol -1), else undefined.
 */
export function worldReach(rule: Props, cidrs: string[]): { open: string[]; from: number; to: number; allProtocols: boolean } | undefined {
    const open = cidrs.filter((c) => WORLD.has(c));
    if (open.length === 0) return undefined;
    const protocol = String(rule.protocol ?? rule.ipProtocol ?? "tcp");
    const allProtocols = protocol === "-1" || protocol === "all";
    const from = allProtocols ? 0 : Number(rule.fromPort ?? 0);
    return { open, from, to: allProtocols ? 65535 : Number(rule.toPort ?? from), allProtocols };
}

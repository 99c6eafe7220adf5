/** Lays out the VPC's subnets from its CIDR: a pure function, unit-tested without Pulumi. */
import { allocateCidrs, formatCidr, parseCidr } from "../config/cidr";

export interface SubnetLayoutInput {
    cidr: string;
    availabilityZones: string[];
    subnetPrefixLengths: { public: number; private: number; isolated: number };
}

export type SubnetTier = "public" | "private" | "isolated";
export const SUBNET_TIERS: SubnetTier[] = ["public", "private", "isolated"];

/** One subnet CIDR per availability zone, per tier. */
export type SubnetLayout = Record<SubnetTier, { az: string; cidr: string }[]>;

/**
 * Places three subnets per tier in the VPC CIDR, aligned, private (largest) first.
 * Returns undefined when they do not fit.
 */
export function planSubnets(input: SubnetLayoutInput): SubnetLayout | undefined {
    const vpc = parseCidr(input.cidr);
    if (!vpc) return undefined;
    const azs = input.availabilityZones;
    const requests = SUBNET_TIERS.flatMap((tier) => azs.map(() => input.subnetPrefixLengths[tier]));
    const blocks = allocateCidrs(vpc, requests);
    if (!blocks) return undefined;
    const layout = {} as SubnetLayout;
    SUBNET_TIERS.forEach((tier, t) => {
        layout[tier] = azs.map((az, i) => ({ az, cidr: formatCidr(blocks[t * azs.length + i]) }));
    });
    return layout;
}

import { z } from "zod";
import { parseCidr } from "./cidr";

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

export const LogRetentionDays = z
    .number()
    .int()
    .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
        message: `must be one of the CloudWatch Logs retention periods: ${LOG_RETENTION_DAYS.join(", ")}`,
    });

/** An IPv4 CIDR `a.b.c.d/n` with no host bits set and a prefix in [min, max]. */
export function cidrSchema(minPrefix: number, maxPrefix: number) {
    return z.string().refine(
        (s) => {
            const c = parseCidr(s);
            return c !== undefined && c.prefix >= minPrefix && c.prefix <= maxPrefix;
        },
        { message: `must be an IPv4 CIDR a.b.c.d/n with no host bits set and n between ${minPrefix} and ${maxPrefix}` },
    );
}

const prefix = (min: number, max: number) => z.number().int().min(min).max(max);

/** `scaling-topology:network`: the VPC and its three subnet tiers. */
export const NetworkConfig = z.strictObject({
    /** VPC CIDR. AWS allows /16 to /28; EKS pods take VPC addresses, so /16-/20 are the useful range. */
    cidr: cidrSchema(16, 20),
    /** Exactly three availability zones of the stack's region: every tier has one subnet per zone. */
    availabilityZones: z
        .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, { message: "must be an availability zone name such as eu-west-1a" }))
        .length(3, { message: "must list exactly three availability zones" })
        .refine((a) => new Set(a).size === a.length, { message: "availability zones must be distinct" }),
    /** `perAz`: one NAT gateway per zone (no cross-zone dependency; prod). `single`: one shared NAT gateway (cheaper; dev). */
    natGateways: z.enum(["perAz", "single"]),
    /** Prefix lengths of each tier's per-zone subnet. Private (workload) subnets hold the EKS pods, so they are the largest. */
    subnetPrefixLengths: z
        .strictObject({
            public: prefix(20, 28).default(24),
            private: prefix(16, 24).default(19),
            isolated: prefix(20, 28).default(24),
        })
        .prefault({}),
    /** VPC flow logs to CloudWatch Logs. */
    flowLogs: z
        .strictObject({
            retentionDays: LogRetentionDays.default(30),
            trafficType: z.enum(["ALL", "ACCEPT", "REJECT"]).default("ALL"),
        })
        .prefault({}),
});
export type NetworkConfig = z.output<typeof NetworkConfig>;

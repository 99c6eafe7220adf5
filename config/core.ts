import { z } from "zod";

/** `aws:region`: the region every regional resource lives in. */
export const Region = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { message: "must be an AWS region name such as eu-west-1" });

/**
 * `scaling-topology:environment`: `prod` turns on every protection for stateful resources
 * (deletion protection, final snapshots, Pulumi `protect`, vault lock); `dev` keeps them cheap to tear down.
 */
export const Environment = z.enum(["dev", "prod"]);
export type Environment = z.output<typeof Environment>;

/** `scaling-topology:tags`: extra tags on every AWS resource (added to the provider's default tags). */
export const Tags = z.record(z.string().regex(/^[\w.:/=+@ -]{1,128}$/, { message: "tag keys are 1-128 characters of letters, digits, spaces and _.:/=+-@" }), z.string().max(256)).default({});

/**
 * `scaling-topology:load`: the load the topology must carry. Later sizing derives replicas, node groups,
 * pools and shards from it.
 */
export const LoadConfig = z.strictObject({
    /** Users active on a peak day. */
    dailyActiveUsers: z.number().int().min(1),
    /** Users connected at the busiest moment; the figure sizing is driven by. */
    peakConcurrentUsers: z.number().int().min(1),
});
export type LoadConfig = z.output<typeof LoadConfig>;

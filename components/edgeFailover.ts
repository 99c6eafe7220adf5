import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";

/** One region's origin behind the load balancer. */
export interface EdgeFailoverRegion {
    /** AWS region, for names and descriptions (`eu-west-1`). */
    region: string;
    /** Hostname the pool sends traffic to: the region's edge hop (CloudFront) or ingress load balancer. */
    address: pulumi.Input<string>;
}

/** Arguments of {@link EdgeFailover}. Pass the `cloudflare.Provider` through `providers` (or `provider`). */
export interface EdgeFailoverArgs {
    /** Cloudflare zone of `hostname`. */
    zoneId: pulumi.Input<string>;
    /** Cloudflare account that owns monitors and pools (Load Balancing add-on). */
    accountId: pulumi.Input<string>;
    /** Public hostname the load balancer answers (it takes precedence over a DNS record of that name). */
    hostname: string;
    /** Regions in failover order: the first serves while healthy, the next takes over. At least two. */
    regions: EdgeFailoverRegion[];
    /** Path the monitor requests through the whole stack (edge hop, ingress, service). @default "/readyz" */
    healthPath?: string;
    /** Seconds between checks. @default 60 */
    intervalSeconds?: number;
    /** Consecutive failures before a pool is unhealthy. @default 2 */
    consecutiveDown?: number;
    /**
     * Header the origins require (origin lockdown): the monitor sends it, and it is added to proxied requests
     * by the zone's transform rule. @default none
     */
    originVerify?: { header: string; value: pulumi.Input<string> };
    /**
     * A second secret header the monitor sends, for a pool behind a proxy that requires it (the primary's
     * CloudFront, whose WAF blocks requests without Cloudflare's header). Proxied requests get it from the
     * zone's late-transform rule. @default none
     */
    proxyVerify?: { header: string; value: pulumi.Input<string> };
    /** Cloudflare regions that run the health checks. @default ["WEU", "EEU"] */
    checkRegions?: string[];
}

export const EDGE_FAILOVER_DEFAULTS = { healthPath: "/readyz", intervalSeconds: 60, consecutiveDown: 2, checkRegions: ["WEU", "EEU"] };

/**
 * Health-checked failover at the edge: a Cloudflare Load Balancer on the public hostname with one pool per
 * region (failover order: `steeringPolicy: off`), an HTTPS monitor on a health path through the whole stack,
 * and the last region as the fallback pool. The stateless path moves by itself when the primary's monitor
 * fails `consecutiveDown` times; data-tier promotion is the runbook's (README "Disaster recovery").
 * Needs Cloudflare Load Balancing (a paid add-on on every plan; monitor intervals below 60 s need Business
 * or Enterprise).
 */
export class EdgeFailover extends pulumi.ComponentResource {
    public readonly monitor: cloudflare.LoadBalancerMonitor;
    public readonly pools: cloudflare.LoadBalancerPool[];
    public readonly loadBalancer: cloudflare.LoadBalancer;

    constructor(name: string, args: EdgeFailoverArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:edge:EdgeFailover", name, {}, opts);
        const d = EDGE_FAILOVER_DEFAULTS;
        if (args.regions.length < 2) throw new pulumi.ResourceError(`regions must list at least two regions to fail over between, got ${args.regions.length}`, this);
        const interval = args.intervalSeconds ?? d.intervalSeconds;

        const header: Record<string, pulumi.Input<pulumi.Input<string>[]>> = { Host: [args.hostname] };
        if (args.originVerify) header[args.originVerify.header] = [pulumi.secret(args.originVerify.value)];
        if (args.proxyVerify) header[args.proxyVerify.header] = [pulumi.secret(args.proxyVerify.value)];
        this.monitor = new cloudflare.LoadBalancerMonitor(`${name}-monitor`, {
            accountId: args.accountId,
            description: `${args.hostname}: ${args.healthPath ?? d.healthPath} through edge, ingress and service`,
            type: "https",
            method: "GET",
            path: args.healthPath ?? d.healthPath,
            expectedCodes: "200",
            // Origins present a certificate for the public hostname: verify it.
            allowInsecure: false,
            followRedirects: false,
            header,
            interval,
            timeout: Math.min(5, interval - 1),
            retries: 1,
            consecutiveDown: args.consecutiveDown ?? d.consecutiveDown,
            consecutiveUp: 2,
        }, { parent: this });

        this.pools = args.regions.map((r) => new cloudflare.LoadBalancerPool(`${name}-${r.region}`, {
            accountId: args.accountId,
            name: `${args.hostname}-${r.region}`.replace(/[^A-Za-z0-9_-]/g, "-"),
            description: `${args.hostname} origin in ${r.region}`,
            origins: [{ name: r.region, address: r.address, enabled: true, weight: 1, header: { hosts: [args.hostname] } }],
            minimumOrigins: 1,
            monitor: this.monitor.id,
            checkRegions: args.checkRegions ?? d.checkRegions,
        }, { parent: this }));

        this.loadBalancer = new cloudflare.LoadBalancer(`${name}-lb`, {
            zoneId: args.zoneId,
            name: args.hostname,
            description: `${args.hostname}: ${args.regions.map((r) => r.region).join(" -> ")} on health`,
            defaultPools: this.pools.map((p) => p.id),
            fallbackPool: this.pools[this.pools.length - 1].id,
            proxied: true,
            // Failover order: the first healthy pool of defaultPools takes every request.
            steeringPolicy: "off",
            sessionAffinity: "none",
        }, { parent: this });
        this.registerOutputs({ loadBalancerId: this.loadBalancer.id, poolIds: this.pools.map((p) => p.id) });
    }
}

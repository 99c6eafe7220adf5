import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CLOUDFLARE_PLAN_LIMITS, CloudflarePlan, rateLimitProblems, RATE_LIMIT_CHARACTERISTICS, RateLimitCharacteristic } from "../catalog/cloudflarePlans";

/** A per-IP rate limit (Cloudflare `http_ratelimit` phase). */
export interface CloudflareRateLimit {
    /** No rule when false. @default true */
    enabled?: boolean;
    /** Requests allowed per client per period. */
    requestsPerPeriod: number;
    /** Counting period, seconds (the plan decides which: `catalog/cloudflarePlans.ts`). */
    periodSeconds: number;
    /** Seconds a client stays blocked once it trips the limit. @default periodSeconds */
    mitigationTimeoutSeconds?: number;
    /** `ip` or `ip-nat` (IP with NAT support, Business and up). @default "ip" */
    characteristic?: RateLimitCharacteristic;
}

/** Arguments of {@link CloudflareEdge}. Pass the `cloudflare.Provider` through `providers` (or `provider`). */
export interface CloudflareEdgeArgs {
    /** Cloudflare zone id of the zone holding `hostname`. */
    zoneId: pulumi.Input<string>;
    /** The zone's plan: the rulesets must stay within what it offers (periods, timeouts, rule counts). */
    plan: CloudflarePlan;
    /** The public hostname, e.g. `app.example.com`. */
    hostname: string;
    /** Where the proxied record points: the ingress hostname, or a CloudFront distribution's hostname. */
    target: pulumi.Input<string>;
    /**
     * Add a secret header (from `@pulumi/random`) to every request Cloudflare sends to the origin
     * (an `http_request_late_transform` rule), for an origin that must refuse traffic that bypassed the
     * edge. Leave false when CloudFront sits behind Cloudflare: CloudFront adds its own.
     * @default false
     */
    originVerify?: boolean;
    /** Name of the secret header. @default "X-Origin-Verify" */
    originVerifyHeader?: string;
    /**
     * Value of that header, when the origin must know it before the edge exists (the stack generates
     * it once and hands it to both the ingress and the edge). @default a 48-character `RandomPassword`
     */
    originVerifySecret?: pulumi.Input<string>;
    /**
     * A second secret header for the proxy behind Cloudflare (CloudFront, whose WAF blocks requests
     * without it): set on every request in the same `http_request_late_transform` ruleset, so no one
     * reaches that proxy around Cloudflare. Name: letters, digits and dashes. @default undefined
     */
    proxyVerify?: { header: string; value: pulumi.Input<string> };
    /** Path prefixes of static assets (edge and browser TTLs, normalised cache key). @default ["/static/", "/assets/"] */
    staticPathPrefixes?: string[];
    /** Edge TTL of static assets, seconds. @default 86400 */
    staticEdgeTtlSeconds?: number;
    /** Browser TTL of static assets, seconds. @default 3600 */
    staticBrowserTtlSeconds?: number;
    /** Cookie of a logged-in session: dynamic requests carrying it bypass the cache. @default "session" */
    sessionCookie?: string;
    /** Strict per-IP limit on `/auth/` and `/login`. @default 10 per 60 s */
    authRateLimit?: CloudflareRateLimit;
    /** Broader per-IP limit on `/api/`. @default 600 per 60 s */
    apiRateLimit?: CloudflareRateLimit;
    /** ISO country codes blocked outright. @default [] */
    blockedCountries?: string[];
    /** AS numbers blocked outright. @default [] */
    blockedAsns?: number[];
    /** Path prefixes behind a managed challenge. @default ["/admin"] */
    adminPaths?: string[];
    /** Health-check paths the custom firewall rules skip. @default ["/healthz", "/readyz"] */
    healthCheckPaths?: string[];
}

const DEFAULTS = {
    originVerifyHeader: "X-Origin-Verify",
    staticPathPrefixes: ["/static/", "/assets/"],
    staticEdgeTtlSeconds: 86400,
    staticBrowserTtlSeconds: 3600,
    sessionCookie: "session",
    authRateLimit: { requestsPerPeriod: 10, periodSeconds: 60 },
    apiRateLimit: { requestsPerPeriod: 600, periodSeconds: 60 },
    adminPaths: ["/admin"],
    healthCheckPaths: ["/healthz", "/readyz"],
};

/** Zone settings this component owns (zone-wide: one stack per zone should manage them). */
export const CLOUDFLARE_ZONE_SETTINGS: Record<string, string> = {
    min_tls_version: "1.2",
    always_use_https: "on",
    ssl: "strict", // Cloudflare -> origin over TLS with a verified certificate
    http3: "on",
    // No `brotli`: its setting endpoint was retired on 2024-06-14 (Brotli is always on). Removing the old
    // ZoneSetting from a stack only drops it from the state (the provider's delete calls no API).
};

const quote = (s: string) => JSON.stringify(s);
const anyPrefix = (prefixes: string[]) => prefixes.map((p) => `starts_with(http.request.uri.path, ${quote(p)})`).join(" or ");

/**
 * Cloudflare in front of the origin: a proxied DNS record, zone settings (TLS 1.2 minimum, always
 * HTTPS, full-strict TLS to the origin, HTTP/3; Brotli is always on and has no setting any more) and one
 * zone ruleset per phase, each within what the zone's plan offers:
 * - `http_request_cache_settings`: static paths cached with edge and browser TTLs and a normalised key
 *   (query order ignored, only `?v=`); dynamic requests with a session cookie bypass the cache;
 * - `http_ratelimit`: strict per-IP limit on auth endpoints, broader limit on `/api/`;
 * - `http_request_firewall_custom`: health checks skip the rules, configured countries and ASNs are
 *   blocked, admin paths get a managed challenge;
 * - optionally `http_request_late_transform`: the secret origin header, and/or the secret header the
 *   proxy behind Cloudflare (CloudFront) requires.
 *
 * Cloudflare allows one ruleset per phase per zone: if the zone already has one (made in the dashboard),
 * import it into this component's resource rather than creating a second (see the README).
 */
export class CloudflareEdge extends pulumi.ComponentResource {
    public readonly record: cloudflare.DnsRecord;
    /** Rulesets by phase. */
    public readonly rulesets: Record<string, cloudflare.Ruleset>;
    public readonly originVerifyHeader?: string;
    /** The secret header value the origin must require (a Pulumi secret), when `originVerify`. */
    public readonly originVerifySecret?: pulumi.Output<string>;

    constructor(name: string, args: CloudflareEdgeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:edge:CloudflareEdge", name, {}, opts);
        const zoneId = args.zoneId;
        const staticPrefixes = args.staticPathPrefixes ?? DEFAULTS.staticPathPrefixes;
        const cookie = args.sessionCookie ?? DEFAULTS.sessionCookie;
        const auth: CloudflareRateLimit = args.authRateLimit ?? DEFAULTS.authRateLimit;
        const api: CloudflareRateLimit = args.apiRateLimit ?? DEFAULTS.apiRateLimit;
        const countries = args.blockedCountries ?? [];
        const asns = args.blockedAsns ?? [];
        const adminPaths = args.adminPaths ?? DEFAULTS.adminPaths;
        const health = args.healthCheckPaths ?? DEFAULTS.healthCheckPaths;
        if (staticPrefixes.length === 0) throw new pulumi.ResourceError("CloudflareEdge: `staticPathPrefixes` must not be empty", this);
        if (adminPaths.length === 0) throw new pulumi.ResourceError("CloudflareEdge: `adminPaths` must not be empty", this);
        const limits = CLOUDFLARE_PLAN_LIMITS[args.plan];
        if (!limits) throw new pulumi.ResourceError(`CloudflareEdge: plan "${args.plan}" is not one of ${Object.keys(CLOUDFLARE_PLAN_LIMITS).join(", ")}`, this);
        for (const [label, l] of [["authRateLimit", auth], ["apiRateLimit", api]] as const) {
            if (l.enabled === false) continue;
            const bad = rateLimitProblems(args.plan, { periodSeconds: l.periodSeconds, mitigationTimeoutSeconds: l.mitigationTimeoutSeconds ?? l.periodSeconds, characteristic: l.characteristic ?? "ip" });
            if (bad.length) throw new pulumi.ResourceError(`CloudflareEdge: ${label}.${bad[0].field} ${bad[0].message}`, this);
        }

        this.record = new cloudflare.DnsRecord(`${name}-record`, {
            zoneId,
            name: args.hostname,
            type: "CNAME",
            content: args.target,
            proxied: true,
            ttl: 1, // automatic: required for proxied records
            comment: "managed by Pulumi (scaling-topology)",
        }, { parent: this });

        for (const [settingId, value] of Object.entries(CLOUDFLARE_ZONE_SETTINGS)) {
            new cloudflare.ZoneSetting(`${name}-setting-${settingId.replace(/_/g, "-")}`, { zoneId, settingId, value }, { parent: this });
        }

        const staticExpr = `(${anyPrefix(staticPrefixes)})`;
        const ruleset = (phase: keyof typeof limits.rules, description: string, rules: cloudflare.types.input.RulesetRule[]) => {
            if (rules.length > limits.rules[phase]) throw new pulumi.ResourceError(`CloudflareEdge: ${rules.length} ${phase} rules, the ${args.plan} plan allows ${limits.rules[phase]}`, this);
            return new cloudflare.Ruleset(`${name}-${phase.replace(/_/g, "-")}`, { zoneId, kind: "zone", phase, name: `${name} ${phase}`, description, rules }, { parent: this });
        };

        this.rulesets = {};
        this.rulesets.http_request_cache_settings = ruleset("http_request_cache_settings", "Cache static paths; bypass for sessions", [
            {
                ref: "cache_static",
                description: "Static assets: edge and browser TTLs, query order ignored, only ?v= in the key",
                expression: staticExpr,
                action: "set_cache_settings",
                actionParameters: {
                    cache: true,
                    edgeTtl: { mode: "override_origin", default: args.staticEdgeTtlSeconds ?? DEFAULTS.staticEdgeTtlSeconds },
                    browserTtl: { mode: "override_origin", default: args.staticBrowserTtlSeconds ?? DEFAULTS.staticBrowserTtlSeconds },
                    cacheKey: {
                        ignoreQueryStringsOrder: true,
                        cacheDeceptionArmor: true,
                        customKey: { queryString: { include: { lists: ["v"] } } },
                    },
                },
            },
            {
                ref: "bypass_session",
                description: `Requests with a ${cookie} cookie are per user: never cached`,
                expression: `not ${staticExpr} and http.cookie contains ${quote(`${cookie}=`)}`,
                action: "set_cache_settings",
                actionParameters: { cache: false },
            },
        ]);

        const limit = (ref: string, description: string, expression: string, l: CloudflareRateLimit): cloudflare.types.input.RulesetRule => ({
            ref,
            description,
            expression,
            action: "block",
            ratelimit: {
                // cf.colo.id is mandatory: counters are per data center.
                characteristics: [RATE_LIMIT_CHARACTERISTICS[l.characteristic ?? "ip"], "cf.colo.id"],
                period: l.periodSeconds,
                requestsPerPeriod: l.requestsPerPeriod,
                mitigationTimeout: l.mitigationTimeoutSeconds ?? l.periodSeconds,
            },
        });
        this.rulesets.http_ratelimit = ruleset("http_ratelimit", "Per-IP rate limits", [
            ...(auth.enabled === false ? [] : [limit("ratelimit_auth", `Auth endpoints: ${auth.requestsPerPeriod} requests per ${auth.periodSeconds} s per IP`,
                `(starts_with(http.request.uri.path, "/auth/") or http.request.uri.path eq "/login")`, auth)]),
            ...(api.enabled === false ? [] : [limit("ratelimit_api", `API: ${api.requestsPerPeriod} requests per ${api.periodSeconds} s per IP`,
                `(starts_with(http.request.uri.path, "/api/"))`, api)]),
        ]);

        const blockParts = [
            ...(countries.length ? [`ip.src.country in {${countries.map(quote).join(" ")}}`] : []),
            ...(asns.length ? [`ip.src.asnum in {${asns.join(" ")}}`] : []),
        ];
        this.rulesets.http_request_firewall_custom = ruleset("http_request_firewall_custom", "Custom firewall rules", [
            {
                ref: "skip_health_checks",
                description: "Health checks skip the remaining custom rules",
                expression: `(http.request.uri.path in {${health.map(quote).join(" ")}})`,
                action: "skip",
                actionParameters: { ruleset: "current" },
                logging: { enabled: true },
            },
            ...(blockParts.length
                ? [{ ref: "block_geo_asn", description: "Blocked countries and networks", expression: `(${blockParts.join(" or ")})`, action: "block" }]
                : []),
            {
                ref: "challenge_admin",
                description: "Admin paths: managed challenge",
                expression: `(${anyPrefix(adminPaths)})`,
                action: "managed_challenge",
            },
        ]);

        const headerRules: cloudflare.types.input.RulesetRule[] = [];
        if (args.originVerify) {
            const header = args.originVerifyHeader ?? DEFAULTS.originVerifyHeader;
            const secret = args.originVerifySecret !== undefined
                ? { result: pulumi.output(args.originVerifySecret) }
                : new random.RandomPassword(`${name}-origin-secret`, { length: 48, special: false }, { parent: this });
            headerRules.push({
                ref: "origin_verify",
                description: `Set ${header}: the origin refuses requests without it`,
                expression: "true",
                action: "rewrite",
                actionParameters: { headers: { [header]: { operation: "set", value: secret.result } } },
            });
            this.originVerifyHeader = header;
            this.originVerifySecret = pulumi.secret(secret.result);
        }
        if (args.proxyVerify) {
            if (!/^[A-Za-z0-9-]+$/.test(args.proxyVerify.header)) throw new pulumi.ResourceError(`CloudflareEdge: proxyVerify.header "${args.proxyVerify.header}" must be letters, digits and dashes`, this);
            headerRules.push({
                ref: "proxy_verify",
                description: `Set ${args.proxyVerify.header}: the proxy behind Cloudflare (CloudFront's WAF) blocks requests without it`,
                expression: "true",
                action: "rewrite",
                actionParameters: { headers: { [args.proxyVerify.header]: { operation: "set", value: pulumi.secret(args.proxyVerify.value) } } },
            });
        }
        if (headerRules.length > 0) {
            this.rulesets.http_request_late_transform = ruleset("http_request_late_transform", "Origin lockdown header", headerRules);
        }

        this.registerOutputs({
            recordId: this.record.id,
            hostname: args.hostname,
            rulesetIds: Object.fromEntries(Object.entries(this.rulesets).map(([phase, r]) => [phase, r.id])),
        });
    }
}

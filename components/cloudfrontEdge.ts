import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DnsValidatedCertificate } from "./dnsValidatedCertificate";
import type { CertificateDns } from "./dnsValidatedCertificate";
import * as random from "@pulumi/random";
import { dataStoreKey } from "./dataStore";
import { accountAdministersKey } from "./dataKeys";

/** Arguments of {@link CloudFrontEdge}. */
export interface CloudFrontEdgeArgs {
    /** The origin: the ingress load balancer's hostname. It must serve a certificate valid for `hostname` (the Host header is forwarded). */
    originDomainName: pulumi.Input<string>;
    /** The public hostname (distribution alias and certificate name), e.g. `app.example.com`. */
    hostname: string;
    /** An `aws.Provider` for us-east-1: CloudFront takes its certificate and WAF web ACL from there only. */
    usEast1Provider: aws.Provider;
    /** Where the certificate is validated (and, for Route 53, where the alias records go). */
    dns: CertificateDns;
    /** `PriceClass_100`, `PriceClass_200` or `PriceClass_All`. @default "PriceClass_100" */
    priceClass?: string;
    /** WAF rate-based rule: requests per client IP per 5 minutes before blocking. @default 2000 */
    wafRateLimitPer5Min?: number;
    /**
     * When a proxy sits in front (Cloudflare): the secret header it adds to every request it forwards. The
     * WAF blocks any request without it (nobody reaches the distribution around that proxy), and the rate
     * limit reads `clientIpHeader` only on requests that carry it. Name: letters, digits and dashes.
     * @default undefined (viewers connect directly)
     */
    requiredHeader?: { header: string; value: pulumi.Input<string> };
    /**
     * What the web ACL waits for: the proxy's rule that adds `requiredHeader` (may be a promise of a
     * resource made after this component), so the WAF never blocks before the proxy sends the header.
     * @default []
     */
    wafDependsOn?: pulumi.Input<pulumi.Resource>[];
    /**
     * Header carrying the real client IP set by the proxy in front (e.g. `CF-Connecting-IP` behind
     * Cloudflare): the WAF rate limit then counts per that IP, not per proxy address. Needs
     * `requiredHeader`: a client that reached the distribution directly could rotate it at will.
     * @default undefined (count per connecting IP)
     */
    clientIpHeader?: string;
    /**
     * Largest request body on `apiPaths`, KiB (1-64). The common rule set's `SizeRestrictions_BODY`
     * (8 KB) only counts there, and this limit blocks instead; other paths keep the 8 KB rule. The web
     * ACL inspects the smallest body size (16, 32, 48 or 64 KB) that covers it. @default 16
     */
    apiMaxBodyKiB?: number;
    /** Days the WAF logs are kept (CloudWatch Logs, KMS-encrypted). @default 365 */
    wafLogRetentionDays?: number;
    /** Days access logs are kept. @default 90 */
    logRetentionDays?: number;
    /** Default TTL of static assets at the edge, seconds. @default 86400 */
    staticTtlSeconds?: number;
    /** Default TTL of API and page responses without Cache-Control, seconds. @default 0 */
    apiTtlSeconds?: number;
    /** Path patterns of static assets (long TTL, compressed, only the `v` query string in the key). @default ["/static/*", "/assets/*"] */
    staticPaths?: string[];
    /** Path patterns of the API (no or short caching, Authorization in the key). @default ["/api/*"] */
    apiPaths?: string[];
    /** Name of the secret header CloudFront sends to the origin. @default "X-Origin-Verify" */
    originVerifyHeader?: string;
    /**
     * Value of that header, when the origin must know it before the edge exists (the stack generates
     * it once and hands it to both the ingress and the edge). @default a 48-character `RandomPassword`
     */
    originVerifySecret?: pulumi.Input<string>;
    /** Keep the access logs (no `forceDestroy`, `retainOnDelete` on the bucket): prod. @default false */
    protect?: boolean;
    /** Tags for every AWS resource, besides the provider's default tags. */
    tags?: Record<string, string>;
}

const DEFAULTS = {
    priceClass: "PriceClass_100",
    wafRateLimitPer5Min: 2000,
    logRetentionDays: 90,
    staticTtlSeconds: 86400,
    apiTtlSeconds: 0,
    staticPaths: ["/static/*", "/assets/*"],
    apiPaths: ["/api/*"],
    originVerifyHeader: "X-Origin-Verify",
    apiMaxBodyKiB: 16,
    wafLogRetentionDays: 365,
};

/** CloudFront body inspection limits of AWS WAF (KB) and their API names. */
export const WAF_BODY_INSPECTION_LIMITS_KIB = [16, 32, 48, 64] as const;
/** Label the common rule set puts on a request whose body is over 8 KB. */
export const SIZE_RESTRICTIONS_BODY_LABEL = "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body";

/** `/api/*`, `/v2/*` -> `^(?:/api/|/v2/)`: one regex statement for every API path pattern. */
export function apiPathRegex(patterns: string[]): string {
    return `^(?:${patterns.map((p) => p.replace(/\*$/, "").replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("|")})`;
}

const ORIGIN_ID = "ingress";
/** Days an overwritten or expired log file stays recoverable as a noncurrent version. */
const NONCURRENT_LOG_DAYS = 30;
const ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"];
const READ_METHODS = ["GET", "HEAD", "OPTIONS"];

/**
 * A CloudFront distribution in front of the ingress:
 * - viewers: HTTPS only (HTTP redirects), TLSv1.2_2021 minimum, HTTP/2 and HTTP/3, IPv6, an ACM
 *   certificate (us-east-1) validated by DNS;
 * - origin: HTTPS only, TLS 1.2, with a secret header (from `@pulumi/random`) the origin must require;
 * - cache policies per path class (static, API/pages), one origin request policy, a security response
 *   headers policy, custom error responses (short error caching);
 * - a WAFv2 web ACL: behind a proxy, requests without its secret header blocked first; AWS common rule set
 *   (with `SizeRestrictions_BODY` replaced on API paths by a configured body limit) and known-bad-inputs
 *   rule groups, a per-IP rate limit; logs to a KMS-encrypted CloudWatch log group with retention;
 * - access logs to a private, versioned S3 bucket (SSE-KMS, customer key) with the ownership controls CloudFront logging needs.
 */
export class CloudFrontEdge extends pulumi.ComponentResource {
    public readonly distribution: aws.cloudfront.Distribution;
    public readonly distributionId: pulumi.Output<string>;
    /** The distribution's own hostname (`dxxxx.cloudfront.net`): what a CNAME in front points at. */
    public readonly domainName: pulumi.Output<string>;
    public readonly webAclArn: pulumi.Output<string>;
    /** The WAF log group (`aws-waf-logs-...`, us-east-1). */
    public readonly wafLogGroupName: pulumi.Output<string>;
    public readonly certificateArn: pulumi.Output<string>;
    public readonly logBucketName: pulumi.Output<string>;
    /** Header name the origin must check. */
    public readonly originVerifyHeader: string;
    /** Header value the origin must require (a Pulumi secret). */
    public readonly originVerifySecret: pulumi.Output<string>;

    constructor(name: string, args: CloudFrontEdgeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:edge:CloudFrontEdge", name, {}, opts);
        const tags = args.tags ?? {};
        const nameTag = (role: string) => ({ ...tags, Name: `${name}-${role}` });
        const staticPaths = args.staticPaths ?? DEFAULTS.staticPaths;
        const apiPaths = args.apiPaths ?? DEFAULTS.apiPaths;
        const header = args.originVerifyHeader ?? DEFAULTS.originVerifyHeader;
        const staticTtl = args.staticTtlSeconds ?? DEFAULTS.staticTtlSeconds;
        const apiTtl = args.apiTtlSeconds ?? DEFAULTS.apiTtlSeconds;
        const usEast1 = { parent: this, provider: args.usEast1Provider };
        if (new Set([...staticPaths, ...apiPaths]).size !== staticPaths.length + apiPaths.length) {
            throw new pulumi.ResourceError("CloudFrontEdge: a path pattern is listed in both `staticPaths` and `apiPaths`", this);
        }
        const maxBody = args.apiMaxBodyKiB ?? DEFAULTS.apiMaxBodyKiB;
        if (!Number.isInteger(maxBody) || maxBody < 1 || maxBody > 64) throw new pulumi.ResourceError(`CloudFrontEdge: apiMaxBodyKiB must be 1-64 (got ${maxBody}): WAF inspects at most 64 KB of a CloudFront request body`, this);
        if (apiPaths.length === 0 || apiPaths.some((p) => !/^\/[\w./-]*\*?$/.test(p))) throw new pulumi.ResourceError(`CloudFrontEdge: apiPaths (${apiPaths.join(", ")}) must be path prefixes such as /api/*`, this);
        if (args.clientIpHeader && !args.requiredHeader) throw new pulumi.ResourceError("CloudFrontEdge: clientIpHeader needs requiredHeader: without it any client could set the header and rotate the address the rate limit counts", this);
        if (args.requiredHeader && !/^[A-Za-z0-9-]+$/.test(args.requiredHeader.header)) throw new pulumi.ResourceError(`CloudFrontEdge: requiredHeader.header "${args.requiredHeader.header}" must be letters, digits and dashes`, this);

        const secret = args.originVerifySecret !== undefined
            ? { result: pulumi.output(args.originVerifySecret) }
            : new random.RandomPassword(`${name}-origin-secret`, { length: 48, special: false }, { parent: this });

        const certificate = new DnsValidatedCertificate(`${name}-cert`, { hostname: args.hostname, dns: args.dns, purpose: "CloudFront", tags }, {
            parent: this,
            providers: { aws: args.usEast1Provider },
        });
        const webAcl = this.webAcl(name, args, apiPaths, maxBody, nameTag, usEast1);
        const wafLogs = this.wafLogging(name, args, webAcl, nameTag, usEast1);
        const logs = this.logBucket(name, args.logRetentionDays ?? DEFAULTS.logRetentionDays, args.protect ?? false, nameTag);

        // Static assets: long TTL, compressed, query strings ignored except the cache-busting `v`.
        const staticPolicy = new aws.cloudfront.CachePolicy(`${name}-cache-static`, {
            name: `${name}-static`,
            comment: "Static assets: long TTL, compressed, only ?v= in the key",
            minTtl: 0,
            defaultTtl: staticTtl,
            maxTtl: Math.max(staticTtl, 31_536_000),
            parametersInCacheKeyAndForwardedToOrigin: {
                enableAcceptEncodingGzip: true,
                enableAcceptEncodingBrotli: true,
                cookiesConfig: { cookieBehavior: "none" },
                headersConfig: { headerBehavior: "none" },
                queryStringsConfig: { queryStringBehavior: "whitelist", queryStrings: { items: ["v"] } },
            },
        }, { parent: this });
        // API and pages: not cached unless the origin says so (short max), per user (Authorization, cookies) and per query.
        const apiPolicy = new aws.cloudfront.CachePolicy(`${name}-cache-api`, {
            name: `${name}-api`,
            comment: "API and pages: no caching by default, short max TTL, Authorization/cookies/query in the key",
            minTtl: 0,
            defaultTtl: apiTtl,
            maxTtl: 300,
            parametersInCacheKeyAndForwardedToOrigin: {
                enableAcceptEncodingGzip: true,
                enableAcceptEncodingBrotli: true,
                cookiesConfig: { cookieBehavior: "all" },
                headersConfig: { headerBehavior: "whitelist", headers: { items: ["Authorization", "Accept", "Accept-Language"] } },
                queryStringsConfig: { queryStringBehavior: "all" },
            },
        }, { parent: this });
        // Everything the viewer sent (the Host header included: the ingress routes and presents its certificate by it) plus the client address.
        const originRequest = new aws.cloudfront.OriginRequestPolicy(`${name}-origin-request`, {
            name: `${name}-all-viewer`,
            comment: "All viewer headers (Host included), cookies and query strings, plus the viewer address",
            headersConfig: { headerBehavior: "allViewerAndWhitelistCloudFront", headers: { items: ["CloudFront-Viewer-Address", "CloudFront-Forwarded-Proto"] } },
            cookiesConfig: { cookieBehavior: "all" },
            queryStringsConfig: { queryStringBehavior: "all" },
        }, { parent: this });
        const responseHeaders = new aws.cloudfront.ResponseHeadersPolicy(`${name}-security-headers`, {
            name: `${name}-security-headers`,
            comment: "HSTS, nosniff, frame options, referrer policy",
            securityHeadersConfig: {
                strictTransportSecurity: { accessControlMaxAgeSec: 63_072_000, includeSubdomains: true, preload: true, override: true },
                contentTypeOptions: { override: true },
                frameOptions: { frameOption: "DENY", override: true },
                referrerPolicy: { referrerPolicy: "strict-origin-when-cross-origin", override: true },
                xssProtection: { protection: true, modeBlock: true, override: true },
            },
        }, { parent: this });

        const behavior = (cachePolicyId: pulumi.Output<string>, methods: string[]) => ({
            targetOriginId: ORIGIN_ID,
            viewerProtocolPolicy: "redirect-to-https",
            allowedMethods: methods,
            cachedMethods: ["GET", "HEAD"],
            compress: true,
            cachePolicyId,
            originRequestPolicyId: originRequest.id,
            responseHeadersPolicyId: responseHeaders.id,
        });

        this.distribution = new aws.cloudfront.Distribution(`${name}-distribution`, {
            enabled: true,
            comment: `${args.hostname} -> ingress`,
            aliases: [args.hostname],
            httpVersion: "http2and3",
            isIpv6Enabled: true,
            priceClass: args.priceClass ?? DEFAULTS.priceClass,
            webAclId: webAcl.arn,
            viewerCertificate: {
                acmCertificateArn: certificate.certificateArn,
                sslSupportMethod: "sni-only",
                minimumProtocolVersion: "TLSv1.2_2021",
            },
            origins: [{
                originId: ORIGIN_ID,
                domainName: args.originDomainName,
                customOriginConfig: {
                    httpPort: 80,
                    httpsPort: 443,
                    originProtocolPolicy: "https-only",
                    originSslProtocols: ["TLSv1.2"],
                    originReadTimeout: 30,
                    originKeepaliveTimeout: 5,
                },
                customHeaders: [{ name: header, value: secret.result }],
            }],
            defaultCacheBehavior: behavior(apiPolicy.id, ALL_METHODS),
            orderedCacheBehaviors: [
                ...staticPaths.map((pathPattern) => ({ pathPattern, ...behavior(staticPolicy.id, READ_METHODS) })),
                ...apiPaths.map((pathPattern) => ({ pathPattern, ...behavior(apiPolicy.id, ALL_METHODS) })),
            ],
            // Origin errors are cached briefly, so a recovering origin is not hidden behind stale errors.
            customErrorResponses: [
                { errorCode: 500, errorCachingMinTtl: 0 },
                { errorCode: 502, errorCachingMinTtl: 5 },
                { errorCode: 503, errorCachingMinTtl: 5 },
                { errorCode: 504, errorCachingMinTtl: 5 },
                { errorCode: 404, errorCachingMinTtl: 60 },
            ],
            restrictions: { geoRestriction: { restrictionType: "none" } },
            loggingConfig: { bucket: logs.bucketDomainName, prefix: "cloudfront/", includeCookies: false },
            tags: nameTag("distribution"),
        }, { parent: this, dependsOn: logs.ready });

        if ("route53ZoneId" in args.dns) {
            for (const type of ["A", "AAAA"]) {
                new aws.route53.Record(`${name}-alias-${type.toLowerCase()}`, {
                    zoneId: args.dns.route53ZoneId,
                    name: args.hostname,
                    type,
                    aliases: [{ name: this.distribution.domainName, zoneId: this.distribution.hostedZoneId, evaluateTargetHealth: false }],
                }, { parent: this });
            }
        }

        this.distributionId = this.distribution.id;
        this.domainName = this.distribution.domainName;
        this.webAclArn = webAcl.arn;
        this.wafLogGroupName = wafLogs.name;
        this.certificateArn = certificate.certificateArn;
        this.logBucketName = logs.bucket.bucket;
        this.originVerifyHeader = header;
        this.originVerifySecret = pulumi.secret(secret.result);
        this.registerOutputs({
            distributionId: this.distributionId,
            domainName: this.domainName,
            webAclArn: this.webAclArn,
            wafLogGroupName: this.wafLogGroupName,
            certificateArn: this.certificateArn,
            logBucketName: this.logBucketName,
        });
    }

    /**
     * WAFv2 (scope CLOUDFRONT, us-east-1), in order: behind a proxy, requests without its secret header are
     * blocked; the AWS common rule set with `SizeRestrictions_BODY` counting, then that 8 KB limit blocking
     * off the API paths and the configured limit on them; known bad inputs; a per-client rate limit.
     */
    private webAcl(name: string, args: CloudFrontEdgeArgs, apiPaths: string[], maxBodyKiB: number, nameTag: (r: string) => Record<string, string>, usEast1: pulumi.CustomResourceOptions) {
        const metric = (m: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: `${name}-${m}` });
        const managed = (priority: number, ruleGroup: string, ruleActionOverrides?: aws.types.input.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverride[]) => ({
            name: ruleGroup,
            priority,
            overrideAction: { none: {} },
            statement: { managedRuleGroupStatement: { vendorName: "AWS", name: ruleGroup, ruleActionOverrides } },
            visibilityConfig: metric(ruleGroup),
        });
        const noTransform = [{ priority: 0, type: "NONE" }];
        const required = args.requiredHeader;
        const hasRequiredHeader = required && {
            byteMatchStatement: { fieldToMatch: { singleHeader: { name: required.header.toLowerCase() } }, positionalConstraint: "EXACTLY", searchString: pulumi.secret(required.value), textTransformations: noTransform },
        };
        const isApi = { regexMatchStatement: { regexString: apiPathRegex(apiPaths), fieldToMatch: { uriPath: {} }, textTransformations: noTransform } };
        const limit = args.wafRateLimitPer5Min ?? DEFAULTS.wafRateLimitPer5Min;
        const inspectionKiB = WAF_BODY_INSPECTION_LIMITS_KIB.find((k) => k >= maxBodyKiB)!;
        return new aws.wafv2.WebAcl(`${name}-waf`, {
            scope: "CLOUDFRONT",
            description: `Edge rules for ${args.hostname}`,
            defaultAction: { allow: {} },
            // WAF reads this much of a body; a larger body counts as over the API limit (oversizeHandling MATCH).
            associationConfig: { requestBodies: [{ cloudfront: { defaultSizeInspectionLimit: `KB_${inspectionKiB}` } }] },
            rules: [
                ...(hasRequiredHeader ? [{
                    name: "require-proxy-header",
                    priority: 0,
                    action: { block: {} },
                    statement: { notStatement: { statement: hasRequiredHeader } },
                    visibilityConfig: metric("require-proxy-header"),
                }] : []),
                managed(10, "AWSManagedRulesCommonRuleSet", [{ name: "SizeRestrictions_BODY", actionToUse: { count: {} } }]),
                {
                    name: "body-over-8kb-outside-api",
                    priority: 11,
                    action: { block: {} },
                    statement: { andStatement: { statements: [
                        { labelMatchStatement: { scope: "LABEL", key: SIZE_RESTRICTIONS_BODY_LABEL } },
                        { notStatement: { statement: isApi } },
                    ] } },
                    visibilityConfig: metric("body-over-8kb-outside-api"),
                },
                {
                    name: `api-body-over-${maxBodyKiB}kb`,
                    priority: 12,
                    action: { block: {} },
                    statement: { andStatement: { statements: [
                        isApi,
                        { sizeConstraintStatement: { fieldToMatch: { body: { oversizeHandling: "MATCH" } }, comparisonOperator: "GT", size: maxBodyKiB * 1024, textTransformations: noTransform } },
                    ] } },
                    visibilityConfig: metric("api-body-limit"),
                },
                managed(20, "AWSManagedRulesKnownBadInputsRuleSet"),
                {
                    name: "rate-limit-per-ip",
                    priority: 30,
                    action: { block: {} },
                    statement: {
                        rateBasedStatement: args.clientIpHeader && hasRequiredHeader
                            // Only the proxy's requests (they carry its secret) are counted by the client IP it reports.
                            ? { limit, evaluationWindowSec: 300, aggregateKeyType: "FORWARDED_IP", forwardedIpConfig: { headerName: args.clientIpHeader, fallbackBehavior: "MATCH" }, scopeDownStatement: hasRequiredHeader }
                            : { limit, evaluationWindowSec: 300, aggregateKeyType: "IP" },
                    },
                    visibilityConfig: metric("rate-limit-per-ip"),
                },
            ],
            visibilityConfig: metric("web-acl"),
            tags: nameTag("waf"),
        }, { ...usEast1, dependsOn: args.wafDependsOn ?? [] });
    }

    /**
     * WAF logs: a CloudWatch log group in us-east-1 (WAF requires the `aws-waf-logs-` prefix) encrypted with
     * a customer KMS key that only CloudWatch Logs may use for that group, kept `wafLogRetentionDays`; the
     * proxy's secret header, Authorization and cookies are redacted.
     */
    private wafLogging(name: string, args: CloudFrontEdgeArgs, webAcl: aws.wafv2.WebAcl, nameTag: (r: string) => Record<string, string>, usEast1: pulumi.CustomResourceOptions) {
        const protect = args.protect ?? false;
        const logGroupName = `aws-waf-logs-${name}`;
        const account = aws.getCallerIdentityOutput({}, { provider: args.usEast1Provider }).accountId;
        const partition = aws.getPartitionOutput({}, { provider: args.usEast1Provider }).partition;
        const key = new aws.kms.Key(`${name}-waf-logs-key`, {
            description: `WAF logs of ${args.hostname} (${logGroupName})`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            policy: pulumi.all([account, partition]).apply(([acct, part]) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    accountAdministersKey(part, acct),
                    {
                        Sid: "CloudWatchLogsForTheWafLogGroup",
                        Effect: "Allow",
                        Principal: { Service: "logs.us-east-1.amazonaws.com" },
                        Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                        Resource: "*",
                        Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": [`arn:${part}:logs:us-east-1:${acct}:log-group:${logGroupName}`] } },
                    },
                ],
            })),
            tags: nameTag("waf-logs-key"),
        }, { ...usEast1, protect });
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-waf-logs`, {
            name: logGroupName,
            retentionInDays: args.wafLogRetentionDays ?? DEFAULTS.wafLogRetentionDays,
            kmsKeyId: key.arn,
            tags: nameTag("waf-logs"),
        }, { ...usEast1, retainOnDelete: protect });
        new aws.wafv2.WebAclLoggingConfiguration(`${name}-waf-logging`, {
            resourceArn: webAcl.arn,
            logDestinationConfigs: [logGroup.arn],
            redactedFields: [
                ...(args.requiredHeader ? [{ singleHeader: { name: args.requiredHeader.header.toLowerCase() } }] : []),
                { singleHeader: { name: "authorization" } },
                { singleHeader: { name: "cookie" } },
            ],
        }, usEast1);
        return logGroup;
    }

    /**
     * The access log bucket: private, versioned, SSE-KMS with a customer key, ACLs enabled for the
     * CloudFront log delivery (BucketOwnerPreferred), expiring logs.
     */
    private logBucket(name: string, retentionDays: number, keep: boolean, nameTag: (r: string) => Record<string, string>) {
        const bucket = new aws.s3.Bucket(`${name}-logs`, { forceDestroy: !keep, tags: nameTag("logs") }, { parent: this, retainOnDelete: keep });
        const pab = new aws.s3.BucketPublicAccessBlock(`${name}-logs-public-access`, {
            bucket: bucket.id,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        }, { parent: this });
        // CloudFront standard logging writes with an ACL grant to the awslogsdelivery account: ACLs must be enabled.
        const ownership = new aws.s3.BucketOwnershipControls(`${name}-logs-ownership`, {
            bucket: bucket.id,
            rule: { objectOwnership: "BucketOwnerPreferred" },
        }, { parent: this });
        // An overwritten or deleted log file stays recoverable (as a noncurrent version) until the lifecycle expires it.
        const versioning = new aws.s3.BucketVersioning(`${name}-logs-versioning`, {
            bucket: bucket.id,
            versioningConfiguration: { status: "Enabled" },
        }, { parent: this });
        // SSE-KMS with a customer key: CloudFront's standard logging can write to such a bucket when the key
        // policy lets its log delivery service generate data keys (the AWS-managed aws/s3 key cannot be used).
        const key = dataStoreKey(this, `${name}-logs`, {
            identifier: `cloudfront/${name}/logs`,
            description: `CloudFront ${name}: access log bucket`,
            logGroupNames: [],
            serviceGrants: [{ sid: "CloudFrontLogDelivery", service: "delivery.logs.amazonaws.com", actions: ["kms:GenerateDataKey*"] }],
            protect: keep,
            tags: nameTag("logs-key"),
        });
        const sse = new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-logs-encryption`, {
            bucket: bucket.id,
            rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn }, bucketKeyEnabled: true }],
        }, { parent: this });
        new aws.s3.BucketLifecycleConfiguration(`${name}-logs-lifecycle`, {
            bucket: bucket.id,
            rules: [{
                id: "expire-access-logs",
                status: "Enabled",
                filter: {},
                expiration: { days: retentionDays },
                noncurrentVersionExpiration: { noncurrentDays: NONCURRENT_LOG_DAYS },
                abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
            }],
        }, { parent: this, dependsOn: [versioning] });
        // In transit: refuse plain HTTP.
        new aws.s3.BucketPolicy(`${name}-logs-tls-only`, {
            bucket: bucket.id,
            policy: bucket.arn.apply((arn) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [arn, `${arn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } }],
            })),
        }, { parent: this, dependsOn: [pab] });
        return { bucket, bucketDomainName: bucket.bucketDomainName, ready: [pab, ownership, sse, versioning] as pulumi.Resource[] };
    }
}

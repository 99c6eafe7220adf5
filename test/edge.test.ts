import { strict as assert } from "assert";
import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import { byName, configErrorOf, ofType, planWith, stackConfigValue, stackPlan } from "./helpers";
import { recordsOf, underMocks, valueOf } from "./edge.harness";
import { apiPathRegex, CloudFrontEdge, CloudFrontEdgeArgs, SIZE_RESTRICTIONS_BODY_LABEL } from "../components/cloudfrontEdge";
import { cloudflareRangeProblems } from "../config/edge";
import { ageInDays, CLOUDFLARE_IPS_V4, CLOUDFLARE_IPS_V6, CLOUDFLARE_IP_RANGES_RECORDED_ON, CLOUDFLARE_RANGES, CLOUDFLARE_RANGES_MAX_AGE_DAYS, parseCloudflareRanges } from "../catalog/cloudflareIpRanges";
import { CloudflareEdge, CLOUDFLARE_ZONE_SETTINGS } from "../components/cloudflareEdge";
import { RecordedResource } from "../plan/recorder";
import { ConfigError } from "../config";
import { resolveStackConfig } from "../sizing/stackConfig";
import { Plan } from "../plan/run";

const DIST = "aws:cloudfront/distribution:Distribution";
const RULESET = "cloudflare:index/ruleset:Ruleset";
const RECORD = "cloudflare:index/dnsRecord:DnsRecord";
const PHASES = ["http_request_cache_settings", "http_ratelimit", "http_request_firewall_custom"];

const providerOf = (plan: { resources: RecordedResource[] }, r: RecordedResource) => plan.resources.find((p) => p.urn === r.opts.provider);
const behaviors = (d: RecordedResource) => [d.props.defaultCacheBehavior as any, ...((d.props.orderedCacheBehaviors as any[]) ?? [])];

/** What the plans must show of a CloudFront distribution, whatever built it. */
function assertDistributionSafe(resources: RecordedResource[], plan: { resources: RecordedResource[] }) {
    const [d] = recordsOf(resources, DIST);
    assert.ok(d, "a CloudFront distribution");
    for (const b of behaviors(d)) {
        assert.notEqual(b.viewerProtocolPolicy, "allow-all", `behavior ${b.pathPattern ?? "default"} serves plain HTTP`);
        assert.ok(["redirect-to-https", "https-only"].includes(b.viewerProtocolPolicy));
        assert.ok(b.cachePolicyId, `behavior ${b.pathPattern ?? "default"} has no cache policy`);
        assert.ok(b.originRequestPolicyId && b.responseHeadersPolicyId);
    }
    const vc = d.props.viewerCertificate as any;
    assert.match(vc.minimumProtocolVersion, /^TLSv1\.2_20(19|21)$|^TLSv1\.3/);
    assert.equal(vc.sslSupportMethod, "sni-only");
    assert.equal(d.props.httpVersion, "http2and3");
    assert.equal(d.props.isIpv6Enabled, true);
    const [waf] = recordsOf(resources, "aws:wafv2/webAcl:WebAcl");
    assert.equal(d.props.webAclId, waf.props.arn ?? d.props.webAclId);
    assert.equal(waf.props.scope, "CLOUDFRONT");
    assert.equal(providerOf(plan, waf)?.props.region, "us-east-1", "the CLOUDFRONT web ACL lives in us-east-1");
    const [cert] = recordsOf(resources, "aws:acm/certificate:Certificate");
    assert.equal(cert.props.validationMethod, "DNS");
    assert.equal(providerOf(plan, cert)?.props.region, "us-east-1", "CloudFront certificates live in us-east-1");
    const groups = (waf.props.rules as any[]).map((r) => r.statement.managedRuleGroupStatement?.name).filter(Boolean);
    assert.deepEqual(groups.sort(), ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"]);
    assert.ok((waf.props.rules as any[]).some((r) => r.statement.rateBasedStatement && r.action.block), "a blocking per-IP rate rule");
    return { d, waf, cert };
}

describe("CloudFrontEdge component", () => {
    const build = (preview = false, dns: "route53" | "cloudflare" = "route53") =>
        underMocks(() => {
            const usEast1 = new aws.Provider("us-east-1", { region: "us-east-1" });
            const cfProvider = new cloudflare.Provider("cf", { apiToken: "t" });
            return new CloudFrontEdge("edge", {
                originDomainName: "origin-lb.elb.eu-west-1.amazonaws.com",
                hostname: "www.example.org",
                usEast1Provider: usEast1,
                dns: dns === "route53" ? { route53ZoneId: "Z0123456789ABCDEFGHIJ" } : { cloudflareZoneId: "0123456789abcdef0123456789abcdef", cloudflareProvider: cfProvider },
                priceClass: "PriceClass_200",
                wafRateLimitPer5Min: 500,
            });
        }, preview);

    it("puts an HTTPS-only, TLS 1.2 origin with the secret header behind viewer-HTTPS-only behaviors, each with a cache policy", async () => {
        const { result: edge, records } = await build();
        const plan = { resources: records };
        const { d } = assertDistributionSafe(records, plan);
        assert.equal(d.props.priceClass, "PriceClass_200");
        assert.deepEqual(d.props.aliases, ["www.example.org"]);
        // The resource's state has the header value; the plan shows the origin settings with only that value masked.
        const [origin] = (await valueOf(edge.distribution.origins))!;
        assert.equal(origin.domainName, "origin-lb.elb.eu-west-1.amazonaws.com");
        assert.equal(origin.customOriginConfig!.originProtocolPolicy, "https-only");
        assert.deepEqual(origin.customOriginConfig!.originSslProtocols, ["TLSv1.2"]);
        const header = origin.customHeaders!.find((h) => h.name === edge.originVerifyHeader)!;
        assert.equal(header.value, await valueOf(edge.originVerifySecret));
        assert.ok(header.value.length >= 32, "a long random secret");
        assert.equal(recordsOf(records, "random:index/randomPassword:RandomPassword").length, 1);
        const planned = (d.props.origins as any[])[0];
        assert.deepEqual(planned.customHeaders, [{ name: edge.originVerifyHeader, value: "[secret]" }], "the secret value never shows in the plan");
        assert.equal(planned.customOriginConfig.originProtocolPolicy, "https-only", "the rest stays reviewable");
        assert.ok(!JSON.stringify(records).includes(header.value), "nor anywhere else in the record");
    });

    it("caches static paths long with compression and ?v= only, and the API per user with a short max TTL", async () => {
        const { records } = await build();
        const policies = recordsOf(records, "aws:cloudfront/cachePolicy:CachePolicy");
        const byId = new Map(policies.map((p) => [p.props.name, p]));
        const [d] = recordsOf(records, DIST);
        const forPath = (p: string) => byId.get(behaviors(d).find((b) => b.pathPattern === p).cachePolicyId)!.props as any;
        const st = forPath("/static/*");
        assert.ok(st.defaultTtl >= 3600);
        assert.equal(st.parametersInCacheKeyAndForwardedToOrigin.enableAcceptEncodingBrotli, true);
        assert.equal(st.parametersInCacheKeyAndForwardedToOrigin.queryStringsConfig.queryStringBehavior, "whitelist");
        assert.equal(st.parametersInCacheKeyAndForwardedToOrigin.cookiesConfig.cookieBehavior, "none");
        const api = forPath("/api/*");
        assert.equal(api.defaultTtl, 0);
        assert.ok(api.maxTtl <= 300);
        assert.ok(api.parametersInCacheKeyAndForwardedToOrigin.headersConfig.headers.items.includes("Authorization"));
        const rh = recordsOf(records, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")[0].props.securityHeadersConfig as any;
        assert.ok(rh.strictTransportSecurity.accessControlMaxAgeSec >= 31_536_000);
        assert.ok(rh.contentTypeOptions && rh.frameOptions.frameOption === "DENY" && rh.referrerPolicy.referrerPolicy);
        const orp = recordsOf(records, "aws:cloudfront/originRequestPolicy:OriginRequestPolicy");
        assert.equal(orp.length, 1);
        assert.ok(behaviors(d).every((b) => b.originRequestPolicyId === orp[0].props.name));
        assert.ok((d.props.customErrorResponses as any[]).some((e) => e.errorCode === 503 && e.errorCachingMinTtl <= 10));
    });

    it("logs to a private, encrypted bucket with the ownership controls CloudFront logging needs", async () => {
        const { records } = await build();
        const [bucket] = recordsOf(records, "aws:s3/bucket:Bucket");
        const [d] = recordsOf(records, DIST);
        assert.match((d.props.loggingConfig as any).bucket, /\.s3\.amazonaws\.com$/);
        const own = recordsOf(records, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")[0].props as any;
        assert.equal(own.rule.objectOwnership, "BucketOwnerPreferred");
        const pab = recordsOf(records, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0].props;
        assert.ok(pab.blockPublicAcls && pab.blockPublicPolicy && pab.ignorePublicAcls && pab.restrictPublicBuckets);
        const sse = recordsOf(records, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")[0].props as any;
        assert.ok(sse.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm);
        assert.ok(recordsOf(records, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").length === 1);
        assert.equal(bucket.props.forceDestroy, true, "unprotected by default");
    });

    it("validates the certificate in Route 53 and aliases the hostname there (A and AAAA), or validates in Cloudflare", async () => {
        const r53 = await build(false, "route53");
        const recs = recordsOf(r53.records, "aws:route53/record:Record");
        assert.deepEqual(recs.filter((r) => r.props.aliases).map((r) => r.props.type).sort(), ["A", "AAAA"]);
        const validation = recs.find((r) => !r.props.aliases)!;
        assert.match(validation.props.name as string, /^_[0-9a-f]+\.www\.example\.org$/);
        const cv = recordsOf(r53.records, "aws:acm/certificateValidation:CertificateValidation")[0];
        assert.deepEqual(cv.props.validationRecordFqdns, [validation.props.name]);
        assert.equal(recordsOf(r53.records, RECORD).length, 0);

        const cf = await build(false, "cloudflare");
        const [rec] = recordsOf(cf.records, RECORD);
        assert.equal(rec.props.proxied, false, "ACM must see the validation record unproxied");
        assert.equal(recordsOf(cf.records, "aws:route53/record:Record").length, 0);
    });

    it("plans in preview mode, where the certificate's validation record is unknown", async () => {
        const { records } = await build(true);
        const validation = recordsOf(records, "aws:route53/record:Record").find((r) => !r.props.aliases)!;
        assert.equal(validation.props.name, "[unknown]");
        assert.equal(recordsOf(records, DIST).length, 1);
    });

    const wafOf = (records: RecordedResource[]) => recordsOf(records, "aws:wafv2/webAcl:WebAcl")[0];
    const ruleNamed = (waf: RecordedResource, name: string) => (waf.props.rules as any[]).find((r) => r.name === name);
    const buildWith = (extra: Partial<CloudFrontEdgeArgs>, preview = false) => underMocks(() => new CloudFrontEdge("edge", {
        originDomainName: "origin-lb.elb.eu-west-1.amazonaws.com", hostname: "www.example.org",
        usEast1Provider: new aws.Provider("us-east-1", { region: "us-east-1" }), dns: { route53ZoneId: "Z0123456789ABCDEFGHIJ" }, ...extra,
    }), preview);

    it("keeps API bodies up to the configured limit: SizeRestrictions_BODY counts, the 8 KB limit still blocks elsewhere, the API limit blocks above it", async () => {
        const { records } = await buildWith({ apiMaxBodyKiB: 20, apiPaths: ["/api/*", "/v2/*"] });
        const waf = wafOf(records);
        const common = ruleNamed(waf, "AWSManagedRulesCommonRuleSet").statement.managedRuleGroupStatement;
        assert.deepEqual(common.ruleActionOverrides, [{ name: "SizeRestrictions_BODY", actionToUse: { count: {} } }]);
        const outside = ruleNamed(waf, "body-over-8kb-outside-api");
        assert.ok(outside.action.block);
        const [label, notApi] = outside.statement.andStatement.statements;
        assert.equal(label.labelMatchStatement.key, SIZE_RESTRICTIONS_BODY_LABEL);
        assert.equal(notApi.notStatement.statement.regexMatchStatement.regexString, "^(?:/api/|/v2/)");
        const api = ruleNamed(waf, "api-body-over-20kb");
        const [isApi, size] = api.statement.andStatement.statements;
        assert.ok(new RegExp(isApi.regexMatchStatement.regexString).test("/api/orders") && new RegExp(isApi.regexMatchStatement.regexString).test("/v2/x"));
        assert.ok(!new RegExp(isApi.regexMatchStatement.regexString).test("/apix") && !new RegExp(isApi.regexMatchStatement.regexString).test("/static/api/"));
        assert.deepEqual([size.sizeConstraintStatement.comparisonOperator, size.sizeConstraintStatement.size, size.sizeConstraintStatement.fieldToMatch.body.oversizeHandling], ["GT", 20 * 1024, "MATCH"]);
        // WAF must read at least that much of the body: 20 KiB needs the 32 KB inspection limit.
        assert.deepEqual(waf.props.associationConfig, { requestBodies: [{ cloudfront: { defaultSizeInspectionLimit: "KB_32" } }] });
        const priorities = (waf.props.rules as any[]).map((r) => r.priority);
        assert.ok(ruleNamed(waf, "AWSManagedRulesCommonRuleSet").priority < outside.priority && outside.priority < api.priority, "the label exists before the rules that read it");
        assert.equal(new Set(priorities).size, priorities.length);
    });

    it("inspects 16 KB by default and refuses a body limit WAF could not inspect", async () => {
        const { records } = await buildWith({});
        assert.equal((wafOf(records).props.associationConfig as any).requestBodies[0].cloudfront.defaultSizeInspectionLimit, "KB_16");
        assert.ok(ruleNamed(wafOf(records), "api-body-over-16kb"));
        await assert.rejects(buildWith({ apiMaxBodyKiB: 65 }), /apiMaxBodyKiB must be 1-64 \(got 65\)/);
        assert.equal(apiPathRegex(["/a.b/*"]), "^(?:/a\\.b/)");
    });

    it("logs to a KMS-encrypted CloudWatch log group named aws-waf-logs-..., with retention, redacting the proxy's secret", async () => {
        const { records } = await buildWith({ requiredHeader: { header: "X-Edge-Verify", value: "proxySecret123" }, clientIpHeader: "CF-Connecting-IP", wafLogRetentionDays: 400, protect: true });
        const [logging] = recordsOf(records, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration");
        const group = recordsOf(records, "aws:cloudwatch/logGroup:LogGroup").find((g) => /^aws-waf-logs-/.test(g.props.name as string))!;
        assert.deepEqual(logging.props.logDestinationConfigs, [group.props.arn ?? (logging.props.logDestinationConfigs as string[])[0]]);
        assert.match((logging.props.logDestinationConfigs as string[])[0], /^arn:aws:logs:us-east-1:\d{12}:log-group:aws-waf-logs-edge$/);
        assert.equal(group.props.retentionInDays, 400);
        const key = recordsOf(records, "aws:kms/key:Key").find((k) => k.name === "edge-waf-logs-key")!;
        assert.match(group.props.kmsKeyId as string, /^arn:aws:kms:us-east-1:\d{12}:key\//, "the customer key, in the log group's region");
        assert.equal(key.props.enableKeyRotation, true);
        assert.equal(key.opts.protect, true);
        const policy = JSON.parse(key.props.policy as string);
        const logs = policy.Statement.find((st: any) => st.Principal.Service === "logs.us-east-1.amazonaws.com");
        assert.deepEqual(logs.Condition.ArnEquals["kms:EncryptionContext:aws:logs:arn"].map((a: string) => a.replace(/^.*:log-group:/, "")), ["aws-waf-logs-edge"]);
        for (const r of [logging, group, key]) assert.equal(providerOf({ resources: records }, r)?.props.region, "us-east-1", `${r.type} beside the CLOUDFRONT web ACL`);
        assert.ok((logging.props.redactedFields as any[]).some((f) => f.singleHeader?.name === "x-edge-verify"));
    });

    it("behind a proxy: blocks requests without its secret header first, and counts per forwarded client IP only requests that carry it", async () => {
        const { result, records } = await buildWith({ requiredHeader: { header: "X-Edge-Verify", value: "proxySecret123" }, clientIpHeader: "CF-Connecting-IP" });
        const waf = wafOf(records);
        const first = (waf.props.rules as any[]).reduce((a, r) => (r.priority < a.priority ? r : a));
        assert.equal(first.name, "require-proxy-header");
        assert.ok(first.action.block);
        const match = first.statement.notStatement.statement.byteMatchStatement;
        assert.deepEqual([match.fieldToMatch.singleHeader.name, match.positionalConstraint, match.searchString], ["x-edge-verify", "EXACTLY", "[secret]"]);
        assert.ok(await valueOf(result.webAclArn));
        const rate = ruleNamed(waf, "rate-limit-per-ip").statement.rateBasedStatement;
        assert.equal(rate.aggregateKeyType, "FORWARDED_IP");
        assert.deepEqual(rate.scopeDownStatement, first.statement.notStatement.statement, "only requests with the proxy's secret are counted by its client IP header");
        // A direct viewer could rotate CF-Connecting-IP: the component refuses the header without the proxy's secret.
        await assert.rejects(buildWith({ clientIpHeader: "CF-Connecting-IP" }), /clientIpHeader needs requiredHeader/);
        // In preview the secret is unknown; the rules still plan.
        const preview = await buildWith({ requiredHeader: { header: "X-Edge-Verify", value: "proxySecret123" }, clientIpHeader: "CF-Connecting-IP" }, true);
        assert.ok(ruleNamed(wafOf(preview.records), "require-proxy-header"));
    });

    it("refuses a path listed as both static and API", async () => {
        await assert.rejects(
            underMocks(() => new CloudFrontEdge("bad", {
                originDomainName: "o.example.net", hostname: "x.example.org", usEast1Provider: new aws.Provider("e1", { region: "us-east-1" }),
                dns: { route53ZoneId: "Z1" }, staticPaths: ["/api/*"], apiPaths: ["/api/*"],
            })),
            /both `staticPaths` and `apiPaths`/,
        );
    });
});

describe("CloudflareEdge component", () => {
    const build = (args: Partial<ConstructorParameters<typeof CloudflareEdge>[1]> = {}) =>
        underMocks(() => {
            const provider = new cloudflare.Provider("cf", { apiToken: "t" });
            return new CloudflareEdge("cf-edge", {
                zoneId: "0123456789abcdef0123456789abcdef",
                plan: "business",
                hostname: "www.example.org",
                target: "origin-lb.elb.eu-west-1.amazonaws.com",
                blockedCountries: ["KP", "XX"],
                blockedAsns: [64496],
                ...args,
            }, { providers: { cloudflare: provider } });
        });

    it("proxies the hostname to the target and sets the zone's TLS, HTTPS and HTTP/3 settings (no retired brotli setting)", async () => {
        const { records } = await build();
        const [rec] = recordsOf(records, RECORD);
        assert.deepEqual([rec.props.name, rec.props.type, rec.props.content, rec.props.proxied], ["www.example.org", "CNAME", "origin-lb.elb.eu-west-1.amazonaws.com", true]);
        const settings = Object.fromEntries(recordsOf(records, "cloudflare:index/zoneSetting:ZoneSetting").map((s) => [s.props.settingId, s.props.value]));
        assert.deepEqual(settings, CLOUDFLARE_ZONE_SETTINGS);
        assert.equal(settings.min_tls_version, "1.2");
        assert.equal(settings.brotli, undefined, "the brotli setting endpoint was retired on 2024-06-14");
        assert.ok(records.filter((r) => r.type.startsWith("cloudflare:index/")).every((r) => r.opts.provider?.includes("pulumi:providers:cloudflare::cf")));
    });

    it("has one zone ruleset per phase: cache rules, rate limits, custom firewall", async () => {
        const { records } = await build();
        const rulesets = recordsOf(records, RULESET);
        assert.deepEqual(rulesets.map((r) => r.props.phase).sort(), [...PHASES].sort());
        assert.ok(rulesets.every((r) => r.props.kind === "zone"));
        const phase = (p: string) => rulesets.find((r) => r.props.phase === p)!.props.rules as any[];

        const [cacheStatic, bypass] = phase("http_request_cache_settings");
        assert.equal(cacheStatic.actionParameters.edgeTtl.mode, "override_origin");
        assert.ok(cacheStatic.actionParameters.browserTtl.default > 0);
        assert.equal(cacheStatic.actionParameters.cacheKey.ignoreQueryStringsOrder, true);
        assert.match(bypass.expression, /http\.cookie contains "session="/);
        assert.equal(bypass.actionParameters.cache, false);

        const [auth, api] = phase("http_ratelimit");
        assert.match(auth.expression, /\/auth\//);
        assert.match(api.expression, /"\/api\/"/);
        assert.ok(auth.ratelimit.requestsPerPeriod / auth.ratelimit.period < api.ratelimit.requestsPerPeriod / api.ratelimit.period, "auth is stricter");
        assert.ok([auth, api].every((r) => r.action === "block" && r.ratelimit.characteristics.includes("ip.src") && r.ratelimit.characteristics.includes("cf.colo.id")));

        const fw = phase("http_request_firewall_custom");
        assert.deepEqual(fw.map((r) => r.action), ["skip", "block", "managed_challenge"]);
        assert.match(fw[0].expression, /"\/healthz"/);
        assert.equal(fw[0].actionParameters.ruleset, "current");
        assert.equal(fw[1].expression, '(ip.src.country in {"KP" "XX"} or ip.src.asnum in {64496})');
        assert.match(fw[2].expression, /starts_with\(http\.request\.uri\.path, "\/admin"\)/);
    });

    it("with originVerify, sets a random secret header on every origin request (late transform phase)", async () => {
        const { result, records } = await build({ originVerify: true, blockedCountries: [], blockedAsns: [] });
        const late = recordsOf(records, RULESET).find((r) => r.props.phase === "http_request_late_transform")!;
        // Only the header value is secret in the plan; the rule around it stays readable for review and policy.
        assert.equal((late.props.rules as any)[0].actionParameters.headers["X-Origin-Verify"].value, "[secret]");
        assert.equal((late.props.rules as any)[0].action, "rewrite");
        const rules = (await valueOf(result.rulesets.http_request_late_transform.rules))!;
        const secret = await valueOf(result.originVerifySecret!);
        assert.equal((rules[0].actionParameters!.headers as any)["X-Origin-Verify"].value, secret);
        // No countries or ASNs configured: no block rule.
        const fw = recordsOf(records, RULESET).find((r) => r.props.phase === "http_request_firewall_custom")!.props.rules as any[];
        assert.deepEqual(fw.map((r) => r.action), ["skip", "managed_challenge"]);
    });
});

describe("CloudflareEdge: a second secret for the proxy behind it", () => {
    it("sets proxyVerify's header in the late-transform ruleset, alone or beside the origin header", async () => {
        const build = (args: Partial<ConstructorParameters<typeof CloudflareEdge>[1]>) => underMocks(() => new CloudflareEdge("cf-edge", {
            zoneId: "0123456789abcdef0123456789abcdef", plan: "business", hostname: "www.example.org", target: "d111.cloudfront.net", ...args,
        }, { providers: { cloudflare: new cloudflare.Provider("cf", { apiToken: "t" }) } }));
        const { result, records } = await build({ proxyVerify: { header: "X-Edge-Verify", value: "proxySecret123" } });
        const late = recordsOf(records, RULESET).filter((r) => r.props.phase === "http_request_late_transform");
        assert.equal(late.length, 1, "one ruleset per phase");
        const rules = late[0].props.rules as any[];
        assert.deepEqual(rules.map((r) => [r.ref, r.expression, r.action]), [["proxy_verify", "true", "rewrite"]]);
        assert.equal(rules[0].actionParameters.headers["X-Edge-Verify"].value, "[secret]");
        const resolved = (await valueOf(result.rulesets.http_request_late_transform.rules))!;
        assert.equal((resolved[0].actionParameters!.headers as any)["X-Edge-Verify"].value, "proxySecret123");
        const both = await build({ originVerify: true, proxyVerify: { header: "X-Edge-Verify", value: "proxySecret123" } });
        assert.deepEqual((recordsOf(both.records, RULESET).find((r) => r.props.phase === "http_request_late_transform")!.props.rules as any[]).map((r) => r.ref), ["origin_verify", "proxy_verify"]);
        await assert.rejects(build({ proxyVerify: { header: "X Edge", value: "v" } }), /letters, digits and dashes/);
    });
});

describe("Cloudflare's published ranges (catalog/cloudflareIpRanges.ts)", () => {
    it("the shipped lists parse: IPv4 and IPv6 CIDRs, aligned, no duplicates, dated", () => {
        const { ranges, problems } = parseCloudflareRanges(CLOUDFLARE_IPS_V4, CLOUDFLARE_IPS_V6, CLOUDFLARE_IP_RANGES_RECORDED_ON);
        assert.deepEqual(problems, []);
        assert.ok(ranges.ipv4.length >= 10 && ranges.ipv6.length >= 5);
        assert.ok(ranges.ipv4.includes("173.245.48.0/20") && ranges.ipv6.includes("2400:cb00::/32"));
        assert.deepEqual(CLOUDFLARE_RANGES.ranges, ranges);
        assert.ok(ageInDays(CLOUDFLARE_IP_RANGES_RECORDED_ON, new Date()) <= CLOUDFLARE_RANGES_MAX_AGE_DAYS, "the shipped data is fresh enough to plan");
    });

    it("reports malformed, misaligned, duplicate or empty data, and stale data", () => {
        const bad = parseCloudflareRanges("173.245.48.0/20\n10.0.0.1/8\n999.1.1.1/24\n173.245.48.0/20\n", "2400:cb00::/32\nnot-a-range\n", "2026-13-45");
        const text = bad.problems.join("\n");
        assert.match(text, /"10\.0\.0\.1\/8" in the IPv4 list has host bits set/);
        assert.match(text, /"999\.1\.1\.1\/24" in the IPv4 list is not an IPv4 CIDR/);
        assert.match(text, /duplicate ranges: 173\.245\.48\.0\/20/);
        assert.match(text, /"not-a-range" in the IPv6 list is not an IPv6 CIDR/);
        assert.match(text, /recordedOn "2026-13-45" is not an ISO date/);
        assert.match(parseCloudflareRanges("", "", "2026-01-01").problems.join(), /IPv4 list is empty/);
        const good = parseCloudflareRanges(CLOUDFLARE_IPS_V4, CLOUDFLARE_IPS_V6, "2026-01-01");
        assert.deepEqual(cloudflareRangeProblems(good, new Date("2026-06-01T00:00:00Z")), []);
        assert.match(cloudflareRangeProblems(good, new Date("2027-06-01T00:00:00Z")).join(), /recorded on 2026-01-01, 516 days ago \(more than 365\): refresh/);
        const many = parseCloudflareRanges(Array.from({ length: 61 }, (_, i) => `10.${i}.0.0/16`).join("\n"), "", "2026-01-01");
        assert.match(cloudflareRangeProblems(many, new Date("2026-02-01T00:00:00Z")).join(), /61 IPv4 ranges exceed the 60 rules one security group holds/);
    });
});

describe("edge in the shipped stacks", () => {
    const modes = { dev: stackConfigValue("dev", "scaling-topology:edge").mode, prod: stackConfigValue("prod", "scaling-topology:edge").mode };

    it("exercises both providers between the stacks", () => {
        const used = new Set(Object.values(modes).flatMap((m) => (m === "both" ? ["cloudfront", "cloudflare"] : [m])));
        assert.deepEqual([...used].sort(), ["cloudflare", "cloudfront"]);
    });

    for (const stack of ["dev", "prod"] as const) {
        describe(`${stack} (${modes[stack]})`, () => {
            const usesCf = modes[stack] !== "cloudflare";
            const usesCfl = modes[stack] !== "cloudfront";

            if (usesCf) {
                it("has a CloudFront distribution with no plain-HTTP behavior, a cache policy on every behavior, TLS 1.2+ and a WAF", async () => {
                    const plan = await stackPlan(stack);
                    const { d } = assertDistributionSafe(plan.resources, plan);
                    assert.equal(d.props.priceClass, stackConfigValue(stack, "scaling-topology:edge").cloudfront.priceClass ?? "PriceClass_100");
                    assert.match(plan.outputs.cloudfrontDomainName as string, /^d[0-9a-z]+\.cloudfront\.net$/);
                });
            }
            if (usesCfl) {
                it("has Cloudflare rulesets in the cache, rate-limit and custom firewall phases, through a provider with a secret token", async () => {
                    const plan = await stackPlan(stack);
                    const phases = ofType(plan, RULESET).map((r) => r.props.phase);
                    for (const p of PHASES) assert.equal(phases.filter((x) => x === p).length, 1, p);
                    const [provider] = ofType(plan, "pulumi:providers:cloudflare");
                    assert.equal(provider.props.apiToken, "[secret]");
                    const rec = ofType(plan, RECORD).find((r) => r.props.proxied)!;
                    assert.equal(rec.props.name, stackConfigValue(stack, "scaling-topology:edge").hostname);
                    // Cloudflare points at CloudFront when both run, else straight at the ingress.
                    assert.equal(rec.props.content, usesCf ? plan.outputs.cloudfrontDomainName : plan.outputs.ingressHostname);
                });
            }
            if (usesCf && usesCfl) {
                it("no way around Cloudflare: its late-transform ruleset adds a second secret, CloudFront's WAF blocks requests without it, and counts CF-Connecting-IP only on those that carry it", async () => {
                    const plan = await stackPlan(stack);
                    const waf = ofType(plan, "aws:wafv2/webAcl:WebAcl")[0];
                    const rules = waf.props.rules as any[];
                    const gate = rules.find((r) => r.name === "require-proxy-header");
                    assert.equal(gate.priority, Math.min(...rules.map((r) => r.priority)), "evaluated before anything else");
                    const match = gate.statement.notStatement.statement.byteMatchStatement;
                    assert.equal(match.fieldToMatch.singleHeader.name, "x-edge-verify");
                    const late = ofType(plan, RULESET).filter((r) => r.props.phase === "http_request_late_transform");
                    assert.equal(late.length, 1);
                    const lateRules = late[0].props.rules as any[];
                    // CloudFront adds the origin header; a disaster-recovery primary's Cloudflare adds it as well, for the
                    // standby's origin its load balancer reaches directly (same value: CloudFront overwrites it).
                    const dr = stackConfigValue(stack, "scaling-topology:recovery")?.role === "primary";
                    assert.deepEqual(lateRules.map((r) => Object.keys(r.actionParameters.headers)), [...(dr ? [["X-Origin-Verify"]] : []), ["X-Edge-Verify"]]);
                    assert.ok(lateRules.every((r) => r.expression === "true"), "on every request");
                    assert.ok(waf.opts.dependsOn?.includes(late[0].urn), "the WAF requires the header only once Cloudflare's rule sending it exists");
                    // Both ends use the one generated secret (a second @pulumi/random password).
                    assert.deepEqual(ofType(plan, "random:index/randomPassword:RandomPassword").filter((r) => /-(edge|origin)-verify$/.test(r.name)).map((r) => r.name).sort(), [`${stack}-edge-verify`, `${stack}-origin-verify`]);
                    const rate = rules.find((r) => r.statement.rateBasedStatement).statement.rateBasedStatement;
                    assert.equal(rate.aggregateKeyType, "FORWARDED_IP");
                    assert.equal(rate.forwardedIpConfig.headerName, "CF-Connecting-IP");
                    assert.deepEqual(rate.scopeDownStatement, gate.statement.notStatement.statement);
                    assert.ok(ofType(plan, RECORD).some((r) => r.props.proxied === false && /acm-validations\.aws$/.test(r.props.content as string)));
                });

                it("WAF keeps the API working and leaves a record: SizeRestrictions_BODY overridden on API paths, logs encrypted with retention", async () => {
                    const plan = await stackPlan(stack);
                    const waf = ofType(plan, "aws:wafv2/webAcl:WebAcl")[0];
                    const common = (waf.props.rules as any[]).find((r) => r.name === "AWSManagedRulesCommonRuleSet").statement.managedRuleGroupStatement;
                    assert.deepEqual(common.ruleActionOverrides, [{ name: "SizeRestrictions_BODY", actionToUse: { count: {} } }]);
                    const limitKiB = stackConfigValue(stack, "scaling-topology:edge").cloudfront.apiMaxBodyKiB ?? 16;
                    assert.ok((waf.props.rules as any[]).some((r) => r.name === `api-body-over-${limitKiB}kb`));
                    const [logging] = ofType(plan, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration");
                    const group = ofType(plan, "aws:cloudwatch/logGroup:LogGroup").find((g) => /^aws-waf-logs-/.test(g.props.name as string))!;
                    assert.match((logging.props.logDestinationConfigs as string[])[0], new RegExp(`log-group:${group.props.name}$`));
                    assert.ok(group.props.kmsKeyId, "encrypted with a customer key");
                    assert.equal(group.props.retentionInDays, stackConfigValue(stack, "scaling-topology:edge").cloudfront.wafLogRetentionDays ?? 365);
                });
            }
            it("exports the origin header name and its value as a secret", async () => {
                const plan = await stackPlan(stack);
                assert.equal(plan.outputs.originVerifyHeader, "X-Origin-Verify");
                assert.equal(plan.outputs.originVerifySecret, "[secret]");
            });
        });
    }

    it("prod keeps the CloudFront access logs (retained bucket, no forceDestroy)", async () => {
        const plan = await stackPlan("prod");
        const bucket = byName(plan, "prod-cloudfront-logs");
        assert.equal(bucket.props.forceDestroy, false);
        assert.equal(bucket.opts.retainOnDelete, true);
    });

    it("plans both stacks in preview mode (ingress hostname and CloudFront domain unknown)", async () => {
        for (const stack of ["dev", "prod"]) {
            const plan: Plan = await stackPlan(stack, true);
            assert.equal(ofType(plan, RULESET).filter((r) => PHASES.includes(r.props.phase as string)).length, 3);
            const rec = ofType(plan, RECORD).find((r) => r.props.proxied)!;
            assert.equal(rec.props.content, "[unknown]");
        }
    });

    it("mode cloudfront alone: Route 53 validation and alias records, no Cloudflare resources", async () => {
        const edge = stackConfigValue("prod", "scaling-topology:edge");
        const plan = await planWith("prod", {
            "scaling-topology:edge": { mode: "cloudfront", hostname: edge.hostname, cloudfront: { ...edge.cloudfront, route53ZoneId: "Z0123456789ABCDEFGHIJ" } },
        });
        assert.equal(plan.resources.filter((r) => r.type.startsWith("cloudflare:")).length, 0);
        assert.deepEqual(ofType(plan, "aws:route53/record:Record").filter((r) => r.props.aliases).map((r) => r.props.type).sort(), ["A", "AAAA"]);
        const rate = (ofType(plan, "aws:wafv2/webAcl:WebAcl")[0].props.rules as any[]).find((r) => r.statement.rateBasedStatement).statement.rateBasedStatement;
        assert.equal(rate.aggregateKeyType, "IP");
        assert.ok(!(ofType(plan, "aws:wafv2/webAcl:WebAcl")[0].props.rules as any[]).some((r) => r.name === "require-proxy-header"), "viewers connect directly");
    });
});

describe("edge config", () => {
    const shipped = (stack: string): Record<string, unknown> => {
        const { readStackFiles } = require("../plan/stackFiles") as typeof import("../plan/stackFiles");
        return readStackFiles(`${__dirname}/..`, stack).config;
    };
    const problemsWith = (stack: string, overrides: Record<string, unknown>) => {
        try {
            resolveStackConfig(stack, { ...shipped(stack), ...overrides });
        } catch (e) {
            if (ConfigError.isInstance(e)) return e.problems;
            throw e;
        }
        return [];
    };
    const devEdge = () => stackConfigValue("dev", "scaling-topology:edge");

    it("refuses mode cloudfront without a Route 53 zone, and a mode whose provider block is missing", () => {
        const ps = problemsWith("dev", { "scaling-topology:edge": { mode: "cloudfront", hostname: "a.example.com", cloudfront: {} } });
        assert.ok(ps.some((p) => p.key === "scaling-topology:edge.cloudfront.route53ZoneId" && /required in mode "cloudfront"/.test(p.message)));
        const both = problemsWith("dev", { "scaling-topology:edge": { ...devEdge(), mode: "both" } });
        assert.ok(both.some((p) => p.key === "scaling-topology:edge.cloudfront" && /required when edge.mode is "both"/.test(p.message)));
    });

    it("refuses Cloudflare without an API token, and an auth limit looser than the API limit", () => {
        const ps = problemsWith("dev", { "cloudflare:apiToken": undefined });
        assert.ok(ps.some((p) => p.key === "cloudflare:apiToken" && /pulumi config set --secret cloudflare:apiToken/.test(p.message)));
        const loose = problemsWith("dev", { "scaling-topology:edge": { ...devEdge(), cloudflare: { ...devEdge().cloudflare, authRateLimit: { requestsPerPeriod: 5000, periodSeconds: 60 } } } });
        assert.ok(loose.some((p) => p.key === "scaling-topology:edge.cloudflare.authRateLimit" && /stricter/.test(p.message)));
        const period = problemsWith("dev", { "scaling-topology:edge": { ...devEdge(), cloudflare: { ...devEdge().cloudflare, apiRateLimit: { requestsPerPeriod: 10, periodSeconds: 50 } } } });
        assert.ok(period.some((p) => p.key === "scaling-topology:edge.cloudflare.apiRateLimit.periodSeconds" && /must be one of 10, 15, 20/.test(p.message)), JSON.stringify(period));
    });

    describe("the zone's Cloudflare plan", () => {
        const withCf = (cf: Record<string, unknown>, stack = "dev") => {
            const edge = stackConfigValue(stack, "scaling-topology:edge");
            return problemsWith(stack, { "scaling-topology:edge": { ...edge, cloudflare: { ...edge.cloudflare, ...cf } } });
        };
        const keys = (ps: Array<{ key: string }>) => ps.map((p) => p.key).sort();

        it("is required, and named with the plans allowed", () => {
            const ps = withCf({ plan: undefined });
            assert.ok(ps.some((p) => p.key === "scaling-topology:edge.cloudflare.plan" && /free, pro, business, enterprise/.test(p.message)), JSON.stringify(ps));
        });

        it("the shipped 60 s periods are refused on Free (10 s only, one rule), allowed on Pro and up", () => {
            const free = withCf({ plan: "free" });
            assert.deepEqual(keys(free), [
                "scaling-topology:edge.cloudflare.apiRateLimit.mitigationTimeoutSeconds", "scaling-topology:edge.cloudflare.apiRateLimit.periodSeconds",
                "scaling-topology:edge.cloudflare.authRateLimit.mitigationTimeoutSeconds", "scaling-topology:edge.cloudflare.authRateLimit.periodSeconds",
                "scaling-topology:edge.cloudflare.plan",
            ]);
            assert.match(free.find((p) => p.key.endsWith("authRateLimit.periodSeconds"))!.message, /not a counting period the free plan offers: 10 \(seconds\)/);
            assert.match(free.find((p) => p.key.endsWith(".plan"))!.message, /allows 1 http_ratelimit rule\(s\) per zone, and this config needs 2; turn one off/);
            for (const plan of ["pro", "business", "enterprise"]) assert.deepEqual(withCf({ plan }), [], plan);
        });

        it("a Free zone works with one 10 s rule", () => {
            assert.deepEqual(withCf({ plan: "free", authRateLimit: { requestsPerPeriod: 3, periodSeconds: 10 }, apiRateLimit: { enabled: false } }), []);
        });

        it("periods and timeouts above the plan's, and IP-with-NAT counting below Business, name the field and what the plan offers", () => {
            const pro = withCf({ plan: "pro", apiRateLimit: { requestsPerPeriod: 6000, periodSeconds: 600, mitigationTimeoutSeconds: 86400, characteristic: "ip-nat" } });
            assert.deepEqual(keys(pro), ["characteristic", "mitigationTimeoutSeconds", "periodSeconds"].map((f) => `scaling-topology:edge.cloudflare.apiRateLimit.${f}`));
            assert.match(pro.find((p) => p.key.endsWith("mitigationTimeoutSeconds"))!.message, /pro plan offers: 10, 15, .*, 3600 \(seconds\)/);
            assert.deepEqual(withCf({ plan: "business", apiRateLimit: { requestsPerPeriod: 6000, periodSeconds: 600, mitigationTimeoutSeconds: 86400, characteristic: "ip-nat" } }), []);
            // Enterprise sets custom timeouts through the API; others take the listed values only.
            assert.deepEqual(withCf({ plan: "enterprise", apiRateLimit: { requestsPerPeriod: 600, periodSeconds: 60, mitigationTimeoutSeconds: 7 } }), []);
            assert.equal(withCf({ plan: "business", apiRateLimit: { requestsPerPeriod: 600, periodSeconds: 60, mitigationTimeoutSeconds: 7 } }).length, 1);
        });

        it("the rule counts the config checks are the ones the component creates", async () => {
            const { cloudflareRuleCounts } = await import("../config/edge");
            for (const stack of ["dev", "prod", "prod-dr"]) {
                const plan = await stackPlan(stack);
                const cfg = resolveStackConfig(stack, shipped(stack));
                const counts = cloudflareRuleCounts(cfg.edge.cloudflare!, cfg.edge.mode, cfg.recovery?.role);
                const actual = Object.fromEntries(ofType(plan, RULESET).map((r) => [r.props.phase, (r.props.rules as unknown[]).length]));
                for (const [phase, n] of Object.entries(counts)) assert.equal(actual[phase] ?? 0, n, `${stack} ${phase}`);
            }
        });

        it("the component refuses what the plan does not offer, too (for programs that build it directly)", async () => {
            const build = (args: Partial<ConstructorParameters<typeof CloudflareEdge>[1]>) => underMocks(() => new CloudflareEdge("cf-plan", {
                zoneId: "0123456789abcdef0123456789abcdef", plan: "business", hostname: "www.example.org", target: "o.example.net", ...args,
            }, { providers: { cloudflare: new cloudflare.Provider("cf-plan", { apiToken: "t" }) } }));
            await assert.rejects(build({ plan: "free" }), /free plan/);
            await assert.rejects(build({ plan: "pro", apiRateLimit: { requestsPerPeriod: 100, periodSeconds: 10, characteristic: "ip-nat" } }), /apiRateLimit\.characteristic/);
            await build({ plan: "free", authRateLimit: { requestsPerPeriod: 3, periodSeconds: 10 }, apiRateLimit: { enabled: false, requestsPerPeriod: 1, periodSeconds: 10 } });
        });
    });

    it("refuses an API body limit above what WAF can inspect, naming the key, the value and the limit", async () => {
        const prodEdge = stackConfigValue("prod", "scaling-topology:edge");
        const e = await configErrorOf("prod", { "scaling-topology:edge": { ...prodEdge, cloudfront: { ...prodEdge.cloudfront, apiMaxBodyKiB: 128 } } });
        const p = e.problems.find((x) => x.key === "scaling-topology:edge.cloudfront.apiMaxBodyKiB")!;
        assert.ok(p, e.message);
        assert.equal(p.value, 128);
        assert.match(p.message, /at most 64: AWS WAF inspects at most the first 64 KB/);
    });

    it("refuses the retired ingress.sourceCidrs: the load balancer's sources follow edge.mode", async () => {
        const ingress = stackConfigValue("dev", "scaling-topology:ingress");
        const e = await configErrorOf("dev", { "scaling-topology:ingress": { ...ingress, sourceCidrs: ["0.0.0.0/0"] } });
        assert.ok(e.problems.some((p) => p.key === "scaling-topology:ingress.sourceCidrs" && /not a known field/.test(p.message)), e.message);
    });

    it("refuses an unknown edge mode, naming the key and the allowed modes", async () => {
        const e = await configErrorOf("dev", { "scaling-topology:edge": { ...stackConfigValue("dev", "scaling-topology:edge"), mode: "akamai" } });
        const p = e.problems.find((x) => x.key === "scaling-topology:edge.mode")!;
        assert.ok(p, e.message);
        assert.equal(p.value, "akamai");
        assert.match(p.message, /cloudfront, cloudflare, both/);
        assert.match(e.message, /scaling-topology:edge\.mode = "akamai"/);
    });
});

/**
 * Edge rules: CloudFront distributions and Cloudflare zones.
 */
import { checkov, isSet, list, onType, Props, Rule } from "./common";

const DISTRIBUTION = "aws:cloudfront/distribution:Distribution";
const SECURE_VIEWER = ["https-only", "redirect-to-https"];
/** CloudFront security policies whose minimum is TLS 1.2 or later. */
export const TLS12_POLICIES = ["TLSv1.2_2018", "TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"];
const WEAK_ORIGIN_PROTOCOLS = ["SSLv3", "TLSv1", "TLSv1.1"];

/** The default behavior and every ordered one, labelled for messages. */
function behaviors(props: Props): { label: string; b: Props }[] {
    return [
        ...(props.defaultCacheBehavior ? [{ label: "default behavior", b: props.defaultCacheBehavior as Props }] : []),
        ...list(props.orderedCacheBehaviors).map((b) => ({ label: `behavior ${b.pathPattern}`, b })),
    ];
}

export const edge: Rule[] = [
    {
        name: "cloudfront-https-only",
        description: "CloudFront never serves or fetches plain HTTP: viewers are redirected to HTTPS and origins are reached over HTTPS.",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `viewerProtocolPolicy: \"redirect-to-https\"` (or `https-only`) on every cache behavior and `originProtocolPolicy: \"https-only\"` on custom and VPC origins.",
        framework: checkov("CKV_AWS_34", "Ensure CloudFront distribution ViewerProtocolPolicy is set to HTTPS"),
        tags: ["edge", "encryption"],
        validateResource: onType(DISTRIBUTION, (props, args, report) => {
            for (const { label, b } of behaviors(props)) {
                if (!SECURE_VIEWER.includes(b.viewerProtocolPolicy)) report(`${args.name}: ${label} has viewerProtocolPolicy ${JSON.stringify(b.viewerProtocolPolicy)}.`);
            }
            for (const o of list(props.origins)) {
                const cfg: Props | undefined = o.customOriginConfig ?? o.vpcOriginConfig;
                if (cfg && isSet(cfg, "originProtocolPolicy") && cfg.originProtocolPolicy !== "https-only") {
                    report(`${args.name}: origin ${o.originId} has originProtocolPolicy ${JSON.stringify(cfg.originProtocolPolicy)}.`);
                }
            }
        }),
    },
    {
        name: "cloudfront-tls-minimum",
        description: "CloudFront accepts TLS 1.2+ from viewers (custom certificate with a TLSv1.2 security policy) and speaks TLS 1.2+ to origins.",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Use an ACM certificate (us-east-1) with `sslSupportMethod: \"sni-only\"` and `minimumProtocolVersion: \"TLSv1.2_2021\"`; set `originSslProtocols: [\"TLSv1.2\"]`.",
        framework: checkov("CKV_AWS_174", "Verify CloudFront Distribution Viewer Certificate is using TLS v1.2 or higher"),
        tags: ["edge", "encryption"],
        validateResource: onType(DISTRIBUTION, (props, args, report) => {
            const cert: Props = props.viewerCertificate ?? {};
            if (cert.cloudfrontDefaultCertificate === true) report(`${args.name}: uses the *.cloudfront.net default certificate, which accepts TLS 1.0.`);
            else if (!TLS12_POLICIES.includes(cert.minimumProtocolVersion)) report(`${args.name}: minimumProtocolVersion is ${JSON.stringify(cert.minimumProtocolVersion ?? "TLSv1")}; use ${TLS12_POLICIES[2]}.`);
            for (const o of list(props.origins)) {
                const weak = list<string>(o.customOriginConfig?.originSslProtocols).filter((p) => WEAK_ORIGIN_PROTOCOLS.includes(p));
                if (weak.length > 0) report(`${args.name}: origin ${o.originId} allows ${weak.join(", ")}.`);
            }
        }),
    },
    {
        name: "cloudfront-waf-attached",
        description: "Every CloudFront distribution has a WAF web ACL attached.",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Create an `aws.wafv2.WebAcl` with `scope: \"CLOUDFRONT\"` (us-east-1 provider) and pass its ARN as `webAclId`.",
        framework: checkov("CKV_AWS_68", "CloudFront Distribution should have WAF enabled"),
        tags: ["edge", "waf"],
        validateResource: onType(DISTRIBUTION, (props, args, report) => {
            if (!isSet(props, "webAclId")) report(`${args.name}: no webAclId.`);
        }),
    },
    {
        name: "cloudfront-cache-policy",
        description: "Every CloudFront cache behavior uses a cache policy (no legacy forwardedValues).",
        severity: "low",
        enforcementLevel: "advisory",
        remediationSteps: "Give each behavior a `cachePolicyId` (a managed policy or an `aws.cloudfront.CachePolicy`) and an `originRequestPolicyId` for what the origin needs; drop `forwardedValues`.",
        tags: ["edge", "caching"],
        validateResource: onType(DISTRIBUTION, (props, args, report) => {
            for (const { label, b } of behaviors(props)) {
                if (!isSet(b, "cachePolicyId")) report(`${args.name}: ${label} has no cachePolicyId${isSet(b, "forwardedValues") ? " (uses legacy forwardedValues)" : ""}.`);
            }
        }),
    },
    {
        name: "cloudflare-rate-limiting",
        description: "Every Cloudflare zone the stack manages has a rate-limiting ruleset (phase http_ratelimit) with at least one enabled rule.",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Add a `cloudflare.Ruleset` with `kind: \"zone\"`, `phase: \"http_ratelimit\"` and rules with `ratelimit` (per-IP characteristics, period, requestsPerPeriod, mitigationTimeout) for the zone.",
        tags: ["edge", "rate-limiting"],
        validateStack: (args, report) => {
            const cf = args.resources.filter((r) => r.type.startsWith("cloudflare:index/"));
            const zones = new Map<string, string | undefined>();
            for (const r of cf) {
                if (r.type === "cloudflare:index/zone:Zone") zones.set(`zone:${r.urn}`, r.urn);
                else if (typeof r.props.zoneId === "string" && r.props.zoneId !== "") zones.set(r.props.zoneId, r.urn);
            }
            if (zones.size === 0) args.notApplicable("no Cloudflare zone in the stack");
            const limiters = cf.filter((r) => r.type === "cloudflare:index/ruleset:Ruleset" && r.props.phase === "http_ratelimit"
                && list(r.props.rules).some((rule) => rule.enabled !== false && isSet(rule, "ratelimit")));
            for (const [zone, urn] of zones) {
                const covered = zone.startsWith("zone:")
                    ? limiters.some((l) => l.dependencies.some((d) => d.urn === urn))
                    : limiters.some((l) => l.props.zoneId === zone);
                if (!covered) report(`zone ${zone.startsWith("zone:") ? urn : zone} has no http_ratelimit ruleset with an enabled rate-limit rule.`, zone.startsWith("zone:") ? urn : undefined);
            }
        },
    },
];

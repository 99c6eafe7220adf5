/**
 * Computed outputs of the edge and backup resources for the offline plan: what the AWS and
 * Cloudflare providers return on create (hostnames, ARNs, validation records, ids).
 */
import type { Computed } from "./mocks";
import { digest } from "./mocks";

/** CloudFront's fixed hosted zone id for alias records. */
const CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2";

export const edgeMocks: Record<string, Computed> = {
    // A certificate lives in its provider's region (us-east-1 for CloudFront). ACM gives every certificate
    // for one domain in one account the same validation record, so the record derives from the domain.
    "aws:acm/certificate:Certificate": (name, inputs, ctx) => {
        const h = digest("acm", ctx.region, name);
        const v = digest("acm-validation", ctx.accountId, String(inputs.domainName));
        return {
            arn: `arn:aws:acm:${ctx.region}:${ctx.accountId}:certificate/${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`,
            domainValidationOptions: [{
                domainName: inputs.domainName,
                resourceRecordName: `_${v.slice(32, 64)}.${inputs.domainName}.`,
                resourceRecordType: "CNAME",
                resourceRecordValue: `_${v.slice(0, 32)}.acm-validations.aws.`,
            }],
            status: "PENDING_VALIDATION",
        };
    },
    "aws:wafv2/webAcl:WebAcl": (name, _i, ctx, id) => ({ arn: `arn:aws:wafv2:us-east-1:${ctx.accountId}:global/webacl/${id}/${digest("waf", name).slice(0, 36)}` }),
    "aws:cloudfront/distribution:Distribution": (name, _i, ctx) => {
        const id = `E${digest("cf", name).slice(0, 13).toUpperCase()}`;
        return { domainName: `d${digest("cfd", name).slice(0, 13)}.cloudfront.net`, hostedZoneId: CLOUDFRONT_ZONE_ID, arn: `arn:aws:cloudfront::${ctx.accountId}:distribution/${id}`, status: "Deployed" };
    },
    "aws:s3/bucket:Bucket": (_n, _i, _c, id) => ({ bucket: id, arn: `arn:aws:s3:::${id}`, bucketDomainName: `${id}.s3.amazonaws.com` }),
    "aws:route53/record:Record": (_n, inputs) => ({ fqdn: inputs.name }),
    "aws:kms/key:Key": (name, _i, ctx) => {
        const h = digest("kms", name);
        const keyId = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
        return { keyId, arn: `arn:aws:kms:${ctx.region}:${ctx.accountId}:key/${keyId}` };
    },
    "aws:backup/vault:Vault": (_n, _i, ctx, id) => ({ name: id, arn: `arn:aws:backup:${ctx.region}:${ctx.accountId}:backup-vault:${id}` }),
    "aws:backup/plan:Plan": (name, _i, ctx) => ({ arn: `arn:aws:backup:${ctx.region}:${ctx.accountId}:backup-plan:${digest("plan", name).slice(0, 36)}`, version: digest("v", name).slice(0, 32) }),
    "aws:sns/topic:Topic": (_n, _i, ctx, id) => ({ arn: `arn:aws:sns:${ctx.region}:${ctx.accountId}:${id}` }),
    "cloudflare:index/dnsRecord:DnsRecord": (name) => ({ id: digest("cf-record", name).slice(0, 32) }),
    "cloudflare:index/ruleset:Ruleset": (name) => ({ id: digest("cf-ruleset", name).slice(0, 32) }),
    "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor": (name) => ({ id: digest("cf-monitor", name).slice(0, 32) }),
    "cloudflare:index/loadBalancerPool:LoadBalancerPool": (name) => ({ id: digest("cf-pool", name).slice(0, 32) }),
    "cloudflare:index/loadBalancer:LoadBalancer": (name) => ({ id: digest("cf-lb", name).slice(0, 32) }),
};

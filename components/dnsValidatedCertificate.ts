import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";

/** Where a certificate's DNS validation record goes. */
export type CertificateDns =
    /** A Route 53 hosted zone holding the hostname. */
    | { route53ZoneId: pulumi.Input<string> }
    /** A Cloudflare zone holding the hostname (the record is not proxied: ACM must see it). */
    | { cloudflareZoneId: pulumi.Input<string>; cloudflareProvider: cloudflare.Provider };

/** Arguments of {@link DnsValidatedCertificate}. */
export interface DnsValidatedCertificateArgs {
    /** The name the certificate is for, e.g. `app.example.com`. */
    hostname: string;
    /** Zone that receives the validation record. */
    dns: CertificateDns;
    /**
     * Create the validation record. ACM gives every certificate of one account and domain the same
     * validation record, so a second certificate for a hostname (e.g. the regional one beside CloudFront's
     * us-east-1 one) validates through the record the first created; Cloudflare refuses a duplicate.
     * @default true
     */
    createValidationRecord?: boolean;
    /** What the certificate serves, for the record's comment. @default "origin" */
    purpose?: string;
    /** Tags for the certificate, besides the provider's default tags. */
    tags?: Record<string, string>;
}

/**
 * An ACM certificate validated by DNS (Route 53 or Cloudflare). The region is the aws provider's:
 * pass `providers: { aws: usEast1 }` for CloudFront, the stack's provider for a load balancer.
 * `certificateArn` resolves once ACM has issued it, so listeners never reference a pending certificate.
 */
export class DnsValidatedCertificate extends pulumi.ComponentResource {
    public readonly certificate: aws.acm.Certificate;
    /** ARN of the issued certificate. */
    public readonly certificateArn: pulumi.Output<string>;

    constructor(name: string, args: DnsValidatedCertificateArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:edge:DnsValidatedCertificate", name, {}, opts);
        this.certificate = new aws.acm.Certificate(name, {
            domainName: args.hostname,
            validationMethod: "DNS",
            keyAlgorithm: "EC_prime256v1",
            tags: { ...(args.tags ?? {}), Name: name },
        }, { parent: this });
        const option = this.certificate.domainValidationOptions.apply((o) => o[0]);
        const recordName = option.apply((o) => o.resourceRecordName.replace(/\.$/, ""));
        const recordValue = option.apply((o) => o.resourceRecordValue.replace(/\.$/, ""));
        let fqdns: pulumi.Input<string>[] | undefined;
        if (args.createValidationRecord ?? true) {
            if ("route53ZoneId" in args.dns) {
                fqdns = [new aws.route53.Record(`${name}-validation`, {
                    zoneId: args.dns.route53ZoneId,
                    name: recordName,
                    type: option.apply((o) => o.resourceRecordType),
                    records: [recordValue],
                    ttl: 300,
                    allowOverwrite: true,
                }, { parent: this }).fqdn];
            } else {
                fqdns = [new cloudflare.DnsRecord(`${name}-validation`, {
                    zoneId: args.dns.cloudflareZoneId,
                    name: recordName,
                    type: option.apply((o) => o.resourceRecordType),
                    content: recordValue,
                    proxied: false, // ACM must see the record itself
                    ttl: 300,
                    comment: `ACM validation for ${args.hostname} (${args.purpose ?? "origin"})`,
                }, { parent: this, provider: args.dns.cloudflareProvider }).name];
            }
        }
        const validation = new aws.acm.CertificateValidation(`${name}-validation`, {
            certificateArn: this.certificate.arn,
            validationRecordFqdns: fqdns,
        }, { parent: this });
        this.certificateArn = validation.certificateArn;
        this.registerOutputs({ certificateArn: this.certificateArn });
    }
}

/**
 * AWS regions this program can deploy to, and the availability zone names each region has: pure, dated data
 * (no imports), read by the config schema.
 *
 * Source: AWS "Regions and Availability Zones" (docs.aws.amazon.com/global-infrastructure/latest/regions/
 * aws-availability-zones.html) and the region list of @pulumi/aws 7.48.0 (`aws.Region`), recorded
 * 2026-11-30. Only the commercial partition (`arn:aws:`): the components write `arn:aws:` ARNs (managed
 * policies, principals), so GovCloud, China and the isolated partitions are not offered.
 *
 * Zone letters are those `aws ec2 describe-availability-zones` shows. In the oldest regions AWS maps zone
 * names to physical zones per account, and an account may see only some of the letters listed here: the
 * list refuses names that exist in no account; a real preview refuses the rest. A region opened after this
 * date needs a line here (and an opt-in: `aws account enable-region`).
 */
export const REGIONS_RECORDED = "2026-11-30";

/** Zone letters by region (`eu-west-1` -> `a`, `b`, `c` = eu-west-1a, eu-west-1b, eu-west-1c). */
export const REGION_ZONE_LETTERS: Readonly<Record<string, string>> = Object.freeze({
    "us-east-1": "abcdef",
    "us-east-2": "abc",
    "us-west-1": "abc",
    "us-west-2": "abcd",
    "ca-central-1": "abd",
    "ca-west-1": "abc",
    "mx-central-1": "abc",
    "sa-east-1": "abc",
    "eu-west-1": "abc",
    "eu-west-2": "abc",
    "eu-west-3": "abc",
    "eu-central-1": "abc",
    "eu-central-2": "abc",
    "eu-north-1": "abc",
    "eu-south-1": "abc",
    "eu-south-2": "abc",
    "il-central-1": "abc",
    "me-south-1": "abc",
    "me-central-1": "abc",
    "af-south-1": "abc",
    "ap-east-1": "abc",
    "ap-east-2": "abc",
    "ap-south-1": "abc",
    "ap-south-2": "abc",
    "ap-northeast-1": "acd",
    "ap-northeast-2": "abcd",
    "ap-northeast-3": "abc",
    "ap-southeast-1": "abc",
    "ap-southeast-2": "abc",
    "ap-southeast-3": "abc",
    "ap-southeast-4": "abc",
    "ap-southeast-5": "abc",
    "ap-southeast-6": "abc",
    "ap-southeast-7": "abc",
});

export const REGION_NAMES = Object.keys(REGION_ZONE_LETTERS).sort();

export function isRegionName(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(REGION_ZONE_LETTERS, name);
}

/** The zone names of a region (`["eu-west-1a", "eu-west-1b", "eu-west-1c"]`); empty for an unknown region. */
export function zonesOf(region: string): string[] {
    return isRegionName(region) ? [...REGION_ZONE_LETTERS[region]].map((l) => `${region}${l}`) : [];
}

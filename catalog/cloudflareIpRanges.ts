/**
 * Cloudflare's published address ranges: the only sources that reach the origin load balancer when
 * Cloudflare is the hop in front of it (`edge.mode: cloudflare`). Dated data, kept verbatim as Cloudflare
 * publishes it (`https://www.cloudflare.com/ips-v4` and `/ips-v6`, one CIDR a line; the same lists as
 * `https://api.cloudflare.com/client/v4/ips`). Refresh: paste both files' text below and set `recordedOn`
 * (README "Edge", "Refreshing Cloudflare's ranges"); the config check refuses data older than
 * {@link CLOUDFLARE_RANGES_MAX_AGE_DAYS} days, or text that does not parse.
 */

/** When the lists below were copied from Cloudflare (ISO date). */
export const CLOUDFLARE_IP_RANGES_RECORDED_ON = "2026-11-30";

/** `https://www.cloudflare.com/ips-v4`, verbatim. */
export const CLOUDFLARE_IPS_V4 = `173.245.48.0/20
103.21.244.0/22
103.22.200.0/22
103.31.4.0/22
141.101.64.0/18
108.162.192.0/18
190.93.240.0/20
188.114.96.0/20
197.234.240.0/22
198.41.128.0/17
162.158.0.0/15
104.16.0.0/13
104.24.0.0/14
172.64.0.0/13
131.0.72.0/22
`;

/** `https://www.cloudflare.com/ips-v6`, verbatim. */
export const CLOUDFLARE_IPS_V6 = `2400:cb00::/32
2606:4700::/32
2803:f800::/32
2405:b500::/32
2405:8100::/32
2a06:98c0::/29
2c0f:f248::/32
`;

/** Data older than this is refused: Cloudflare adds ranges rarely, but an origin that drops a new edge range loses that traffic. */
export const CLOUDFLARE_RANGES_MAX_AGE_DAYS = 365;

export interface CloudflareRanges {
    ipv4: string[];
    ipv6: string[];
    recordedOn: string;
}

const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/([0-9]|[12]\d|3[0-2])$/;
const IPV6_CIDR = /^[0-9a-f]{1,4}(:[0-9a-f]{0,4}){1,7}\/([0-9]|[1-9]\d|1[01]\d|12[0-8])$/;

/** Lines of a published list; blank lines are ignored. */
function lines(text: string): string[] {
    return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
}

/** Base address of an IPv4 CIDR has no bits set below its prefix (what EC2 accepts in a prefix list). */
function ipv4Aligned(cidr: string): boolean {
    const [addr, len] = cidr.split("/");
    const n = addr.split(".").reduce((a, o) => a * 256 + Number(o), 0);
    const size = 2 ** (32 - Number(len));
    return n % size === 0;
}

/**
 * Parses and checks the published lists: every line a CIDR of its family (IPv4 ones aligned to their
 * prefix), no duplicates, at least one IPv4 range, a valid `recordedOn` date. Returns the problems found
 * (empty when the data is usable) alongside the parsed lists.
 */
export function parseCloudflareRanges(v4Text: string, v6Text: string, recordedOn: string): { ranges: CloudflareRanges; problems: string[] } {
    const problems: string[] = [];
    const ipv4 = lines(v4Text);
    const ipv6 = lines(v6Text).map((l) => l.toLowerCase());
    for (const c of ipv4) {
        if (!IPV4_CIDR.test(c)) problems.push(`"${c}" in the IPv4 list is not an IPv4 CIDR`);
        else if (!ipv4Aligned(c)) problems.push(`"${c}" in the IPv4 list has host bits set`);
    }
    for (const c of ipv6) if (!IPV6_CIDR.test(c)) problems.push(`"${c}" in the IPv6 list is not an IPv6 CIDR`);
    for (const list of [ipv4, ipv6]) {
        const dup = list.filter((c, i) => list.indexOf(c) !== i);
        if (dup.length > 0) problems.push(`duplicate ranges: ${[...new Set(dup)].join(", ")}`);
    }
    if (ipv4.length === 0) problems.push("the IPv4 list is empty");
    if (!/^\d{4}-\d{2}-\d{2}$/.test(recordedOn) || Number.isNaN(Date.parse(`${recordedOn}T00:00:00Z`))) problems.push(`recordedOn "${recordedOn}" is not an ISO date (YYYY-MM-DD)`);
    return { ranges: { ipv4, ipv6, recordedOn }, problems };
}

/** Whole days from `recordedOn` to `today` (both ISO dates or Date). */
export function ageInDays(recordedOn: string, today: Date): number {
    return Math.floor((today.getTime() - Date.parse(`${recordedOn}T00:00:00Z`)) / 86_400_000);
}

/** The shipped data, parsed (problems are reported by the edge config check). */
export const CLOUDFLARE_RANGES = parseCloudflareRanges(CLOUDFLARE_IPS_V4, CLOUDFLARE_IPS_V6, CLOUDFLARE_IP_RANGES_RECORDED_ON);

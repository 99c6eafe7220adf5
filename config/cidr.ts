/** IPv4 CIDR arithmetic used to validate config and to lay out subnets. Pure functions. */

export interface Cidr {
    /** Network address as an unsigned 32-bit integer. */
    base: number;
    /** Prefix length, 0-32. */
    prefix: number;
}

const CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses `a.b.c.d/n`; returns undefined when it is not a valid IPv4 CIDR or has host bits set. */
export function parseCidr(text: string): Cidr | undefined {
    const m = CIDR_RE.exec(text);
    if (!m) return undefined;
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    if (octets.some((o) => o > 255) || prefix > 32) return undefined;
    const base = ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
    if ((base & hostMask(prefix)) !== 0) return undefined;
    return { base, prefix };
}

function hostMask(prefix: number): number {
    return prefix === 0 ? 0xffffffff : (2 ** (32 - prefix) - 1) >>> 0;
}

export function cidrSize(c: Cidr): number {
    return 2 ** (32 - c.prefix);
}

export function formatCidr(c: Cidr): string {
    const b = c.base;
    return `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}/${c.prefix}`;
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
    return inner.prefix >= outer.prefix && inner.base >= outer.base && inner.base + cidrSize(inner) <= outer.base + cidrSize(outer);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
    return a.base < b.base + cidrSize(b) && b.base < a.base + cidrSize(a);
}

/**
 * Carves blocks of the requested prefix lengths out of `vpc`, in order, each aligned to its size.
 * Returns undefined when they do not fit. Requests are placed largest-first to avoid alignment gaps,
 * but results come back in request order.
 */
export function allocateCidrs(vpc: Cidr, prefixes: number[]): Cidr[] | undefined {
    const order = prefixes.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
    const out: Cidr[] = new Array(prefixes.length);
    let next = vpc.base;
    const end = vpc.base + cidrSize(vpc);
    for (const { p, i } of order) {
        const size = 2 ** (32 - p);
        const aligned = Math.ceil(next / size) * size;
        if (p < vpc.prefix || aligned + size > end) return undefined;
        out[i] = { base: aligned >>> 0, prefix: p };
        next = aligned + size;
    }
    return out;
}

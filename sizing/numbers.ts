/**
 * Numbers as the reports print them: whole, with thousands separators, the same whatever the machine's
 * locale. Written out rather than through `Intl`: the first formatter a process makes loads ICU's locale
 * data, a tenth of a plan's own work, for commas.
 */

/** A whole number: 1234.6 -> "1,235", -1234 -> "-1,234". */
export function wholeNumber(x: number): string {
    if (!Number.isFinite(x)) return Number.isNaN(x) ? "NaN" : x > 0 ? "∞" : "-∞";
    return String(Math.round(x) || 0).replace(/\B(?=(\d{3})+$)/g, ",");
}

/** Whole US dollars: 1234.6 -> "$1,235". */
export const usd = (x: number): string => `$${wholeNumber(x)}`;

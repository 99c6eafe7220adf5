/**
 * Numbers as the reports print them: whole, with thousands separators, in the same locale whatever the machine's.
 * One formatter for the process: `toLocaleString` builds a new one per call, and the checks format thousands of numbers.
 */
const EN_US = new Intl.NumberFormat("en-US");

/** A whole number: 1234.6 -> "1,235". */
export const wholeNumber = (x: number): string => EN_US.format(Math.round(x));

/** Whole US dollars: 1234.6 -> "$1,235". */
export const usd = (x: number): string => `$${wholeNumber(x)}`;

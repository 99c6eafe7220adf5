/**
 * Stack-wide budgets that span components.
 */
import { Rule } from "./common";

export const stack: Rule[] = [];

/**
 * A validator for AWS's six-field cron syntax (`cron(Minutes Hours Day-of-month Month Day-of-week Year)`),
 * as AWS Backup, EventBridge and Scheduler accept it. Pure: no Pulumi, no clock.
 *
 * Rules (AWS EventBridge "Cron expressions" reference):
 * - minutes 0-59, hours 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT
 *   (1 = Sunday), year 1970-2199;
 * - `,` lists, `-` ranges, `*` all, `/` increments in every field;
 * - exactly one of day-of-month and day-of-week is `?`;
 * - `L` (last) in day-of-month and day-of-week, `W` (nearest weekday) in day-of-month, `#` (nth weekday)
 *   in day-of-week.
 */

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface Field {
    name: string;
    min: number;
    max: number;
    names?: string[];
}

const FIELDS: Field[] = [
    { name: "minutes", min: 0, max: 59 },
    { name: "hours", min: 0, max: 23 },
    { name: "day-of-month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12, names: MONTHS },
    { name: "day-of-week", min: 1, max: 7, names: DAYS },
    { name: "year", min: 1970, max: 2199 },
];

function value(token: string, f: Field): number | undefined {
    if (/^\d+$/.test(token)) {
        const n = Number(token);
        return n >= f.min && n <= f.max ? n : undefined;
    }
    const i = f.names?.indexOf(token.toUpperCase()) ?? -1;
    return i >= 0 ? f.min + i : undefined;
}

/** One comma-separated item of a field: `*`, `n`, `a-b`, with an optional `/step`. */
function validItem(item: string, f: Field): boolean {
    const [range, step, extra] = item.split("/");
    if (extra !== undefined) return false;
    if (step !== undefined && !(/^\d+$/.test(step) && Number(step) >= 1 && Number(step) <= f.max)) return false;
    if (range === "*") return true;
    const bounds = range.split("-");
    if (bounds.length === 1) return value(bounds[0], f) !== undefined;
    if (bounds.length !== 2) return false;
    const [a, b] = bounds.map((t) => value(t, f));
    return a !== undefined && b !== undefined && a <= b;
}

function fieldProblem(text: string, f: Field): string | undefined {
    if (f.name === "day-of-month" && (/^L(-([1-9]|[12]\d|30))?$/.test(text) || /^([1-9]|[12]\d|3[01])W$/.test(text) || text === "LW")) return undefined;
    if (f.name === "day-of-week" && (/^[1-7]L$/.test(text) || /^([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)#[1-5]$/i.test(text) || text === "L")) return undefined;
    if (text.split(",").every((item) => item.length > 0 && validItem(item, f))) return undefined;
    const named = f.names ? ` or ${f.names[0]}-${f.names[f.names.length - 1]}` : "";
    return `${f.name} field "${text}" is not valid (${f.min}-${f.max}${named}, with , - * /${f.name === "day-of-month" ? " ? L W" : f.name === "day-of-week" ? " ? L #" : ""})`;
}

/**
 * Checks an AWS cron expression; returns what is wrong, or undefined when it is valid.
 * @param expression e.g. `cron(0 5 ? * * *)`
 */
export function awsCronProblem(expression: string): string | undefined {
    const m = /^cron\((.*)\)$/.exec(expression.trim());
    if (!m) return "must be an AWS cron expression of the form cron(Minutes Hours Day-of-month Month Day-of-week Year), e.g. cron(0 5 ? * * *)";
    const parts = m[1].trim().split(/\s+/);
    if (parts.length !== 6) return `has ${parts.length} fields; AWS cron takes exactly 6: Minutes Hours Day-of-month Month Day-of-week Year, e.g. cron(0 5 ? * * *)`;
    const [, , dom, , dow] = parts;
    if ((dom === "?") === (dow === "?")) return "exactly one of day-of-month (3rd field) and day-of-week (5th field) must be ?";
    for (let i = 0; i < 6; i++) {
        if (parts[i] === "?" && (i === 2 || i === 4)) continue;
        const p = fieldProblem(parts[i], FIELDS[i]);
        if (p) return p;
    }
    return undefined;
}

/**
 * The largest gap, in hours, between two runs of a schedule that fires on fixed hours every day, every
 * week or every month (what backup schedules are): 24 for a daily rule, 168 for weekly, 744 for
 * monthly (31 days). Used to state the recovery point objective a schedule implies.
 */
export function scheduleIntervalHours(expression: string): number {
    const m = /^cron\((.*)\)$/.exec(expression.trim());
    if (!m) return Number.NaN;
    const [min, hours, dom, month, dow] = m[1].trim().split(/\s+/);
    if (month !== "*" || (dom !== "?" && dom !== "*")) return 31 * 24; // monthly (or rarer: at most a month for a month field of *)
    if (dow !== "*" && dow !== "?") {
        if (/[L#]/.test(dow)) return 31 * 24; // nth or last weekday of the month
        const days = new Set<number>();
        for (const item of dow.split(",")) {
            const [range, step] = item.split("/");
            const [a, b] = range === "*" ? [1, 7] : range.split("-").map((t) => value(t, FIELDS[4]) ?? 1);
            for (let d = a; d <= (b ?? (step ? 7 : a)); d += Number(step ?? 1)) days.add(d);
        }
        const sorted = [...days].sort((x, y) => x - y);
        // The longest gap between consecutive run days, wrapping around the week.
        const gaps = sorted.map((d, i) => (i + 1 < sorted.length ? sorted[i + 1] - d : sorted[0] + 7 - d));
        return Math.max(...gaps) * 24;
    }
    if (hours === "*") return min.includes("/") ? Number(min.split("/")[1]) / 60 : 1;
    if (hours.includes("/")) return Number(hours.split("/")[1]);
    return Math.ceil(24 / hours.split(",").length);
}

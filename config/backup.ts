/**
 * `scaling-topology:backup`: AWS Backup schedules, retention, disaster-recovery copy and vault lock.
 * Redis is not here: ElastiCache keeps its native snapshots (data config).
 */
import { z } from "zod";
import type { ConfigCheck } from "./index";
import type { ConfigProblem } from "./errors";
import { Region } from "./core";
import { awsCronProblem, scheduleIntervalHours } from "./awsCron";

/**
 * Whether a name is in the IANA time zone database, as Node's ICU data has it (AWS Backup takes IANA
 * names). The name must be written as the database writes it (ICU itself ignores case).
 */
export function isKnownTimeZone(name: string): boolean {
    try {
        const resolved = new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
        // A canonical name as written, or an alias (US/Eastern -> America/New_York) with its words capitalised.
        return resolved === name || Intl.supportedValuesOf("timeZone").includes(name) || name.split("/").every((part) => /^[A-Z]/.test(part));
    } catch {
        return false;
    }
}

/** An AWS six-field cron expression, checked field by field. */
export const AwsCron = z.string().superRefine((s, ctx) => {
    const problem = awsCronProblem(s);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** AWS Backup runs a rule at most once an hour: the minutes field must be one minute. */
export const BackupSchedule = AwsCron.superRefine((s, ctx) => {
    const minutes = /^cron\(\s*(\S+)/.exec(s.trim())?.[1];
    if (awsCronProblem(s) === undefined && !/^\d{1,2}$/.test(minutes ?? "")) {
        ctx.addIssue({ code: "custom", message: `runs more than once an hour (minutes field "${minutes}"); AWS Backup schedules run at most hourly: use a single minute, e.g. cron(0 * * * ? *)` });
    }
});

/** AWS Backup: a recovery point that moves to cold storage must stay there at least 90 days. */
export const COLD_STORAGE_MIN_DAYS = 90;
/** AWS Backup keeps continuous backups (point-in-time restore) for at most 35 days. */
export const CONTINUOUS_MAX_DAYS = 35;
/** Aurora point-in-time restore reaches back to within about five minutes of now. */
export const PITR_RPO_MINUTES = 5;

const ScheduledRule = (schedule: string, retentionDays: number) =>
    z
        .strictObject({
            /** When the rule runs: AWS cron, UTC unless `backup.timezone` is set. */
            schedule: BackupSchedule.default(schedule),
            /** Days each recovery point is kept. */
            retentionDays: z.number().int().min(1).max(36500).default(retentionDays),
            /** Days after which recovery points move to cold storage (resource types that support it); unset = never. */
            coldStorageAfterDays: z.number().int().min(1).optional(),
        })
        .prefault({});

export const BackupConfig = z.strictObject({
    /** IANA time zone the schedules are written in. */
    timezone: z.string().regex(/^(UTC|[A-Z][A-Za-z_]+(\/[A-Za-z0-9_+-]+)+)$/, { message: "must be an IANA time zone such as UTC or Europe/Dublin" })
        .refine(isKnownTimeZone, { message: "is not a time zone of the IANA database (e.g. UTC, Europe/Dublin, America/New_York); check the spelling and case" })
        .default("UTC"),
    /** Minutes a scheduled job may wait to start before it counts as failed. */
    startWindowMinutes: z.number().int().min(60).max(720).default(60),
    /** Minutes a started job may run before it is cancelled. */
    completionWindowMinutes: z.number().int().min(120).max(10080).default(480),
    /** Continuous backup (point-in-time restore) of Aurora. */
    continuous: z
        .strictObject({
            enabled: z.boolean().default(true),
            /** Days of point-in-time history (AWS Backup allows 1-35). */
            retentionDays: z.number().int().min(1).max(CONTINUOUS_MAX_DAYS, { message: `continuous backups are kept at most ${CONTINUOUS_MAX_DAYS} days` }).default(CONTINUOUS_MAX_DAYS),
        })
        .prefault({}),
    daily: ScheduledRule("cron(0 3 * * ? *)", 35),
    weekly: ScheduledRule("cron(0 4 ? * SUN *)", 90),
    monthly: ScheduledRule("cron(0 5 1 * ? *)", 365),
    /**
     * Copy every daily/weekly/monthly recovery point to a vault in another region (disaster recovery).
     * Required in prod.
     */
    disasterRecovery: z
        .strictObject({
            /** The DR region; must differ from `aws:region`. */
            region: Region,
            /** Days the copies are kept (default: the source rule's retention). */
            retentionDays: z.number().int().min(1).max(36500).optional(),
        })
        .optional(),
    /**
     * Vault lock in governance mode: recovery points cannot be deleted or shortened below
     * `minRetentionDays`, nor kept beyond `maxRetentionDays`, except by principals allowed to bypass
     * governance. Required in prod.
     */
    vaultLock: z
        .strictObject({
            minRetentionDays: z.number().int().min(1).max(36500),
            maxRetentionDays: z.number().int().min(1).max(36500),
        })
        .optional(),
    /** Address that receives failed backup, copy and restore job notifications (confirm the subscription). */
    notificationEmail: z.email({ message: "must be an email address" }).optional(),
});
export type BackupConfig = z.output<typeof BackupConfig>;

export const SCHEDULED_RULES = ["daily", "weekly", "monthly"] as const;

const KEY = "scaling-topology:backup";

/** Days each kind of recovery point is kept, with its config key: what the vault lock must admit. */
function retentions(b: BackupConfig): Array<{ key: string; days: number }> {
    const out = SCHEDULED_RULES.map((r) => ({ key: `${KEY}.${r}.retentionDays`, days: b[r].retentionDays }));
    if (b.continuous.enabled) out.push({ key: `${KEY}.continuous.retentionDays`, days: b.continuous.retentionDays });
    if (b.disasterRecovery?.retentionDays !== undefined) out.push({ key: `${KEY}.disasterRecovery.retentionDays`, days: b.disasterRecovery.retentionDays });
    return out;
}

/** Cross-key checks of the backup config. */
export const backupChecks: ConfigCheck[] = [
    {
        needs: ["backup"],
        check: ({ backup: b }) => {
            const problems: ConfigProblem[] = [];
            for (const r of SCHEDULED_RULES) {
                const cold = b[r].coldStorageAfterDays;
                if (cold !== undefined && b[r].retentionDays < cold + COLD_STORAGE_MIN_DAYS) {
                    problems.push({ key: `${KEY}.${r}.retentionDays`, value: b[r].retentionDays, message: `must be at least coldStorageAfterDays + ${COLD_STORAGE_MIN_DAYS} (${cold + COLD_STORAGE_MIN_DAYS}): AWS Backup keeps cold recovery points at least ${COLD_STORAGE_MIN_DAYS} days` });
                }
            }
            const lock = b.vaultLock;
            if (lock) {
                if (lock.minRetentionDays > lock.maxRetentionDays) {
                    problems.push({ key: `${KEY}.vaultLock.minRetentionDays`, value: lock.minRetentionDays, message: `must not exceed vaultLock.maxRetentionDays (${lock.maxRetentionDays})` });
                }
                for (const r of retentions(b)) {
                    if (r.days < lock.minRetentionDays) {
                        problems.push({ key: r.key, value: r.days, message: `is shorter than the vault lock's minimum retention (backup.vaultLock.minRetentionDays = ${lock.minRetentionDays}): the locked vault would refuse these recovery points` });
                    } else if (r.days > lock.maxRetentionDays) {
                        problems.push({ key: r.key, value: r.days, message: `is longer than the vault lock's maximum retention (backup.vaultLock.maxRetentionDays = ${lock.maxRetentionDays})` });
                    }
                }
            }
            return problems;
        },
    },
    {
        needs: ["backup", "region", "environment"],
        check: ({ backup: b, region, environment }) => {
            const problems: ConfigProblem[] = [];
            if (b.disasterRecovery && b.disasterRecovery.region === region) {
                problems.push({ key: `${KEY}.disasterRecovery.region`, value: b.disasterRecovery.region, message: `must differ from aws:region (${region}): a copy in the same region does not survive a regional outage` });
            }
            if (environment === "prod") {
                if (!b.disasterRecovery) problems.push({ key: `${KEY}.disasterRecovery`, value: undefined, message: "is required in prod: recovery points must be copied to another region" });
                if (!b.vaultLock) problems.push({ key: `${KEY}.vaultLock`, value: undefined, message: "is required in prod: the vault must be locked (governance mode)" });
                if (!b.continuous.enabled) problems.push({ key: `${KEY}.continuous.enabled`, value: false, message: "must be true in prod: Aurora needs point-in-time restore" });
            }
            return problems;
        },
    },
];

/** Recovery objectives the backup config implies (stated in the README's restore runbook). */
export interface RecoveryObjectives {
    /** Worst-case data loss restoring Aurora in the home region, minutes. */
    auroraRpoMinutes: number;
    /** Worst-case data loss restoring from the DR region, hours (undefined without DR copies). */
    drRpoHours?: number;
    /** Oldest restorable point, days. */
    oldestRestorableDays: number;
}

/** Pure: the RPOs the schedules and retention imply. */
export function recoveryObjectives(b: BackupConfig): RecoveryObjectives {
    const dailyHours = scheduleIntervalHours(b.daily.schedule);
    return {
        auroraRpoMinutes: b.continuous.enabled ? PITR_RPO_MINUTES : dailyHours * 60,
        // Copies run after each daily job finishes: up to a schedule interval plus the job windows.
        drRpoHours: b.disasterRecovery ? dailyHours + Math.ceil((b.startWindowMinutes + b.completionWindowMinutes) / 60) : undefined,
        oldestRestorableDays: Math.max(...SCHEDULED_RULES.map((r) => b[r].retentionDays)),
    };
}

/**
 * Tags with a meaning shared across components.
 *
 * `BACKUP_TAG`: every stateful resource AWS Backup should cover (Aurora clusters, ...) carries it, and
 * the BackupPlan's selection picks resources by it. One constant, so the two sides cannot drift.
 */
export const BACKUP_TAG = { key: "backup-plan", value: "standard" } as const;

/** The tag object to spread into a resource's `tags`. */
export const backupTags = (): Record<string, string> => ({ [BACKUP_TAG.key]: BACKUP_TAG.value });

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BACKUP_TAG } from "./tags";
import { accountAdministersKey } from "./dataKeys";

/** A scheduled AWS Backup rule (snapshot backups). */
export interface BackupScheduleRule {
    /** Rule name, e.g. `daily`. */
    name: string;
    /** AWS cron expression, e.g. `cron(0 3 * * ? *)` (validated by the stack config). */
    schedule: string;
    /** Days each recovery point is kept. */
    retentionDays: number;
    /** Days after which recovery points move to cold storage (types that support it); unset = never. */
    coldStorageAfterDays?: number;
}

/** Arguments of {@link BackupPlan}. */
export interface BackupPlanArgs {
    /** Scheduled snapshot rules (daily, weekly, monthly ...). At least one. */
    rules: BackupScheduleRule[];
    /**
     * Continuous backup (point-in-time restore) for the resource types that support it (Aurora, RDS,
     * S3): a separate rule whose recovery points are kept `retentionDays` (1-35).
     * @default undefined (no continuous backup)
     */
    continuous?: { retentionDays: number };
    /** IANA time zone of the schedules. @default "UTC" */
    timezone?: string;
    /** Minutes a job may wait to start. @default 60 */
    startWindowMinutes?: number;
    /** Minutes a started job may run. @default 480 */
    completionWindowMinutes?: number;
    /**
     * Copy every scheduled recovery point to a vault in another region. `provider` is an `aws.Provider`
     * for that region; the copies are encrypted with a key of that region.
     * @default undefined (no copies)
     */
    disasterRecovery?: {
        provider: aws.Provider;
        /** Days copies are kept. @default the source rule's retention */
        retentionDays?: number;
    };
    /**
     * Vault lock in governance mode on the vault(s): every recovery point must be kept at least
     * `minRetentionDays` and at most `maxRetentionDays`, and none can be deleted early. Governance mode:
     * principals with IAM permission on the lock can still remove it (compliance mode, not used, cannot be
     * removed once its grace period ends).
     * @default undefined (no lock)
     */
    vaultLock?: { minRetentionDays: number; maxRetentionDays: number };
    /**
     * Resources carrying this tag are backed up by the plan.
     * @default BACKUP_TAG from components/tags.ts
     */
    selectionTag?: { key: string; value: string };
    /** Email subscribed (with a filter: failures only) to the job notification topic. @default none */
    notificationEmail?: string;
    /**
     * Pulumi `protect` and `retainOnDelete` on the vaults and KMS keys, and no `forceDestroy` on the
     * vaults (prod): losing either loses every recovery point.
     * @default false
     */
    protect?: boolean;
    /** Tags for every resource, besides the provider's default tags. */
    tags?: Record<string, string>;
}

const DEFAULTS = { timezone: "UTC", startWindowMinutes: 60, completionWindowMinutes: 480 };

/** AWS managed policies AWS Backup's service role needs (commercial partition). */
export const BACKUP_MANAGED_POLICIES = [
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
];

/**
 * Vault events sent to the notification topic. AWS Backup has no "job failed" event for backup and
 * restore jobs: `*_COMPLETED` carries a `State` attribute, and the subscription filters on it.
 */
export const BACKUP_VAULT_EVENTS = ["BACKUP_JOB_COMPLETED", "COPY_JOB_FAILED", "RESTORE_JOB_COMPLETED"];

/** SNS filter policy: every completion whose State is not COMPLETED (FAILED, ABORTED, EXPIRED, PARTIAL). */
export const FAILED_JOBS_FILTER = { State: [{ "anything-but": "COMPLETED" }] };

/**
 * AWS Backup for the stateful resources the topology tags with `BACKUP_TAG`:
 * - a vault encrypted with a customer managed KMS key (rotated yearly);
 * - a plan with scheduled rules (lifecycle to cold storage, retention) and a continuous-backup rule
 *   (point-in-time restore) for Aurora;
 * - copies of every scheduled recovery point to a vault (own KMS key) in a disaster-recovery region;
 * - vault lock (governance mode) on both vaults;
 * - a selection by tag, an IAM role with the AWS managed backup and restore policies;
 * - failed-job notifications on an SNS topic encrypted with the vault's key.
 */
export class BackupPlan extends pulumi.ComponentResource {
    public readonly vault: aws.backup.Vault;
    public readonly vaultName: pulumi.Output<string>;
    public readonly vaultArn: pulumi.Output<string>;
    public readonly drVault?: aws.backup.Vault;
    public readonly drVaultArn?: pulumi.Output<string>;
    public readonly plan: aws.backup.Plan;
    public readonly planId: pulumi.Output<string>;
    public readonly kmsKeyArn: pulumi.Output<string>;
    public readonly roleArn: pulumi.Output<string>;
    public readonly notificationTopicArn: pulumi.Output<string>;

    constructor(name: string, args: BackupPlanArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:backup:BackupPlan", name, {}, opts);
        if (args.rules.length === 0) throw new pulumi.ResourceError("BackupPlan: `rules` must hold at least one scheduled rule", this);
        const protect = args.protect ?? false;
        const tags = args.tags ?? {};
        const nameTag = (role: string) => ({ ...tags, Name: `${name}-${role}` });
        const tag = args.selectionTag ?? BACKUP_TAG;
        const timezone = args.timezone ?? DEFAULTS.timezone;
        const startWindow = args.startWindowMinutes ?? DEFAULTS.startWindowMinutes;
        const completionWindow = args.completionWindowMinutes ?? DEFAULTS.completionWindowMinutes;
        // Losing a key or vault loses every recovery point in it: prod protects them and keeps them if removed from the program.
        const stateful = { parent: this, protect, retainOnDelete: protect };

        const account = aws.getCallerIdentityOutput({}, { parent: this });
        const partition = aws.getPartitionOutput({}, { parent: this }).partition;
        const key = this.kmsKey(`${name}-key`, partition, account.accountId, nameTag("key"), stateful);
        this.vault = new aws.backup.Vault(`${name}-vault`, { kmsKeyArn: key.arn, forceDestroy: !protect, tags: nameTag("vault") }, stateful);
        if (args.vaultLock) this.lock(`${name}-vault-lock`, this.vault, args.vaultLock, { parent: this });

        if (args.disasterRecovery) {
            const dr = { parent: this, protect, retainOnDelete: protect, provider: args.disasterRecovery.provider };
            const drKey = this.kmsKey(`${name}-dr-key`, partition, account.accountId, nameTag("dr-key"), dr);
            this.drVault = new aws.backup.Vault(`${name}-dr-vault`, { kmsKeyArn: drKey.arn, forceDestroy: !protect, tags: nameTag("dr-vault") }, dr);
            if (args.vaultLock) this.lock(`${name}-dr-vault-lock`, this.drVault, args.vaultLock, { parent: this, provider: args.disasterRecovery.provider });
            this.drVaultArn = this.drVault.arn;
        }

        const scheduled: aws.types.input.backup.PlanRule[] = args.rules.map((r) => ({
            ruleName: r.name,
            targetVaultName: this.vault.name,
            schedule: r.schedule,
            scheduleExpressionTimezone: timezone,
            startWindow,
            completionWindow,
            lifecycle: { deleteAfter: r.retentionDays, coldStorageAfter: r.coldStorageAfterDays },
            recoveryPointTags: { ...tags, "backup-rule": r.name },
            copyActions: this.drVault
                ? [{
                    destinationVaultArn: this.drVault.arn,
                    lifecycle: { deleteAfter: args.disasterRecovery?.retentionDays ?? r.retentionDays, coldStorageAfter: r.coldStorageAfterDays },
                }]
                : undefined,
        }));
        const continuous: aws.types.input.backup.PlanRule[] = args.continuous
            ? [{
                ruleName: "continuous",
                targetVaultName: this.vault.name,
                enableContinuousBackup: true,
                // Continuous rules still take a schedule (the snapshot that anchors the log); hourly keeps it fresh.
                schedule: "cron(0 * * * ? *)",
                scheduleExpressionTimezone: timezone,
                startWindow,
                completionWindow,
                // Continuous recovery points cannot go to cold storage.
                lifecycle: { deleteAfter: args.continuous.retentionDays },
                recoveryPointTags: { ...tags, "backup-rule": "continuous" },
            }]
            : [];
        this.plan = new aws.backup.Plan(`${name}-plan`, { rules: [...continuous, ...scheduled], tags: nameTag("plan") }, { parent: this });

        const role = new aws.iam.Role(`${name}-role`, {
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "backup.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
            tags: nameTag("role"),
        }, { parent: this });
        BACKUP_MANAGED_POLICIES.forEach((policyArn, i) =>
            new aws.iam.RolePolicyAttachment(`${name}-role-${i === 0 ? "backup" : "restore"}`, { role: role.name, policyArn }, { parent: this }));

        new aws.backup.Selection(`${name}-selection`, {
            name: `${name}-by-tag`,
            planId: this.plan.id,
            iamRoleArn: role.arn,
            selectionTags: [{ type: "STRINGEQUALS", key: tag.key, value: tag.value }],
        }, { parent: this });

        const topic = new aws.sns.Topic(`${name}-notifications`, { kmsMasterKeyId: key.arn, tags: nameTag("notifications") }, { parent: this });
        new aws.sns.TopicPolicy(`${name}-notifications-policy`, {
            arn: topic.arn,
            policy: pulumi.all([topic.arn, account.accountId]).apply(([arn, accountId]) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [{
                    Sid: "AwsBackupPublishes",
                    Effect: "Allow",
                    Principal: { Service: "backup.amazonaws.com" },
                    Action: "SNS:Publish",
                    Resource: arn,
                    Condition: { StringEquals: { "aws:SourceAccount": accountId } },
                }],
            })),
        }, { parent: this });
        new aws.backup.VaultNotifications(`${name}-vault-notifications`, {
            backupVaultName: this.vault.name,
            snsTopicArn: topic.arn,
            backupVaultEvents: BACKUP_VAULT_EVENTS,
        }, { parent: this });
        if (args.notificationEmail) {
            new aws.sns.TopicSubscription(`${name}-failed-jobs-email`, {
                topic: topic.arn,
                protocol: "email",
                endpoint: args.notificationEmail,
                filterPolicy: JSON.stringify(FAILED_JOBS_FILTER),
                filterPolicyScope: "MessageAttributes",
            }, { parent: this });
        }

        this.vaultName = this.vault.name;
        this.vaultArn = this.vault.arn;
        this.planId = this.plan.id;
        this.kmsKeyArn = key.arn;
        this.roleArn = role.arn;
        this.notificationTopicArn = topic.arn;
        this.registerOutputs({
            vaultName: this.vaultName,
            vaultArn: this.vaultArn,
            drVaultArn: this.drVaultArn,
            planId: this.planId,
            kmsKeyArn: this.kmsKeyArn,
            roleArn: this.roleArn,
            notificationTopicArn: this.notificationTopicArn,
        });
    }

    /** A customer managed key for a vault (and the notification topic): AWS Backup may use it to publish encrypted messages. */
    private kmsKey(resourceName: string, partition: pulumi.Output<string>, accountId: pulumi.Output<string>, tags: Record<string, string>, opts: pulumi.CustomResourceOptions): aws.kms.Key {
        return new aws.kms.Key(resourceName, {
            description: `AWS Backup vault and notification encryption (${resourceName})`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            policy: pulumi.all([partition, accountId]).apply(([part, id]) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    accountAdministersKey(part, id),
                    // AWS Backup publishes to the encrypted SNS topic.
                    {
                        Sid: "AwsBackupEncryptsNotifications",
                        Effect: "Allow",
                        Principal: { Service: "backup.amazonaws.com" },
                        Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
                        Resource: "*",
                        Condition: { StringEquals: { "aws:SourceAccount": id } },
                    },
                ],
            })),
            tags,
        }, opts);
    }

    private lock(resourceName: string, vault: aws.backup.Vault, lock: { minRetentionDays: number; maxRetentionDays: number }, opts: pulumi.CustomResourceOptions) {
        // No changeableForDays: governance mode (a compliance-mode lock becomes immutable after that many days).
        return new aws.backup.VaultLockConfiguration(resourceName, {
            backupVaultName: vault.name,
            minRetentionDays: lock.minRetentionDays,
            maxRetentionDays: lock.maxRetentionDays,
        }, opts);
    }
}

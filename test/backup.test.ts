import { strict as assert } from "assert";
import * as aws from "@pulumi/aws";
import { byName, configErrorOf, ofType, stackConfigValue, stackPlan } from "./helpers";
import { recordsOf, underMocks } from "./edge.harness";
import { BackupPlan, BACKUP_MANAGED_POLICIES, FAILED_JOBS_FILTER } from "../components/backupPlan";
import { BACKUP_TAG } from "../components/tags";
import { awsCronProblem, scheduleIntervalHours } from "../config/awsCron";
import { BackupConfig, recoveryObjectives } from "../config/backup";
import { ConfigError } from "../config";
import { resolveStackConfig } from "../sizing/stackConfig";
import { readStackFiles } from "../plan/stackFiles";

const VAULT = "aws:backup/vault:Vault";
const PLAN = "aws:backup/plan:Plan";
const LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration";

describe("BackupPlan in the shipped stacks", () => {
    for (const stack of ["dev", "prod"]) {
        const cfg = stackConfigValue(stack, "scaling-topology:backup");
        describe(stack, () => {
            it("encrypts the vault with a customer managed, rotated KMS key and selects resources by BACKUP_TAG", async () => {
                const plan = await stackPlan(stack);
                const vault = byName(plan, `${stack}-backup-vault`);
                const key = byName(plan, `${stack}-backup-key`);
                assert.equal(key.type, "aws:kms/key:Key");
                assert.equal(key.props.enableKeyRotation, true);
                assert.match(vault.props.kmsKeyArn as string, /^arn:aws:kms:eu-west-1:\d{12}:key\//);
                const [sel] = ofType(plan, "aws:backup/selection:Selection");
                assert.deepEqual(sel.props.selectionTags, [{ type: "STRINGEQUALS", key: BACKUP_TAG.key, value: BACKUP_TAG.value }]);
                assert.equal(sel.props.planId, plan.outputs.backupPlanId);
            });

            it("covers every resource the topology tags for backup, and Aurora is one of them", async () => {
                const plan = await stackPlan(stack);
                const tagged = plan.resources.filter((r) => (r.props.tags as Record<string, string> | undefined)?.[BACKUP_TAG.key] !== undefined);
                assert.ok(tagged.some((r) => r.type === "aws:rds/cluster:Cluster"), "the Aurora cluster carries BACKUP_TAG");
                assert.ok(tagged.every((r) => (r.props.tags as Record<string, string>)[BACKUP_TAG.key] === BACKUP_TAG.value));
            });

            it("has a continuous (PITR) rule and the daily, weekly and monthly rules with the configured schedules and retention", async () => {
                const plan = await stackPlan(stack);
                const rules = byName(plan, `${stack}-backup-plan`).props.rules as any[];
                const pitr = rules.find((r) => r.enableContinuousBackup);
                assert.ok(pitr, "a continuous-backup rule");
                assert.equal(pitr.lifecycle.deleteAfter, cfg.continuous.retentionDays);
                assert.ok(pitr.lifecycle.deleteAfter <= 35 && pitr.lifecycle.coldStorageAfter === undefined);
                for (const name of ["daily", "weekly", "monthly"]) {
                    const r = rules.find((x) => x.ruleName === name);
                    assert.equal(r.schedule, cfg[name].schedule);
                    assert.equal(r.lifecycle.deleteAfter, cfg[name].retentionDays);
                    assert.equal(r.lifecycle.coldStorageAfter, cfg[name].coldStorageAfterDays);
                    assert.equal(r.targetVaultName, plan.outputs.backupVaultName);
                }
            });

            it("sends failed jobs to an encrypted SNS topic AWS Backup may publish to", async () => {
                const plan = await stackPlan(stack);
                const topic = byName(plan, `${stack}-backup-notifications`);
                assert.equal(topic.props.kmsMasterKeyId, byName(plan, `${stack}-backup-vault`).props.kmsKeyArn);
                const n = ofType(plan, "aws:backup/vaultNotifications:VaultNotifications")[0];
                assert.ok((n.props.backupVaultEvents as string[]).includes("BACKUP_JOB_COMPLETED"));
                assert.ok((n.props.backupVaultEvents as string[]).includes("COPY_JOB_FAILED"));
                const policy = JSON.parse(byName(plan, `${stack}-backup-notifications-policy`).props.policy as string);
                assert.equal(policy.Statement[0].Principal.Service, "backup.amazonaws.com");
                const keyPolicy = JSON.parse(byName(plan, `${stack}-backup-key`).props.policy as string);
                assert.ok(keyPolicy.Statement.some((s: any) => s.Principal.Service === "backup.amazonaws.com" && s.Action.includes("kms:GenerateDataKey*")));
            });

            it("gives AWS Backup a role with the managed backup and restore policies", async () => {
                const plan = await stackPlan(stack);
                const role = byName(plan, `${stack}-backup-role`);
                assert.equal(JSON.parse(role.props.assumeRolePolicy as string).Statement[0].Principal.Service, "backup.amazonaws.com");
                const attached = ofType(plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.name.startsWith(`${stack}-backup-role`)).map((a) => a.props.policyArn);
                assert.deepEqual(attached.sort(), [...BACKUP_MANAGED_POLICIES].sort());
            });
        });
    }

    it("prod: locked vaults (governance mode, config min/max), cross-region copies into a DR vault with its own key, everything protected", async () => {
        const plan = await stackPlan("prod");
        const cfg = stackConfigValue("prod", "scaling-topology:backup");
        const locks = ofType(plan, LOCK);
        assert.equal(locks.length, 2, "home and DR vaults locked");
        for (const l of locks) {
            assert.equal(l.props.minRetentionDays, cfg.vaultLock.minRetentionDays);
            assert.equal(l.props.maxRetentionDays, cfg.vaultLock.maxRetentionDays);
            assert.equal(l.props.changeableForDays, undefined, "governance mode: no compliance grace period");
        }
        const dr = byName(plan, "prod-backup-dr-vault");
        const drProvider = plan.resources.find((r) => r.urn === dr.opts.provider)!;
        assert.equal(drProvider.props.region, cfg.disasterRecovery.region);
        assert.notEqual(drProvider.props.region, stackConfigValue("prod", "aws:region"));
        assert.match(dr.props.kmsKeyArn as string, new RegExp(`^arn:aws:kms:${cfg.disasterRecovery.region}:`));
        const rules = byName(plan, "prod-backup-plan").props.rules as any[];
        const scheduled = rules.filter((r) => !r.enableContinuousBackup);
        assert.equal(scheduled.length, 3);
        for (const r of scheduled) assert.deepEqual(r.copyActions.map((c: any) => c.destinationVaultArn), [plan.outputs.backupDrVaultArn]);
        assert.match(plan.outputs.backupDrVaultArn as string, new RegExp(`^arn:aws:backup:${cfg.disasterRecovery.region}:`));
        for (const name of ["prod-backup-vault", "prod-backup-dr-vault", "prod-backup-key", "prod-backup-dr-key"]) {
            const r = byName(plan, name);
            assert.equal(r.opts.protect, true, `${name} protected`);
            assert.equal(r.opts.retainOnDelete, true, `${name} retained`);
        }
        assert.equal(byName(plan, "prod-backup-vault").props.forceDestroy, false);
        const sub = ofType(plan, "aws:sns/topicSubscription:TopicSubscription").find((s) => s.name === "prod-backup-failed-jobs-email")!;
        assert.deepEqual(JSON.parse(sub.props.filterPolicy as string), FAILED_JOBS_FILTER);
    });

    it("dev: no lock, no copies, vault deletable", async () => {
        const plan = await stackPlan("dev");
        assert.equal(ofType(plan, LOCK).length, 0);
        assert.equal(ofType(plan, VAULT).length, 1);
        assert.ok((byName(plan, "dev-backup-plan").props.rules as any[]).every((r) => !r.copyActions));
        assert.equal(byName(plan, "dev-backup-vault").props.forceDestroy, true);
        assert.equal(plan.outputs.backupDrVaultArn, null);
    });

    it("plans in preview mode (vault names unknown in the rules)", async () => {
        const plan = await stackPlan("prod", true);
        const rules = byName(plan, "prod-backup-plan").props.rules as any[];
        assert.ok(rules.every((r) => r.targetVaultName === "[unknown]"));
    });
});

describe("BackupPlan component", () => {
    it("refuses an empty rule list", async () => {
        await assert.rejects(underMocks(() => new BackupPlan("b", { rules: [] })), /at least one scheduled rule/);
    });

    it("without continuous backup has only the scheduled rules; a custom selection tag is honoured", async () => {
        const { records } = await underMocks(() => new BackupPlan("b", {
            rules: [{ name: "nightly", schedule: "cron(0 1 * * ? *)", retentionDays: 14 }],
            selectionTag: { key: "tier", value: "gold" },
            disasterRecovery: { provider: new aws.Provider("dr", { region: "us-west-2" }), retentionDays: 30 },
        }));
        const rules = recordsOf(records, PLAN)[0].props.rules as any[];
        assert.deepEqual(rules.map((r) => r.ruleName), ["nightly"]);
        assert.equal(rules[0].copyActions[0].lifecycle.deleteAfter, 30);
        assert.match(rules[0].copyActions[0].destinationVaultArn, /^arn:aws:backup:us-west-2:/);
        assert.deepEqual((recordsOf(records, "aws:backup/selection:Selection")[0].props.selectionTags as any[])[0], { type: "STRINGEQUALS", key: "tier", value: "gold" });
        assert.equal(recordsOf(records, "aws:sns/topicSubscription:TopicSubscription").length, 0, "no email, no subscription");
    });
});

describe("AWS cron validator", () => {
    for (const ok of ["cron(0 5 ? * * *)", "cron(0 3 * * ? *)", "cron(0 4 ? * SUN *)", "cron(0 5 1 * ? *)", "cron(15,45 */2 ? * MON-FRI 2026-2030)", "cron(0 6 L * ? *)", "cron(0 6 ? * 6#3 *)", "cron(0 0 15W JAN,JUL ? *)"]) {
        it(`accepts ${ok}`, () => assert.equal(awsCronProblem(ok), undefined));
    }
    const bad: Array<[string, RegExp]> = [
        ["0 5 * * *", /of the form cron\(/],
        ["cron(0 5 * * *)", /has 5 fields; AWS cron takes exactly 6/],
        ["cron(0 5 * * * *)", /exactly one of day-of-month .* and day-of-week .* must be \?/],
        ["cron(0 5 ? * ? *)", /exactly one of/],
        ["cron(60 5 ? * * *)", /minutes field "60"/],
        ["cron(0 24 ? * * *)", /hours field "24"/],
        ["cron(0 5 ? * FUNDAY *)", /day-of-week field "FUNDAY"/],
        ["cron(0 5 32 * ? *)", /day-of-month field "32"/],
        ["cron(0 5 ? 13 * *)", /month field "13"/],
        ["cron(0 5 ? * * 1969)", /year field "1969"/],
        ["cron(0 5-3 ? * * *)", /hours field "5-3"/],
    ];
    for (const [expr, why] of bad) it(`refuses ${expr}`, () => assert.match(awsCronProblem(expr) ?? "accepted", why));

    it("derives the interval of daily, weekly and monthly schedules", () => {
        assert.equal(scheduleIntervalHours("cron(0 3 * * ? *)"), 24);
        assert.equal(scheduleIntervalHours("cron(0 4 ? * SUN *)"), 168);
        assert.equal(scheduleIntervalHours("cron(0 5 1 * ? *)"), 744);
        assert.equal(scheduleIntervalHours("cron(0 */6 * * ? *)"), 6);
        assert.equal(scheduleIntervalHours("cron(0 2 ? * MON-FRI *)"), 72, "Friday to Monday");
        assert.equal(scheduleIntervalHours("cron(0 2 ? * SUN,WED *)"), 96);
        assert.equal(scheduleIntervalHours("cron(0 2 ? * 6#3 *)"), 744);
    });
});

describe("backup config", () => {
    const shipped = (stack: string) => readStackFiles(`${__dirname}/..`, stack).config as Record<string, unknown>;
    const backupOf = (stack: string) => stackConfigValue(stack, "scaling-topology:backup");
    const problemsWith = (stack: string, backup: unknown, extra: Record<string, unknown> = {}) => {
        try {
            resolveStackConfig(stack, { ...shipped(stack), "scaling-topology:backup": JSON.stringify(backup), ...extra });
        } catch (e) {
            if (ConfigError.isInstance(e)) return e.problems;
            throw e;
        }
        return [];
    };

    it("refuses a retention shorter than the vault lock's minimum, naming the rule and the lock", async () => {
        const e = await configErrorOf("prod", { "scaling-topology:backup": { ...backupOf("prod"), daily: { schedule: "cron(0 3 * * ? *)", retentionDays: 3 } } });
        const p = e.problems.find((x) => x.key === "scaling-topology:backup.daily.retentionDays")!;
        assert.ok(p, e.message);
        assert.equal(p.value, 3);
        assert.match(p.message, /shorter than the vault lock's minimum retention \(backup\.vaultLock\.minRetentionDays = 7\)/);
    });

    it("refuses a schedule that is not an AWS cron expression, saying which field is wrong", async () => {
        const e = await configErrorOf("dev", { "scaling-topology:backup": { ...backupOf("dev"), weekly: { schedule: "cron(0 4 * * SUN *)", retentionDays: 28 } } });
        const p = e.problems.find((x) => x.key === "scaling-topology:backup.weekly.schedule")!;
        assert.ok(p, e.message);
        assert.equal(p.value, "cron(0 4 * * SUN *)");
        assert.match(p.message, /exactly one of day-of-month/);
    });

    it("refuses a schedule that runs more than once an hour", () => {
        const ps = problemsWith("dev", { ...backupOf("dev"), daily: { schedule: "cron(*/15 * * * ? *)", retentionDays: 7 } });
        assert.ok(ps.some((p) => p.key === "scaling-topology:backup.daily.schedule" && /at most hourly/.test(p.message)), JSON.stringify(ps));
    });

    it("refuses cold storage without 90 days there, a DR region equal to the home region, and a lock min above its max", () => {
        const ps = problemsWith("prod", {
            ...backupOf("prod"),
            weekly: { schedule: "cron(0 4 ? * SUN *)", retentionDays: 100, coldStorageAfterDays: 30 },
            disasterRecovery: { region: "eu-west-1" },
            vaultLock: { minRetentionDays: 400, maxRetentionDays: 300 },
        });
        const keys = ps.map((p) => p.key);
        assert.ok(keys.includes("scaling-topology:backup.weekly.retentionDays"));
        assert.ok(ps.some((p) => p.key === "scaling-topology:backup.disasterRecovery.region" && /must differ from aws:region/.test(p.message)));
        assert.ok(ps.some((p) => p.key === "scaling-topology:backup.vaultLock.minRetentionDays" && /must not exceed/.test(p.message)));
    });

    it("requires DR copies, a vault lock and PITR in prod; refuses more than 35 days of PITR", () => {
        const { disasterRecovery: _d, vaultLock: _v, ...rest } = backupOf("prod");
        const ps = problemsWith("prod", { ...rest, continuous: { enabled: false } });
        for (const k of ["disasterRecovery", "vaultLock", "continuous.enabled"]) assert.ok(ps.some((p) => p.key === `scaling-topology:backup.${k}` && /prod/.test(p.message)), k);
        const long = problemsWith("dev", { ...backupOf("dev"), continuous: { enabled: true, retentionDays: 60 } });
        assert.ok(long.some((p) => p.key === "scaling-topology:backup.continuous.retentionDays" && /at most 35 days/.test(p.message)));
    });

    it("implies the recovery point objectives the README states", () => {
        const prod = resolveStackConfig("prod", shipped("prod")).backup as BackupConfig;
        assert.deepEqual(recoveryObjectives(prod), { auroraRpoMinutes: 5, drRpoHours: 24 + 9, oldestRestorableDays: 365 });
        const dev = resolveStackConfig("dev", shipped("dev")).backup as BackupConfig;
        assert.deepEqual(recoveryObjectives(dev), { auroraRpoMinutes: 5, drRpoHours: undefined, oldestRestorableDays: 90 });
        assert.equal(recoveryObjectives({ ...dev, continuous: { enabled: false, retentionDays: 7 } }).auroraRpoMinutes, 24 * 60);
    });
});

/**
 * Backup rules: AWS Backup vaults and what the plans select.
 */
import { checkov, effectiveTags, isSet, list, onType, PolicyResource, Props, Rule } from "./common";

/** Does a backup selection pick this resource (by ARN, by dependency on it, by tag, or everything)? */
export function selectionCovers(sel: PolicyResource, r: PolicyResource): boolean {
    const p = sel.props;
    // The selection took the cluster's ARN output (unknown in preview): the engine records the dependency.
    if (isSet(p, "resources") && sel.dependencies.some((d) => d.urn === r.urn)) return true;
    const notResources = list<string>(p.notResources);
    if (typeof r.props.arn === "string" && notResources.includes(r.props.arn)) return false;
    const resources = list<string>(p.resources);
    if (resources.includes("*")) return true;
    if (typeof r.props.arn === "string" && resources.some((a) => a === r.props.arn || globMatch(a, r.props.arn))) return true;
    const tags = effectiveTags(r);
    if (list(p.selectionTags).some((t) => String(t.type).toUpperCase() === "STRINGEQUALS" && tags[t.key] === t.value)) return true;
    for (const c of list(p.conditions)) {
        const eq = list(c.stringEquals);
        if (eq.length > 0 && eq.every((e) => tags[String(e.key).replace(/^aws:ResourceTag\//, "")] === e.value)) return true;
    }
    return false;
}

function globMatch(pattern: string, value: string): boolean {
    if (!pattern.includes("*")) return false;
    const re = new RegExp(`^${pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
    return re.test(value);
}

/** Types whose deletion or replacement loses data or keys: `protect` must guard them where data matters. */
export const STATEFUL_TYPES = [
    "aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance", "aws:rds/instance:Instance",
    "aws:elasticache/replicationGroup:ReplicationGroup", "aws:kms/key:Key", "aws:backup/vault:Vault",
    "aws:secretsmanager/secret:Secret", "aws:eks/cluster:Cluster", "aws:ec2/vpc:Vpc",
];

export const backup: Rule[] = [
    {
        name: "stateful-resources-protected",
        description: "Stateful resources (databases, caches, KMS keys, backup vaults, secrets, the cluster, the VPC) carry Pulumi `protect`, so no update can delete or replace them.",
        severity: "high",
        enforcementLevel: "advisory",
        remediationSteps: "Pass `protect: true` (from the stack's environment) in the resource options; lift it only in a reviewed change (`pulumi state unprotect`).",
        tags: ["protection"],
        validateResource: STATEFUL_TYPES.map((t) => onType(t, (_props, args, report) => {
            if (!args.opts.protect) report(`${args.name}: not protected (resource option protect).`);
        })),
    },
    {
        name: "backup-vault-cmk",
        description: "AWS Backup vaults encrypt recovery points with a customer-managed KMS key.",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Pass a customer-managed `aws.kms.Key` ARN (rotation on) as the vault's `kmsKeyArn`.",
        framework: checkov("CKV_AWS_166", "Ensure Backup Vault is encrypted at rest using KMS CMK"),
        tags: ["backup", "encryption"],
        validateResource: onType("aws:backup/vault:Vault", (props: Props, args, report) => {
            if (!isSet(props, "kmsKeyArn")) report(`${args.name}: no kmsKeyArn (AWS-managed key).`);
        }),
    },
    {
        name: "aurora-backup-plan-selection",
        description: "Every Aurora/RDS cluster is selected by an AWS Backup plan (by ARN or by tag).",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Tag the cluster with the backup tag (`components/tags.ts` `backupTags()`), which the BackupPlan selection picks, or add its ARN to an `aws.backup.Selection`.",
        tags: ["backup", "data"],
        validateStack: (args, report) => {
            const clusters = args.resources.filter((r) => r.type === "aws:rds/cluster:Cluster");
            if (clusters.length === 0) args.notApplicable("no Aurora/RDS cluster in the stack");
            const selections = args.resources.filter((r) => r.type === "aws:backup/selection:Selection");
            for (const c of clusters) {
                if (!selections.some((s) => selectionCovers(s, c))) report(`${c.name}: no AWS Backup selection covers this cluster.`, c.urn);
            }
        },
    },
];

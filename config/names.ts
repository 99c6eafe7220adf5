/**
 * The physical names the topology derives from the project and stack names, and the rules AWS and Kubernetes
 * hold them to. A stack name that breaks one of them is refused at config time, before any resource is
 * declared (the API, or a component's own check, would otherwise refuse it halfway through `pulumi up`).
 *
 * `ScalingTopology` names what it creates after its component name (the stack name in this repository's
 * program) and a physical-name prefix, `${project}-${stack}` by default. The list below follows the
 * components; `test/names.test.ts` checks that every name it lists appears in the plans of the shipped stacks.
 */
import type { ConfigProblem } from "./errors";

/** A naming rule of one API. */
export interface NameRule {
    /** What is named, as the API's docs call it. */
    what: string;
    min: number;
    max: number;
    pattern: RegExp;
    /** The rule in words (for messages). */
    allowed: string;
}

/** Pulumi auto-naming appends `-` and 7 random characters to the logical name; the result must fit the API's maximum. */
export const AUTONAME_SUFFIX_LENGTH = 8;

/** Letters, digits and single hyphens, starting with a letter, not ending with a hyphen (RDS and ElastiCache identifiers). */
const LOWER_ID = /^[a-z]([a-z0-9]|-(?!-))*(?<!-)$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

const rule = (what: string, max: number, pattern: RegExp, allowed: string, min = 1): NameRule => ({ what, min, max, pattern, allowed });

/** The naming rules, by kind of name. */
export const NAME_RULES = {
    // RDS allows 63; the AuroraPostgres component keeps its identifiers to 51.
    rdsCluster: rule("RDS cluster identifier", 51, LOWER_ID, "lowercase letters, digits and hyphens, starting with a letter, no trailing or double hyphen"),
    rdsInstance: rule("RDS instance identifier", 63, LOWER_ID, "lowercase letters, digits and hyphens, starting with a letter, no trailing or double hyphen"),
    rdsGroup: rule("RDS parameter/subnet group or snapshot name", 255, LOWER_ID, "lowercase letters, digits and hyphens, starting with a letter, no trailing or double hyphen"),
    elasticacheReplicationGroup: rule("ElastiCache replication group id", 40, LOWER_ID, "lowercase letters, digits and hyphens, starting with a letter, no trailing or double hyphen"),
    elasticacheGroup: rule("ElastiCache parameter/subnet group name", 255, LOWER_ID, "lowercase letters, digits and hyphens, starting with a letter, no trailing or double hyphen"),
    eksCluster: rule("EKS cluster name", 100, /^[0-9A-Za-z][A-Za-z0-9_-]*$/, "letters, digits, hyphens and underscores, starting with a letter or digit"),
    kmsAlias: rule("KMS alias", 256, /^alias\/[A-Za-z0-9/_-]+$/, "alias/ followed by letters, digits, /, _ and -"),
    logGroup: rule("CloudWatch Logs group name", 512, /^[A-Za-z0-9._/#-]+$/, "letters, digits and . _ / # -"),
    secret: rule("Secrets Manager secret name", 512, /^[A-Za-z0-9/_+=.@-]+$/, "letters, digits and / _ + = . @ -"),
    iamRole: rule("IAM role name (auto-named)", 64, /^[A-Za-z0-9+=,.@_-]+$/, "letters, digits and + = , . @ _ -"),
    iamPolicy: rule("IAM policy name (auto-named)", 128, /^[A-Za-z0-9+=,.@_-]+$/, "letters, digits and + = , . @ _ -"),
    s3Bucket: rule("S3 bucket name (auto-named)", 63, /^[a-z0-9]([a-z0-9-]|\.(?!\.))*[a-z0-9]$/, "lowercase letters, digits, hyphens and single dots, starting and ending with a letter or digit", 3),
    backupVault: rule("AWS Backup vault name (auto-named)", 50, /^[A-Za-z0-9_-]+$/, "letters, digits, hyphens and underscores", 2),
    backupPlan: rule("AWS Backup plan or selection name", 50, /^[A-Za-z0-9_.-]+$/, "letters, digits and _ . -"),
    snsTopic: rule("SNS topic name (auto-named)", 256, /^[A-Za-z0-9_-]+$/, "letters, digits, hyphens and underscores"),
    cloudfrontPolicy: rule("CloudFront policy name", 128, /^[A-Za-z0-9_-]+$/, "letters, digits, hyphens and underscores"),
    wafName: rule("WAF web ACL name (auto-named)", 128, /^[\w-]+$/, "letters, digits, hyphens and underscores"),
    wafMetric: rule("WAF metric name", 128, /^[\w#:./-]+$/, "letters, digits and _ # : . / -"),
    lambdaFunction: rule("Lambda function name", 64, /^[A-Za-z0-9_-]+$/, "letters, digits, hyphens and underscores"),
    ampAlias: rule("Amazon Managed Prometheus workspace or scraper alias", 100, /^[0-9A-Za-z][-.0-9A-Za-z_]*$/, "letters, digits and - . _, starting with a letter or digit"),
    dashboard: rule("CloudWatch dashboard name", 255, /^[A-Za-z0-9_-]+$/, "letters, digits, hyphens and underscores"),
    k8sService: rule("Kubernetes Service name (DNS-1035 label)", 63, DNS_1035_LABEL, "lowercase letters, digits and hyphens, starting with a letter, ending with a letter or digit"),
    k8sObject: rule("Kubernetes object name (DNS-1123 subdomain)", 253, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, "lowercase letters, digits, hyphens and dots, starting and ending with a letter or digit"),
    k8sLabelValue: rule("Kubernetes label value", 63, /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, "letters, digits and - _ ., starting and ending with a letter or digit"),
} satisfies Record<string, NameRule>;

/** A kind of DNS label (Kubernetes namespaces and names): lowercase letters, digits and hyphens, at most 63. */
export const DNS_LABEL_PATTERN = DNS_LABEL;

/** Why a name breaks a rule, or undefined when it does not. */
export function nameRuleProblem(name: string, r: NameRule, autonamed = false): string | undefined {
    const max = autonamed ? r.max - AUTONAME_SUFFIX_LENGTH : r.max;
    if (name.length < r.min || name.length > max) {
        return `is ${name.length} characters, ${r.min}-${max} allowed${autonamed ? ` (${r.max} less the ${AUTONAME_SUFFIX_LENGTH} characters Pulumi's auto-naming appends)` : ""}`;
    }
    if (!r.pattern.test(name)) return `may hold only ${r.allowed}`;
    return undefined;
}

/** One name derived from the project and stack names. */
export interface DerivedName {
    name: string;
    rule: NameRule;
    /** Pulumi appends a random suffix to this (logical) name. */
    autonamed?: boolean;
}

/**
 * Every physical and Kubernetes name derived from the stack name that has a length or character rule, at
 * its longest (e.g. the 16th Aurora instance, the longest parameter group family): `prefix` is the
 * physical-name prefix (`${project}-${stack}`), `component` the topology's component name (the stack).
 */
export function derivedNames(prefix: string, component: string): DerivedName[] {
    const R = NAME_RULES;
    const eks = `${prefix}-eks`, aurora = `${prefix}-aurora`, redis = `${prefix}-redis`;
    return [
        { name: eks, rule: R.eksCluster },
        { name: `alias/eks/${eks}`, rule: R.kmsAlias },
        { name: `alias/${aurora}`, rule: R.kmsAlias },
        { name: `alias/${redis}`, rule: R.kmsAlias },
        { name: `alias/eks/${eks}/logs`, rule: R.kmsAlias },
        { name: `alias/vpc/${component}-net/flow-logs`, rule: R.kmsAlias },
        { name: `alias/cloudfront/${component}-cloudfront/logs`, rule: R.kmsAlias },
        { name: `${eks}-metrics`, rule: R.ampAlias },
        { name: `${eks}-scraper`, rule: R.ampAlias },
        { name: `${eks}-aws`, rule: R.dashboard },
        { name: `/aws/eks/${eks}/cluster`, rule: R.logGroup },
        { name: `/aws/rds/cluster/${aurora}/postgresql`, rule: R.logGroup },
        { name: `/elasticache/${redis}/engine-log`, rule: R.logGroup },
        { name: `/vpc/${component}-net/flow-logs`, rule: R.logGroup },
        { name: aurora, rule: R.rdsCluster },
        { name: `${aurora}-16`, rule: R.rdsInstance },
        { name: `${aurora}-final`, rule: R.rdsGroup },
        { name: `${aurora}-instance-aurora-postgresql17`, rule: R.rdsGroup },
        { name: `${aurora}-isolated`, rule: R.rdsGroup },
        { name: `${aurora}/master`, rule: R.secret },
        // Secrets Manager rotation: the serverless application's function.
        { name: `${prefix}-rotation-master`, rule: R.lambdaFunction },
        { name: `${redis}/auth-token`, rule: R.secret },
        // Disaster recovery (a primary): the global cluster, the global datastore's id suffix (held to the
        // replication group rule, as GlobalDataStores checks it), the secret replicas' key.
        { name: `${prefix}-global`, rule: R.rdsCluster },
        { name: `${prefix}-cache`, rule: R.elasticacheReplicationGroup },
        { name: `alias/${prefix}-secrets`, rule: R.kmsAlias },
        { name: redis, rule: R.elasticacheReplicationGroup },
        { name: `${redis}-isolated`, rule: R.elasticacheGroup },
        { name: `${redis}-valkey8`, rule: R.elasticacheGroup },
        { name: `${component}-cluster-autoscaler-role`, rule: R.iamRole, autonamed: true },
        { name: `${component}-aurora-monitoring-role`, rule: R.iamRole, autonamed: true },
        { name: `${component}-observability-grafana-role`, rule: R.iamRole, autonamed: true },
        { name: `${component}-observability-alerts-us-east-1-topic`, rule: R.snsTopic, autonamed: true },
        { name: `${component}-cluster-autoscaler-policy`, rule: R.iamPolicy, autonamed: true },
        { name: `${component}-backup-dr-vault`, rule: R.backupVault, autonamed: true },
        { name: `${component}-backup-plan`, rule: R.backupPlan, autonamed: true },
        { name: `${component}-backup-by-tag`, rule: R.backupPlan },
        { name: `${component}-backup-notifications`, rule: R.snsTopic, autonamed: true },
        { name: `${component}-cloudfront-logs`, rule: R.s3Bucket, autonamed: true },
        { name: `${component}-cloudfront-security-headers`, rule: R.cloudfrontPolicy },
        { name: `${component}-cloudfront-waf`, rule: R.wafName, autonamed: true },
        { name: `${component}-cloudfront-AWSManagedRulesKnownBadInputsRuleSet`, rule: R.wafMetric },
        { name: `${component}-pgbouncer-rw`, rule: R.k8sService },
        { name: `${component}-pgbouncer-ingress`, rule: R.k8sObject },
        { name: `${component}-pgbouncer-shared`, rule: R.k8sLabelValue },
    ];
}

/** The derived names a stack name breaks, one line each. */
function brokenNames(project: string, stack: string): string[] {
    return derivedNames(`${project}-${stack}`, stack).flatMap((d) => {
        const why = nameRuleProblem(d.name, d.rule, d.autonamed);
        return why ? [`${d.rule.what} "${d.name}" ${why}`] : [];
    });
}

/** The longest stack name (of letters) every derived name admits with this project name. */
export function maxStackNameLength(project: string): number {
    let n = 0;
    while (n < 100 && brokenNames(project, "a".repeat(n + 1)).length === 0) n++;
    return n;
}

/** The key problems about the stack name are reported under. */
export const STACK_NAME_KEY = "stack name";

/**
 * Problems with a stack name: every derived name it breaks. Stack names are lowercase letters, digits
 * and single hyphens, starting with a letter (the strictest of the rules above, for every derived name).
 */
export function stackNameProblems(project: string, stack: string): ConfigProblem[] {
    const broken = brokenNames(project, stack);
    const max = maxStackNameLength(project);
    const shape = /^[a-z]([a-z0-9]|-(?!-))*(?<!-)$/.test(stack);
    if (broken.length === 0 && shape) return [];
    const shown = broken.slice(0, 4).map((b) => `\n      ${b}`).join("") + (broken.length > 4 ? `\n      ... and ${broken.length - 4} more` : "");
    return [{
        key: STACK_NAME_KEY,
        value: stack,
        message: `cannot name this topology's resources: stack names are 1-${max} lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen (with project "${project}"; every physical name starts with "${project}-<stack>")${broken.length ? `; it would give:${shown}` : ""}\n    Create a stack with a valid name (pulumi stack init <name>) or rename it (pulumi stack rename <name>) before its first deployment.`,
    }];
}

/**
 * Names derived from the stack and a service name together: each service's secret-store IAM role is
 * auto-named `<stack>-svc-<service>-store-role`, so a long stack name leaves less room for service names.
 */
export function serviceNameProblems(stack: string, services: readonly { name: string }[]): ConfigProblem[] {
    return services.flatMap((s, i) => {
        const name = `${stack}-svc-${s.name}-store-role`;
        const why = nameRuleProblem(name, NAME_RULES.iamRole, true);
        if (!why) return [];
        const room = NAME_RULES.iamRole.max - AUTONAME_SUFFIX_LENGTH - `${stack}-svc--store-role`.length;
        return [{
            key: `scaling-topology:services[${i}].name`,
            value: s.name,
            message: `with stack "${stack}" gives the ${NAME_RULES.iamRole.what} "${name}", which ${why}; use a service name of at most ${Math.max(room, 0)} characters (or a shorter stack name)`,
        }];
    });
}

import * as crypto from "crypto";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PLATFORM_IMAGES } from "../catalog/images";
import * as random from "@pulumi/random";
import { AppDatabaseRole, cloneRoleName, DATABASE_ROLES_SQL_VERSION, renderDatabaseRolesSql, roleCredentialKeys } from "./databaseRolesSql";
import { externalSecret, ExternalSecretKey, namespaceSecretStore } from "./externalSecrets";
import { rdsCaBundle } from "./pgbouncer";
import { DATABASE_ROLES_JOB_RESOURCES } from "../sizing/capacity";

/** Arguments of {@link DatabaseRoles}. */
export interface DatabaseRolesArgs {
    /** The application roles, one per service. */
    roles: AppDatabaseRole[];
    /** Prefix of the Secrets Manager names: `<prefix>/roles/<role>`. */
    secretNamePrefix: string;
    /** Database the roles connect to. */
    databaseName: string;
    /** Aurora writer endpoint and port (the Job and the rotation function connect there). */
    writerEndpoint: pulumi.Input<string>;
    port: pulumi.Input<number>;
    /** The master secret (the Job reads it; multi-user rotation names it as `masterarn`). */
    masterSecretArn: pulumi.Input<string>;
    /** Aurora's KMS key: encrypts the role secrets as it does the master secret. */
    kmsKeyArn: pulumi.Input<string>;
    /** AWS region, and the cluster's OIDC provider (IRSA for the Job namespace's SecretStore). */
    region: string;
    oidcProviderArn: pulumi.Input<string>;
    oidcIssuerUrl: pulumi.Input<string>;
    /** The External Secrets Operator release (CRDs, webhook). */
    externalSecretsDependsOn: pulumi.Input<pulumi.Resource>[];
    /** Namespace of the Job (nothing else runs there). @default "database-roles" */
    namespace?: string;
    /** Image with `psql` (PostgreSQL 16 client). @default PSQL_IMAGE */
    image?: pulumi.Input<string>;
    /** Node selector and tolerations of the Job's pod. */
    nodeSelector?: Record<string, string>;
    tolerations?: k8s.types.input.core.v1.Toleration[];
    /** Prod: `protect` and `retainOnDelete` on the role secrets (a restored cluster needs them). @default false */
    protect?: boolean;
    /**
     * Regions the role secrets replicate to (a disaster-recovery primary: the standby reads them there, and
     * rotation here updates the replicas), each with a key of that region. @default none
     */
    secretReplicaRegions?: Array<{ region: string; kmsKeyId?: pulumi.Input<string> }>;
}

/** psql from the Docker official image, through ECR Public (no Docker Hub anonymous pull limit). */
export const PSQL_IMAGE = PLATFORM_IMAGES.psql;
const SQL_DIR = "/etc/database-roles/sql";
const CREDENTIALS_DIR = "/etc/database-roles/credentials";
const CA_DIR = "/etc/database-roles/ca";

/**
 * The application's database roles, created from inside the cluster:
 * - per role a Secrets Manager secret (Aurora's KMS key) in the rotation functions' format (`engine`, `host`,
 *   `port`, `dbname`, `username`, `password`, `masterarn`), created with two versions so that AWSPREVIOUS exists
 *   from the start: `<role>_clone` then `<role>` (AWSCURRENT), with generated initial passwords. Their values
 *   are Pulumi's only at creation (`ignoreChanges`): afterwards rotation owns them;
 * - a namespace where only the Job runs: a SecretStore (IRSA role that may read the master secret and the
 *   role secrets, nothing else) syncs them into a Secret only that namespace holds, a NetworkPolicy admits
 *   no ingress;
 * - a Job (named after the SQL version and hash: a changed script runs as a new Job) running the versioned,
 *   idempotent SQL of `databaseRolesSql.ts` with psql as the master user, TLS `verify-full` against the RDS CA.
 */
export class DatabaseRoles extends pulumi.ComponentResource {
    /** Secrets Manager ARN of each role's secret, by role. */
    public readonly roleSecretArns: Record<string, pulumi.Output<string>>;
    /** The Job: PgBouncer and the rotation wait for it. */
    public readonly job: k8s.batch.v1.Job;
    public readonly namespace: string;

    constructor(name: string, args: DatabaseRolesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:data:DatabaseRoles", name, {}, opts);
        const ns = args.namespace ?? "database-roles";
        this.namespace = ns;
        const protect = args.protect ?? false;
        const labels = { "app.kubernetes.io/name": "database-roles", "app.kubernetes.io/part-of": "scaling-topology", "app.kubernetes.io/managed-by": "pulumi" };

        this.roleSecretArns = {};
        for (const r of args.roles) {
            const secret = new aws.secretsmanager.Secret(`${name}-${r.role}-secret`, {
                name: `${args.secretNamePrefix}/roles/${r.role}`,
                description: `Database role ${r.role} (alternating with ${cloneRoleName(r.role)} under rotation)`,
                kmsKeyId: args.kmsKeyArn,
                recoveryWindowInDays: protect ? 30 : 0,
                replicas: args.secretReplicaRegions?.map((x) => ({ region: x.region, kmsKeyId: x.kmsKeyId })),
            }, { parent: this, protect, retainOnDelete: protect });
            const version = (login: string, role: "previous" | "current", dependsOn: pulumi.Resource[]) => {
                const pw = new random.RandomPassword(`${name}-${r.role}-${role}-password`, { length: 40, special: false }, { parent: this, additionalSecretOutputs: ["result"] });
                return new aws.secretsmanager.SecretVersion(`${name}-${r.role}-${role}`, {
                    secretId: secret.id,
                    secretString: pulumi.secret(pulumi.all([pw.result, args.writerEndpoint, args.port, args.masterSecretArn]).apply(([password, host, port, masterarn]) => JSON.stringify({
                        engine: "postgres", host, port, dbname: args.databaseName, username: login, password, masterarn,
                    }))),
                }, { parent: this, dependsOn, ignoreChanges: ["secretString"] });
            };
            // Created in this order, the role's version is AWSCURRENT and the alternate's AWSPREVIOUS.
            const previous = version(cloneRoleName(r.role), "previous", []);
            version(r.role, "current", [previous]);
            this.roleSecretArns[r.role] = secret.arn;
        }

        const namespace = new k8s.core.v1.Namespace(`${name}-ns`, {
            metadata: { name: ns, labels: { ...labels, "pod-security.kubernetes.io/enforce": "restricted" } },
        }, { parent: this });
        // Nothing connects to the Job.
        new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, {
            metadata: { name: "deny-ingress", namespace: namespace.metadata.name, labels },
            spec: { podSelector: {}, policyTypes: ["Ingress"] },
        }, { parent: this });
        const { store } = namespaceSecretStore(this, name, {
            namespace: namespace.metadata.name,
            storeName: "database-roles",
            region: args.region,
            oidcProviderArn: args.oidcProviderArn,
            oidcIssuerUrl: args.oidcIssuerUrl,
            secretArns: [args.masterSecretArn, ...Object.values(this.roleSecretArns)],
            kmsKeyArns: [args.kmsKeyArn],
            dependsOn: args.externalSecretsDependsOn,
            labels,
        });
        const keys: ExternalSecretKey[] = [
            { secretKey: "master.username", secretArn: args.masterSecretArn, property: "username" },
            { secretKey: "master.password", secretArn: args.masterSecretArn, property: "password" },
            ...args.roles.flatMap((r) => {
                const k = roleCredentialKeys(r.role);
                const arn = this.roleSecretArns[r.role];
                return [
                    { secretKey: k.currentUsername, secretArn: arn, property: "username" },
                    { secretKey: k.currentPassword, secretArn: arn, property: "password" },
                    { secretKey: k.previousUsername, secretArn: arn, property: "username", version: "AWSPREVIOUS" as const },
                    { secretKey: k.previousPassword, secretArn: arn, property: "password", version: "AWSPREVIOUS" as const },
                ];
            }),
        ];
        const credentials = externalSecret(this, `${name}-credentials`, { namespace: namespace.metadata.name, targetName: "database-roles-credentials", store, keys, labels });

        const sql = renderDatabaseRolesSql({
            database: args.databaseName,
            roles: args.roles,
            credentialFiles: (role) => {
                const k = roleCredentialKeys(role);
                return { currentUsername: `${CREDENTIALS_DIR}/${k.currentUsername}`, currentPassword: `${CREDENTIALS_DIR}/${k.currentPassword}`, previousUsername: `${CREDENTIALS_DIR}/${k.previousUsername}`, previousPassword: `${CREDENTIALS_DIR}/${k.previousPassword}` };
            },
        });
        const hash = crypto.createHash("sha256").update(sql).digest("hex").slice(0, 8);
        const config = new k8s.core.v1.ConfigMap(`${name}-sql`, {
            metadata: { name: "database-roles-sql", namespace: namespace.metadata.name, labels },
            data: { "roles.sql": sql, "rds-ca-bundle.pem": rdsCaBundle() },
        }, { parent: this });

        // The Job's own identity: no API token, and no Role in this namespace grants reading Secrets, so the
        // credentials Secret reaches nothing but this Job's pod (and cluster administrators).
        const jobSa = new k8s.core.v1.ServiceAccount(`${name}-job-sa`, {
            metadata: { name: "database-roles-job", namespace: namespace.metadata.name, labels },
            automountServiceAccountToken: false,
        }, { parent: this });
        // psql reads the master password from the mounted file into its own environment only.
        const connect = pulumi.all([args.writerEndpoint, args.port]).apply(([host, port]) =>
            `host=${host} port=${port} dbname=${args.databaseName} sslmode=verify-full sslrootcert=${CA_DIR}/rds-ca-bundle.pem connect_timeout=10`);
        this.job = new k8s.batch.v1.Job(`${name}-job`, {
            metadata: { name: `database-roles-v${DATABASE_ROLES_SQL_VERSION}-${hash}`, namespace: namespace.metadata.name, labels },
            spec: {
                backoffLimit: 6,
                activeDeadlineSeconds: 900,
                template: {
                    metadata: { labels },
                    spec: {
                        restartPolicy: "Never",
                        serviceAccountName: jobSa.metadata.name,
                        automountServiceAccountToken: false,
                        nodeSelector: { "kubernetes.io/os": "linux", ...(args.nodeSelector ?? {}) },
                        tolerations: args.tolerations,
                        securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } },
                        containers: [{
                            name: "psql",
                            image: args.image ?? PSQL_IMAGE,
                            command: ["/bin/sh", "-c", pulumi.interpolate`set -eu; export PGUSER="$(cat ${CREDENTIALS_DIR}/master.username)" PGPASSWORD="$(cat ${CREDENTIALS_DIR}/master.password)"; exec psql "${connect}" -X -v ON_ERROR_STOP=1 -f ${SQL_DIR}/roles.sql`],
                            env: [{ name: "HOME", value: "/tmp" }],
                            resources: { requests: { cpu: `${DATABASE_ROLES_JOB_RESOURCES.cpuMillis}m`, memory: `${DATABASE_ROLES_JOB_RESOURCES.memoryMiB}Mi` }, limits: { memory: `${2 * DATABASE_ROLES_JOB_RESOURCES.memoryMiB}Mi` } },
                            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } },
                            volumeMounts: [
                                { name: "sql", mountPath: SQL_DIR, readOnly: true },
                                { name: "ca", mountPath: CA_DIR, readOnly: true },
                                { name: "credentials", mountPath: CREDENTIALS_DIR, readOnly: true },
                                { name: "tmp", mountPath: "/tmp" },
                            ],
                        }],
                        volumes: [
                            { name: "sql", configMap: { name: config.metadata.name, items: [{ key: "roles.sql", path: "roles.sql" }] } },
                            { name: "ca", configMap: { name: config.metadata.name, items: [{ key: "rds-ca-bundle.pem", path: "rds-ca-bundle.pem" }] } },
                            { name: "credentials", secret: { secretName: "database-roles-credentials", defaultMode: 0o440 } },
                            { name: "tmp", emptyDir: { sizeLimit: "16Mi" } },
                        ],
                    },
                },
            },
        }, { parent: this, dependsOn: [credentials, config] });
        this.registerOutputs({ namespace: ns, roleSecretArns: this.roleSecretArns });
    }
}

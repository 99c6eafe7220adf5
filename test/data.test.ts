import { strict as assert } from "assert";
import * as path from "path";
import { resolveStackConfig } from "../sizing/stackConfig";
import { readStackFiles } from "../plan/stackFiles";
import { byName, childrenOf, configErrorOf, ofType, planWith, stackConfigValue, stackPlan } from "./helpers";
import { diffPlans } from "../plan/diff";
import { AURORA_INSTANCE_CLASSES, auroraMaxConnections, AWS_RESERVED_CONNECTIONS, connectionBudget } from "../sizing/connections";
import { EXPORTER_RESOURCES, renderPgBouncerIni, renderUserlist } from "../components/pgbouncerConfig";
import { capacityReport, pgbouncerWorkloads, stackWorkloads } from "../sizing/capacity";
import { BACKUP_TAG } from "../components/tags";

const pool = { defaultPoolSize: 20, reservePoolSize: 5, maxClientConn: 100, maxPreparedStatements: 200, serverLifetimeSeconds: 300, dnsMaxTtlSeconds: 5, queryWaitTimeoutSeconds: 30 };
const server = { host: "db.example", port: 5432, dbname: "app", sslmode: "verify-full" as const, caFile: "/ca.pem" };
const runtime = (version: string) => ({ version, listenAddr: "0.0.0.0", listenPort: 6432, authFile: "/s/userlist.txt" });

describe("data tier (Aurora, PgBouncer, Redis) in the plans", () => {
    for (const stack of ["dev", "prod"]) {
        const prod = stack === "prod";
        describe(`${stack} plan`, () => {
            // The validated config (defaults and derived sizing filled in), as the components get it.
            let aurora: any, redisCfg: any, pgb: any;
            before(() => {
                const c = resolveStackConfig(stack, readStackFiles(path.resolve(__dirname, ".."), stack).config);
                [aurora, redisCfg, pgb] = [c.aurora, c.redis, c.pgbouncer];
            });

            it(`has an encrypted Aurora cluster in the isolated subnets${prod ? ", deletion-protected, final snapshot, protect" : ", cheap to tear down"}`, async () => {
                const plan = await stackPlan(stack);
                const [cluster] = ofType(plan, "aws:rds/cluster:Cluster");
                const p = cluster.props as any;
                assert.equal(p.engine, "aurora-postgresql");
                assert.equal(p.storageEncrypted, true);
                const key = ofType(plan, "aws:kms/key:Key").find((k) => k.name === `${stack}-aurora-kms`)!;
                assert.match(p.kmsKeyId, /^arn:aws:kms:/);
                assert.equal(p.masterPassword, "[secret]");
                assert.equal(p.iamDatabaseAuthenticationEnabled, true);
                assert.deepEqual(p.enabledCloudwatchLogsExports, ["postgresql"]);
                assert.equal(p.copyTagsToSnapshot, true);
                assert.equal(p.backupRetentionPeriod, aurora.backupRetentionDays);
                assert.equal(p.tags[BACKUP_TAG.key], BACKUP_TAG.value, "AWS Backup selects the cluster by tag");
                assert.equal(p.deletionProtection, prod);
                assert.equal(p.skipFinalSnapshot, !prod);
                assert.equal(p.finalSnapshotIdentifier, prod ? `${p.clusterIdentifier}-final` : undefined);
                assert.equal(cluster.opts.protect ?? false, prod);
                assert.equal(key.opts.protect ?? false, prod);
                assert.equal(key.opts.retainOnDelete ?? false, prod);
                // Prod rotates the master password: Pulumi's generated one is only the initial value there; as a
                // disaster-recovery primary it leaves its global membership to AWS (the provider docs' ignoreChanges).
                assert.deepEqual(cluster.opts.ignoreChanges, prod ? ["availabilityZones", "masterPassword", "globalClusterIdentifier"] : ["availabilityZones"]);
                // The exported PostgreSQL log (slow statements with their text) is encrypted with the same key,
                // which lets CloudWatch Logs use it for that log group only.
                const log = byName(plan, `${stack}-aurora-postgresql-log`).props as any;
                assert.equal(log.kmsKeyId, p.kmsKeyId);
                const logs = JSON.parse((key.props as any).policy).Statement.find((x: any) => x.Principal.Service === "logs.eu-west-1.amazonaws.com");
                assert.deepEqual(logs.Condition.ArnEquals["kms:EncryptionContext:aws:logs:arn"], [`arn:aws:logs:eu-west-1:123456789012:log-group:${log.name}`]);
                const subnetGroup = ofType(plan, "aws:rds/subnetGroup:SubnetGroup")[0];
                assert.deepEqual(subnetGroup.props.subnetIds, plan.outputs.isolatedSubnetIds);
            });

            it(`has a writer and the configured readers across zones with promotion tiers, Performance Insights and enhanced monitoring`, async () => {
                const plan = await stackPlan(stack);
                const instances = ofType(plan, "aws:rds/clusterInstance:ClusterInstance");
                assert.equal(instances.length, 1 + aurora.readers);
                assert.ok(instances.length >= 2);
                assert.equal(new Set(instances.map((i) => i.props.availabilityZone)).size, Math.min(3, instances.length), "spread across zones");
                assert.deepEqual(instances.map((i) => i.props.promotionTier).sort(), instances.map((_, i) => i));
                for (const i of instances) {
                    const p = i.props as any;
                    assert.equal(p.publiclyAccessible, false);
                    assert.equal(p.performanceInsightsEnabled, true);
                    assert.match(p.performanceInsightsKmsKeyId, /^arn:aws:kms:/);
                    assert.ok(p.monitoringInterval > 0 && typeof p.monitoringRoleArn === "string");
                    assert.equal(i.opts.protect ?? false, prod);
                }
            });

            it("autoscales readers on rds:cluster:ReadReplicaCount with the configured bounds", async () => {
                const plan = await stackPlan(stack);
                const [target] = ofType(plan, "aws:appautoscaling/target:Target");
                assert.equal(target.props.scalableDimension, "rds:cluster:ReadReplicaCount");
                assert.equal(target.props.minCapacity, aurora.readerAutoscaling.minReaders);
                assert.equal(target.props.maxCapacity, aurora.readerAutoscaling.maxReaders);
                const [policy] = ofType(plan, "aws:appautoscaling/policy:Policy");
                const t = (policy.props as any).targetTrackingScalingPolicyConfiguration;
                assert.equal(t.predefinedMetricSpecification.predefinedMetricType, "RDSReaderAverageCPUUtilization");
                assert.equal(t.targetValue, aurora.readerAutoscaling.target);
            });

            it("admits only the EKS cluster security group to Aurora and Redis", async () => {
                const plan = await stackPlan(stack);
                const clusterSg = plan.outputs.clusterSecurityGroupId;
                for (const comp of ["AuroraPostgres", "RedisCache"]) {
                    const c = ofType(plan, `scaling:data:${comp}`)[0];
                    const rules = childrenOf(plan, c).filter((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
                    assert.ok(rules.length >= 1, comp);
                    for (const r of rules) {
                        assert.equal(r.props.referencedSecurityGroupId, clusterSg);
                        assert.equal(r.props.cidrIpv4, undefined);
                        assert.equal(r.props.fromPort, comp === "RedisCache" ? 6379 : 5432);
                    }
                    const sg = childrenOf(plan, c).find((r) => r.type === "aws:ec2/securityGroup:SecurityGroup")!;
                    assert.ok(!sg.props.ingress || (sg.props.ingress as unknown[]).length === 0, "no inline rules");
                }
            });

            it("renders PgBouncer ConfigMaps with transaction pooling and verify-full TLS to the right endpoints; credentials only in a Secret", async () => {
                const plan = await stackPlan(stack);
                const ini = (role: string) => (byName(plan, `${stack}-pgbouncer-${role}-config`).props as any).data["pgbouncer.ini"] as string;
                for (const [role, cfg, endpoint] of [["rw", pgb.readWrite, plan.outputs.auroraWriterEndpoint], ["ro", pgb.readOnly, plan.outputs.auroraReaderEndpoint]]) {
                    const text = ini(role);
                    assert.match(text, /^pool_mode = transaction$/m);
                    assert.match(text, new RegExp(`^default_pool_size = ${cfg.defaultPoolSize}$`, "m"));
                    assert.match(text, new RegExp(`^reserve_pool_size = ${cfg.reservePoolSize}$`, "m"));
                    assert.match(text, new RegExp(`^max_db_connections = ${cfg.defaultPoolSize + cfg.reservePoolSize}$`, "m"));
                    assert.match(text, /^max_prepared_statements = \d+$/m);
                    assert.match(text, /^server_tls_sslmode = verify-full$/m);
                    assert.match(text, /^server_tls_ca_file = \/etc\/pgbouncer-ca\/rds-ca-bundle\.pem$/m);
                    assert.match(text, /^dns_max_ttl = 5$/m);
                    assert.match(text, /^client_tls_sslmode = require$/m);
                    assert.match(text, /^client_tls_cert_file = \/etc\/pgbouncer-tls\/tls\.crt$/m);
                    assert.match(text, new RegExp(`^app = host=${String(endpoint).replace(/\./g, "\\.")} port=5432 dbname=app$`, "m"));
                    assert.doesNotMatch(text, /password/i);
                }
                const secret = byName(plan, `${stack}-pgbouncer-stats`);
                assert.equal((secret.props as any).stringData, "[secret]");
                // The server certificate comes from cert-manager (test/certificates.test.ts): its CA key pair is a secret.
                const caKeyPair = byName(plan, `${stack}-pgbouncer-ca-keypair`);
                assert.equal((caKeyPair.props as any).type, "kubernetes.io/tls");
                assert.equal((caKeyPair.props as any).stringData, "[secret]", "the key is a secret, so the whole stringData is");
                const cert = (byName(plan, `${stack}-pgbouncer-server-cert`).props as any).spec;
                assert.ok(cert.dnsNames.includes(`${stack}-pgbouncer-rw.pgbouncer.svc.cluster.local`) && cert.dnsNames.includes(`${stack}-pgbouncer-ro.pgbouncer.svc`));
                assert.match(String(plan.outputs.pgbouncerClientCaCert), /BEGIN CERTIFICATE/);
                const ca = (byName(plan, `${stack}-pgbouncer-rds-ca`).props as any).data["rds-ca-bundle.pem"] as string;
                assert.ok((ca.match(/BEGIN CERTIFICATE/g) ?? []).length > 10, "the RDS CA bundle");
            });

            it("scales each PgBouncer pool on its own: HPA, PDB, zone spread, probes, exporter", async () => {
                const plan = await stackPlan(stack);
                for (const [role, cfg] of [["rw", pgb.readWrite], ["ro", pgb.readOnly]]) {
                    const hpa = byName(plan, `${stack}-pgbouncer-${role}-hpa`).props as any;
                    assert.equal(hpa.spec.minReplicas, cfg.minReplicas);
                    assert.equal(hpa.spec.maxReplicas, cfg.maxReplicas);
                    assert.equal(hpa.spec.scaleTargetRef.name, `${stack}-pgbouncer-${role}`);
                    const pdb = byName(plan, `${stack}-pgbouncer-${role}-pdb`).props as any;
                    assert.equal(pdb.spec.maxUnavailable, 1);
                    const dep = byName(plan, `${stack}-pgbouncer-${role}`);
                    const spec = (dep.props as any).spec.template.spec;
                    assert.ok(spec.topologySpreadConstraints.some((t: any) => t.topologyKey === "topology.kubernetes.io/zone"));
                    assert.ok(spec.affinity.podAntiAffinity);
                    assert.deepEqual(spec.containers.map((c: any) => c.name), ["pgbouncer", "exporter"]);
                    for (const c of spec.containers) assert.ok(c.readinessProbe && c.livenessProbe, c.name);
                    assert.ok(dep.opts.ignoreChanges?.includes("spec.replicas"), "the HPA owns replicas");
                }
            });

            it("has a Redis replication group with TLS, an auth token, at-rest encryption, failover, multi-AZ, snapshots and logs", async () => {
                const plan = await stackPlan(stack);
                const [g] = ofType(plan, "aws:elasticache/replicationGroup:ReplicationGroup");
                const p = g.props as any;
                assert.equal(p.engine, redisCfg.engine);
                assert.equal(p.clusterMode, "enabled");
                assert.equal(p.numNodeGroups, redisCfg.shards);
                assert.equal(p.replicasPerNodeGroup, redisCfg.replicasPerShard);
                assert.equal(p.transitEncryptionEnabled, true);
                assert.equal(p.transitEncryptionMode, "required");
                assert.equal(p.authToken, "[secret]");
                assert.equal(p.atRestEncryptionEnabled, true);
                assert.match(p.kmsKeyId, /^arn:aws:kms:/);
                assert.equal(p.automaticFailoverEnabled, true);
                assert.equal(p.multiAzEnabled, true);
                assert.ok(p.snapshotRetentionLimit >= 1);
                assert.deepEqual(p.logDeliveryConfigurations.map((l: any) => l.logType).sort(), ["engine-log", "slow-log"]);
                for (const l of p.logDeliveryConfigurations) assert.equal((byName(plan, `${stack}-redis-${l.logType}`).props as any).kmsKeyId, p.kmsKeyId, `${l.logType} encrypted with the cache's key`);
                assert.equal(p.finalSnapshotIdentifier, prod ? `${p.replicationGroupId}-final` : undefined);
                assert.equal(g.opts.protect ?? false, prod);
                const params = ofType(plan, "aws:elasticache/parameterGroup:ParameterGroup")[0].props as any;
                assert.ok(params.parameters.some((x: any) => x.name === "maxmemory-policy" && x.value === redisCfg.maxmemoryPolicy));
                assert.ok(params.parameters.some((x: any) => x.name === "cluster-enabled" && x.value === "yes"));
            });
        });
    }

    it("in preview mode (endpoints unknown) the data tier plans without crashing", async () => {
        const plan = await stackPlan("dev", true);
        const cm = byName(plan, "dev-pgbouncer-rw-config");
        assert.equal((cm.props as any).data?.["pgbouncer.ini"] ?? "[unknown]", "[unknown]");
        assert.equal(plan.outputs.auroraWriterEndpoint, "[unknown]");
    });
});

describe("connection budget", () => {
    it("computes Aurora PostgreSQL's default max_connections per class: LEAST(DBInstanceClassMemory/9531392, 5000)", () => {
        assert.equal(auroraMaxConnections("db.t4g.medium"), 405);
        assert.equal(auroraMaxConnections("db.r7g.large"), 1622);
        assert.equal(auroraMaxConnections("db.r7g.2xlarge"), 5000);
        assert.equal(auroraMaxConnections("db.r7g.large", 3000), 3000);
    });

    it("bounds the reader endpoint by the writer's class when autoscaling adds readers, and the writer by a promotable reader", () => {
        const base = { instanceClass: "db.r7g.large", readerInstanceClass: "db.r7g.4xlarge", readers: 2, connectionHeadroom: 20 };
        const pools = { readWrite: { defaultPoolSize: 50, reservePoolSize: 10, maxReplicas: 10 }, readOnly: { defaultPoolSize: 100, reservePoolSize: 0, maxReplicas: 20 } };
        const [, ro] = connectionBudget({ ...base }, pools);
        assert.equal(ro.maxConnections, 5000);
        assert.ok(ro.ok);
        const [, roScaled] = connectionBudget({ ...base, readerAutoscaling: { minReaders: 2, maxReaders: 6 } }, pools);
        assert.equal(roScaled.instanceClass, "db.r7g.large");
        assert.match(roScaled.limitingInstance, /autoscaling/);
        assert.equal(roScaled.available, 1622 - AWS_RESERVED_CONNECTIONS - 20);
        assert.equal(roScaled.ok, false, "2000 connections do not fit a db.r7g.large reader");
        const [rw] = connectionBudget({ ...base, instanceClass: "db.r7g.2xlarge", readerInstanceClass: "db.r7g.large" }, pools);
        assert.equal(rw.instanceClass, "db.r7g.large");
        assert.match(rw.limitingInstance, /failover/);
    });

    it("refuses a pool budget over max_connections with an error naming both sides", async () => {
        const c = resolveStackConfig("dev", readStackFiles(path.resolve(__dirname, ".."), "dev").config);
        const pgb = stackConfigValue("dev", "scaling-topology:pgbouncer");
        const aurora = c.aurora;
        const max = auroraMaxConnections(aurora.instanceClass, aurora.maxConnections);
        const headroom = aurora.connectionHeadroom;
        // One more server connection than the writer allows, spread over 3 pods.
        const perPod = Math.ceil((max - AWS_RESERVED_CONNECTIONS - headroom + 1) / 3);
        const e = await configErrorOf("dev", { "scaling-topology:pgbouncer": { ...pgb, readWrite: { ...pgb.readWrite, defaultPoolSize: perPod - 1, reservePoolSize: 1, maxReplicas: 3 } } });
        const p = e.problems.find((x) => x.key === "scaling-topology:pgbouncer.readWrite");
        assert.ok(p, e.message);
        assert.match(p!.message, new RegExp(`= ${perPod}\\) x maxReplicas 3 = ${perPod * 3} server connections to the writer endpoint`));
        assert.match(p!.message, new RegExp(`\\(${aurora.instanceClass.replace(/\./g, "\\.")}\\) allows max_connections ${max} - ${AWS_RESERVED_CONNECTIONS} reserved for AWS - ${headroom} headroom = ${max - AWS_RESERVED_CONNECTIONS - headroom}`));
        assert.match(e.message, /scaling-topology:aurora/);
    });
});

const SIZE_ORDER = ["micro", "small", "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"];
const REDIS_SIZES = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"];
/** The next larger size of the same family among the known classes (the same one at the top). */
function nextSize(cls: string, known: readonly string[]): string {
    const family = cls.slice(0, cls.lastIndexOf("."));
    const rank = (c: string) => SIZE_ORDER.indexOf(c.slice(c.lastIndexOf(".") + 1));
    const bigger = known.filter((k) => k.startsWith(`${family}.`) && rank(k) > rank(cls)).sort((x, y) => rank(x) - rank(y));
    return bigger[0] ?? cls;
}

describe("data tier changes in place", () => {
    it("scaling Aurora, Redis and the pools up replaces no stateful resource (plan diff against prod)", async () => {
        const base = await stackPlan("prod");
        const c = resolveStackConfig("prod", readStackFiles(path.resolve(__dirname, ".."), "prod").config);
        const a = c.aurora, r = c.redis, p = c.pgbouncer;
        const instanceClass = nextSize(a.instanceClass, AURORA_INSTANCE_CLASSES);
        const head = await planWith("prod", {
            "scaling-topology:aurora": { ...a, instanceClass, readers: a.readers + 1, readerAutoscaling: { ...a.readerAutoscaling!, minReaders: a.readers + 1, maxReaders: Math.max(a.readerAutoscaling!.maxReaders, a.readers + 1) }, backupRetentionDays: 30, logMinDurationMs: 250 },
            "scaling-topology:redis": { ...r, nodeType: nextSize(r.nodeType, REDIS_SIZES.map((x) => r.nodeType.replace(/\.[^.]+$/, `.${x}`))), shards: r.shards + 1, snapshotRetentionDays: r.snapshotRetentionDays + 1 },
            "scaling-topology:pgbouncer": { ...p, readOnly: { ...p.readOnly, maxReplicas: p.readOnly.maxReplicas + 1, defaultPoolSize: p.readOnly.defaultPoolSize - 1 } },
        });
        const d = diffPlans(base, head);
        const changed = d.changes.filter((x) => x.op !== "same");
        const of = (type: string) => changed.filter((x) => x.type === type);
        assert.deepEqual(of("aws:rds/cluster:Cluster").map((x) => x.op), ["update"]);
        assert.deepEqual(of("aws:elasticache/replicationGroup:ReplicationGroup").map((x) => x.op), ["update"]);
        // Every existing instance changes class in place (when a larger one exists); the new reader is created.
        const resized = instanceClass !== a.instanceClass ? Array(1 + a.readers).fill("update") : [];
        assert.deepEqual(of("aws:rds/clusterInstance:ClusterInstance").map((x) => x.op).sort(), ["create", ...resized]);
        assert.deepEqual(changed.filter((x) => x.destructive || x.op === "replace" || x.op === "delete").map((x) => `${x.op} ${x.name}`), []);
    });
});

describe("PgBouncer in the node capacity check", () => {
    it("counts both pools at maxReplicas x (PgBouncer + exporter requests) on the application node group", () => {
        const c = resolveStackConfig("dev", readStackFiles(path.resolve(__dirname, ".."), "dev").config);
        const w = pgbouncerWorkloads(c);
        assert.deepEqual(w.map((x) => x.key), ["scaling-topology:pgbouncer.readWrite.maxReplicas", "scaling-topology:pgbouncer.readOnly.maxReplicas"]);
        assert.equal(w[0].replicas, c.pgbouncer.readWrite.maxReplicas);
        assert.equal(w[0].cpuMillis, c.pgbouncer.cpuMillis + EXPORTER_RESOURCES.cpuMillis);
        assert.equal(w[0].nodeGroup, c.cluster.nodeGroups.find((g) => g.role === "application")!.name);
        assert.ok(stackWorkloads(c).some((x) => x.name === "PgBouncer readWrite"), "counted in the stack's workloads");
        const group = capacityReport(c).find((g) => g.nodeGroup === w[0].nodeGroup)!;
        assert.ok(group.workloads.some((x) => x.name === "PgBouncer readOnly"));
    });

    it("refuses PgBouncer pods that do not fit the node group, naming the pool", async () => {
        const pgb = stackConfigValue("dev", "scaling-topology:pgbouncer");
        // Tiny pools (inside the connection budget) but 3-vCPU pods x 40: more than the group offers.
        const tiny = { minReplicas: 2, maxReplicas: 40, defaultPoolSize: 1, reservePoolSize: 0 };
        const e = await configErrorOf("dev", { "scaling-topology:pgbouncer": { ...pgb, cpuMillis: 3000, readWrite: { ...pgb.readWrite, ...tiny }, readOnly: { ...pgb.readOnly, ...tiny } } });
        assert.ok(e.problems.some((p) => /^scaling-topology:pgbouncer\.read(Write|Only)\.maxReplicas$/.test(p.key) && /PgBouncer/.test(p.message)), e.message);
    });
});

describe("pgbouncer.ini renderer", () => {
    it("leaves out settings the target PgBouncer version does not know (max_prepared_statements < 1.21)", () => {
        assert.match(renderPgBouncerIni(pool, server, runtime("1.23.1")), /^max_prepared_statements = 200$/m);
        assert.doesNotMatch(renderPgBouncerIni(pool, server, runtime("1.18.0")), /max_prepared_statements/);
    });
    it("writes no CA file without TLS, and quotes userlist values as PgBouncer reads them", () => {
        const ini = renderPgBouncerIni(pool, { ...server, sslmode: "disable" }, runtime("1.23.1"));
        assert.match(ini, /^server_tls_sslmode = disable$/m);
        assert.doesNotMatch(ini, /server_tls_ca_file/);
        assert.equal(renderUserlist([{ name: "app", password: 'p"w' }]), '"app" "p""w"\n');
    });
});

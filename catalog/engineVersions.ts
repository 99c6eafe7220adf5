/**
 * Engine versions the data tier may run: pure, dated data (no imports), read by the config schema. A version
 * outside these lists is refused at config time (the API would refuse it during `pulumi up`, after the
 * network and the cluster were created).
 *
 * Aurora PostgreSQL: the minor versions of the Aurora PostgreSQL release notes ("Aurora PostgreSQL updates",
 * docs.aws.amazon.com/AmazonRDS/latest/AuroraPostgreSQLReleaseNotes/AuroraPostgreSQL.Updates.html), majors
 * 13-17, recorded 2026-11-30. AWS retires old minors over time (a retired minor cannot be created, and an
 * existing cluster on it is upgraded in its maintenance window): check a version before a new stack with
 * `aws rds describe-db-engine-versions --engine aurora-postgresql --query 'DBEngineVersions[].EngineVersion'`.
 *
 * ElastiCache: the engine versions of "Supported ElastiCache versions"
 * (docs.aws.amazon.com/AmazonElastiCache/latest/dg/engine-versions.html), recorded 2026-11-30; Redis OSS 6
 * and older are excluded (no parameter family the Redis component writes).
 */
export const ENGINE_VERSIONS_RECORDED = "2026-11-30";

const minors = (major: number, list: number[]) => list.map((m) => `${major}.${m}`);

/** Aurora PostgreSQL `major.minor` engine versions. */
export const AURORA_POSTGRESQL_VERSIONS: readonly string[] = Object.freeze([
    ...minors(13, [12, 13, 14, 15, 16, 18, 20, 21, 22, 23]),
    ...minors(14, [9, 10, 11, 12, 13, 15, 17, 18, 19, 20]),
    ...minors(15, [4, 5, 6, 7, 8, 10, 12, 13, 14, 15]),
    ...minors(16, [1, 2, 3, 4, 6, 8, 9, 10, 11]),
    ...minors(17, [4, 5, 6, 7, 9, 10]),
]);

/** ElastiCache engine versions by engine. */
export const ELASTICACHE_VERSIONS: Readonly<Record<"valkey" | "redis", readonly string[]>> = Object.freeze({
    valkey: ["7.2", "8.0", "8.1"],
    redis: ["7.0", "7.1"],
});

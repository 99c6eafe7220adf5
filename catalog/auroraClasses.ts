/**
 * Aurora PostgreSQL provisioned instance classes and their nominal memory: pure data (no imports), read
 * by the config schema (which classes exist) and by the connection budget (memory per class).
 *
 * Source: "Supported DB engines for DB instance classes" and "Hardware specifications for DB instance
 * classes" of the Aurora User Guide (docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.DBInstanceClass.html),
 * recorded 2026-11-30 (`AURORA_CLASSES_RECORDED`). Not every class is offered in every region and engine
 * version: `aws rds describe-orderable-db-instance-options --engine aurora-postgresql --engine-version <v>`.
 */
export const AURORA_CLASSES_RECORDED = "2026-11-30";

/** Nominal memory (GiB) by size, for the memory-optimised families Aurora PostgreSQL supports. */
const R_SIZES: Record<string, number> = { large: 16, xlarge: 32, "2xlarge": 64, "4xlarge": 128, "8xlarge": 256, "12xlarge": 384, "16xlarge": 512, "24xlarge": 768 };
const X2G_SIZES: Record<string, number> = { large: 32, xlarge: 64, "2xlarge": 128, "4xlarge": 256, "8xlarge": 512, "12xlarge": 768, "16xlarge": 1024 };

/**
 * Nominal memory (GiB) of the Aurora PostgreSQL provisioned instance classes this program accepts.
 * Burstable classes are for dev only.
 */
export const INSTANCE_CLASS_MEMORY_GIB: Readonly<Record<string, number>> = Object.freeze({
    "db.t3.medium": 4,
    "db.t4g.medium": 4,
    "db.t3.large": 8,
    "db.t4g.large": 8,
    ...Object.fromEntries(
        ["r5", "r6g", "r6i", "r7g", "r7i", "r8g"].flatMap((family) =>
            Object.entries(R_SIZES)
                // Graviton families stop at 16xlarge.
                .filter(([size]) => !(size === "24xlarge" && family.endsWith("g")))
                .map(([size, gib]) => [`db.${family}.${size}`, gib]),
        ),
    ),
    ...Object.fromEntries(Object.entries(X2G_SIZES).map(([size, gib]) => [`db.x2g.${size}`, gib])),
});

export const AURORA_INSTANCE_CLASSES = Object.keys(INSTANCE_CLASS_MEMORY_GIB).sort();

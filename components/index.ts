export * from "./network";
export * from "./tags";
export * from "./cloudfrontEdge";
export * from "./cloudflareEdge";
export * from "./backupPlan";

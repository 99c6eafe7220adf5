export * from "./network";
export * from "./tags";

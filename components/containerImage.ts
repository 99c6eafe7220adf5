/** A container image: repository, tag and (for a pinned default) the digest of the tag's image index. */
export interface ContainerImage {
    /** Registry and repository, e.g. `docker.io/envoyproxy/envoy`. */
    repository: string;
    /** Tag, e.g. `distroless-v1.39.1` (kept for people reading the manifest). */
    tag: string;
    /** `sha256:...` of the tag's (multi-architecture) index: what the node pulls. @default none (the tag alone) */
    digest?: string;
}

/** `repository:tag@digest` (or `repository:tag`). */
export function imageReference(i: ContainerImage): string {
    return `${i.repository}:${i.tag}${i.digest ? `@${i.digest}` : ""}`;
}

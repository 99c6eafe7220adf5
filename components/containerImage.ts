/** A container image: repository, tag and (for a pinned default) the digest of the tag's image index. */
export interface ContainerImage {
    /** Registry and repository, e.g. `docker.io/envoyproxy/envoy`. */
    repository: string;
    /** Tag, e.g. `distroless-v1.39.1` (kept for people reading the manifest). */
    tag: string;
    /** `sha256:...` of the tag's (multi-architecture) index: what the node pulls. @default none (the tag alone) */
    digest?: string;
}

import * as pulumi from "@pulumi/pulumi";
import { cachedImageRef } from "../catalog/images";

/**
 * The reference pods pull: through the ECR pull-through cache when its registry host is given
 * (`ImageCache.registry`), else as it is.
 */
export function pullReference(ref: string, cacheRegistry?: pulumi.Input<string>): pulumi.Output<string> {
    return cacheRegistry === undefined ? pulumi.output(ref) : pulumi.output(cacheRegistry).apply((r) => cachedImageRef(ref, r));
}

/** Chart values `{ repository, tag }` of a full reference (charts print `repository:tag`; a digest rides on the tag). */
export function chartImage(ref: pulumi.Input<string>) {
    const split = pulumi.output(ref).apply((r) => {
        const at = r.indexOf("@");
        const name = at >= 0 ? r.slice(0, at) : r;
        const colon = name.lastIndexOf(":");
        if (colon < 0 || name.slice(colon).includes("/")) throw new Error(`image "${r}" needs a tag`);
        return { repository: name.slice(0, colon), tag: name.slice(colon + 1) + (at >= 0 ? r.slice(at) : "") };
    });
    return { repository: split.repository, tag: split.tag };
}

/** `repository:tag@digest` (or `repository:tag`). */
export function imageReference(i: ContainerImage): string {
    return `${i.repository}:${i.tag}${i.digest ? `@${i.digest}` : ""}`;
}

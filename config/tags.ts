/**
 * AWS tag rules for `scaling-topology:tags`, and how many tags the components add themselves: AWS refuses
 * a resource with more than 50 user tags (`aws:` tags do not count), keys or values with other characters,
 * and keys in the reserved `aws:` prefix.
 */
import { z } from "zod";
import type { ConfigCheck } from "./index";

/** The characters AWS allows in tag keys and values (letters, digits and spaces in any language, and `_ . : / = + - @`). */
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export const TagKey = z.string()
    .min(1, { message: "tag keys are 1-128 characters" })
    .max(128, { message: "tag keys are 1-128 characters" })
    .regex(TAG_CHARS, { message: "tag keys may hold letters, digits, spaces and _ . : / = + - @ only" })
    .refine((k) => !/^aws:/i.test(k), { message: "the aws: prefix is reserved for AWS's own tags" });

export const TagValue = z.string()
    .max(256, { message: "tag values are at most 256 characters" })
    .regex(TAG_CHARS, { message: "tag values may hold letters, digits, spaces and _ . : / = + - @ only" });

/** AWS's limit of user tags on one resource. */
export const MAX_TAGS_PER_RESOURCE = 50;

/** Tag keys the topology puts on every AWS resource through its providers' default tags (`ScalingTopology`). */
export const STACK_TAG_KEYS = ["project", "stack", "environment", "managed-by"] as const;

/**
 * The most tags a component sets on one resource itself (subnets: `Name`, `tier`,
 * `kubernetes.io/cluster/<cluster>`, `kubernetes.io/role/elb`); `test/names.test.ts` checks it against the plans.
 */
export const MAX_COMPONENT_TAGS = 4;

export const tagChecks: ConfigCheck[] = [
    {
        needs: ["tags"],
        check: ({ tags }) => {
            const extra = Object.keys(tags).filter((k) => !(STACK_TAG_KEYS as readonly string[]).includes(k));
            const total = STACK_TAG_KEYS.length + MAX_COMPONENT_TAGS + extra.length;
            return total > MAX_TAGS_PER_RESOURCE
                ? [{
                    key: "scaling-topology:tags",
                    value: `${Object.keys(tags).length} tags`,
                    message: `would put ${total} tags on some resources (these ${extra.length}, the ${STACK_TAG_KEYS.length} stack tags ${STACK_TAG_KEYS.join(", ")} and up to ${MAX_COMPONENT_TAGS} a component adds); AWS allows ${MAX_TAGS_PER_RESOURCE} per resource: keep at most ${MAX_TAGS_PER_RESOURCE - STACK_TAG_KEYS.length - MAX_COMPONENT_TAGS} here`,
                }]
                : [];
        },
    },
];

import { strict as assert } from "assert";
import { STATEFUL_TYPES } from "../plan/replacements";
import { stackPlan } from "./helpers";

describe("stack protections", () => {
    it("prod protects every stateful resource (the types of plan/replacements.ts) with Pulumi `protect`", async () => {
        const plan = await stackPlan("prod");
        const types = new Set(STATEFUL_TYPES.map((t) => t.type));
        const stateful = plan.resources.filter((r) => types.has(r.type));
        // Never vacuous: the network alone has a VPC and nine subnets.
        assert.ok(stateful.some((r) => r.type === "aws:ec2/vpc:Vpc"));
        assert.ok(stateful.filter((r) => r.type === "aws:ec2/subnet:Subnet").length >= 9);
        const unprotected = stateful.filter((r) => r.opts.protect !== true).map((r) => `${r.type} ${r.name}`);
        assert.deepEqual(unprotected, [], "a stateful prod resource without protect: `pulumi up` could delete it (and its data) on a rename or a replacement");
    });
});

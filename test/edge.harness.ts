/**
 * Builds components directly under the offline plan's mocks (no program, no stack file) and records
 * every registration, so component tests can read both the recorded inputs and the resources' outputs
 * (including secret-bearing ones the plan only shows as "[secret]").
 */
import * as pulumi from "@pulumi/pulumi";
import { createMocks, MOCK_ACCOUNT_ID } from "../plan/mocks";
import { RecordedResource, RecordingMonitor } from "../plan/recorder";

export interface Built<T> {
    result: T;
    records: RecordedResource[];
}

/** Runs `build` under fresh mocks (update mode unless `preview`) and waits for every registration. */
export async function underMocks<T>(build: () => T, preview = false): Promise<Built<T>> {
    const mocks = createMocks({ region: "eu-west-1", accountId: MOCK_ACCOUNT_ID, stack: "unit" }, preview);
    await pulumi.runtime.setMocks(mocks, "scaling-topology", "unit", preview);
    const monitor = new RecordingMonitor(mocks);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("@pulumi/pulumi/runtime/state").getStore().settings.monitor = monitor;
    const result = build();
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    return { result, records: monitor.records };
}

/** The resolved value of an output (undefined while unknown, as in preview). */
export function valueOf<T>(o: pulumi.Output<T>): Promise<T | undefined> {
    return new Promise((resolve) => {
        (o as any).isKnown.then((known: boolean) => (known ? o.apply((v) => { resolve(v); return v; }) : resolve(undefined)));
    });
}

export const recordsOf = (records: RecordedResource[], type: string) => records.filter((r) => r.type === type);

/**
 * Builds components directly under the offline plan's mocks (no program, no stack file) and records
 * every registration, so component tests can read both the recorded inputs and the resources' outputs
 * (including secret-bearing ones the plan only shows as "[secret]").
 */
import * as pulumi from "@pulumi/pulumi";
import { RecordedResource } from "../plan/recorder";
import { installRecordingMocks } from "../plan/run";

export interface Built<T> {
    result: T;
    records: RecordedResource[];
}

/** Runs `build` under fresh mocks (update mode unless `preview`) and waits for every registration. */
export async function underMocks<T>(build: () => T, preview = false): Promise<Built<T>> {
    const monitor = await installRecordingMocks({ project: "scaling-topology", stack: "unit", region: "eu-west-1", preview });
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

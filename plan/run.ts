/**
 * The offline plan: runs the real program (`index.ts`) under Pulumi's mock runtime with the stack's
 * config, and returns every resource it registered plus the stack outputs.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { createMocks, MOCK_ACCOUNT_ID, StackReferenceOutputs } from "./mocks";
import { RecordedResource, RecordingMonitor, withInProcessStructs } from "./recorder";
import { failingOnUnhandledRejections, withoutSdkDiagnostics } from "./programRun";
import { readStackFiles } from "./stackFiles";
import { sizingForConfig } from "./sizing";
import { recoveryForConfig, referencedStacks } from "./recovery";
import { ConfigCheck, ParseOptions, PROJECT } from "../config";
import { ConfigError } from "../config/errors";
import { resolveStackConfig } from "../sizing/stackConfig";
import { alertsForConfig } from "./alerts";

export const PROJECT_DIR = path.resolve(__dirname, "..");

/** This package's root: where `scripts/register.js` is, run from the sources or from dist/. */
const PACKAGE_ROOT = [PROJECT_DIR, path.resolve(PROJECT_DIR, "..")].find((d) => fs.existsSync(path.join(d, "scripts", "register.js")))!;

/** Installs the TypeScript hook (sucrase, cached) unless `.ts` files already load. */
function registerTypeScript(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if (!require.extensions[".ts"]) require(path.join(PACKAGE_ROOT, "scripts", "register.js"));
}

export interface PlanOptions {
    /** Stack name; reads `Pulumi.<stack>.yaml`. */
    stack: string;
    /** Preview mode: computed outputs stay unknown, as in `pulumi preview`. @default false */
    preview?: boolean;
    /** Folder holding `Pulumi.yaml`. @default the repository root */
    projectDir?: string;
    /**
     * Config to set on top of the stack file, by full key (`scaling-topology:network`); objects are
     * JSON-encoded as the CLI does; `undefined` removes the key. For tests and what-if runs.
     */
    configOverrides?: Record<string, unknown>;
    /** Progress messages (the CLI prints them to stderr). */
    onProgress?: (message: string) => void;
    /**
     * More config checks (e.g. the stack's policy config against the pack), run with the stack file's
     * validation before the program: every problem is reported in one `ConfigError`.
     */
    checks?: ConfigCheck[];
    /** Checks of the raw config values, run with the rest whatever the schemas say (see `ParseOptions.rawChecks`). */
    rawChecks?: ParseOptions["rawChecks"];
    /**
     * Validate the stack's config as `ScalingTopology`'s (`resolveStackConfig`) before running the program.
     * @default true when the stack sets keys of the `scaling-topology:` namespace
     */
    validateConfig?: boolean;
    /**
     * Outputs of the stacks the program reads through `pulumi.StackReference`, by the name it gives (a saved
     * plan's `outputs`). A referenced stack missing here whose last name part has a stack file in the project
     * (`<org>/scaling-topology/prod` -> `Pulumi.prod.yaml`) is planned first and its outputs used.
     */
    stackReferences?: StackReferenceOutputs;
}

/** The plan: the JSON contract documented in the README (later features add keys, never remove these). */
export interface Plan {
    project: string;
    stack: string;
    mode: "update" | "preview";
    resources: RecordedResource[];
    outputs: Record<string, unknown>;
    [extra: string]: unknown;
}

/** The SDK's runtime state (internal: `@pulumi/pulumi/runtime/state` exports no types for it). */
function runtimeStore(): { settings: { monitor?: unknown } } {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("@pulumi/pulumi/runtime/state").getStore();
}

/**
 * Points the Pulumi runtime at fresh mocks that record every registration (the plan's, and component
 * tests' that build resources without a program). Returns the recorder.
 */
export async function installRecordingMocks(o: { project: string; stack: string; region: string; preview: boolean; stackReferences?: StackReferenceOutputs }): Promise<RecordingMonitor> {
    const mocks = createMocks({ region: o.region, accountId: MOCK_ACCOUNT_ID, stack: o.stack }, o.preview, o.stackReferences);
    await pulumi.runtime.setMocks(mocks, o.project, o.stack, o.preview);
    const monitor = new RecordingMonitor(mocks);
    // Swap in the recording monitor; setMocks has set the runtime flags a mock monitor supports.
    runtimeStore().settings.monitor = monitor;
    return monitor;
}

// One plan at a time per process: the Pulumi runtime's state is global.
let running: Promise<unknown> = Promise.resolve();

export function runPlan(options: PlanOptions): Promise<Plan> {
    const next = running.then(() => runPlanExclusive(options));
    running = next.catch(() => undefined);
    return next;
}

async function runPlanExclusive(options: PlanOptions): Promise<Plan> {
    const projectDir = options.projectDir ?? PROJECT_DIR;
    const preview = options.preview ?? false;
    const progress = options.onProgress ?? (() => undefined);
    const files = readStackFiles(projectDir, options.stack);
    const config = { ...files.config };
    for (const [k, v] of Object.entries(options.configOverrides ?? {})) {
        if (v === undefined) delete config[k];
        else config[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    // The stack file is checked before the program runs: its own problems (malformed `secure:` values,
    // `.nan`) and, for a topology's stack, its whole config with the caller's checks, all in one ConfigError.
    if (options.validateConfig ?? Object.keys(config).some((k) => k.startsWith(`${PROJECT}:`))) {
        resolveStackConfig(options.stack, config, files.project, { secretKeys: files.secretKeys, problems: files.problems, checks: options.checks, rawChecks: options.rawChecks });
    } else if (files.problems.length > 0) {
        throw new ConfigError(options.stack, files.problems);
    }

    // Stacks this one reads (a disaster-recovery secondary reads its primary): given, or planned here first.
    const stackReferences: StackReferenceOutputs = { ...options.stackReferences };
    for (const ref of referencedStacks(config)) {
        if (stackReferences[ref]) continue;
        const local = ref.split("/").pop()!;
        if (local === options.stack || !fs.existsSync(path.join(projectDir, `Pulumi.${local}.yaml`))) continue;
        progress(`planning the referenced stack ${ref} (Pulumi.${local}.yaml) for its outputs`);
        stackReferences[ref] = (await runPlanExclusive({ stack: local, projectDir, onProgress: progress })).outputs;
    }

    const monitor = await installRecordingMocks({ project: files.project, stack: options.stack, region: config["aws:region"] ?? "us-east-1", preview, stackReferences });
    pulumi.runtime.setAllConfig(config, files.secretKeys);

    const program = path.resolve(projectDir, files.main);
    // A TypeScript program needs a transpiler hook, as the Pulumi CLI brings its own.
    if (/\.tsx?$/.test(program) || fs.existsSync(path.join(program, "index.ts"))) registerTypeScript();
    progress(`planning ${files.project}/${options.stack} (${preview ? "preview" : "update"} mode) from ${path.relative(process.cwd(), program) || program}`);
    // The program runs at import, so each plan imports it afresh.
    delete require.cache[require.resolve(program)];
    await withoutSdkDiagnostics(() => withInProcessStructs(() => failingOnUnhandledRejections(async () => {
        await pulumi.runtime.runInPulumiStack(async () => require(program));
        await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    })));
    progress(`registered ${monitor.records.length} resources`);

    const stackUrn = monitor.records.find((r) => r.type === "pulumi:pulumi:Stack")?.urn;
    const outputs = (stackUrn && (monitor.registeredOutputs.get(stackUrn) as Record<string, unknown>)) || {};
    return {
        project: files.project,
        stack: options.stack,
        mode: preview ? "preview" : "update",
        resources: [...monitor.records].sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0)),
        outputs,
        // Capacity and cost of the topology: a pure function of the validated config.
        sizing: sizingForConfig(options.stack, config, files.project),
        // RPO and RTO per failure scenario, and what disaster recovery costs.
        recovery: recoveryForConfig(options.stack, config, files.project),
        // Alert rules and their thresholds: a pure function of the validated config, like sizing.
        alerts: alertsForConfig(options.stack, config, files.project),
    };
}

/**
 * A mock resource monitor that records every registration the way the engine sees it: type, name,
 * parent, inputs (with secrets and unknowns marked) and resource options. That record is what the plan
 * prints, what the policy pack is evaluated over, and what the tests assert on.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const resproto = require("@pulumi/pulumi/proto/resource_pb");

/** How secrets and unknowns appear in recorded props (the plan JSON contract). */
export const SECRET = "[secret]";
export const UNKNOWN = "[unknown]";

/** Resource options that matter to reviewers and policies. Absent fields were not set. */
export interface RecordedOptions {
    protect?: boolean;
    retainOnDelete?: boolean;
    deleteBeforeReplace?: boolean;
    ignoreChanges?: string[];
    replaceOnChanges?: string[];
    additionalSecretOutputs?: string[];
    aliases?: Array<{ urn?: string; name?: string; type?: string; parentUrn?: string; noParent?: boolean }>;
    dependsOn?: string[];
    provider?: string;
    customTimeouts?: { create?: string; update?: string; delete?: string };
    /** ID of an existing cloud resource the engine adopts instead of creating it (`import`). */
    import?: string;
}

export interface RecordedResource {
    urn: string;
    type: string;
    name: string;
    /** Parent URN; null only for the stack itself. */
    parent: string | null;
    /** true for provider resources, false for components. */
    custom: boolean;
    /** The resource's inputs as the program passed them; secrets `"[secret]"`, unknowns `"[unknown]"`. */
    props: Record<string, unknown>;
    opts: RecordedOptions;
}

const rpc = pulumi.runtime as unknown as {
    specialSigKey: string;
    specialSecretSig: string;
    specialAssetSig: string;
    specialArchiveSig: string;
    specialResourceSig: string;
    specialOutputValueSig: string;
    unknownValue: string;
};

/**
 * Turns a value as it crossed the wire (a protobuf Struct as JavaScript) into plain JSON: secrets
 * `"[secret]"` and unknowns `"[unknown]"` exactly where they are. Deserializing first would lift a
 * nested secret to the whole top-level property (the SDK's rule for typed inputs), hiding e.g. every
 * CloudFront origin setting behind one secret header value.
 */
export function toPlain(value: unknown): unknown {
    if (value === rpc.unknownValue) return UNKNOWN;
    if (value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) return value.map(toPlain);
    const obj = value as Record<string, unknown>;
    switch (obj[rpc.specialSigKey]) {
        case undefined:
            break;
        case rpc.specialSecretSig:
            return SECRET;
        case rpc.specialAssetSig:
        case rpc.specialArchiveSig:
            return "[asset]";
        case rpc.specialResourceSig:
            return obj.id !== undefined ? (obj.id === "" ? UNKNOWN : obj.id) : obj.urn;
        case rpc.specialOutputValueSig:
            if (obj.secret === true) return SECRET;
            return obj.value === undefined ? UNKNOWN : toPlain(obj.value);
        default:
            return "[special]";
    }
    // Keys in order, as the engine's protobuf maps hand them over: the plan reads the same whatever order
    // the program wrote them in.
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(obj).sort()) {
        const p = toPlain(obj[k]);
        if (p !== undefined) out[k] = p;
    }
    return out;
}

/** The URN the engine gives a resource: its type is qualified by its parent's type chain. */
export function urnFor(parentUrn: string | undefined, type: string, name: string): string {
    // As the engine does: children of the stack are not qualified by it; deeper ones carry the whole chain.
    const parentType = parentUrn?.split("::")[2];
    const qualified = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${type}` : type;
    return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${qualified}::${name}`;
}

type Struct = { toJavaScript(): Record<string, unknown>; getFieldsMap(): unknown };
type StructClass = { new (): Struct; fromJavaScript(value: Record<string, unknown>): Struct };

/** The Struct class the SDK itself loads. */
function sdkStructClass(): StructClass {
    const sdk = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [sdk] })).Struct;
}

/**
 * Runs `run` with the SDK and this monitor passing values to each other as they are: every registration
 * would otherwise be converted to a protobuf Struct value by value, and straight back by its reader.
 * The monitor is an object in this process, so nothing is ever encoded: a Struct made while `run` runs
 * is an empty message that carries the JavaScript value it was made from, and builds its fields only if
 * something reads them one by one.
 */
export async function withInProcessStructs(run: () => Promise<void>): Promise<void> {
    const Struct = sdkStructClass();
    const fromJavaScript = Struct.fromJavaScript;
    class InProcessStruct extends Struct {
        constructor(private readonly value: Record<string, unknown>) {
            super();
        }
        override toJavaScript(): Record<string, unknown> {
            return this.value;
        }
        override getFieldsMap(): unknown {
            return fromJavaScript.call(Struct, this.value).getFieldsMap();
        }
    }
    Struct.fromJavaScript = (value) => new InProcessStruct(value);
    try {
        await run();
    } finally {
        Struct.fromJavaScript = fromJavaScript;
    }
}

/** What the SDK reads of a protobuf Struct it deserializes. */
const asStruct = (value: Record<string, unknown>) => ({ toJavaScript: () => value }) as unknown as Parameters<typeof pulumi.runtime.deserializeProperties>[0];

const providerUrn = (ref: string) => (ref ? ref.split("::").slice(0, -1).join("::") : undefined);

function nonEmpty<T>(xs: T[]): T[] | undefined {
    return xs.length > 0 ? xs : undefined;
}

export class RecordingMonitor extends MockMonitor {
    public readonly records: RecordedResource[] = [];
    /** Serialized outputs registered by components and the stack, by URN. */
    public readonly registeredOutputs = new Map<string, unknown>();

    constructor(mocks: pulumi.runtime.Mocks) {
        super(mocks);
        // MockMonitor qualifies URNs by the parent's last type only; use the engine's rule everywhere
        // (reads, too), so the plan's URNs (and dependsOn, aliases, diffs) match what `pulumi preview` reports.
        (this as unknown as { newUrn: typeof urnFor }).newUrn = urnFor;
    }

    public override async registerResource(req: any, callback: (err: any, response: any) => void): Promise<void> {
        const urn = urnFor(req.getParent(), req.getType(), req.getName());
        const timeouts = req.getCustomtimeouts();
        const opts: RecordedOptions = {
            protect: req.getProtect() || undefined,
            retainOnDelete: req.getRetainondelete() || undefined,
            deleteBeforeReplace: req.getDeletebeforereplace() || undefined,
            ignoreChanges: nonEmpty(req.getIgnorechangesList()),
            replaceOnChanges: nonEmpty(req.getReplaceonchangesList()),
            additionalSecretOutputs: nonEmpty(req.getAdditionalsecretoutputsList()),
            aliases: nonEmpty(req.getAliasesList().map((a: any) => {
                if (a.hasUrn?.() || a.getUrn()) return { urn: a.getUrn() };
                const s = a.getSpec();
                return { name: s.getName() || undefined, type: s.getType() || undefined, parentUrn: s.getParenturn() || undefined, noParent: s.getNoparent() || undefined };
            })),
            dependsOn: nonEmpty(req.getDependenciesList()),
            provider: providerUrn(req.getProvider()),
            customTimeouts: timeouts && (timeouts.getCreate() || timeouts.getUpdate() || timeouts.getDelete())
                ? { create: timeouts.getCreate() || undefined, update: timeouts.getUpdate() || undefined, delete: timeouts.getDelete() || undefined }
                : undefined,
            import: req.getImportid() || undefined,
        };
        for (const k of Object.keys(opts) as (keyof RecordedOptions)[]) if (opts[k] === undefined) delete opts[k];
        // The inputs leave protobuf once: the record and the mock both read this.
        const wire = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
        this.records.push({
            urn,
            type: req.getType(),
            name: req.getName(),
            parent: req.getParent() || null,
            custom: req.getCustom(),
            props: toPlain(wire) as Record<string, unknown>,
            opts,
        });
        return this.registerAsEngine(req, wire, callback);
    }

    /**
     * MockMonitor.registerResource, plus what the engine does and the mock does not: outputs named in
     * `additionalSecretOutputs` come back secret (e.g. a RandomPassword's `result`), so secrecy
     * propagates through the program as it does under `pulumi up`.
     *
     * The response is the plain object the SDK itself answers with when no engine is attached (its
     * `getObject()` needs only `toJavaScript()`): a protobuf Struct built here would only be read back.
     */
    private async registerAsEngine(req: any, wire: Record<string, unknown>, callback: (err: any, response: any) => void): Promise<void> {
        const self = this as unknown as { mocks: pulumi.runtime.Mocks; resources: Map<string, unknown>; transformCallbacks: Map<string, unknown> };
        try {
            const inputs = pulumi.runtime.deserializeProperties(asStruct(wire));
            const result = await self.mocks.newResource({
                type: req.getType(),
                name: req.getName(),
                inputs,
                provider: req.getProvider(),
                custom: req.getCustom(),
                id: req.getImportid(),
            });
            const state: Record<string, unknown> = { ...result.state };
            for (const key of req.getAdditionalsecretoutputsList() as string[]) {
                if (state[key] !== undefined) state[key] = pulumi.secret(state[key]);
            }
            const urn = urnFor(req.getParent(), req.getType(), req.getName());
            // What the mock handed back as it got it is on the wire already: only the rest is serialized.
            const unchanged = new Set(Object.keys(state).filter((k) => state[k] !== undefined && state[k] === inputs[k] && k in wire));
            const serializedRest = await pulumi.runtime.serializeProperties("", Object.fromEntries(Object.entries(state).filter(([k]) => !unchanged.has(k))));
            const serializedState: Record<string, unknown> = {};
            for (const k of Object.keys(state)) {
                const v = unchanged.has(k) ? wire[k] : serializedRest[k];
                if (v !== undefined) serializedState[k] = v;
            }
            self.resources.set(urn, { urn, id: result.id ?? null, state: serializedState });
            callback(null, {
                getUrn: () => urn,
                getId: () => result.id || "",
                getObject: () => asStruct(serializedState),
                getPropertydependenciesMap: () => undefined,
                getResult: () => resproto.Result.SUCCESS,
            });
        } catch (err) {
            callback(err, undefined);
        }
    }

    public override registerResourceOutputs(req: any, callback: (err: any, response: any) => void): void {
        this.registeredOutputs.set(req.getUrn(), toPlain(req.getOutputs()?.toJavaScript() ?? {}));
        super.registerResourceOutputs(req, callback);
    }
}

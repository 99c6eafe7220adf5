/**
 * Startup of the command-line tools: `@pulumi/pulumi` loads, at import, modules that an offline plan or an
 * audit never calls: the TypeScript compiler and npm's arborist (function serialization for closures) and the
 * Automation API (which drives the Pulumi CLI), and the globbing of the Kubernetes SDK's YAML module.
 * Together they are most of the SDK's load time. This hook
 * hands out a stand-in for each instead, which loads the real module the first time anything reads from it,
 * so a program that does use them (a dynamic provider, the Automation API) still gets the real thing.
 *
 * Installed by `cli/main.ts` only: a library must not change how its host process loads modules.
 */
import Module = require("module");

/** Requests deferred, by the module that makes them (`from` matches the requiring file's path). */
const DEFERRED: Array<{ request: string | RegExp; from: RegExp }> = [
    { request: "typescript", from: /[\\/]@pulumi[\\/]pulumi[\\/]/ },
    { request: "@npmcli/arborist", from: /[\\/]@pulumi[\\/]pulumi[\\/]/ },
    { request: "./automation", from: /[\\/]@pulumi[\\/]pulumi[\\/]index\.js$/ },
    // Reading packages for closure serialization, and file globbing for `k8s.yaml.ConfigFile` patterns.
    { request: "normalize-package-data", from: /[\\/]@pulumi[\\/]pulumi[\\/]/ },
    { request: "fdir", from: /[\\/]@pulumi[\\/]pulumi[\\/]/ },
    { request: "glob", from: /[\\/]@pulumi[\\/]kubernetes[\\/]/ },
    // zod's translations of its messages into 40-odd languages: config errors are reported in English.
    { request: "../locales/index.cjs", from: /[\\/]zod[\\/]v4[\\/](core[\\/]index|classic[\\/]external|mini[\\/]external)\.cjs$/ },
    // gRPC and its service stubs: the mock monitor is called in-process, nothing is dialled or served.
    { request: "@grpc/grpc-js", from: /[\\/]@pulumi[\\/](pulumi|policy)[\\/]/ },
    { request: /_grpc_pb(\.js)?$/, from: /[\\/]@pulumi[\\/](pulumi|policy)[\\/]/ },
    // The analyzer protocol's messages: the policy pack's server speaks it to the engine; the command
    // evaluates the pack in-process.
    { request: "@pulumi/pulumi/proto/analyzer_pb", from: /[\\/]@pulumi[\\/]policy[\\/]/ },
    // Trace propagation, read by a gRPC interceptor of the engine connection only.
    { request: "@opentelemetry/api", from: /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]settings\.js$/ },
];

const matches = (d: { request: string | RegExp }, request: string) => (typeof d.request === "string" ? d.request === request : d.request.test(request));

type Load = (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown;

let installed = false;

/** Defers the modules above for the rest of the process. Idempotent. */
export function deferUnusedSdkModules(): void {
    if (installed) return;
    installed = true;
    const loader = Module as unknown as { _load: Load };
    const load = loader._load;
    loader._load = function (this: unknown, request, parent, isMain) {
        const from = parent?.filename ?? "";
        if (!DEFERRED.some((d) => matches(d, request) && d.from.test(from))) return load.call(this, request, parent, isMain);
        let real: object | undefined;
        const target = () => (real ??= load.call(this, request, parent, isMain) as object);
        return new Proxy({}, {
            // TypeScript's `__importStar` returns an ES module as it is: say so without loading it.
            get: (_t, key) => (key === "__esModule" && real === undefined ? true : Reflect.get(target(), key)),
            has: (_t, key) => Reflect.has(target(), key),
            ownKeys: () => Reflect.ownKeys(target()),
            getOwnPropertyDescriptor: (_t, key) => {
                const d = Reflect.getOwnPropertyDescriptor(target(), key);
                return d && { ...d, configurable: true };
            },
        });
    } as Load;
}

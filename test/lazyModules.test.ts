/**
 * The command's deferred SDK modules (cli/lazyModules.ts), from outside: in a child process with the
 * stand-ins installed, loading the SDK, the policy library and zod leaves the deferred modules unloaded,
 * and each loads, and works, the moment something reads from it.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as path from "path";

const REGISTER = require.resolve("../scripts/register.js");
const LAZY = path.resolve(__dirname, "..", "cli", "lazyModules.ts");

/** Runs `body` after the stand-ins are installed and the libraries loaded; returns what it printed as JSON. */
function inChild(body: string): Record<string, unknown> {
    const script = `
        require(${JSON.stringify(LAZY)}).deferUnusedSdkModules();
        const pulumi = require("@pulumi/pulumi");
        require("@pulumi/kubernetes");
        require("@pulumi/policy");
        const { z } = require("zod");
        const loaded = (re) => Object.keys(require.cache).some((f) => re.test(f));
        const out = {};
        ${body}
        console.log(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, ["-r", REGISTER, "-e", script], { cwd: path.resolve(__dirname, ".."), encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

const DEFERRED: Record<string, RegExp> = {
    typescript: /[\\/]node_modules[\\/]typescript[\\/]/,
    arborist: /[\\/]@npmcli[\\/]arborist[\\/]/,
    automation: /[\\/]@pulumi[\\/]pulumi[\\/]automation[\\/]/,
    grpc: /[\\/]@grpc[\\/]grpc-js[\\/]/,
    "gRPC stubs": /_grpc_pb\.js$/,
    "analyzer protocol": /[\\/]proto[\\/]analyzer_pb\.js$/,
    opentelemetry: /[\\/]@opentelemetry[\\/]api[\\/]/,
    "zod locales": /[\\/]zod[\\/]v4[\\/]locales[\\/](?!en\.cjs)/,
};

describe("deferred SDK modules of the command", () => {
    it("are not loaded with the SDK, the policy library and zod", () => {
        const out = inChild(`for (const [name, re] of ${JSON.stringify(Object.entries(DEFERRED).map(([k, v]) => [k, v.source]))}) out[name] = loaded(new RegExp(re));`);
        assert.deepEqual(out, Object.fromEntries(Object.keys(DEFERRED).map((k) => [k, false])));
    });

    it("load, and work, when something reads from them", () => {
        const out = inChild(`
            out.locale = typeof z.locales.fr === "function" && loaded(/[\\\\/]zod[\\\\/]v4[\\\\/]locales[\\\\/]fr\\.cjs$/);
            out.automation = typeof pulumi.automation.LocalWorkspace === "function";
            out.grpc = typeof require("@grpc/grpc-js").credentials.createInsecure === "function";
            out.analyzer = typeof require("@pulumi/pulumi/proto/analyzer_pb").AnalyzeResponse === "function";
            const closure = pulumi.runtime.serializeFunction(() => 42);
            out.closure = typeof closure.then === "function";
        `);
        assert.deepEqual(out, { locale: true, automation: true, grpc: true, analyzer: true, closure: true });
    });
});

/**
 * A V8 code cache for the command's modules. A plan loads about 1,100 modules (9 MB of JavaScript) and then
 * calls into a fraction of them; without a cache V8 parses every one and compiles each function it calls,
 * in every cold process. With it, V8 deserializes the compiled code it kept from an earlier run instead.
 * (Node 22 has this built in as `module.enableCompileCache()`; the engines field still allows Node 20.)
 *
 * One file holds the code of every module, keyed by path and a hash of the source, so an edited or
 * upgraded module is compiled afresh; V8 itself refuses data from another V8 version or other flags, and
 * then the file is rewritten. The file is written only by a run that compiled something the cache lacked,
 * after the command finished, atomically (concurrent processes never read half a file).
 *
 * Installed by `cli/main.ts` only, like `lazyModules.ts`: a library must not change how its host loads code.
 * `SCALING_TOPOLOGY_COMPILE_CACHE=0` turns it off; `=<dir>` puts the file elsewhere.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import Module = require("module");
import * as os from "os";
import * as path from "path";
import * as vm from "vm";

interface Entry {
    hash: string;
    offset: number;
    length: number;
}

interface Compiled {
    hash: string;
    script: vm.Script;
}

type CompileFn = (this: NodeModule, content: string, filename: string) => unknown;
type ModuleInternals = typeof Module & {
    wrap(content: string): string;
    _resolveFilename(request: string, parent: NodeModule, isMain: boolean, options?: { paths?: string[] }): string;
    _resolveLookupPaths(request: string, parent: NodeModule): string[] | null;
    _extensions: NodeJS.RequireExtensions;
    _cache: NodeJS.Dict<NodeModule>;
    prototype: { _compile: CompileFn };
};

/** Where the cache lives unless the environment says otherwise: per user, per Node version and platform. */
export function defaultCacheFile(): string {
    const setting = process.env.SCALING_TOPOLOGY_COMPILE_CACHE;
    const dir = setting && setting !== "1" ? setting : path.join(os.tmpdir(), `scaling-topology-v8-${process.getuid?.() ?? "user"}`);
    return path.join(dir, `code-${process.version}-${process.arch}.bin`);
}

/** Reads the cache file: its index and the bytes the index points into. A missing or torn file is an empty cache. */
function readCache(file: string): { index: Record<string, Entry>; data: Buffer } {
    try {
        const bytes = fs.readFileSync(file);
        const indexLength = bytes.readUInt32LE(0);
        return { index: JSON.parse(bytes.subarray(4, 4 + indexLength).toString("utf8")), data: bytes.subarray(4 + indexLength) };
    } catch {
        return { index: {}, data: Buffer.alloc(0) };
    }
}

function writeCache(file: string, old: { index: Record<string, Entry>; data: Buffer }, compiled: Map<string, Compiled>): void {
    const index: Record<string, Entry> = {};
    const chunks: Buffer[] = [];
    let offset = 0;
    const add = (filename: string, hash: string, bytes: Buffer) => {
        index[filename] = { hash, offset, length: bytes.length };
        chunks.push(bytes);
        offset += bytes.length;
    };
    // Taken after the run, the data holds every function the run compiled, not just the top level.
    for (const [filename, c] of compiled) add(filename, c.hash, c.script.createCachedData());
    // Modules other commands load stay cached.
    for (const [filename, e] of Object.entries(old.index)) {
        if (!compiled.has(filename)) add(filename, e.hash, old.data.subarray(e.offset, e.offset + e.length));
    }
    const header = Buffer.from(JSON.stringify(index), "utf8");
    const length = Buffer.alloc(4);
    length.writeUInt32LE(header.length);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, "w");
    try {
        for (const b of [length, header, ...chunks]) fs.writeSync(fd, new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    } finally {
        fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
}

/** The `require` Node gives a module: resolution relative to it, and the usual properties. */
function requireFor(mod: NodeModule): NodeJS.Require {
    const M = Module as ModuleInternals;
    const require = ((id: string) => mod.require(id)) as NodeJS.Require;
    const resolve = ((request: string, options?: { paths?: string[] }) => M._resolveFilename(request, mod, false, options)) as NodeJS.RequireResolve;
    resolve.paths = (request: string) => M._resolveLookupPaths(request, mod);
    require.resolve = resolve;
    require.main = process.mainModule;
    require.extensions = M._extensions;
    require.cache = M._cache;
    return require;
}

let installed = false;

/** Compiles CommonJS modules through the cache for the rest of the process. Idempotent. */
export function useCompileCache(file = defaultCacheFile()): void {
    if (installed || process.env.SCALING_TOPOLOGY_COMPILE_CACHE === "0") return;
    installed = true;
    const M = Module as ModuleInternals;
    const cache = readCache(file);
    const compiled = new Map<string, Compiled>();
    let stale = false;
    const compile = M.prototype._compile;
    M.prototype._compile = function (this: NodeModule, content: string, filename: string) {
        const hash = crypto.createHash("sha1").update(content).digest("base64");
        const entry = cache.index[filename];
        const cachedData = entry?.hash === hash ? cache.data.subarray(entry.offset, entry.offset + entry.length) : undefined;
        let script: vm.Script;
        try {
            // A shebang line is valid at the start of a file, not inside the function wrapper.
            const source = content.startsWith("#!") ? `//${content}` : content;
            script = new vm.Script(M.wrap(source), {
                filename,
                cachedData,
                // `import()` inside a module behaves as it does without the cache (the types predate the option).
                importModuleDynamically: (vm as unknown as { constants: { USE_MAIN_CONTEXT_DEFAULT_LOADER: symbol } }).constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
            } as unknown as vm.ScriptOptions);
        } catch {
            // Whatever Node makes of this source (an ES module, a syntax error), it says so itself.
            return compile.call(this, content, filename);
        }
        if (cachedData === undefined || script.cachedDataRejected) stale = true;
        compiled.set(filename, { hash, script });
        const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
        return wrapper.call(this.exports, this.exports, requireFor(this), this, filename, path.dirname(filename));
    };
    process.once("exit", () => {
        if (!stale) return;
        try {
            writeCache(file, cache, compiled);
        } catch {
            // A read-only or full disk only costs the next run its speed.
        }
    });
}

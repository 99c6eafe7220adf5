/**
 * What a cold process would otherwise redo for each of the ~1,100 modules a plan loads (9 MB of JavaScript):
 *
 * - **compiled code**: V8 parses every module and compiles each function it calls. The cache keeps V8's
 *   code from an earlier run, taken after that run (so it holds the functions the run called, not just
 *   the top level), keyed by path and a checksum of the source: an edited or upgraded module is compiled
 *   afresh, and V8 itself refuses data from another V8 version or other flags.
 * - **resolved paths**: `require("x")` from a folder tries several names in several `node_modules`
 *   folders, about 2,500 times a plan. The cache keeps where each request from each folder led, for the
 *   installed packages as they were: the nearest install inventory (`node_modules/.package-lock.json`,
 *   or pnpm's and Yarn's, rewritten by every install) of the working directory and of this package name
 *   the set an entry belongs to, so an install starts a new set (the last two are kept; without an
 *   inventory nothing is resolved from the cache); and an entry is resolved again
 *   when the folder it started from or ended in, outside installed packages, has changed (a file added,
 *   removed or renamed there).
 *
 * (Node 22 has the first built in as `module.enableCompileCache()`; the engines field still allows Node 20.)
 * One file holds both, per user, Node version and platform, in a folder only that user may write to (or
 * none is used). It is written only by a run that found something missing, after the command finished,
 * atomically: concurrent processes never read half a file.
 *
 * Installed by `cli/main.ts` only, like `lazyModules.ts`: a library must not change how its host loads code.
 * `SCALING_TOPOLOGY_MODULE_CACHE=0` turns it off; `=<dir>` puts the file elsewhere.
 */
import * as fs from "fs";
import Module = require("module");
import * as os from "os";
import * as path from "path";
import * as vm from "vm";
import * as zlib from "zlib";

const SETTING = "SCALING_TOPOLOGY_MODULE_CACHE";

interface CodeEntry {
    hash: string;
    offset: number;
    length: number;
}

/**
 * `${folder}\0${request}` -> the file it resolved to, and the mtimes of the folder it started from and
 * of the folder it ended in when it was made.
 */
type Resolutions = Record<string, [file: string, fromMtime: number, toMtime: number]>;

/** Resolutions made against one set of installed packages (see `installStamp`). */
interface ResolutionSet {
    stamp: string;
    paths: Resolutions;
}

interface Index {
    code: Record<string, CodeEntry>;
    /** Latest first. */
    resolved: ResolutionSet[];
}

interface Cache {
    index: Index;
    data: Buffer;
}

/** Installs whose resolutions are kept: a project and the one before it (the index is read on every run). */
const KEPT_INSTALLS = 2;
/** Compiled code kept, in bytes: a plan's own is about 7 MB, and the whole file is read on every run. */
const CODE_BUDGET_BYTES = 24 * 1024 * 1024;

/** `format` is what Node 20.19+ passes: "commonjs", "module" (an ES module it loads through require), or undefined. */
type CompileFn = (this: NodeModule, content: string, filename: string, format?: string) => unknown;
type ResolveFn = (request: string, parent: NodeModule | undefined, isMain: boolean, options?: unknown) => string;
type ModuleInternals = typeof Module & {
    wrap(content: string): string;
    _resolveFilename: ResolveFn;
    _resolveLookupPaths(request: string, parent: NodeModule): string[] | null;
    _extensions: NodeJS.RequireExtensions;
    _cache: NodeJS.Dict<NodeModule>;
    prototype: { _compile: CompileFn };
};

/** Where the cache lives unless the environment says otherwise: per user, per Node version and platform. */
export function defaultCacheFile(): string {
    const setting = process.env[SETTING];
    const dir = setting && setting !== "1" ? setting : path.join(os.tmpdir(), `scaling-topology-modules-${process.getuid?.() ?? "user"}`);
    return path.join(dir, `modules-${process.version}-${process.arch}.bin`);
}

/** What each package manager rewrites in `node_modules` on every install: npm, pnpm, Yarn (node_modules linker), Yarn 1. */
const INVENTORIES = [".package-lock.json", ".modules.yaml", ".yarn-state.yml", ".yarn-integrity"];

/**
 * The install nearest to `dir`: its inventory as "path size mtime"; "" when no folder up to the root has a
 * `node_modules`; undefined for a `node_modules` with no inventory to tell an install by.
 */
function inventoryOf(dir: string): string | undefined {
    for (let d = path.resolve(dir); ; d = path.dirname(d)) {
        const modules = path.join(d, "node_modules");
        if (fs.existsSync(modules)) {
            for (const name of INVENTORIES) {
                const file = path.join(modules, name);
                if (fs.existsSync(file)) {
                    const s = fs.statSync(file);
                    return `${file} ${s.size} ${s.mtimeMs}`;
                }
            }
            return undefined;
        }
        if (path.dirname(d) === d) return "";
    }
}

/**
 * What resolutions depend on besides the files themselves: the install around the working directory (if
 * any), this package's own, and the extensions hooked. Undefined when an install cannot be told by its
 * inventory: then nothing is resolved from the cache.
 */
function installStamp(): string | undefined {
    const M = Module as ModuleInternals;
    const project = inventoryOf(process.cwd());
    const own = inventoryOf(__dirname);
    return project !== undefined && own ? [project, own, Object.keys(M._extensions).join(",")].join("\n") : undefined;
}

/**
 * Whether the cache folder is this user's alone: code read from it runs as this user, and the default
 * folder has a name anyone on the machine could take first. Made if missing (owner-only); a folder or
 * file of another owner, or one others may write to, turns the cache off.
 */
function privateFolder(file: string): boolean {
    const dir = path.dirname(file);
    try {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        const uid = process.getuid?.();
        for (const [p, st] of [[dir, fs.lstatSync(dir)], [file, fs.existsSync(file) ? fs.lstatSync(file) : undefined]] as const) {
            if (!st) continue;
            if ((p === dir ? !st.isDirectory() : !st.isFile()) || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) return false;
        }
        return true;
    } catch {
        return false;
    }
}

/** Reads the cache file. A missing or torn file is an empty cache. */
function readCache(file: string): Cache {
    try {
        const bytes = fs.readFileSync(file);
        const indexLength = bytes.readUInt32LE(0);
        const index = JSON.parse(bytes.subarray(4, 4 + indexLength).toString("utf8")) as Index;
        if (!Array.isArray(index.resolved) || typeof index.code !== "object") throw new Error("another layout");
        return { index, data: bytes.subarray(4 + indexLength) };
    } catch {
        return { index: { code: {}, resolved: [] }, data: Buffer.alloc(0) };
    }
}

function writeCache(file: string, old: Cache, compiled: Map<string, { hash: string; script: vm.Script }>, current: ResolutionSet | undefined): void {
    const code: Record<string, CodeEntry> = {};
    const chunks: Buffer[] = [];
    let offset = 0;
    const add = (filename: string, hash: string, bytes: Buffer) => {
        code[filename] = { hash, offset, length: bytes.length };
        chunks.push(bytes);
        offset += bytes.length;
    };
    for (const [filename, c] of compiled) add(filename, c.hash, c.script.createCachedData());
    // Modules other commands load stay cached, latest first, while their files exist (a project in a
    // temporary folder comes and goes) and the file stays within its budget.
    for (const [filename, e] of Object.entries(old.index.code)) {
        if (offset + e.length > CODE_BUDGET_BYTES) break;
        if (!compiled.has(filename) && fs.existsSync(filename)) add(filename, e.hash, old.data.subarray(e.offset, e.offset + e.length));
    }
    const resolved = current ? [current, ...old.index.resolved.filter((r) => r.stamp !== current.stamp)].slice(0, KEPT_INSTALLS) : old.index.resolved;
    const header = Buffer.from(JSON.stringify({ code, resolved } satisfies Index), "utf8");
    const length = Buffer.alloc(4);
    length.writeUInt32LE(header.length);
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, "w", 0o600);
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

/**
 * The source's CRC-32 and length, as Node's own compile cache (Node 22) checks a module against its
 * cached code; a third of the time of a SHA-1 over the 9 MB a plan loads. zlib.crc32 is newer than the types.
 */
const sourceHash = (content: string) => `${(zlib as unknown as { crc32(data: string): number }).crc32(content).toString(16)}:${content.length}`;

const INSTALLED = /[\\/]node_modules[\\/]/;

let installed = false;

/** Loads CommonJS modules through the cache for the rest of the process. Idempotent. */
export function useModuleCache(file = defaultCacheFile()): void {
    if (installed || process.env[SETTING] === "0" || !privateFolder(file)) return;
    installed = true;
    const M = Module as ModuleInternals;
    const cache = readCache(file);
    const stamp = installStamp();
    const compiled = new Map<string, { hash: string; script: vm.Script }>();
    const known = cache.index.resolved.find((r) => r.stamp === stamp);
    const current: ResolutionSet | undefined = stamp === undefined ? undefined : { stamp, paths: { ...known?.paths } };
    // A folder whose entries changed (a file added, removed or renamed) since a resolution was made there
    // invalidates that resolution; one stat per folder, not one per module. Folders of installed packages
    // change with an install, which starts a new set anyway: they are not looked at.
    const mtimes = new Map<string, number>();
    const mtimeOf = (dir: string) => {
        if (INSTALLED.test(dir)) return 0;
        let t = mtimes.get(dir);
        if (t === undefined) {
            try {
                t = fs.statSync(dir).mtimeMs;
            } catch {
                t = -1;
            }
            mtimes.set(dir, t);
        }
        return t;
    };
    let stale = false;

    const resolveFilename = M._resolveFilename;
    M._resolveFilename = function (request, parent, isMain, options) {
        // Only plain requires from a module file; built-ins answer at once anyway.
        const from = parent?.filename;
        if (!current || isMain || options !== undefined || !from || Module.isBuiltin(request)) return resolveFilename.call(this, request, parent, isMain, options);
        const folder = path.dirname(from);
        const key = `${folder}\0${request}`;
        const hit = current.paths[key];
        if (hit !== undefined && hit[1] === mtimeOf(folder) && hit[2] === mtimeOf(path.dirname(hit[0]))) return hit[0];
        const filename = resolveFilename.call(this, request, parent, isMain, options);
        current.paths[key] = [filename, mtimeOf(folder), mtimeOf(path.dirname(filename))];
        stale = true;
        return filename;
    };

    const compile = M.prototype._compile;
    M.prototype._compile = function (this: NodeModule, content: string, filename: string, format?: string) {
        // ES modules, and anything but plain CommonJS, are Node's to load as it would.
        if (format !== undefined && format !== "commonjs") return compile.call(this, content, filename, format);
        const hash = sourceHash(content);
        const entry = cache.index.code[filename];
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
            // Whatever Node makes of this source (ES module syntax it detects, a syntax error), it says so itself.
            return compile.call(this, content, filename, format);
        }
        if (cachedData === undefined || script.cachedDataRejected) stale = true;
        compiled.set(filename, { hash, script });
        const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
        return wrapper.call(this.exports, this.exports, requireFor(this), this, filename, path.dirname(filename));
    };

    process.once("exit", () => {
        if (!stale) return;
        try {
            writeCache(file, cache, compiled, current);
        } catch {
            // A read-only or full disk only costs the next run its speed.
        }
    });
}

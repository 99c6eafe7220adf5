/**
 * The command's module cache (cli/moduleCache.ts), from outside: child processes load a small module tree
 * through it, and what they print must be what plain Node prints, whatever changed in between.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const REGISTER = require.resolve("../scripts/register.js");
const MODULE_CACHE = path.resolve(__dirname, "..", "cli", "moduleCache.ts");

describe("module cache of the command", () => {
    let dir: string;
    let cacheDir: string;
    const cacheFile = () => {
        const files = fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter((f) => f.endsWith(".bin")) : [];
        return files.length === 1 ? path.join(cacheDir, files[0]) : undefined;
    };
    /** Loads `entry` through the cache (or without it) in a fresh process; returns what it printed. */
    const load = (entry = "./a", setting = cacheDir) => {
        const script = `require(${JSON.stringify(MODULE_CACHE)}).useModuleCache(); console.log(JSON.stringify(require(${JSON.stringify(entry)})))`;
        const r = spawnSync(process.execPath, ["-r", REGISTER, "-e", script], { cwd: dir, encoding: "utf8", env: { ...process.env, SCALING_TOPOLOGY_MODULE_CACHE: setting } });
        return { status: r.status, out: r.stdout.trim(), err: r.stderr };
    };
    const write = (file: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), text);
    };

    beforeEach(() => {
        // The cache lives outside the modules' folder, as by default: writing it changes no folder they resolve in.
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "module-cache-"));
        dir = path.join(root, "project");
        cacheDir = path.join(root, "cache");
        write("a.js", "#!/usr/bin/env node\nconst b = require('./b'); module.exports = { a: 1, b, answer: (() => b.value * 2)() };\n");
        write("b.js", "module.exports = { value: 21 };\n");
    });
    afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

    it("loads what plain Node loads, writes the cache once, and a second run finds everything in it", () => {
        const first = load();
        assert.equal(first.status, 0, first.err);
        assert.equal(first.out, JSON.stringify({ a: 1, b: { value: 21 }, answer: 42 }), "a shebang line is fine");
        const file = cacheFile();
        assert.ok(file, "the cache file is written");
        const written = fs.readFileSync(file!, "base64");
        const stat = fs.statSync(file!);
        assert.equal(load().out, first.out);
        assert.ok(fs.readFileSync(file!, "base64") === written && fs.statSync(file!).mtimeMs === stat.mtimeMs, "nothing new: not rewritten");
    });

    it("compiles a module afresh when its source changes, even to the same length", () => {
        load();
        write("b.js", "module.exports = { value: 12 };\n");
        assert.equal(load().out, JSON.stringify({ a: 1, b: { value: 12 }, answer: 24 }));
    });

    it("resolves a request again when its folder changed: a file replaced by a folder of the same name", () => {
        write("c.js", "module.exports = require('./b');\n");
        load();
        load("./c");
        fs.rmSync(path.join(dir, "b.js"));
        write("b/index.js", "module.exports = { value: 5 };\n");
        // Two requests from that folder: re-resolving the first must not vouch for the second.
        assert.equal(load().out, JSON.stringify({ a: 1, b: { value: 5 }, answer: 10 }));
        assert.equal(load("./c").out, JSON.stringify({ value: 5 }));
    });

    it("errors as plain Node does: a syntax error names the file, a missing module is MODULE_NOT_FOUND", () => {
        write("bad.js", "module.exports = {;\n");
        const plain = load("./bad", "0");
        const cached = load("./bad");
        assert.notEqual(cached.status, 0);
        assert.match(cached.err, /bad\.js/);
        assert.match(cached.err, /SyntaxError/);
        assert.match(plain.err, /SyntaxError/);
        assert.match(load("./missing").err, /MODULE_NOT_FOUND|Cannot find module/);
    });

    it("loads ES modules through require as plain Node does (a module package, and module syntax it detects)", () => {
        write("esm/package.json", '{ "type": "module" }\n');
        write("esm/index.js", "export const x = 1;\n");
        write("detected.js", "export const y = 2;\n");
        for (const entry of ["./esm/index.js", "./detected.js"]) {
            const plain = load(entry, "0");
            assert.equal(plain.status, 0, plain.err);
            assert.equal(load(entry).out, plain.out, entry);
            assert.equal(load(entry).out, plain.out, `${entry}, second run`);
        }
    });

    it("keeps the code of modules other runs loaded, but not of files that are gone", () => {
        write("gone.js", "module.exports = 1;\n");
        load("./gone");
        load("./a");
        const cached = () => {
            const bytes = fs.readFileSync(cacheFile()!);
            return Object.keys(JSON.parse(bytes.subarray(4, 4 + bytes.readUInt32LE(0)).toString("utf8")).code).map((f) => path.basename(f)).sort();
        };
        assert.deepEqual(cached(), ["a.js", "b.js", "gone.js"]);
        fs.rmSync(path.join(dir, "gone.js"));
        write("c.js", "module.exports = 3;\n");
        load("./c");
        assert.deepEqual(cached(), ["a.js", "b.js", "c.js"]);
    });

    it("resolves from the cache only for installs it can tell apart: by their inventory, a new set per install", () => {
        const index = () => {
            const bytes = fs.readFileSync(cacheFile()!);
            return JSON.parse(bytes.subarray(4, 4 + bytes.readUInt32LE(0)).toString("utf8")) as { resolved: Array<{ stamp: string }> };
        };
        fs.mkdirSync(path.join(dir, "node_modules"));
        load();
        assert.equal(index().resolved.length, 0, "a node_modules without an inventory: nothing resolved from the cache");
        write("node_modules/.package-lock.json", "{}\n");
        load();
        assert.equal(index().resolved.length, 1);
        write("node_modules/.package-lock.json", '{"packages":{}}\n');
        assert.equal(load().out, JSON.stringify({ a: 1, b: { value: 21 }, answer: 42 }));
        assert.equal(index().resolved.length, 2, "another install: a new set, the last one kept");
        const inventory = path.join(dir, "node_modules", ".package-lock.json");
        const st = fs.statSync(inventory);
        assert.equal(index().resolved[0].stamp.split("\n")[0], `${inventory} ${st.size} ${st.mtimeMs}`, "the newest first");
    });

    it("uses no cache in a folder others may write to (its code would run as this user)", () => {
        fs.mkdirSync(cacheDir, { mode: 0o777 });
        fs.chmodSync(cacheDir, 0o777);
        assert.equal(load().out, JSON.stringify({ a: 1, b: { value: 21 }, answer: 42 }));
        assert.equal(cacheFile(), undefined, "nothing written there");
        fs.chmodSync(cacheDir, 0o700);
        load();
        assert.ok(cacheFile(), "an owner-only folder is used");
        assert.equal(fs.statSync(cacheFile()!).mode & 0o077, 0, "the file is the owner's alone");
    });

    it("a torn cache file is an empty cache; SCALING_TOPOLOGY_MODULE_CACHE=0 writes none", () => {
        load();
        fs.writeFileSync(cacheFile()!, "torn");
        assert.equal(load().out, JSON.stringify({ a: 1, b: { value: 21 }, answer: 42 }));
        assert.ok(fs.readFileSync(cacheFile()!).length > 100, "rewritten whole");
        fs.rmSync(cacheDir, { recursive: true });
        assert.equal(load("./a", "0").out, JSON.stringify({ a: 1, b: { value: 21 }, answer: 42 }));
        assert.equal(cacheFile(), undefined);
    });
});

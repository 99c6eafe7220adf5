/**
 * The shape of the code: data flows one way (catalog -> config -> sizing -> policies/components -> plan ->
 * audit -> cli), so no folder imports one that sits after it and no two folders import each other; and no
 * module fills another module's exported collection at import time (results would depend on which modules
 * happened to be loaded).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");

/** Folders in the order data flows; a folder may import only folders before it (and itself). */
const LAYERS = ["catalog", "config", "sizing", "policies", "components", "plan", "audit", "cli"] as const;

function sources(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return e.name === "node_modules" ? [] : sources(p);
        return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
    });
}

/** Every module a file imports: static imports and re-exports (types too), require() and import(). */
export function importsOf(text: string): string[] {
    const out: string[] = [];
    const patterns = [/^\s*(?:import|export)\s[^;]*?\sfrom\s+["']([^"']+)["']/gm, /^\s*import\s+["']([^"']+)["']/gm, /\brequire\(\s*["']([^"']+)["']\s*\)/g, /\bimport\(\s*["']([^"']+)["']\s*\)/g];
    for (const re of patterns) for (const m of text.matchAll(re)) out.push(m[1]);
    return out;
}

const folderOf = (file: string) => path.relative(ROOT, file).split(path.sep)[0];

function edges(): Edge[] {
    return LAYERS.flatMap((layer) => sources(path.join(ROOT, layer)).flatMap((file) =>
        importsOf(fs.readFileSync(file, "utf8"))
            .filter((spec) => spec.startsWith("."))
            .map((spec) => ({ from: layer as string, to: folderOf(path.resolve(path.dirname(file), spec)), file: path.relative(ROOT, file), spec }))
            .filter((e) => e.to !== e.from)));
}

type Edge = { from: string; to: string; file: string; spec: string };

/** Edges that point from a folder to one after it (or outside the known folders). */
function backwards(es: Edge[]): Edge[] {
    const rank = (f: string) => (LAYERS as readonly string[]).indexOf(f);
    return es.filter((e) => (rank(e.to) < 0 ? true : rank(e.to) > rank(e.from)));
}

/** Names a source imports by name and then mutates (push, set, Object.assign, ...). */
function mutatedImports(text: string): string[] {
    const imported = [...text.matchAll(/^\s*import\s*\{([^}]*)\}\s*from\s*["'][^"']+["']/gm)]
        .flatMap((m) => m[1].split(",").map((s) => s.trim().split(/\s+as\s+/).pop()!.trim()))
        .filter((n) => /^[A-Za-z_$][\w$]*$/.test(n));
    return imported.filter((name) => new RegExp(`\\b${name.replace(/[$]/g, "\\$")}\\s*\\.\\s*(push|unshift|splice|set|add|delete|clear)\\s*\\(|Object\\.assign\\(\\s*${name}\\b`).test(text));
}

describe("architecture: one-way data flow", () => {
    it("reads static imports, re-exports, require() and import() (the check can see every kind)", () => {
        assert.deepEqual(importsOf(`import { a } from "../x";\nimport type { B } from "../y";\nexport * from "./z";\nconst c = require("../w");\nawait import("../v");\nimport "../u";`).sort(), ["../u", "../v", "../w", "../x", "../y", "./z"]);
    });

    it("no folder imports a folder that comes after it (so no import cycle between folders)", () => {
        assert.deepEqual(backwards(edges()).map((e) => `${e.file} imports ${e.spec} (${e.from} -> ${e.to})`), []);
    });

    it("the check reports a backwards edge (config -> sizing) and lets a forward one pass", () => {
        const es = [{ from: "config", to: "sizing", file: "config/x.ts", spec: "../sizing/y" }, { from: "sizing", to: "config", file: "sizing/y.ts", spec: "../config" }];
        assert.deepEqual(backwards(es).map((e) => e.file), ["config/x.ts"]);
    });

    it("no module pushes into (or sets on) a collection another module exports", () => {
        const offenders = [...LAYERS, "scripts"].flatMap((layer) => sources(path.join(ROOT, layer))
            .flatMap((file) => mutatedImports(fs.readFileSync(file, "utf8")).map((name) => `${path.relative(ROOT, file)} mutates ${name}`)));
        assert.deepEqual(offenders, []);
    });

    it("the registry check sees an imported collection being filled", () => {
        assert.deepEqual(mutatedImports(`import { EXTRA, other } from "../sizing/capacity";\nEXTRA.push(f);\nconst m = new Map(); m.set(1, 2);`), ["EXTRA"]);
        assert.deepEqual(mutatedImports(`import { SECTIONS as S } from "./format";\nObject.assign(S, {});`), ["S"]);
    });
});

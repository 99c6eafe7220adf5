// Runs TypeScript in node: transpiles .ts files with sucrase (types stripped, imports to CommonJS), as
// `sucrase/register/ts` does, but caches the output by content so a cold process (every `npm run plan`)
// does not transpile the whole program again: about 0.3 s per run. No source maps: sucrase keeps line
// numbers, so stack traces already point at the right lines.
// Type-checking is separate: `npm run typecheck`.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const { addHook } = require("pirates");

const OPTIONS = { transforms: ["imports", "typescript"] };
// sucrase itself loads only on a cache miss: a warm run reads every file from the cache.
const SALT = `${require("sucrase/package.json").version}:${JSON.stringify(OPTIONS)}`;
const CACHE_DIR = process.env.SCALING_TS_CACHE ?? path.join(__dirname, "..", "node_modules", ".cache", "scaling-topology-ts");

function compile(code, filePath) {
    const key = crypto.createHash("sha256").update(SALT).update("\0").update(filePath).update("\0").update(code).digest("hex");
    const cached = path.join(CACHE_DIR, `${key}.js`);
    try {
        return fs.readFileSync(cached, "utf8");
    } catch {
        // not cached yet
    }
    const out = require("sucrase").transform(code, { ...OPTIONS, filePath }).code;
    try {
        fs.mkdirSync(CACHE_DIR, { recursive: true });
        const tmp = `${cached}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, out);
        fs.renameSync(tmp, cached); // atomic: concurrent processes never read half a file
    } catch {
        // a read-only tree only loses the cache
    }
    return out;
}

addHook(compile, { exts: [".ts"], ignoreNodeModules: true });

// `npm run build` (and `prepare`, and the start of `npm test`): type-checks the whole tree and emits
// dist/ with tsc's build mode, which skips the work when no source changed since the last build (tsc -p
// would parse all 4,900 files, @pulumi/aws's type definitions among them, to find that out: 8 s).
// Build mode looks at the project's own sources only, so an install since the last build (npm rewrites
// node_modules/.package-lock.json on every install) forces a full build: new type definitions can break
// the types as surely as an edit.
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const mtime = (f) => {
    try {
        return fs.statSync(path.join(ROOT, f)).mtimeMs;
    } catch {
        return undefined;
    }
};
const built = mtime("dist/.tsbuildinfo");
const installed = mtime("node_modules/.package-lock.json");
const force = built !== undefined && installed !== undefined && installed > built;
const tsc = require.resolve("typescript/bin/tsc");
const r = spawnSync(process.execPath, [tsc, "-b", "tsconfig.build.json", ...(force ? ["--force"] : [])], { cwd: ROOT, stdio: "inherit" });
process.exit(r.status ?? 1);

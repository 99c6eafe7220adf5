/**
 * The test command's own settings (.mocharc.cjs): the slowest-first list names files that exist, and the
 * spec takes every test file exactly once (a file listed first must not run twice, nor be lost).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require(path.join(ROOT, ".mocharc.cjs")) as { spec: string[]; SLOWEST_FIRST: string[] };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { minimatch } = require("minimatch") as { minimatch(file: string, pattern: string): boolean };

function testFiles(dir = "test"): string[] {
    return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
        const rel = `${dir}/${e.name}`;
        if (e.isDirectory()) return e.name === "fixtures" ? [] : testFiles(rel);
        return e.name.endsWith(".test.ts") ? [rel] : [];
    });
}

describe("the test command's settings", () => {
    it("list only existing files as the slowest, and take every test file exactly once", () => {
        for (const name of settings.SLOWEST_FIRST) assert.ok(fs.existsSync(path.join(ROOT, "test", `${name}.test.ts`)), `${name}.test.ts exists`);
        const files = testFiles();
        assert.ok(files.length > 40);
        for (const f of files) assert.equal(settings.spec.filter((p) => minimatch(f, p)).length, 1, f);
        assert.ok(minimatch("test/package.test.ts", settings.spec[0]) && !minimatch("test/package.test.ts", settings.spec.at(-1)!), "the slowest first, not again");
    });
});

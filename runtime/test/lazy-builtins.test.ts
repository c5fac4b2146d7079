import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { REPO_ROOT } from "./helpers/data.js";

/**
 * Loading the runtime (the author API and qkit/tooling, as every check sandbox does on every edit) loads none of the
 * Node built-ins that only some commands use: they load when first called for (src/lazy-builtins.ts).
 */
const DIST = path.join(REPO_ROOT, "runtime", "dist", "src");
const ON_FIRST_USE = ["zlib", "child_process", "worker_threads", "v8", "fs/promises", "assert"];

/** The built-in modules a fresh Node has loaded after running `code`. */
function builtinsAfter(code: string): Set<string> {
  const list = execFileSync(process.execPath, ["-e", `${code}; process.stdout.write(JSON.stringify(process.moduleLoadList))`], { encoding: "utf8" });
  return new Set((JSON.parse(list) as string[]).filter((m) => m.startsWith("NativeModule ")).map((m) => m.slice("NativeModule ".length)));
}

test("loading the runtime loads no built-in that only some commands use", () => {
  const bare = builtinsAfter("");
  const loaded = builtinsAfter(`require(${JSON.stringify(path.join(DIST, "index.js"))}); require(${JSON.stringify(path.join(DIST, "tooling.js"))})`);
  const early = ON_FIRST_USE.filter((m) => loaded.has(m) && !bare.has(m));
  assert.deepEqual(early, [], `loaded at once: ${early.join(", ")}`);
  assert.ok(loaded.size > bare.size, "the runtime did load (the test sees what it loads)");
});

test("a built-in loads when a command first uses it", () => {
  const loaded = builtinsAfter(`require(${JSON.stringify(path.join(DIST, "lazy-builtins.js"))}).zlib().gzipSync(Buffer.from("qkit"))`);
  assert.ok(loaded.has("zlib"));
});

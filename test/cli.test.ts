import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");

test("npx qkit --help works from the repository root", () => {
  const result = spawnSync("npx", ["--no-install", "qkit", "--help"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /Usage: qkit <command>/);
  assert.match(result.stdout, /inspect/);
});

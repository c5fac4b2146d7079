import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const CONFIG = path.join(ROOT, ".dependency-cruiser.cjs");
const DEPCRUISE = path.join(ROOT, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs");
const FIXTURE = path.join(ROOT, "test", "fixtures", "layer-violations");

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
  cycle?: { name: string }[];
}

/** Cruises the given folders of `root` with the project's rules; returns the rule violations. */
function cruise(root: string, folders: string[]): Violation[] {
  const existing = folders.filter((f) => { try { return statSync(path.join(root, f)).isDirectory(); } catch { return false; } });
  const result = spawnSync(process.execPath, [DEPCRUISE, ...existing, "--config", CONFIG, "--output-type", "json"], { cwd: root, encoding: "utf8", maxBuffer: 64 << 20 });
  assert.ok(result.stdout, `depcruise printed nothing: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

const describe = (v: Violation) => `${v.rule.name}: ${v.from} → ${v.cycle ? v.cycle.map((c) => c.name).join(" → ") : v.to}`;

test("the code keeps the layer rules of ARCHITECTURE.md: no cycles, no backward imports", () => {
  const violations = cruise(ROOT, ["runtime/src", "server/src", "client/src", "client/webview/src"]);
  assert.deepEqual(violations.map(describe), []);
});

test("each layer rule fires on a module that breaks it", () => {
  const expected = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const file = path.join(dir, entry);
      if (statSync(file).isDirectory()) walk(file);
      else for (const m of readFileSync(file, "utf8").matchAll(/\/\/ breaks: ([\w-]+)/g)) expected.add(m[1]!);
    }
  };
  walk(FIXTURE);
  assert.ok(expected.size >= 4);
  const fired = new Set(cruise(FIXTURE, ["runtime/src", "server/src"]).map((v) => v.rule.name));
  assert.deepEqual([...fired].sort(), [...expected].sort());
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { instantiate, kernelModule, MAX_PAGES, type KernelVariant } from "../src/engine/kernels/module.js";
import { KERNEL_EXPORTS, PARALLEL_KERNELS } from "../src/engine/kernels/families.js";
import { QD } from "../src/engine/kernels/generated/descriptors.js";
import { wasmModule } from "../src/wasm/load-module.js";
import { REPO_ROOT } from "./helpers/data.js";

const RUNTIME = path.join(REPO_ROOT, "runtime");

function variants(): KernelVariant[] {
  const auto = kernelModule("auto").variant;
  return auto === "relaxed" ? ["simd", "relaxed"] : ["simd"];
}

test("the families' export tables are exactly the kernel module's functions, with their arities", () => {
  for (const variant of variants()) {
    const { module } = kernelModule(variant);
    const memory = new WebAssembly.Memory({ initial: 2, maximum: MAX_PAGES, shared: true });
    const exports = instantiate(module, memory) as unknown as Record<string, unknown>;
    const inModule = Object.keys(exports).filter((name) => typeof exports[name] === "function").sort();
    assert.deepEqual(inModule, Object.keys(KERNEL_EXPORTS).sort(), `${variant}.wasm exports what the families declare`);
    for (const [name, e] of Object.entries(KERNEL_EXPORTS)) {
      const fn = exports[name] as (...args: number[]) => unknown;
      assert.equal(fn.length, e.params.length, `${variant}.wasm ${name} takes ${fn.length} arguments; its family declares ${e.params.length} (${e.params.join(", ")})`);
    }
  }
});

test("the parallel-kernel table comes from the export tables and fits the thread pool's argument slots", () => {
  const parallel = Object.entries(KERNEL_EXPORTS).filter(([, e]) => "parallel" in e && e.parallel).map(([name]) => name);
  assert.deepEqual([...PARALLEL_KERNELS], parallel);
  // SLOT_DOUBLES (32) holds the kernel index, the count and the arguments.
  for (const name of PARALLEL_KERNELS) assert.ok(KERNEL_EXPORTS[name].params.length <= 30, name);
});

test("the descriptor layouts of kernels and host are generated from kernels/descriptors.json and up to date", () => {
  const spec = JSON.parse(readFileSync(path.join(RUNTIME, "kernels", "descriptors.json"), "utf8")) as Record<string, { ints: number; fields: [string, string][] }>;
  const fields = spec.QD!.fields.map(([name]) => name);
  assert.deepEqual(Object.keys(QD), [...fields, "SIZE"]);
  fields.forEach((name, i) => assert.equal(QD[name as keyof typeof QD], i, name));
  assert.equal(QD.SIZE, spec.QD!.ints);
  const check = spawnSync(process.execPath, [path.join(RUNTIME, "kernels", "gen-descriptors.mjs"), "--check"], { encoding: "utf8" });
  assert.equal(check.status, 0, check.stderr);
});

test("the observers' scans load through the engine's one WebAssembly loader", () => {
  assert.equal(wasmModule(`${kernelModule("auto").variant}.wasm`), kernelModule("auto").module);
  const scans = WebAssembly.Module.exports(wasmModule("observers.wasm")).map((e) => e.name).sort();
  assert.deepEqual(scans, ["finiteMinMax", "histc", "memory", "minMax"]);
});

test("operators reach the kernels only through the families: no pointers, memory or descriptors in engine/ops", () => {
  const ops = path.join(RUNTIME, "src", "engine", "ops");
  const files = readdirSync(ops, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
  assert.ok(files.length > 10);
  const forbidden = /\.ptr\(|\.addr\(|memory\.buffer|byteOffset|sharedScratch|reserve(Shared)?Scratch|\.exports\.|\.heap\b|\bQD\b|packedASize|paddedRows/;
  for (const file of files) {
    readFileSync(path.join(ops, file), "utf8").split("\n").forEach((line, i) => {
      assert.doesNotMatch(line, forbidden, `engine/ops/${file}:${i + 1} reaches past the kernel families`);
    });
  }
});

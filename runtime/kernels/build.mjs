// Builds the kernels twice with AssemblyScript: the SIMD128 baseline and the relaxed-SIMD variant. Both import a
// shared memory (so worker threads can run the same kernels on the same tensors) and never allocate from it. A
// variant whose sources, compiler and flags are unchanged since its last build is not rebuilt (stamp.mjs).
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { recordBuild, sourcesUnder, stampOf, upToDate } from "./stamp.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
// The descriptor layouts first: the kernels and the host both compile from what it writes.
const gen = spawnSync(process.execPath, [path.join(here, "gen-descriptors.mjs")], { stdio: "inherit" });
if (gen.status !== 0) process.exit(gen.status ?? 1);
const out = path.join(here, "..", "dist", "kernels");
mkdirSync(out, { recursive: true });
const asc = createRequire(import.meta.url).resolve("assemblyscript/bin/asc.js");
const common = ["-O3", "--noAssert", "--runtime", "stub", "--enable", "simd", "--enable", "threads",
  "--importMemory", "--sharedMemory", "--initialMemory", "1", "--maximumMemory", "65536"];
const variants = [
  { entry: "simd.ts", wasm: "simd.wasm", flags: ["--use", "RELAXED=0"] },
  { entry: "relaxed.ts", wasm: "relaxed.wasm", flags: ["--enable", "relaxed-simd", "--use", "RELAXED=1"] },
];
// The observers' scans are a module of their own (build-observers.mjs).
const sources = sourcesUnder(here, ["observers"]);
const force = process.argv.includes("--force");
for (const v of variants) {
  const wasm = path.join(out, v.wasm);
  const args = [asc, path.join(here, v.entry), ...common, ...v.flags, "-o", wasm];
  if (process.argv.includes("--wat")) args.push("-t", path.join(out, v.wasm.replace(".wasm", ".wat")));
  const stamp = stampOf(sources, args.slice(1).map((a) => a.replace(here, "").replace(out, "")));
  if (!force && upToDate(wasm, stamp)) continue;
  const r = spawnSync(process.execPath, args, { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
  recordBuild(wasm, stamp);
}

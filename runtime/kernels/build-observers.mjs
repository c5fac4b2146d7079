// Builds the observers' scans (kernels/observers/scans.ts) into dist/kernels/observers.wasm: SIMD128, its own
// exported memory (observers run outside the engine), nothing allocated by the module itself. Not rebuilt when its
// sources, compiler and flags are unchanged (stamp.mjs).
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { recordBuild, sourcesUnder, stampOf, upToDate } from "./stamp.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, "..", "dist", "kernels");
mkdirSync(out, { recursive: true });
const asc = createRequire(import.meta.url).resolve("assemblyscript/bin/asc.js");
const wasm = path.join(out, "observers.wasm");
const args = [asc, path.join(here, "observers", "scans.ts"), "-O3", "--noAssert", "--runtime", "stub", "--enable", "simd", "--initialMemory", "2", "-o", wasm];
const stamp = stampOf(sourcesUnder(path.join(here, "observers")), args.slice(1).map((a) => a.replace(here, "").replace(out, "")));
if (process.argv.includes("--force") || !upToDate(wasm, stamp)) {
  const r = spawnSync(process.execPath, args, { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
  recordBuild(wasm, stamp);
}

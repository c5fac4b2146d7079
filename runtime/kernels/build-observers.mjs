// Builds the observers' scans (kernels/observers/scans.ts) into dist/kernels/observers.wasm: SIMD128, its own
// exported memory (observers run outside the engine), nothing allocated by the module itself.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, "..", "dist", "kernels");
mkdirSync(out, { recursive: true });
const asc = createRequire(import.meta.url).resolve("assemblyscript/bin/asc.js");
const args = [asc, path.join(here, "observers", "scans.ts"), "-O3", "--noAssert", "--runtime", "stub", "--enable", "simd", "--initialMemory", "2", "-o", path.join(out, "observers.wasm")];
const r = spawnSync(process.execPath, args, { stdio: "inherit" });
process.exit(r.status ?? 1);

import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

/**
 * The one loader of qkit's WebAssembly modules (the engine's kernels and the observers' scans): finds a built .wasm,
 * compiles it once per process, and says how to fix a missing build in one line.
 */
const compiled = new Map<string, WebAssembly.Module>();

/** Where the build puts `file` (dist/kernels), or beside the bundle when bundled into one file (the VS Code extension). */
export function wasmFile(file: string): string {
  const built = path.join(__dirname, "..", "..", "kernels", file);
  return existsSync(built) ? built : path.join(__dirname, "kernels", file);
}

function readWasm(file: string): Buffer {
  try {
    return readFileSync(wasmFile(file));
  } catch {
    throw new Error(`qkit's WebAssembly module ${file} is missing (${wasmFile(file)}); run 'npm run build'`);
  }
}

/** Whether this JavaScript engine accepts the module (e.g. relaxed SIMD needs Node 22, or a flag). */
export function wasmValidates(file: string): boolean {
  return compiled.has(file) || WebAssembly.validate(readWasm(file));
}

/** The compiled module of a built .wasm file (e.g. "relaxed.wasm"), compiled on first use. */
export function wasmModule(file: string): WebAssembly.Module {
  let module = compiled.get(file);
  if (!module) {
    module = new WebAssembly.Module(readWasm(file));
    compiled.set(file, module);
  }
  return module;
}

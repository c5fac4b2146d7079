import { v8 } from "../../lazy-builtins.js";
import { wasmModule, wasmValidates } from "../../wasm/load-module.js";
import type { KernelExports } from "./families.js";

export type KernelVariant = "simd" | "relaxed";

/** Pages of the shared memory's maximum: 4 GiB, the wasm32 limit (only reserved, committed as it grows). */
export const MAX_PAGES = 65536;

let relaxedFlagSet = false;

/**
 * The compiled kernel module: the relaxed-SIMD build where this engine validates it (Node 22+; Node 20 after
 * enabling its flag, which V8 accepts at run time but not from NODE_OPTIONS), else the SIMD128 baseline.
 */
export function kernelModule(wanted: KernelVariant | "auto" = "auto"): { module: WebAssembly.Module; variant: KernelVariant } {
  let variant: KernelVariant = wanted === "simd" ? "simd" : "relaxed";
  if (variant === "relaxed") {
    if (!relaxedFlagSet && Number(process.versions.node.split(".")[0]) < 22) {
      v8().setFlagsFromString("--experimental-wasm-relaxed-simd");
      relaxedFlagSet = true;
    }
    if (!wasmValidates("relaxed.wasm")) {
      if (wanted === "relaxed") throw new Error("this JavaScript engine does not accept relaxed SIMD");
      variant = "simd";
    }
  }
  return { module: wasmModule(`${variant}.wasm`), variant };
}

export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  const instance = new WebAssembly.Instance(module, {
    env: { memory, abort: () => { throw new Error("kernel abort"); } },
  });
  return instance.exports as unknown as KernelExports;
}

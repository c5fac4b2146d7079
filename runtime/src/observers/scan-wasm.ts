import { wasmModule } from "../wasm/load-module.js";

interface ScanExports {
  memory: WebAssembly.Memory;
  minMax(ptr: number, n: number, out: number): void;
  finiteMinMax(ptr: number, n: number, out: number): number;
  histc(ptr: number, n: number, lo: number, hi: number, bins: number, hist: number): void;
}

/** Where tensors go in the module's memory: above its (tiny) static data. */
const BASE = 65536;
const PAGE = 65536;

let instance: ScanExports | null | undefined;

/**
 * The WebAssembly scans (kernels/observers/scans.ts), instantiated on first use; null where the .wasm is missing or
 * the runtime has no SIMD, so callers fall back to the TypeScript loops.
 */
function scans(): ScanExports | null {
  if (instance !== undefined) return instance;
  try {
    // Its own memory, exported: observers run outside the engine and need none of its shared memory or threads.
    instance = new WebAssembly.Instance(wasmModule("observers.wasm"), {}).exports as unknown as ScanExports;
  } catch {
    instance = null;
  }
  return instance;
}

/** Room for `bytes` above BASE, growing the memory when needed. */
function reserve(k: ScanExports, bytes: number): void {
  const needed = BASE + bytes;
  const have = k.memory.buffer.byteLength;
  if (needed > have) k.memory.grow(Math.ceil((needed - have) / PAGE));
}

/**
 * The tensor the last finiteMinMax call copied in. HistogramObserver scans a tensor twice in a row (its range, then
 * its histogram) with no code in between that could change it, so histc reuses the copy once and forgets it.
 */
let resident: Float32Array | undefined;

function upload(k: ScanExports, data: Float32Array, extraBytes: number, reuse = false): void {
  const keep = reuse && resident === data;
  resident = undefined;
  reserve(k, data.byteLength + extraBytes + 16);
  if (!keep) new Float32Array(k.memory.buffer, BASE, data.length).set(data);
}

/** Worth the copy into the module's memory only for tensors of some size. */
export const WASM_SCAN_MIN_ELEMENTS = 2048;

export function wasmMinMaxInto(data: Float32Array, out: Float64Array | Float32Array): boolean {
  const k = scans();
  if (!k) return false;
  upload(k, data, 8);
  const at = BASE + data.byteLength;
  k.minMax(BASE, data.length, at);
  const result = new Float32Array(k.memory.buffer, at, 2);
  out[0] = result[0]!;
  out[1] = result[1]!;
  return true;
}

/** Returns the finite count, or -1 when the module is not available. */
export function wasmFiniteMinMaxInto(data: Float32Array, out: Float64Array | Float32Array): number {
  const k = scans();
  if (!k) return -1;
  upload(k, data, 8);
  const at = BASE + data.byteLength;
  const finite = k.finiteMinMax(BASE, data.length, at);
  resident = data;
  const result = new Float32Array(k.memory.buffer, at, 2);
  out[0] = result[0]!;
  out[1] = result[1]!;
  return finite;
}

export function wasmHistcInto(data: Float32Array, lo: number, hi: number, hist: Float32Array): boolean {
  const k = scans();
  if (!k) return false;
  // One spare slot after the bins takes the values outside [lo, hi] (see kernels/observers/scans.ts).
  upload(k, data, hist.byteLength + 4, true);
  const at = BASE + data.byteLength;
  const view = new Float32Array(k.memory.buffer, at, hist.length + 1);
  view.set(hist);
  view[hist.length] = 0;
  k.histc(BASE, data.length, lo, hi, hist.length, at);
  hist.set(view.subarray(0, hist.length));
  return true;
}

import * as v8 from "node:v8";
import { wasmModule, wasmValidates } from "../../wasm/load-module.js";

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
      v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
      relaxedFlagSet = true;
    }
    if (!wasmValidates("relaxed.wasm")) {
      if (wanted === "relaxed") throw new Error("this JavaScript engine does not accept relaxed SIMD");
      variant = "simd";
    }
  }
  return { module: wasmModule(`${variant}.wasm`), variant };
}

export interface KernelExports {
  conv2d_images(x: number, inImage: number, y: number, outImage: number, n0: number, n1: number, groups: number, Cg: number,
    H: number, W: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number,
    OH: number, OW: number, a: number, aStride: number, Mg: number, bias: number, biasStride: number, lo: number, hi: number,
    scratch: number): void;
  dwconv2d_images(x: number, inImage: number, y: number, outImage: number, n0: number, n1: number, channels: number,
    H: number, W: number, mult: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dh: number,
    dw: number, OH: number, OW: number, w: number, bias: number, lo: number, hi: number, scratch: number): void;
  fake_quant(x: number, y: number, n: number, scale: number, zp: number, qmin: number, qmax: number): void;
  wino_pad(x: number, H: number, W: number, ph: number, pw: number, PH: number, PW: number, y: number, c0: number, c1: number): void;
  wino_scratch_floats(C: number, M: number, chunk: number): number;
  wino_conv(pad: number, images: number, C: number, PH: number, PW: number, OH: number, OW: number, u: number, uStride: number, M: number,
    y: number, bias: number, lo: number, hi: number, j0: number, j1: number, p0: number, p1: number, chunk: number, scratch: number): void;
  peak_flops(iterations: number, seed: number): number;
  gemm_mr(): number;
  gemm_packed(a: number, b: number, c: number, ldc: number, M: number, N: number, K: number,
    bias: number, biasMode: number, lo: number, hi: number, j0: number, j1: number, tmp: number): void;
  pack_a(src: number, rs: number, ks: number, M: number, K: number, dst: number): void;
  pack_b(src: number, ks: number, ns: number, K: number, N: number, dst: number): void;
  conv2d_scratch_floats(): number;
  conv2d(x: number, C: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number,
    dh: number, dw: number, OH: number, OW: number, a: number, M: number, y: number, bias: number, lo: number, hi: number,
    j0: number, j1: number, scratch: number): void;
  window_scratch_floats(kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, OH: number, OW: number): number;
  dwconv2d(x: number, H: number, W: number, mult: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number,
    dh: number, dw: number, OH: number, OW: number, w: number, bias: number, lo: number, hi: number, y: number,
    c0: number, c1: number, scratch: number): void;
  maxpool2d(x: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number,
    dh: number, dw: number, OH: number, OW: number, y: number, c0: number, c1: number, scratch: number): void;
  avgpool2d(x: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number,
    OH: number, OW: number, recip: number, y: number, c0: number, c1: number, scratch: number): void;
  mean_planes(x: number, planes: number, size: number, y: number): void;
  binary(op: number, a: number, b: number, y: number, n: number, bStep: number, lo: number, hi: number): void;
  clamp(x: number, y: number, n: number, lo: number, hi: number): void;
  channel_affine(x: number, y: number, planes: number, C: number, size: number, s: number, t: number, lo: number, hi: number): void;
  qconv_scratch_bytes(M: number): number;
  qconv_pad_bytes(C: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, OH: number, OW: number): number;
  qpack_a(src: number, M: number, K: number, dst: number): void;
  qconv2d(d: number, g: number, x: number, y: number, j0: number, j1: number, p0: number, p1: number, scratch: number): void;
  qconv2d_images(d: number, x: number, y: number, n0: number, n1: number, scratch: number): void;
  qwindow_scratch_bytes(kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, OH: number, OW: number): number;
  qdwconv2d(d: number, x: number, y: number, c0: number, c1: number, scratch: number): void;
  qdwconv2d_images(d: number, x: number, y: number, n0: number, n1: number, scratch: number): void;
  qmaxpool_scratch_bytes(kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, OH: number, OW: number): number;
  qmaxpool2d(x: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number,
    dh: number, dw: number, OH: number, OW: number, signed: number, y: number, c0: number, c1: number, scratch: number): void;
  qsum_planes(x: number, planes: number, size: number, signed: number, y: number): void;
  qbinary(op: number, a: number, b: number, y: number, n: number, bStep: number, sa: number, za: number, sb: number, zb: number,
    sy: number, zy: number, qlo: number, qhi: number, flags: number): void;
  qlut(x: number, y: number, n: number, table: number, signed: number): void;
  qquantize(x: number, y: number, n: number, s: number, zp: number, qmin: number, qmax: number, signed: number): void;
  qdequantize(x: number, y: number, n: number, s: number, zp: number, signed: number): void;
  peak_int_ops(iterations: number, seed: number): number;
  qwino_pad_bytes(C: number, OH: number, OW: number): number;
  qwino_scratch_bytes(C: number, chunk: number): number;
  qwino_pad(d: number, x: number, pad: number, c0: number, c1: number): void;
  qwino(d: number, pad: number, y: number, j0: number, j1: number, p0: number, p1: number, chunk: number, scratch: number): void;
  qwino_images(d: number, x: number, y: number, n0: number, n1: number, chunk: number, scratch: number): void;
}

/** Kernel functions that may run on worker threads (by index in this list). */
export const PARALLEL_KERNELS = ["conv2d", "gemm_packed", "dwconv2d", "maxpool2d", "avgpool2d", "wino_pad", "wino_conv", "conv2d_images", "dwconv2d_images", "binary", "clamp",
  "qconv2d", "qconv2d_images", "qdwconv2d", "qdwconv2d_images", "qmaxpool2d", "qbinary", "qlut", "qquantize", "qwino_pad", "qwino", "qwino_images"] as const;
export type ParallelKernel = (typeof PARALLEL_KERNELS)[number];

export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  const instance = new WebAssembly.Instance(module, {
    env: { memory, abort: () => { throw new Error("kernel abort"); } },
  });
  return instance.exports as unknown as KernelExports;
}

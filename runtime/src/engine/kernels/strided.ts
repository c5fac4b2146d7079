import type { ExportTable } from "./exports.js";
import type { KernelRuntime } from "./runtime.js";

/** kernels/strided.ts */
export const STRIDED_EXPORTS = {
  strided_copy_u8: { params: ["x", "y", "n0", "n1", "n2", "n3", "s0", "s1", "s2", "s3", "i0lo", "i0hi"], parallel: true },
  strided_copy_f32: { params: ["x", "y", "n0", "n1", "n2", "n3", "s0", "s1", "s2", "s3", "i0lo", "i0hi"], parallel: true },
} as const satisfies ExportTable;

/** A strided walk of at most four axes: output extents and the input's element stride along each. */
export interface StridedWalk {
  readonly dims: readonly [number, number, number, number];
  readonly strides: readonly [number, number, number, number];
}

/**
 * The walk of an output of extents `out` reading the input at Σ idx[d]·strides[d], with size-1 axes dropped and
 * neighbours that step as one merged; undefined when more than four axes remain.
 */
export function stridedWalk(out: readonly number[], strides: readonly number[]): StridedWalk | undefined {
  const dims: number[] = [];
  const steps: number[] = [];
  for (let d = 0; d < out.length; d++) {
    if (out[d] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && steps[last] === strides[d]! * out[d]!) {
      dims[last] = dims[last]! * out[d]!;
      steps[last] = strides[d]!;
    } else {
      dims.push(out[d]!);
      steps.push(strides[d]!);
    }
  }
  if (dims.length > 4) return undefined;
  while (dims.length < 4) {
    dims.unshift(1);
    steps.unshift(0);
  }
  return { dims: dims as never, strides: steps as never };
}

/** Copies along strided walks: the data-movement operators on uint8/int8 tensors, and float32 ones that move the last axis. */
export class StridedKernels {
  constructor(private readonly rt: KernelRuntime) {}

  /**
   * n bytes of x from byte xAt to y from byte yAt, both in kernel memory. A view made per run would be an allocation:
   * offsets into the views the caller holds are not.
   */
  copyRun(x: Uint8Array | Int8Array, xAt: number, y: Uint8Array | Int8Array, yAt: number, n: number): void {
    const rt = this.rt;
    rt.exports.strided_copy_u8(rt.ptr(x) + xAt, rt.ptr(y) + yAt, 1, 1, 1, n, 0, 0, 0, 1, 0, 1);
  }

  /** y = the bytes of x along `walk`, starting at byte `base` of x. */
  copyBytes(x: Uint8Array | Int8Array, y: Uint8Array | Int8Array, base: number, walk: StridedWalk): void {
    const rt = this.rt;
    const [n0, n1, n2, n3] = walk.dims;
    const [s0, s1, s2, s3] = walk.strides;
    // Memory-bound: threads pay only on large tensors.
    const n = n0 * n1 * n2 * n3;
    rt.count("strided-bytes");
    if (rt.serial(n0, n)) {
      rt.exports.strided_copy_u8(rt.ptr(x) + base, rt.ptr(y), n0, n1, n2, n3, s0, s1, s2, s3, 0, n0);
      return;
    }
    rt.parallelRange("strided_copy_u8", n0, n, [rt.ptr(x) + base, rt.ptr(y), n0, n1, n2, n3, s0, s1, s2, s3, 0, 0], 10, -1);
  }

  /** y = the floats of x along `walk`, starting at element `base` of x. */
  copyFloats(x: Float32Array, y: Float32Array, base: number, walk: StridedWalk): void {
    const rt = this.rt;
    const [n0, n1, n2, n3] = walk.dims;
    const [s0, s1, s2, s3] = walk.strides;
    const n = n0 * n1 * n2 * n3;
    rt.count("strided-floats");
    if (rt.serial(n0, n)) {
      rt.exports.strided_copy_f32(rt.ptr(x) + base * 4, rt.ptr(y), n0, n1, n2, n3, s0, s1, s2, s3, 0, n0);
      return;
    }
    rt.parallelRange("strided_copy_f32", n0, n, [rt.ptr(x) + base * 4, rt.ptr(y), n0, n1, n2, n3, s0, s1, s2, s3, 0, 0], 10, -1);
  }
}

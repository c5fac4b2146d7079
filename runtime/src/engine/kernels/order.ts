import type { ExportTable } from "./exports.js";
import type { Allocate, KernelRuntime } from "./runtime.js";

/** kernels/order.ts */
export const ORDER_EXPORTS = {
  topk_rows_f32: { params: ["x", "vals", "idx", "rows", "n", "k", "largest", "scratch"] },
  cumulate_f32: { params: ["x", "y", "outer", "n", "inner", "exclusive", "reverse", "product"] },
} as const satisfies ExportTable;

/** Running values and orders along rows of float32: TopK, CumSum and CumProd. */
export class OrderKernels {
  constructor(private readonly rt: KernelRuntime) {}

  /** Scratch for topRows over rows of n (2n keys of 8 bytes), from `alloc` (floats). */
  topScratch(n: number, alloc: Allocate): number {
    return alloc(4 * Math.max(1, n)).byteOffset;
  }

  /**
   * Room in kernel memory for `count` int64 indices, as their 32-bit words (int64 tensors live outside it: the caller
   * copies the words out), from `alloc`.
   */
  indexWords(count: number, alloc: Allocate): Int32Array {
    return this.rt.view(Int32Array, alloc(2 * Math.max(1, count)).byteOffset, 2 * count);
  }

  /**
   * The k best of each contiguous row of n in x: values to `values`, indices as int64 words to `indices`, best first
   * and ties to the lower index; NaN counts above +Inf.
   */
  topRows(x: Float32Array, values: Float32Array, indices: Int32Array, rows: number, n: number, k: number, largest: boolean, scratch: number): void {
    const rt = this.rt;
    rt.count("topk-rows");
    rt.exports.topk_rows_f32(rt.ptr(x), rt.ptr(values), rt.ptr(indices), rows, n, k, largest ? 1 : 0, scratch);
  }

  /** y = running sums (products) of x along an axis of n between `outer` blocks and `inner` columns, in float32. */
  cumulate(x: Float32Array, y: Float32Array, outer: number, n: number, inner: number, exclusive: boolean, reverse: boolean, product: boolean): void {
    const rt = this.rt;
    rt.count("cumulate");
    rt.exports.cumulate_f32(rt.ptr(x), rt.ptr(y), outer, n, inner, exclusive ? 1 : 0, reverse ? 1 : 0, product ? 1 : 0);
  }
}

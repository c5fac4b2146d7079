import type { ExportTable } from "./exports.js";
import type { Bytes } from "./qconv.js";
import type { Allocate, KernelRuntime } from "./runtime.js";
import type { RowGeometry } from "./norm.js";
import { WINDOW_COST } from "./cost.js";

/** kernels/qsoftmax.ts */
export const QSOFTMAX_EXPORTS = {
  qsoftmax: { params: ["x", "y", "n", "inner", "table", "invSy", "zy", "qlo", "qhi", "flags", "o0", "o1", "scratch"], parallel: true },
} as const satisfies ExportTable;

/** exp(s·(q − q_max)) for q_max − q = 0 … 255, in kernel memory. */
export interface ExpTable {
  readonly values: Float32Array;
}

/** The output's quantization: y = clamp(nearest(p / scale) + zp, qlo, qhi). */
export interface QsoftmaxOutput {
  scale: number;
  zp: number;
  qlo: number;
  qhi: number;
  signed: boolean;
}

/** Softmax from quantized codes to quantized codes through a table of the 256 exponentials a row can need. */
export class QsoftmaxKernels {
  constructor(private readonly rt: KernelRuntime) {}

  /** The exponentials of an input scale, in session memory. */
  table(scale: number, alloc: Allocate): ExpTable {
    const values = alloc(256);
    for (let d = 0; d < 256; d++) values[d] = Math.exp(-scale * d);
    return { values };
  }

  /** Per-thread room for one row's exponentials (rows of n codes). */
  reserve(n: number): void {
    this.rt.reserveScratch(n);
  }

  run(x: Bytes, y: Bytes, g: RowGeometry, table: ExpTable, xSigned: boolean, out: QsoftmaxOutput): void {
    const rt = this.rt;
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    const tp = rt.ptr(table.values);
    const flags = (xSigned ? 1 : 0) | (out.signed ? 2 : 0);
    const invSy = 1 / out.scale;
    const work = 2 * WINDOW_COST * g.outer * g.n * g.inner;
    if (rt.serialFor("qsoftmax", g.outer, work)) {
      rt.exports.qsoftmax(xp, yp, g.n, g.inner, tp, invSy, out.zp, out.qlo, out.qhi, flags, 0, g.outer, rt.scratch(0));
      return;
    }
    rt.parallelRange("qsoftmax", g.outer, work, [xp, yp, g.n, g.inner, tp, invSy, out.zp, out.qlo, out.qhi, flags, 0, 0, 0], 10, 12);
  }
}

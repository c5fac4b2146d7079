import type { ExportTable } from "./exports.js";
import type { Allocate, KernelRuntime } from "./runtime.js";
import { WINDOW_COST } from "./cost.js";

/** kernels/resize.ts */
export const RESIZE_EXPORTS = {
  resize_nearest: { params: ["x", "inPlane", "y", "outPlane", "OH", "OW", "rows", "cols", "p0", "p1", "scratch"], parallel: true },
  resize_linear: { params: ["x", "inPlane", "y", "outPlane", "OH", "OW", "r0", "r1", "wy", "c0", "c1", "wx", "p0", "p1", "scratch"],
    parallel: true },
} as const satisfies ExportTable;

/** Where one output coordinate reads along an axis: input index `i0`, and for linear `i1` with weight `w` on it. */
export interface AxisTap {
  i0: number;
  i1: number;
  w: number;
}

/** A resize of H × W planes to OH × OW, its index and weight tables in kernel memory. */
export interface ResizePlan {
  readonly mode: "nearest" | "linear";
  readonly H: number;
  readonly W: number;
  readonly OH: number;
  readonly OW: number;
  /** nearest: row offsets, columns. linear: r0, r1, wy, c0, c1, wx. */
  readonly tables: readonly Float32Array[];
  /** The tables' addresses, taken once (they live as long as the session). */
  readonly at: readonly number[];
}

/** Resize (nearest, bilinear) over the last two axes of a stack of planes. */
export class ResizeKernels {
  constructor(private readonly rt: KernelRuntime) {}

  /** Tables for `rows` (OH taps into H) and `cols` (OW taps into W); nearest reads only i0. */
  create(mode: "nearest" | "linear", H: number, W: number, rows: readonly AxisTap[], cols: readonly AxisTap[], alloc: Allocate): ResizePlan {
    const ints = (values: number[]) => {
      const f = alloc(values.length);
      new Int32Array(f.buffer, f.byteOffset, values.length).set(values);
      return f;
    };
    const floats = (values: number[]) => {
      const f = alloc(values.length);
      f.set(values);
      return f;
    };
    const OH = rows.length;
    const OW = cols.length;
    const tables = mode === "nearest"
      ? [ints(rows.map((t) => t.i0 * W)), ints(cols.map((t) => t.i0))]
      : [ints(rows.map((t) => t.i0 * W)), ints(rows.map((t) => t.i1 * W)), floats(rows.map((t) => t.w)),
        ints(cols.map((t) => t.i0)), ints(cols.map((t) => t.i1)), floats(cols.map((t) => t.w))];
    return { mode, H, W, OH, OW, tables, at: tables.map((a) => this.rt.ptr(a)) };
  }

  /** Per-thread scratch for a plan (the linear kernel's two interpolated rows). */
  reserve(plan: ResizePlan): void {
    if (plan.mode === "linear") this.rt.reserveScratch(2 * Math.ceil(plan.OW / 4) * 4);
  }

  /** Resize `planes` planes of x into y. */
  run(plan: ResizePlan, x: Float32Array, y: Float32Array, planes: number): void {
    const rt = this.rt;
    const { H, W, OH, OW } = plan;
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    const t = plan.at;
    const work = WINDOW_COST * planes * OH * OW;
    const serial = rt.serial(planes, work);
    if (plan.mode === "nearest") {
      rt.count("resize-nearest");
      const t0 = t[0]!, t1 = t[1]!;
      if (serial) rt.exports.resize_nearest(xp, H * W, yp, OH * OW, OH, OW, t0, t1, 0, planes, rt.scratch(0));
      else rt.parallelRange("resize_nearest", planes, work, [xp, H * W, yp, OH * OW, OH, OW, t0, t1, 0, 0, 0], 8, 10);
    } else {
      rt.count("resize-linear");
      const t0 = t[0]!, t1 = t[1]!, t2 = t[2]!, t3 = t[3]!, t4 = t[4]!, t5 = t[5]!;
      if (serial) rt.exports.resize_linear(xp, H * W, yp, OH * OW, OH, OW, t0, t1, t2, t3, t4, t5, 0, planes, rt.scratch(0));
      else rt.parallelRange("resize_linear", planes, work, [xp, H * W, yp, OH * OW, OH, OW, t0, t1, t2, t3, t4, t5, 0, 0, 0], 12, 14);
    }
  }
}

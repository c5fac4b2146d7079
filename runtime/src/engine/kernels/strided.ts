import type { ExportTable } from "./exports.js";
import type { Allocate, KernelRuntime } from "./runtime.js";

/** kernels/strided.ts */
export const STRIDED_EXPORTS = {
  strided_copy_u8: { params: ["x", "y", "n0", "n1", "n2", "n3", "s0", "s1", "s2", "s3", "i0lo", "i0hi"], parallel: true },
  strided_copy_f32: { params: ["x", "y", "n0", "n1", "n2", "n3", "s0", "s1", "s2", "s3", "i0lo", "i0hi"], parallel: true },
  resize_nearest_u8: { params: ["x", "y", "H", "W", "OH", "OW", "rows", "cols", "double", "p0", "p1"], parallel: true },
  rows_u8: { params: ["x", "y", "rows", "cols", "xs", "ys", "table", "signed"] },
  pad_rows: { params: ["x", "y", "es", "inW", "outW", "rowTable", "colTable", "nLeft", "midSrc", "midLen", "fill", "r0", "r1"], parallel: true },
  gather_rows: { params: ["x", "y", "table", "rows", "cols", "es"] },
  scatter_rows_f32: { params: ["y", "u", "table", "rows", "cols", "add"] },
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

/**
 * Pad as rows of its last axis: the input row each output row copies (-1: a row of fill), and the last axis as nLeft
 * edge columns, midLen input columns from midSrc, then the other edge columns, each edge column an input column of
 * the same row or -1 for the fill.
 */
export interface PadRows {
  readonly rows: Int32Array;
  readonly columns: Int32Array;
  readonly inW: number;
  readonly outW: number;
  readonly nLeft: number;
  readonly midSrc: number;
  readonly midLen: number;
}

/** A PadRows's tables and its fill element in kernel memory. */
export interface PadTables {
  readonly rows: number;
  readonly columns: number;
  readonly fill: number;
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

  /**
   * `rows` rows of `cols` bytes from x at byte xAt (row stride xs bytes) to y at byte yAt (row stride ys), through a
   * 256-entry code table when given (codes only; signed: indexed by code + 128). Any element type without a table.
   */
  copyRows(x: ArrayBufferView, xAt: number, y: ArrayBufferView, yAt: number, rows: number, cols: number, xs: number, ys: number,
    table: Uint8Array | undefined, signed: boolean): void {
    const rt = this.rt;
    rt.count("rows-bytes");
    rt.exports.rows_u8(rt.ptr(x) + xAt, rt.ptr(y) + yAt, rows, cols, xs, ys, table ? rt.ptr(table) : 0, signed ? 1 : 0);
  }

  /** The tables of `plan` and its fill element (the one element of `fill`) in memory from `alloc`; undefined for elements a kernel cannot move. */
  padTables(plan: PadRows, fill: ArrayBufferView | undefined, alloc: Allocate): PadTables | undefined {
    if (!fill || ![1, 2, 4, 8].includes(fill.byteLength)) return undefined;
    const fillAt = alloc(2).byteOffset;
    this.rt.view(Uint8Array, fillAt, fill.byteLength).set(new Uint8Array(fill.buffer, fill.byteOffset, fill.byteLength));
    return { rows: this.table(plan.rows, alloc), columns: this.table(plan.columns, alloc), fill: fillAt };
  }

  /** y = x padded as `plan` says (both in kernel memory, elements of the fill's size). */
  pad(x: ArrayBufferView, y: ArrayBufferView, plan: PadRows, tables: PadTables): void {
    const rt = this.rt;
    const es = (y as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    const rows = plan.rows.length;
    const n = rows * plan.outW;
    rt.count("pad-rows");
    if (rt.serial(rows, n * es / 4)) {
      rt.exports.pad_rows(rt.ptr(x), rt.ptr(y), es, plan.inW, plan.outW, tables.rows, tables.columns, plan.nLeft, plan.midSrc, plan.midLen, tables.fill, 0, rows);
      return;
    }
    const args = [rt.ptr(x), rt.ptr(y), es, plan.inW, plan.outW, tables.rows, tables.columns, plan.nLeft, plan.midSrc, plan.midLen, tables.fill];
    rt.parallelRange("pad_rows", rows, n, [...args, 0, 0], 11, -1);
  }

  /**
   * A table of `rows` row offsets in kernel memory from `alloc`, for gatherRows and scatterRows: the operator fills it
   * (once for constant indices, or per run) with each row's element offset in its source or target.
   */
  rowTable(rows: number, alloc: Allocate): Int32Array {
    return this.rt.view(Int32Array, alloc(Math.max(1, rows)).byteOffset, rows);
  }

  /** y = rows of x one after another, row r the `cols` elements of `elementBytes` bytes from element table[r] of x. */
  gatherRows(x: ArrayBufferView, y: ArrayBufferView, table: Int32Array, cols: number, elementBytes: number): void {
    const rt = this.rt;
    rt.count("gather-rows");
    rt.exports.gather_rows(rt.ptr(x), rt.ptr(y), rt.ptr(table), table.length, cols, elementBytes);
  }

  /** Row r of u (`cols` floats) added into (or copied over) y's row at element offset table[r], in row order. */
  scatterRows(y: Float32Array, u: Float32Array, table: Int32Array, cols: number, add: boolean): void {
    const rt = this.rt;
    rt.count("scatter-rows");
    rt.exports.scatter_rows_f32(rt.ptr(y), rt.ptr(u), rt.ptr(table), table.length, cols, add ? 1 : 0);
  }

  /** Int32 values in memory from `alloc` (index tables a kernel reads): their byte offset. */
  table(values: Int32Array, alloc: Allocate): number {
    const at = alloc(Math.max(1, values.length)).byteOffset;
    this.rt.view(Int32Array, at, values.length).set(values);
    return at;
  }

  /**
   * Nearest Resize of `planes` byte planes H×W → OH×OW: output row oy reads input row at the table `rows`, column ox
   * at `cols` (tables from `table`); `double` when cols[ox] = ⌊ox/2⌋ and OW = 2W.
   */
  resizeNearestBytes(x: ArrayBufferView, y: ArrayBufferView, planes: number, H: number, W: number, OH: number, OW: number, rows: number,
    cols: number, double: boolean): void {
    const rt = this.rt;
    const n = planes * OH * OW;
    rt.count("resize-nearest-bytes");
    if (rt.serial(planes, n)) {
      rt.exports.resize_nearest_u8(rt.ptr(x), rt.ptr(y), H, W, OH, OW, rows, cols, double ? 1 : 0, 0, planes);
      return;
    }
    rt.parallelRange("resize_nearest_u8", planes, n, [rt.ptr(x), rt.ptr(y), H, W, OH, OW, rows, cols, double ? 1 : 0, 0, 0], 9, -1);
  }
}

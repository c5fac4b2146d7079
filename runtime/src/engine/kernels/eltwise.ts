import type { ExportTable } from "./exports.js";
import type { Allocate, KernelRuntime, OutputClamp } from "./runtime.js";
import { WINDOW_COST } from "./cost.js";

/** kernels/eltwise.ts */
export const ELTWISE_EXPORTS = {
  clamp: { params: ["x", "y", "n", "lo", "hi"], parallel: true },
  channel_affine: { params: ["x", "y", "planes", "C", "size", "s", "t", "lo", "hi"] },
  fake_quant: { params: ["x", "y", "n", "scale", "zp", "qmin", "qmax"] },
  copy_runs: { params: ["x", "y", "starts", "count", "run"] },
  select_rows: { params: ["c", "x", "y", "out", "rows", "n", "cs", "xs", "ys", "sc", "sx", "sy"] },
} as const satisfies ExportTable;

/** Where the runs of a strided copy start (float offsets into its source), in kernel memory, and their length. */
export interface RunTable {
  readonly starts: Int32Array;
  readonly run: number;
}

/** fp32 elementwise kernels. */
export class EltwiseKernels {
  constructor(private readonly rt: KernelRuntime) {}

  clamp(x: Float32Array, y: Float32Array, n: number, lo: number, hi: number): void {
    const rt = this.rt;
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    if (rt.serial(Math.ceil(n / 4), WINDOW_COST * n)) {
      rt.exports.clamp(xp, yp, n, lo, hi);
      return;
    }
    clampShares(rt, xp, yp, n, lo, hi);
  }

  /** A run table in session memory. */
  runTable(starts: Int32Array, run: number, alloc: Allocate): RunTable {
    const table = this.rt.view(Int32Array, alloc(starts.length).byteOffset, starts.length);
    table.set(starts);
    return { starts: table, run };
  }

  /** y = the table's runs of x, one after another. */
  copyRuns(x: Float32Array, y: Float32Array, table: RunTable): void {
    const rt = this.rt;
    rt.exports.copy_runs(rt.ptr(x), rt.ptr(y), rt.ptr(table.starts), table.starts.length, table.run);
  }

  /** n bytes of kernel memory that live as long as `alloc`'s, as uint8 or int8: a byte operand a kernel reads or writes. */
  bytes(n: number, signed: boolean, alloc: Allocate): Uint8Array | Int8Array {
    const at = alloc(Math.ceil(n / 4) + 1).byteOffset;
    return signed ? this.rt.view(Int8Array, at, n) : this.rt.view(Uint8Array, at, n);
  }

  /** Where's rows in session memory: each operand's start per row (see where.ts). */
  selectTables(starts: readonly [Int32Array, Int32Array, Int32Array], alloc: Allocate): [Int32Array, Int32Array, Int32Array] {
    return starts.map((s) => {
      const table = this.rt.view(Int32Array, alloc(Math.max(1, s.length)).byteOffset, s.length);
      table.set(s);
      return table;
    }) as [Int32Array, Int32Array, Int32Array];
  }

  /** out = cond ? x : y along rows (tables from selectTables; every array in kernel memory). */
  select(cond: Uint8Array, x: Float32Array, y: Float32Array, out: Float32Array, rows: number, n: number,
    tables: readonly [Int32Array, Int32Array, Int32Array], steps: readonly [number, number, number]): void {
    const rt = this.rt;
    rt.exports.select_rows(rt.ptr(cond), rt.ptr(x), rt.ptr(y), rt.ptr(out), rows, n, rt.ptr(tables[0]), rt.ptr(tables[1]), rt.ptr(tables[2]),
      steps[0], steps[1], steps[2]);
  }

  /** y = (clamp(round_half_even(x / scale) + zp, qmin, qmax) - zp) · scale over n floats. */
  fakeQuant(x: Float32Array, y: Float32Array, n: number, scale: number, zp: number, qmin: number, qmax: number): void {
    this.rt.exports.fake_quant(this.rt.ptr(x), this.rt.ptr(y), n, scale, zp, qmin, qmax);
  }

  /** y = clamp(x·s[c] + t[c]) over `planes` planes of `size` floats, channel c = plane mod C (s and t in kernel memory). */
  channelAffine(x: Float32Array, y: Float32Array, planes: number, C: number, size: number, s: Float32Array, t: Float32Array, clamp?: OutputClamp): void {
    const rt = this.rt;
    rt.exports.channel_affine(rt.ptr(x), rt.ptr(y), planes, C, size, rt.ptr(s), rt.ptr(t), clamp?.lo ?? -Infinity, clamp?.hi ?? Infinity);
  }
}

// The threaded paths, apart: a closure in the methods above would make them allocate on their serial path too.

function clampShares(rt: KernelRuntime, xp: number, yp: number, n: number, lo: number, hi: number): void {
  rt.parallel("clamp", Math.ceil(n / 4), WINDOW_COST * n, (v0, v1) => {
    const start = v0 * 4;
    return [xp + start * 4, yp + start * 4, Math.min(n, v1 * 4) - start, lo, hi];
  });
}

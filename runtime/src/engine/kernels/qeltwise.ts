import type { ExportTable } from "./exports.js";
import type { Bytes } from "./qconv.js";
import type { Allocate, KernelRuntime } from "./runtime.js";
import { WINDOW_COST } from "./cost.js";
import { affineTable, type AffineTable } from "./affine-table.js";

/** kernels/qeltwise.ts */
export const QELTWISE_EXPORTS = {
  qbinary: { params: ["op", "a", "b", "y", "n", "bStep", "sa", "za", "sb", "zb", "sy", "zy", "qlo", "qhi", "flags"], parallel: true },
  qbinary_runs: { params: ["op", "a", "b", "y", "inner", "bStep", "aAt", "bAt", "r0", "r1", "sa", "za", "sb", "zb", "sy", "zy", "qlo", "qhi", "flags"], parallel: true },
  qlut: { params: ["x", "y", "n", "table", "signed"], parallel: true },
  qlut_affine: { params: ["x", "y", "n", "table", "a", "c", "shift", "lo", "hi", "flags"], parallel: true },
  qquantize: { params: ["x", "y", "n", "s", "zp", "qmin", "qmax", "signed"], parallel: true },
  qdequantize: { params: ["x", "y", "n", "s", "zp", "signed"] },
  peak_int_ops: { params: ["iterations", "seed"] },
} as const satisfies ExportTable;

/** The quantized binary operations, by the qbinary kernel's op codes. */
const QBINARY_OPS = { Add: 0, Mul: 2 } as const;

/** A scale and zero point (per tensor). */
export interface Affine {
  scale: number;
  zp: number;
}

/** The quantization of a quantized binary op's operands and output, and its output clamp (quantized units). */
export interface QbinaryParams {
  a: Affine;
  b: Affine;
  y: Affine;
  qlo: number;
  qhi: number;
  signedA: boolean;
  signedB: boolean;
  signedY: boolean;
  /** b holds float32 values (a constant operand used as it is; its scale and zero point are not read). */
  floatB?: boolean;
  /** Multiply by the output scale's float32 reciprocal instead of dividing: set where binaryReciprocalServes holds. */
  reciprocal?: boolean;
}

/** A broadcast as runs of `inner` codes: run r reads a at aAt[r] and b at bAt[r] (int32 offsets in kernel memory). */
export interface BinaryRuns {
  count: number;
  inner: number;
  aAt: Int32Array;
  bAt: Int32Array;
}

/** A 256-entry table from input codes to output codes, in kernel memory. */
export interface LutTable {
  readonly codes: Uint8Array;
  /** Whether the table is indexed by int8 codes (x + 128) rather than uint8 ones. */
  readonly signedInput: boolean;
  /** The table as an affine map with a clamp on its input codes, where one fits every entry. */
  readonly affine?: AffineTable;
  /** Whether the codes are int8 (some are negative); the affine kernel saturates to the output type. */
  readonly signedOutput: boolean;
}

/** The qbinary kernel's flags word: which operands are signed codes, whether b is float32, whether sy is a reciprocal. */
function qbinaryFlags(q: QbinaryParams): number {
  return (q.signedA ? 1 : 0) | (q.signedB ? 2 : 0) | (q.signedY ? 4 : 0) | (q.floatB ? 8 : 0) | (q.reciprocal ? 16 : 0);
}

/** What the kernel takes as sy: the output scale, or its float32 reciprocal (see binaryReciprocalServes). */
function outputFactor(q: QbinaryParams): number {
  return q.reciprocal ? Math.fround(1 / Math.fround(q.y.scale)) : q.y.scale;
}

/** Integer elementwise kernels: quantized Add/Mul, table lookups, QuantizeLinear / DequantizeLinear. */
export class QeltwiseKernels {
  constructor(private readonly rt: KernelRuntime) {}

  /** y = Q(DQ(a) op DQ(b)) over n codes, float32 steps as the Q/DQ reference; b is one value repeated (`bRepeats`) or n. */
  binary(op: keyof typeof QBINARY_OPS, a: Bytes, b: Bytes, y: Bytes, n: number, bRepeats: boolean, q: QbinaryParams): void {
    const rt = this.rt;
    const code = QBINARY_OPS[op];
    const ap = rt.ptr(a);
    const bp = rt.ptr(b);
    const yp = rt.ptr(y);
    const bStep = bRepeats ? 0 : 1;
    const flags = qbinaryFlags(q);
    const sy = outputFactor(q);
    const bBytes = q.floatB ? 4 : 1;
    if (rt.serialFor("qbinary", Math.ceil(n / 4), WINDOW_COST * n)) {
      rt.exports.qbinary(code, ap, bp, yp, n, bStep, q.a.scale, q.a.zp, q.b.scale, q.b.zp, sy, q.y.zp, q.qlo, q.qhi, flags);
      return;
    }
    rt.parallel("qbinary", Math.ceil(n / 4), WINDOW_COST * n, (v0, v1) => {
      const s = v0 * 4;
      return [code, ap + s, bStep ? bp + s * bBytes : bp, yp + s, Math.min(n, v1 * 4) - s, bStep, q.a.scale, q.a.zp, q.b.scale, q.b.zp,
        sy, q.y.zp, q.qlo, q.qhi, flags];
    });
  }

  /** A broadcast's run offsets copied into session memory, where `binaryRuns` walks them. */
  runs(inner: number, aAt: Int32Array, bAt: Int32Array, alloc: Allocate): BinaryRuns {
    const count = aAt.length;
    const offsets = this.rt.view(Int32Array, alloc(2 * count).byteOffset, 2 * count);
    offsets.set(aAt, 0);
    offsets.set(bAt, count);
    return { count, inner, aAt: offsets.subarray(0, count), bAt: offsets.subarray(count) };
  }

  /** `binary` over every run of a broadcast in one call (split over threads by runs). */
  binaryRuns(op: keyof typeof QBINARY_OPS, a: Bytes, b: Bytes, y: Bytes, runs: BinaryRuns, bRepeats: boolean, q: QbinaryParams): void {
    const rt = this.rt;
    const code = QBINARY_OPS[op];
    const ap = rt.ptr(a);
    const bp = rt.ptr(b);
    const yp = rt.ptr(y);
    const aAt = rt.ptr(runs.aAt);
    const bAt = rt.ptr(runs.bAt);
    const flags = qbinaryFlags(q);
    const sy = outputFactor(q);
    const inner = runs.inner;
    const bStep = bRepeats ? 0 : 1;
    const n = runs.count * inner;
    if (rt.serialFor("qbinary_runs", runs.count, WINDOW_COST * n)) {
      rt.exports.qbinary_runs(code, ap, bp, yp, inner, bStep, aAt, bAt, 0, runs.count, q.a.scale, q.a.zp, q.b.scale, q.b.zp,
        sy, q.y.zp, q.qlo, q.qhi, flags);
      return;
    }
    rt.parallelRange("qbinary_runs", runs.count, WINDOW_COST * n, [code, ap, bp, yp, inner, bStep, aAt, bAt, 0, 0, q.a.scale, q.a.zp,
      q.b.scale, q.b.zp, sy, q.y.zp, q.qlo, q.qhi, flags], 8, -1);
  }

  /** Room for n codes in session memory (int8 or uint8 by `signed`). */
  codes(n: number, signed: boolean, alloc: Allocate): Bytes {
    const at = alloc(Math.ceil(n / 4)).byteOffset;
    return signed ? this.rt.view(Int8Array, at, n) : this.rt.view(Uint8Array, at, n);
  }

  /** A table of 256 output codes (stored as bytes) in session memory, indexed by int8 input codes when signedInput. */
  table(codes: ArrayLike<number>, alloc: Allocate, signedInput: boolean): LutTable {
    const table = this.rt.view(Uint8Array, alloc(64).byteOffset, 256);
    let signedOutput = false;
    for (let i = 0; i < 256; i++) {
      table[i] = codes[i]! & 0xff;
      signedOutput ||= codes[i]! < 0;
    }
    const affine = affineTable(codes, signedInput);
    return { codes: table, signedInput, ...(affine ? { affine } : {}), signedOutput };
  }

  /** y[i] = table[x[i]] over n codes from the given offsets (signed inputs index by x + 128). */
  lut(x: Bytes, y: Bytes, n: number, table: LutTable, signed: boolean, xAt = 0, yAt = 0): void {
    const rt = this.rt;
    const xp = rt.ptr(x) + xAt;
    const yp = rt.ptr(y) + yAt;
    const t = rt.ptr(table.codes);
    const s = signed ? 1 : 0;
    // The affine form holds for the codes the table is indexed by.
    const f = signed === table.signedInput ? table.affine : undefined;
    if (f) {
      const flags = s | (table.signedOutput ? 2 : 0);
      if (rt.serialFor("qlut_affine", n, WINDOW_COST * n)) {
        rt.exports.qlut_affine(xp, yp, n, t, f.a, f.c, f.shift, f.lo, f.hi, flags);
        return;
      }
      rt.parallel("qlut_affine", n, WINDOW_COST * n, (i0, i1) => [xp + i0, yp + i0, i1 - i0, t, f.a, f.c, f.shift, f.lo, f.hi, flags]);
      return;
    }
    if (rt.serialFor("qlut", n, WINDOW_COST * n)) {
      rt.exports.qlut(xp, yp, n, t, s);
      return;
    }
    rt.parallel("qlut", n, WINDOW_COST * n, (i0, i1) => [xp + i0, yp + i0, i1 - i0, t, s]);
  }

  /** QuantizeLinear (per tensor) from float32 to codes. */
  quantize(x: Float32Array, y: Bytes, n: number, q: Affine, qmin: number, qmax: number, signedOutput: boolean): void {
    const rt = this.rt;
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    const signed = signedOutput ? 1 : 0;
    if (rt.serialFor("qquantize", Math.ceil(n / 4), WINDOW_COST * n)) {
      rt.exports.qquantize(xp, yp, n, q.scale, q.zp, qmin, qmax, signed);
      return;
    }
    rt.parallel("qquantize", Math.ceil(n / 4), WINDOW_COST * n, (v0, v1) => {
      const st = v0 * 4;
      return [xp + st * 4, yp + st, Math.min(n, v1 * 4) - st, q.scale, q.zp, qmin, qmax, signed];
    });
  }

  /** DequantizeLinear (per tensor) from codes to float32. */
  dequantize(x: Bytes, y: Float32Array, n: number, q: Affine, signedInput: boolean): void {
    this.rt.exports.qdequantize(this.rt.ptr(x), this.rt.ptr(y), n, q.scale, q.zp, signedInput ? 1 : 0);
  }
}

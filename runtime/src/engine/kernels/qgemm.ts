import type { ExportTable } from "./exports.js";
import type { Bytes, Requantization } from "./qconv.js";
import type { Allocate, KernelRuntime } from "./runtime.js";

/** kernels/qgemm.ts */
export const QGEMM_EXPORTS = {
  qgemm_packed_bytes: { params: ["K", "N"] },
  qgemm_scratch_bytes: { params: ["K"] },
  qgemm_pack_b: { params: ["src", "K", "N", "sk", "sn", "zb", "signed", "dst"] },
  qgemm_rows: {
    params: ["x", "rows", "K", "xz", "b", "N", "bias", "mult", "off", "y", "zy", "qlo", "qhi", "flags", "j0", "j1", "p0", "p1", "scratch"],
    parallel: true,
  },
} as const satisfies ExportTable;

/**
 * Flag: no multiplier or offset is infinite or NaN (and a divisor is not 0), so the integer accumulators cannot
 * become NaN and the kernel's rounding skips its NaN mask.
 */
const FINITE = 8;
/** Flag bit 4: float32 output (kernels/qgemm.ts requantRow). */
const FLOAT_OUTPUT = 16;

/** Rows per panel and columns per block of the kernel's output tile. */
const ROWS = 4;
const COLUMNS = 8;

/** One multiply's operand B, packed for qgemm_rows, with the per-column epilogue (kernel memory, byte offsets). */
export interface PackedQgemm {
  readonly K: number;
  readonly N: number;
  readonly b: number;
  readonly bias: number;
  readonly mult: number;
  readonly off: number;
  readonly zx: number;
  readonly zy: number;
  readonly qlo: number;
  readonly qhi: number;
  /** bit 0 signed X, bit 1 signed Y, bit 2 divide by the one scale in mult (activation × activation), bit 3 FINITE. */
  readonly flags: number;
}

/** How an activation × activation product is requantized: q = clamp(round(acc / scale) + zy, qlo, qhi). */
export interface MatmulRequantization {
  za: number;
  zb: number;
  /** s_y / (s_a·s_b), rounded to float32 by the kernel's load. */
  scale: number;
  zy: number;
  qlo: number;
  qhi: number;
  signedA: boolean;
  signedB: boolean;
  signedOutput: boolean;
  /** Float32 output: the products scaled by `scale` (then s_a·s_b), not requantized. */
  floatOutput?: boolean;
}

/** Batch geometry of A[..][rows][K]·B[..][K][N]: per output item, the element offsets of its A and B matrices. */
export interface MatmulBatch {
  rows: number;
  K: number;
  N: number;
  aOffsets: readonly number[];
  bOffsets: readonly number[];
}

/**
 * Integer GEMMs on row-major byte activations (a quantized Linear's X·Wᵀ, attention's activation × activation
 * products): B packed in the kernel's column blocks, X packed in cache-sized chunks inside the kernel, the
 * requantization in its epilogue.
 */
export class QgemmKernels {
  constructor(private readonly rt: KernelRuntime) {}

  /**
   * Lay out constant int8 weights once per session: W[N][K] (`transposed`, Gemm's transB = 1) or W[K][N], with the
   * int32 bias and the per-column requantization padded to whole blocks.
   */
  packWeights(w: Int8Array, K: number, N: number, transposed: boolean, rq: Requantization, alloc: Allocate): PackedQgemm {
    const rt = this.rt;
    const e = rt.exports;
    const bytes = (n: number) => alloc(Math.ceil(n / 4)).byteOffset;
    const b = bytes(e.qgemm_packed_bytes(K, N));
    const src = bytes(K * N);
    rt.view(Int8Array, src, K * N).set(w);
    if (transposed) e.qgemm_pack_b(src, K, N, 1, K, 0, 1, b);
    else e.qgemm_pack_b(src, K, N, N, 1, 0, 1, b);
    const padded = Math.ceil(N / COLUMNS) * COLUMNS;
    const bias = bytes(padded * 4);
    const mult = bytes(padded * 4);
    const off = bytes(padded * 4);
    const biasView = rt.view(Int32Array, bias, padded);
    const multView = rt.f32(mult, padded);
    const offView = rt.f32(off, padded);
    biasView.fill(0);
    multView.fill(0);
    offView.fill(0);
    biasView.set(rq.biasAcc.subarray(0, N));
    multView.set(rq.mult.subarray(0, N));
    offView.set(rq.off.subarray(0, N));
    const finite = multView.every(Number.isFinite) && offView.every(Number.isFinite);
    const flags = (rq.signedInput ? 1 : 0) | (rq.signedOutput ? 2 : 0) | (finite ? FINITE : 0);
    return { K, N, b, bias, mult, off, zx: rq.zx, zy: rq.zy, qlo: rq.qlo, qhi: rq.qhi, flags };
  }

  /** Per-thread scratch for products over K. */
  reserve(K: number): void {
    this.rt.reserveScratch(Math.ceil(this.rt.exports.qgemm_scratch_bytes(K) / 4));
  }

  /** Y[rows][N] = requant(X[rows][K]·B + bias): threads share column blocks (or row panels). See reserve. */
  run(packed: PackedQgemm, x: Bytes, y: Bytes, rows: number): void {
    this.rt.count("qgemm");
    this.#rows(packed, packed.b, this.rt.ptr(x), this.rt.ptr(y), rows);
  }

  /**
   * The epilogue of an activation × activation product over N columns, once per plan: a zero bias and the one
   * scale the accumulators are divided by. Reserve scratch with reserveMatmul.
   */
  prepareMatmul(K: number, N: number, q: MatmulRequantization, alloc: Allocate): PackedQgemm {
    const rt = this.rt;
    const padded = Math.ceil(N / COLUMNS) * COLUMNS;
    const bytes = (n: number) => alloc(Math.ceil(n / 4)).byteOffset;
    const bias = bytes(padded * 4);
    const mult = bytes(padded * 4);
    const off = bytes(padded * 4);
    rt.view(Int32Array, bias, padded).fill(0);
    rt.f32(mult, padded).fill(Math.fround(q.scale));
    rt.f32(off, padded).fill(0);
    const divisor = Math.fround(q.scale);
    const finite = Number.isFinite(divisor) && divisor !== 0;
    const flags = (q.signedA ? 1 : 0) | (q.floatOutput ? FLOAT_OUTPUT : (q.signedOutput ? 2 : 0) | 4 | (finite ? FINITE : 0));
    return { K, N, b: 0, bias, mult, off, zx: q.za, zy: q.zy, qlo: q.qlo, qhi: q.qhi, flags };
  }

  /** Scratch of an activation × activation product: the packed B (shared) and the kernel's own. */
  reserveMatmul(K: number, N: number): void {
    this.reserve(K);
    this.rt.reserveSharedScratch(Math.ceil(this.rt.exports.qgemm_packed_bytes(K, N) / 4));
  }

  /** Y = A·B for every batch item: B (a run-time activation) is packed per item in the kernel, centered by zb. */
  matmul(epilogue: PackedQgemm, a: Bytes, b: Bytes, y: Bytes | Float32Array, batch: MatmulBatch, zb: number, signedB: boolean): void {
    const rt = this.rt;
    const e = rt.exports;
    const { rows, K, N } = batch;
    const ap = rt.ptr(a);
    const bp = rt.ptr(b);
    const yp = rt.ptr(y);
    rt.count("qmatmul");
    for (let i = 0; i < batch.aOffsets.length; i++) {
      const packed = rt.sharedScratch;
      e.qgemm_pack_b(bp + batch.bOffsets[i]!, K, N, N, 1, zb, signedB ? 1 : 0, packed);
      this.#rows(epilogue, packed, ap + batch.aOffsets[i]!, yp + i * rows * N * (epilogue.flags & FLOAT_OUTPUT ? 4 : 1), rows);
    }
  }

  #rows(p: PackedQgemm, b: number, x: number, y: number, rows: number): void {
    const rt = this.rt;
    const blocks = Math.ceil(p.N / COLUMNS);
    const panels = Math.ceil(rows / ROWS);
    const work = rows * p.K * p.N;
    if (rt.serialFor("qgemm_rows", blocks, work)) {
      rt.exports.qgemm_rows(x, rows, p.K, p.zx, b, p.N, p.bias, p.mult, p.off, y, p.zy, p.qlo, p.qhi, p.flags, 0, blocks, 0, panels,
        rt.scratch(0));
      return;
    }
    rt.parallel2dRange("qgemm_rows", blocks, panels, work,
      [x, rows, p.K, p.zx, b, p.N, p.bias, p.mult, p.off, y, p.zy, p.qlo, p.qhi, p.flags, 0, blocks, 0, panels, 0], 14, 16, 18);
  }
}

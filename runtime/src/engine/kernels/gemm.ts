import type { ExportTable } from "./exports.js";
import type { Allocate, KernelRuntime, OutputClamp } from "./runtime.js";
import { CHUNKS_PER_THREAD } from "./thread-protocol.js";

/** kernels/gemm.ts */
export const GEMM_EXPORTS = {
  gemm_mr: { params: [] },
  gemm_packed: { params: ["a", "b", "c", "ldc", "M", "N", "K", "bias", "biasMode", "lo", "hi", "j0", "j1", "p0", "p1", "tmp"], parallel: true },
  gemv_packed: { params: ["a", "b", "c", "N", "K", "bias", "biasMode", "lo", "hi", "j0", "j1", "tmp"], parallel: true },
  pack_a: { params: ["src", "rs", "ks", "M", "K", "dst"] },
  pack_b: { params: ["src", "ks", "ns", "K", "N", "dst"] },
  gemm_batched: {
    params: ["a", "b", "c", "offsets", "rsA", "ksA", "ksB", "nsB", "ldc", "M", "N", "K", "bPacked", "lo", "hi", "parts", "i0", "i1", "tmp"],
    parallel: true,
  },
} as const satisfies ExportTable;

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Columns per packed B block. */
const NR = 8;
const BIAS_NONE = 0;
const BIAS_ROW = 1;
const BIAS_COL = 2;

/** A rows × cols matrix read from `data`: element (r, c) at offset + r·rowStride + c·colStride. */
export interface MatrixSource {
  data: Float32Array;
  offset?: number;
  rowStride: number;
  colStride: number;
}

/** The left operand (M × K), packed in row panels. */
export interface PackedA {
  readonly M: number;
  readonly K: number;
  readonly data: Float32Array;
}

/** The right operand (K × N), packed in column blocks. */
export interface PackedB {
  readonly K: number;
  readonly N: number;
  readonly data: Float32Array;
}

/** A bias added per output column (`cols`) or per output row (`rows`), padded as the kernel reads it. */
export interface GemmBias {
  readonly per: "rows" | "cols";
  readonly data: Float32Array;
}

/** Where C goes: `y` from element `offset`, rows `ldc` floats apart (default N). */
export interface GemmOutput {
  y: Float32Array;
  offset?: number;
  ldc?: number;
}

/** Element strides of a matrix read in place: element (r, c) at r·rowStride + c·colStride from its item's offset. */
export interface MatrixStrides {
  rowStride: number;
  colStride: number;
}

/** Where each item of a batched product reads and writes, in elements of its tensor (B: of the packed batch). */
export interface BatchLayout {
  count: number;
  M: number;
  N: number;
  K: number;
  aOffsets: readonly number[];
  bOffsets: readonly number[];
  cOffsets: readonly number[];
  a: MatrixStrides;
  /** B's strides, or "packed" when it is a constant packed once with packBatchB. */
  b: MatrixStrides | "packed";
  ldc: number;
}

/** A batched product ready to run: its offset table in kernel memory. */
export interface GemmBatch {
  readonly layout: BatchLayout;
  readonly offsets: Int32Array;
}

/** C = clamp(A·B + bias): the fp32 GEMM family. Operators pack their operands here and never see panel sizes. */
export class GemmKernels {
  readonly #mr: number;

  constructor(private readonly rt: KernelRuntime) {
    this.#mr = rt.exports.gemm_mr();
  }

  /** Rows of A a packed panel holds (4, or 6 with fused multiply-add): the row-panel count of a call is M / this. */
  get panelRows(): number {
    return this.#mr;
  }

  /** Rows padded to whole panels; per-row arrays (biases) are laid out so. */
  paddedRows(M: number): number {
    return Math.ceil(M / this.#mr) * this.#mr;
  }

  /** Floats of a packed M × K left operand. */
  packedASize(M: number, K: number): number {
    return this.paddedRows(M) * K;
  }

  /** Floats of a packed K × N right operand. */
  static packedBSize(K: number, N: number): number {
    return Math.ceil(N / NR) * NR * K;
  }

  createA(M: number, K: number, alloc: Allocate): PackedA {
    return { M, K, data: alloc(this.packedASize(M, K)) };
  }

  createB(K: number, N: number, alloc: Allocate): PackedB {
    return { K, N, data: alloc(GemmKernels.packedBSize(K, N)) };
  }

  /** Pack the M × K matrix `src` into `dst`. */
  packA(dst: PackedA, src: MatrixSource): void {
    const rt = this.rt;
    const tmp = this.#stage(src, 1);
    rt.exports.pack_a(this.#sourcePtr(src, tmp), src.rowStride, src.colStride, dst.M, dst.K, rt.ptr(dst.data));
    if (tmp) rt.free(tmp);
  }

  /** Pack the K × N matrix `src` (times `scale`) into `dst`. */
  packB(dst: PackedB, src: MatrixSource, scale = 1): void {
    const rt = this.rt;
    const tmp = this.#stage(src, scale);
    rt.exports.pack_b(this.#sourcePtr(src, tmp), src.rowStride, src.colStride, dst.K, dst.N, rt.ptr(dst.data));
    if (tmp) rt.free(tmp);
  }

  /** A bias of `count` values (one value broadcast when `values` has one), times `scale`, per output row or column. */
  bias(per: "rows" | "cols", values: ArrayLike<number>, count: number, scale: number, alloc: Allocate): GemmBias {
    const data = alloc(per === "rows" ? this.paddedRows(count) : Math.ceil(count / NR) * NR);
    data.fill(0);
    for (let i = 0; i < count; i++) data[i] = scale * values[values.length === 1 ? 0 : i]!;
    return { per, data };
  }

  /** C (A.M × B.N) = clamp(A·B + bias). */
  run(a: PackedA, b: PackedB, out: GemmOutput, bias?: GemmBias, clamp?: OutputClamp): void {
    const { M, K } = a;
    const N = b.N;
    const rt = this.rt;
    const ap = rt.ptr(a.data);
    const bp = rt.ptr(b.data);
    const c = rt.ptr(out.y) + (out.offset ?? 0) * 4;
    const ldc = out.ldc ?? N;
    const biasPtr = bias ? rt.ptr(bias.data) : 0;
    const mode = !bias ? BIAS_NONE : bias.per === "rows" ? BIAS_ROW : BIAS_COL;
    const lo = clamp?.lo ?? -Infinity;
    const hi = clamp?.hi ?? Infinity;
    const blocks = Math.ceil(N / NR);
    const panels = Math.ceil(M / this.#mr);
    // One row (a classifier on one image): a matrix-vector product, without the panel's zero rows (ldc unused).
    if (M === 1 && K > 0) {
      if (rt.serial(blocks, N * K)) rt.exports.gemv_packed(ap, bp, c, N, K, biasPtr, mode, lo, hi, 0, blocks, rt.scratch(0));
      else rt.parallelRange("gemv_packed", blocks, N * K, [ap, bp, c, N, K, biasPtr, mode, lo, hi, 0, 0, 0], 9, 11);
      return;
    }
    if (rt.serial(blocks, M * N * K)) {
      rt.exports.gemm_packed(ap, bp, c, ldc, M, N, K, biasPtr, mode, lo, hi, 0, blocks, 0, panels, rt.scratch(0));
      return;
    }
    rt.parallel2dRange("gemm_packed", blocks, panels, M * N * K, [ap, bp, c, ldc, M, N, K, biasPtr, mode, lo, hi, 0, 0, 0, 0, 0], 11, 13, 15);
  }

  /** Every K × N matrix of a constant B batch (`count` of them, row-major, consecutive) packed into one block. */
  packBatchB(src: Float32Array, count: number, K: number, N: number, alloc: Allocate): Float32Array {
    const size = GemmKernels.packedBSize(K, N);
    const all = alloc(count * size);
    for (let i = 0; i < count; i++) {
      this.packB({ K, N, data: all.subarray(i * size, (i + 1) * size) }, { data: src, offset: i * K * N, rowStride: N, colStride: 1 });
    }
    return all;
  }

  /** Plan a batched product: its offset table, and per-thread scratch for one packed A and one packed B. */
  createBatch(layout: BatchLayout, alloc: Allocate): GemmBatch {
    const table = alloc(Math.max(1, layout.count * 3));
    const offsets = new Int32Array(table.buffer, table.byteOffset, layout.count * 3);
    const packedB = layout.b === "packed" ? GemmKernels.packedBSize(layout.K, layout.N) : 1;
    for (let i = 0; i < layout.count; i++) {
      offsets[3 * i] = layout.aOffsets[i]! * 4;
      offsets[3 * i + 1] = layout.bOffsets[i]! * (layout.b === "packed" ? packedB : 1) * 4;
      offsets[3 * i + 2] = layout.cOffsets[i]! * 4;
    }
    this.rt.reserveScratch(32 + this.packedASize(layout.M, layout.K) + GemmKernels.packedBSize(layout.K, layout.N));
    return { layout, offsets };
  }

  /**
   * Every product of the batch in one kernel call, split over the threads by items, or by runs of rows of the items
   * when there are fewer items than shares (each share of an item packs its B again: K·N beside M·N·K/parts).
   */
  runBatch(batch: GemmBatch, a: Float32Array, b: Float32Array, y: Float32Array, clamp: OutputClamp = {}): void {
    const { count, M, N, K, a: as, b: bs, ldc } = batch.layout;
    const rt = this.rt;
    const ap = rt.ptr(a);
    const bp = rt.ptr(b);
    const cp = rt.ptr(y);
    const op = rt.ptr(batch.offsets);
    const packed = bs === "packed";
    const ksB = packed ? 0 : bs.rowStride;
    const nsB = packed ? 0 : bs.colStride;
    const lo = clamp.lo ?? -Infinity;
    const hi = clamp.hi ?? Infinity;
    rt.count("gemm-batched");
    const work = count * M * N * K;
    if (rt.serial(count * M, work)) {
      rt.exports.gemm_batched(ap, bp, cp, op, as.rowStride, as.colStride, ksB, nsB, ldc, M, N, K, packed ? 1 : 0, lo, hi, 1, 0, count, rt.scratch(0));
      return;
    }
    // Fewer items than shares: cut each in parts so that the pieces fill the shares evenly (3 heads, 4 shares: 12).
    const shares = rt.threads * CHUNKS_PER_THREAD;
    const parts = count >= shares ? 1 : Math.min(Math.ceil(M / this.#mr), shares / gcd(count, shares));
    rt.parallelRange("gemm_batched", count * parts, work, [ap, bp, cp, op, as.rowStride, as.colStride, ksB, nsB, ldc, M, N, K, packed ? 1 : 0, lo, hi,
      parts, 0, 0, 0], 16, 18);
  }

  /** A scaled copy of the source in kernel memory, or undefined when it is read in place (in memory, unscaled). */
  #stage(src: MatrixSource, scale: number): Float32Array | undefined {
    const rt = this.rt;
    if (scale === 1 && rt.inMemory(src.data)) return undefined;
    const tmp = rt.allocF32(src.data.length);
    tmp.set(src.data);
    if (scale !== 1) for (let i = 0; i < tmp.length; i++) tmp[i]! *= scale;
    return tmp;
  }

  #sourcePtr(src: MatrixSource, staged: Float32Array | undefined): number {
    return (staged ? staged.byteOffset : this.rt.ptr(src.data)) + (src.offset ?? 0) * 4;
  }
}

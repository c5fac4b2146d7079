import type { ExportTable } from "./exports.js";
import { QD } from "./generated/descriptors.js";
import { pointwise, type ConvShape, type Window2d } from "./geometry.js";
import type { Allocate, KernelRuntime } from "./runtime.js";
import { roundHalfEven } from "../ops/math.js";
import { foldStage } from "./fold-stage.js";

/** kernels/qconv.ts */
export const QCONV_EXPORTS = {
  qconv_scratch_bytes: { params: ["M"] },
  qpack_a: { params: ["src", "M", "K", "dst"] },
  qconv_pad_bytes: { params: ["C", "kh", "kw", "sh", "sw", "dh", "dw", "OH", "OW"] },
  qconv2d: { params: ["d", "g", "x", "y", "j0", "j1", "p0", "p1", "scratch"], parallel: true },
  qconv2d_images: { params: ["d", "x", "y", "i0", "i1", "scratch"], parallel: true },
  qconv_column_blocks: { params: ["d"] },
  qdepth_to_space: { params: ["t", "M", "kh", "kw", "H", "W", "y"] },
} as const satisfies ExportTable;

/** Output channels per packed panel of the integer kernels. */
const PANEL = 4;

/** Byte tensors of the integer kernels. */
export type Bytes = Uint8Array | Int8Array;

/** How a convolution's int32 accumulators become output codes, per output channel (see kernels/qcommon.ts). */
export interface Requantization {
  /** s_x·s_w[m] / s_y, rounded to float32 (what the kernels multiply by). */
  mult: Float32Array;
  /** The int32 bias when its scale is s_x·s_w[m] (added to the accumulator), else 0. */
  biasAcc: Int32Array;
  /** bias·s_b / s_y when the bias does not fold into the accumulator, else 0. */
  off: Float32Array;
  zx: number;
  zy: number;
  /** The output clamp in quantized units. */
  qlo: number;
  qhi: number;
  signedInput: boolean;
  signedOutput: boolean;
  /**
   * A second quantization after the first, as a Relu or Clip between two Q/DQ pairs computes it: then mult, off and
   * biasAcc quantize to the first (stage.scale, stage.zp) and zy, qlo, qhi are the output's.
   */
  stage?: RequantStage;
}

/** The first quantization's codes dequantized, clamped in float32 and quantized again (see kernels/qcommon.ts). */
export interface RequantStage {
  /** The first quantization: zero point, range (the dtype's), scale. */
  zp: number;
  qlo: number;
  qhi: number;
  scale: number;
  /** The float clamp between the two (a Relu: 0 and +∞). */
  lo: number;
  hi: number;
  /** The output scale, which QuantizeLinear divides by. */
  divisor: number;
}

/** Weights W[groups·M][K]: M output channels of K = C·kh·kw values per group; depthwise, M channels of kh·kw taps. */
export interface QconvLayout {
  groups: number;
  M: number;
  K: number;
  depthwise?: boolean;
}

/** A quantized convolution's packed weights and requantization, behind its descriptor. */
export interface PackedQconv {
  readonly groups: number;
  readonly M: number;
  readonly K: number;
  readonly depthwise: boolean;
  readonly signedInput: boolean;
  readonly signedOutput: boolean;
  /** The descriptor record (kernel memory), written once here and its geometry before each run. */
  readonly desc: Int32Array;
}

/** Write a descriptor's requantization fields and where its arrays are. */
export function describe(desc: Int32Array, rq: Requantization, f: { groups: number; M: number; a: number; aStride: number; bias: number;
  pStride: number; mult: number; off: number; stage?: number }): void {
  desc.fill(0);
  desc[QD.GROUPS] = f.groups; desc[QD.M] = f.M; desc[QD.A] = f.a; desc[QD.A_STRIDE] = f.aStride; desc[QD.BIAS] = f.bias;
  desc[QD.P_STRIDE] = f.pStride; desc[QD.MULT] = f.mult; desc[QD.OFF] = f.off; desc[QD.ZX] = rq.zx; desc[QD.ZY] = rq.zy;
  desc[QD.QLO] = rq.qlo; desc[QD.QHI] = rq.qhi;
  // Bit 2: no multiplier or offset is infinite or NaN, so an accumulator's float is finite or ±∞, never NaN, and the
  // kernels round it without masking NaN (qround's finiteToCodes).
  const finite = rq.mult.every(Number.isFinite) && rq.off.every(Number.isFinite);
  desc[QD.FLAGS] = (rq.signedInput ? 1 : 0) | (rq.signedOutput ? 2 : 0) | (finite ? 4 : 0);
  desc[QD.STAGE] = f.stage ?? 0;
}

/** A requantization's second stage as the kernels read it (QD.STAGE), in kernel memory; 0 without one. */
export function packStage(rt: KernelRuntime, rq: Requantization, alloc: Allocate): number {
  const st = rq.stage;
  if (!st) return 0;
  const at = alloc(14).byteOffset;
  const reciprocal = reciprocalServes(st);
  rt.view(Int32Array, at, 3).set([st.zp, st.qlo, st.qhi]);
  rt.f32(at + 12, 4).set([st.scale, st.lo, st.hi, reciprocal ? Math.fround(1 / Math.fround(st.divisor)) : st.divisor]);
  rt.view(Int32Array, at + 28, 1)[0] = reciprocal ? 1 : 0;
  const finite = rq.mult.every(Number.isFinite) && rq.off.every(Number.isFinite);
  const fullRange = rq.signedOutput ? rq.qlo === -128 && rq.qhi === 127 : rq.qlo === 0 && rq.qhi === 255;
  const folded = foldStage({ ...st, reciprocal, zy: rq.zy, outLo: rq.qlo, outHi: rq.qhi, fullRange, finite });
  rt.view(Int32Array, at + 32, 1)[0] = folded ? 1 : 0;
  if (folded) rt.f32(at + 36, 4).set([folded.low, folded.high, folded.a, folded.b]);
  rt.view(Int32Array, at + 52, 1)[0] = folded?.lean ? 1 : 0;
  return at;
}

/**
 * Whether multiplying by the float32 reciprocal of the output scale rounds every value the stage can see (one per
 * code of the first quantization) to the code dividing by it gives: a multiply costs far less than a divide.
 */
export function reciprocalServes(st: RequantStage): boolean {
  const scale = Math.fround(st.scale), lo = Math.fround(st.lo), hi = Math.fround(st.hi);
  const divisor = Math.fround(st.divisor);
  const reciprocal = Math.fround(1 / divisor);
  for (let q = st.qlo; q <= st.qhi; q++) {
    const x = Math.min(Math.max(Math.fround((q - st.zp) * scale), lo), hi);
    if (roundHalfEven(Math.fround(x / divisor)) !== roundHalfEven(Math.fround(x * reciprocal))) return false;
  }
  return true;
}

/** Write a plan's geometry into a descriptor (the same weights serve every input shape; one plan runs at a time). */
export function describeGeometry(desc: Int32Array, C: number, g: Window2d): void {
  desc[QD.C] = C; desc[QD.H] = g.H; desc[QD.W] = g.W; desc[QD.KH] = g.kh; desc[QD.KW] = g.kw; desc[QD.SH] = g.sh; desc[QD.SW] = g.sw;
  desc[QD.PH] = g.ph; desc[QD.PW] = g.pw; desc[QD.DH] = g.dh; desc[QD.DW] = g.dw; desc[QD.OH] = g.OH; desc[QD.OW] = g.OW;
}

/** Quantized convolutions (grouped and pointwise) on byte activations and int8 weights; GEMMs run in qgemm.ts. */
export class QconvKernels {
  constructor(private readonly rt: KernelRuntime) {}

  /**
   * Lay out int8 weights W (groups × M × K, row-major) once per session: int16 GEMM panels with −zx·Σw folded into
   * the bias, or (depthwise: groups 1, M channels of K taps) plain int16 filters, whose kernel subtracts zx from the
   * input instead.
   */
  pack(w: Int8Array, layout: QconvLayout, rq: Requantization, alloc: Allocate): PackedQconv {
    const rt = this.rt;
    const { groups, M, K } = layout;
    const depthwise = layout.depthwise ?? false;
    const total = groups * M;
    const Mpad = Math.ceil(M / PANEL) * PANEL;
    const bytes = (n: number) => alloc(Math.ceil(n / 4)).byteOffset;
    const desc = rt.view(Int32Array, bytes(QD.SIZE * 4), QD.SIZE);
    const pStride = (depthwise ? total : Mpad) * 4;
    const perGroups = depthwise ? 1 : groups;
    const bias = bytes(pStride * perGroups);
    const mult = bytes(pStride * perGroups);
    const off = bytes(pStride * perGroups);
    let a: number;
    let aStride = 0;
    const biasView = rt.view(Int32Array, bias, (pStride / 4) * perGroups);
    const multView = rt.f32(mult, (pStride / 4) * perGroups);
    const offView = rt.f32(off, (pStride / 4) * perGroups);
    biasView.fill(0);
    multView.fill(0);
    offView.fill(0);
    if (depthwise) {
      a = bytes(total * K * 2);
      const filters = rt.view(Int16Array, a, total * K);
      for (let i = 0; i < total * K; i++) filters[i] = w[i]!;
      for (let m = 0; m < total; m++) {
        biasView[m] = rq.biasAcc[m]!;
        multView[m] = rq.mult[m]!;
        offView[m] = rq.off[m]!;
      }
    } else {
      aStride = Mpad * (K + (K & 1)) * 2;
      a = bytes(aStride * groups);
      const src = bytes(M * K);
      for (let gi = 0; gi < groups; gi++) {
        rt.view(Int8Array, src, M * K).set(w.subarray(gi * M * K, (gi + 1) * M * K));
        rt.exports.qpack_a(src, M, K, a + gi * aStride);
        for (let r = 0; r < M; r++) {
          const m = gi * M + r;
          let sum = 0;
          for (let i = 0; i < K; i++) sum += w[m * K + i]!;
          const at = gi * (pStride / 4) + r;
          biasView[at] = rq.biasAcc[m]! - rq.zx * sum;
          multView[at] = rq.mult[m]!;
          offView[at] = rq.off[m]!;
        }
      }
    }
    describe(desc, rq, { groups, M, a, aStride, bias, pStride, mult, off, stage: packStage(rt, rq, alloc) });
    return { groups, M, K, depthwise, signedInput: rq.signedInput, signedOutput: rq.signedOutput, desc };
  }

  /** Per-thread scratch for M output channels (per group), with room for a padded copy of a C-channel group. */
  reserve(M: number, C = 0, g?: Window2d): void {
    const e = this.rt.exports;
    const pad = !g || pointwise(g) ? 0 : e.qconv_pad_bytes(C, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.OH, g.OW);
    this.rt.reserveScratch(Math.ceil((e.qconv_scratch_bytes(M) + pad) / 4));
  }

  /**
   * A quantized convolution of N images (C and M of the shape per group): threads take whole images when there are
   * enough, otherwise share each image's output columns (or channel panels).
   */
  run(packed: PackedQconv, x: Bytes, y: Bytes, s: ConvShape): void {
    const rt = this.rt;
    describeGeometry(packed.desc, s.C, s.g);
    this.#run(rt.ptr(packed.desc), rt.ptr(x), rt.ptr(y), s);
  }

  /**
   * A transposed convolution whose stride is its kernel (N × C × H × W in, N × M × H·kh × W·kw out): the 1×1
   * convolution `packed` (M·kh·kw output channels, tap planes) into `planes` (kernel memory of at least
   * N·M·kh·kw·H·W bytes), then the tap planes interleaved into place.
   */
  runTaps(packed: PackedQconv, x: Bytes, y: Bytes, planes: Float32Array, s: { N: number; C: number; M: number; H: number; W: number; kh: number; kw: number }): void {
    const rt = this.rt;
    const { N, C, M, H, W, kh, kw } = s;
    const image = M * kh * kw * H * W;
    const t = rt.view(Uint8Array, rt.ptr(planes), N * image);
    const g: Window2d = { H, W, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, OH: H, OW: W };
    this.run(packed, x, t, { N, groups: 1, C, M: M * kh * kw, g });
    for (let n = 0; n < N; n++) rt.exports.qdepth_to_space(rt.ptr(t) + n * image, M, kh, kw, H, W, rt.ptr(y) + n * image);
  }

  #run(desc: number, x: number, y: number, s: ConvShape): void {
    const rt = this.rt;
    const { N, groups, C, M, g } = s;
    const inImage = groups * C * g.H * g.W;
    const plane = g.OH * g.OW;
    const outImage = groups * M * plane;
    const macs = plane * M * C * g.kh * g.kw;
    const items = N * groups;
    rt.count("qconv");
    if (rt.serialFor("qconv2d_images", 2, items * macs)) {
      rt.exports.qconv2d_images(desc, x, y, 0, items, rt.scratch(0));
      return;
    }
    // Whole (image, group) items when there are enough, or when the groups are too small to split within.
    if (items >= 2 * rt.threads || groups > 1) {
      rt.parallel("qconv2d_images", items, items * macs, (i0, i1, tid) => [desc, x, y, i0, i1, rt.scratch(tid)]);
      return;
    }
    for (let n = 0; n < N; n++) {
      rt.parallel2d("qconv2d", rt.exports.qconv_column_blocks(desc), Math.ceil(M / PANEL), macs, (j0, j1, p0, p1, tid) =>
        [desc, 0, x + n * inImage, y + n * outImage, j0, j1, p0, p1, rt.scratch(tid)]);
    }
  }
}

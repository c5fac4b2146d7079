import type { PrepareContext, ValueMeta } from "../../op.js";
import { Kernels, type Window2d } from "../../kernels/kernels.js";
import { numbers } from "../util.js";
import { roundHalfEven } from "../math.js";
import { qkitInputs } from "../../../qkit-ops/schema.js";
import { biasFolds, outputClamp, perChannel, perTensor, type QParam } from "./qparams.js";

const QLINEAR = qkitInputs("QConv");

/** Descriptor fields (see kernels/qcommon.ts). */
const D = { C: 0, H: 1, W: 2, KH: 3, KW: 4, SH: 5, SW: 6, PH: 7, PW: 8, DH: 9, DW: 10, OH: 11, OW: 12, M: 13, GROUPS: 14,
  A: 15, A_STRIDE: 16, BIAS: 17, P_STRIDE: 18, MULT: 19, OFF: 20, ZX: 21, ZY: 22, QLO: 23, QHI: 24, FLAGS: 25 } as const;
const DESC_INTS = 32;

/** Requantization of a convolution or GEMM, per output channel, from its constant inputs. */
export interface Requant {
  x: QParam;
  y: QParam;
  qlo: number;
  qhi: number;
  /** s_x·s_w[m] / s_y, rounded to float32 (what the kernels multiply by). */
  mult: Float32Array;
  /** The int32 bias when its scale is s_x·s_w[m] (added to the accumulator), else 0. */
  biasAcc: Int32Array;
  /** bias·s_b / s_y when the bias does not fold into the accumulator, else 0. */
  off: Float32Array;
}

export function requantOf(inputs: readonly (ValueMeta | undefined)[], M: number, ctx: PrepareContext): Requant {
  const x = perTensor(inputs[QLINEAR.xScale], inputs[QLINEAR.xZeroPoint], "input", ctx);
  const y = perTensor(inputs[QLINEAR.yScale], inputs[QLINEAR.yZeroPoint], "output", ctx);
  const ws = perChannel(inputs[QLINEAR.wScale], M, 1).map(Math.fround);
  if (ws.length !== M) ctx.fail(`weight scale has ${ws.length} values for ${M} output channels`);
  if (perChannel(inputs[QLINEAR.wZeroPoint], M, 0).some((z) => z !== 0)) ctx.unsupported("with a nonzero weight zero point");
  const bias = inputs[QLINEAR.bias];
  const bq = bias?.value !== undefined ? numbers(bias.value) : new Array<number>(M).fill(0);
  if (bias && bias.value === undefined) ctx.unsupported("with a bias computed at run time");
  if (bq.length !== M) ctx.fail(`bias has ${bq.length} values for ${M} output channels`);
  const bs = perChannel(inputs[QLINEAR.biasScale], M, NaN);
  const mult = new Float32Array(M);
  const biasAcc = new Int32Array(M);
  const off = new Float32Array(M);
  for (let m = 0; m < M; m++) {
    mult[m] = (x.scale * ws[m]!) / y.scale;
    const sb = Number.isNaN(bs[m]!) ? x.scale * ws[m]! : bs[m]!;
    if (biasFolds(sb, x.scale, ws[m]!)) biasAcc[m] = bq[m]!;
    else off[m] = (bq[m]! * sb) / y.scale;
  }
  return { x, y, ...outputClamp(y, ctx), mult, biasAcc, off };
}

/** Kernel-memory state of a quantized convolution or GEMM: the descriptor and what it points to. */
export interface PackedLinear {
  desc: number;
}

/**
 * Lay out int8 weights W (groups × Mg × K, row-major) for the kernels, once per session: int16 GEMM panels with
 * −zx·Σw folded into the bias, or (depthwise) plain int16 filters, whose kernel subtracts zx from the input instead.
 */
export function packLinear(k: Kernels, ctx: PrepareContext, w: Int8Array, groups: number, Mg: number, K: number,
  rq: Requant, depthwise: boolean): PackedLinear {
  const M = groups * Mg;
  const Mpad = Math.ceil(Mg / 4) * 4;
  const bytes = (n: number) => ctx.persistentF32(Math.ceil(n / 4)).byteOffset;
  const desc = bytes(DESC_INTS * 4);
  const pStride = (depthwise ? M : Mpad) * 4;
  const perGroups = depthwise ? 1 : groups;
  const bias = bytes(pStride * perGroups);
  const mult = bytes(pStride * perGroups);
  const off = bytes(pStride * perGroups);
  let a: number;
  let aStride = 0;
  const biasView = k.view(Int32Array, bias, (pStride / 4) * perGroups);
  const multView = k.f32(mult, (pStride / 4) * perGroups);
  const offView = k.f32(off, (pStride / 4) * perGroups);
  biasView.fill(0);
  multView.fill(0);
  offView.fill(0);
  if (depthwise) {
    a = bytes(M * K * 2);
    const filters = new Int16Array(k.memory.buffer, a, M * K);
    for (let i = 0; i < M * K; i++) filters[i] = w[i]!;
    for (let m = 0; m < M; m++) {
      biasView[m] = rq.biasAcc[m]!;
      multView[m] = rq.mult[m]!;
      offView[m] = rq.off[m]!;
    }
  } else {
    aStride = Kernels.qpackedBytes(Mg, K);
    a = bytes(aStride * groups);
    const src = bytes(Mg * K);
    for (let gi = 0; gi < groups; gi++) {
      k.view(Int8Array, src, Mg * K).set(w.subarray(gi * Mg * K, (gi + 1) * Mg * K));
      k.qpackA(src, Mg, K, a + gi * aStride);
      for (let r = 0; r < Mg; r++) {
        const m = gi * Mg + r;
        let sum = 0;
        for (let i = 0; i < K; i++) sum += w[m * K + i]!;
        const at = gi * (pStride / 4) + r;
        biasView[at] = rq.biasAcc[m]! - rq.x.zp * sum;
        multView[at] = rq.mult[m]!;
        offView[at] = rq.off[m]!;
      }
    }
  }
  const d = k.view(Int32Array, desc, DESC_INTS);
  d.fill(0);
  d[D.GROUPS] = groups;
  d[D.M] = Mg;
  d[D.A] = a;
  d[D.A_STRIDE] = aStride;
  d[D.BIAS] = bias;
  d[D.P_STRIDE] = pStride;
  d[D.MULT] = mult;
  d[D.OFF] = off;
  d[D.ZX] = rq.x.zp;
  d[D.ZY] = rq.y.zp;
  d[D.QLO] = rq.qlo;
  d[D.QHI] = rq.qhi;
  d[D.FLAGS] = (rq.x.dtype === "int8" ? 1 : 0) | (rq.y.dtype === "int8" ? 2 : 0);
  return { desc };
}

/** A descriptor over arrays laid out elsewhere (integer Winograd's transformed weights). */
export function describe(k: Kernels, rq: Requant, desc: number, a: number, aStride: number, bias: number, mult: number, off: number, M: number): PackedLinear {
  const d = k.view(Int32Array, desc, DESC_INTS);
  d.fill(0);
  d[D.GROUPS] = 1; d[D.M] = M; d[D.A] = a; d[D.A_STRIDE] = aStride; d[D.BIAS] = bias; d[D.P_STRIDE] = 0;
  d[D.MULT] = mult; d[D.OFF] = off; d[D.ZX] = rq.x.zp; d[D.ZY] = rq.y.zp; d[D.QLO] = rq.qlo; d[D.QHI] = rq.qhi;
  d[D.FLAGS] = (rq.x.dtype === "int8" ? 1 : 0) | (rq.y.dtype === "int8" ? 2 : 0);
  return { desc };
}

/** Write a plan's geometry into the descriptor (the same weights serve every input shape; one plan runs at a time). */
export function setGeometry(k: Kernels, packed: PackedLinear, C: number, g: Window2d): void {
  const d = k.view(Int32Array, packed.desc, DESC_INTS);
  d[D.C] = C; d[D.H] = g.H; d[D.W] = g.W; d[D.KH] = g.kh; d[D.KW] = g.kw; d[D.SH] = g.sh; d[D.SW] = g.sw;
  d[D.PH] = g.ph; d[D.PW] = g.pw; d[D.DH] = g.dh; d[D.DW] = g.dw; d[D.OH] = g.OH; d[D.OW] = g.OW;
}

/**
 * The correct, slower path for int16 activations (whose products overflow the int16 dot kernel's pair sums over
 * long K): a direct convolution in float64 (exact for these integers), requantized in float64, round half to even.
 */
export function directConvInt(
  x: ArrayLike<number>, y: { [i: number]: number }, N: number, groups: number, Cg: number, Mg: number, g: Window2d,
  w: Int8Array, rq: Requant,
): void {
  const K = Cg * g.kh * g.kw;
  for (let n = 0; n < N; n++) for (let gi = 0; gi < groups; gi++) for (let r = 0; r < Mg; r++) {
    const m = gi * Mg + r;
    const scale = rq.mult[m]!;
    for (let oy = 0; oy < g.OH; oy++) for (let ox = 0; ox < g.OW; ox++) {
      let acc = rq.biasAcc[m]!;
      for (let c = 0; c < Cg; c++) for (let ky = 0; ky < g.kh; ky++) for (let kx = 0; kx < g.kw; kx++) {
        const iy = oy * g.sh - g.ph + ky * g.dh;
        const ix = ox * g.sw - g.pw + kx * g.dw;
        if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) continue;
        const xi = ((n * groups + gi) * Cg + c) * g.H * g.W + iy * g.W + ix;
        acc += (x[xi]! - rq.x.zp) * w[m * K + (c * g.kh + ky) * g.kw + kx]!;
      }
      const q = roundHalfEven(acc * scale + rq.off[m]!) + rq.y.zp;
      y[((n * groups + gi) * Mg + r) * g.OH * g.OW + oy * g.OW + ox] = Math.min(rq.qhi, Math.max(rq.qlo, q));
    }
  }
}

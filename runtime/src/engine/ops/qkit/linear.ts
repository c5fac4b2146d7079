import type { PrepareContext, ValueMeta } from "../../op.js";
import type { Window2d } from "../../kernels/geometry.js";
import type { Requantization } from "../../kernels/qconv.js";
import { numbers } from "../util.js";
import { roundHalfEven } from "../math.js";
import { qkitInputs } from "../../../qkit-ops/schema.js";
import { biasFolds, outputClamp, perChannel, perTensor, type QParam } from "./qparams.js";

const QLINEAR = qkitInputs("QConv");

/** Requantization of a convolution or GEMM, per output channel, from its constant inputs. */
export interface Requant extends Requantization {
  x: QParam;
  y: QParam;
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
  return { x, y, ...outputClamp(y, ctx), mult, biasAcc, off, zx: x.zp, zy: y.zp, signedInput: x.dtype === "int8", signedOutput: y.dtype === "int8" };
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

import type { OpDef, Prepared, RtValue } from "../../op.js";
import { geometry } from "../conv.js";
import { requireInput } from "../util.js";
import { depthStacking, runStacked } from "../depth-stacking.js";
import { qkitInputs } from "../../../qkit-ops/schema.js";
import { ACTIVATION_TYPES, BYTE_TYPES, perTensor } from "./qparams.js";
import { directConvInt, requantOf, type Requant } from "./linear.js";
import type { PrepareContext, ValueMeta } from "../../op.js";
import type { ConvShape } from "../../kernels/geometry.js";
import type { PackedQconv } from "../../kernels/qconv.js";

const QLINEAR = qkitInputs("QConv");

/**
 * The requantization of a QConv with midScale (a Relu/Clip between two Q/DQ pairs folded in by lowering): the
 * accumulators quantize to the intermediate parameters, and the store's second stage dequantizes, clips to
 * [mid_clamp_min, mid_clamp_max] and quantizes to the output (kernels/qcommon.ts).
 */
function stagedRequantOf(inputs: readonly (ValueMeta | undefined)[], M: number, ctx: PrepareContext): Requant {
  const first = [...inputs];
  first[QLINEAR.yScale] = inputs[QLINEAR.midScale];
  first[QLINEAR.yZeroPoint] = inputs[QLINEAR.midZeroPoint];
  const rq = requantOf(first, M, ctx);
  const y = perTensor(inputs[QLINEAR.yScale], inputs[QLINEAR.yZeroPoint], "output", ctx);
  const stage = {
    zp: rq.zy, qlo: rq.qlo, qhi: rq.qhi, scale: rq.y.scale, divisor: y.scale,
    lo: Math.fround(ctx.node.floatAttribute("mid_clamp_min", -Infinity)), hi: Math.fround(ctx.node.floatAttribute("mid_clamp_max", Infinity)),
  };
  return { ...rq, y, zy: y.zp, qlo: y.min, qhi: y.max, signedOutput: y.dtype === "int8", stage };
}

/**
 * com.qkit.QConv: a 1-D, 2-D or 3-D convolution (grouped and depthwise included) on quantized activations and int8
 * weights, with the bias and a fused Relu/Clip, producing the quantized output. Byte activations run the integer
 * kernels; int16 ones (1-D and 2-D) the direct float64 loop.
 */
export const qconv: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[QLINEAR.x], QLINEAR.x, ctx);
    const w = requireInput(inputs[QLINEAR.w], QLINEAR.w, ctx);
    if (!ACTIVATION_TYPES.has(x.dtype)) ctx.unsupported(`on ${x.dtype} activations`);
    if (w.dtype !== "int8" || w.value === undefined) ctx.unsupported("with weights that are not constant int8");
    if (x.dims.length === 5) return qconv3d(inputs, x, w, ctx);
    const { N, C, M, group, g } = geometry(x, w, ctx);
    const staged = inputs[QLINEAR.midScale] !== undefined;
    const rq = staged ? stagedRequantOf(inputs, M, ctx) : requantOf(inputs, M, ctx);
    if (rq.x.dtype !== x.dtype) ctx.fail(`input is ${x.dtype}, its zero point ${rq.x.dtype}`);
    const Cg = C / group;
    const Mg = M / group;
    const outDims = x.dims.length === 3 ? [N, M, g.OW] : [N, M, g.OH, g.OW];
    const weights = w.value as Int8Array;
    const bytes = BYTE_TYPES.has(x.dtype) && BYTE_TYPES.has(rq.y.dtype);
    if (!bytes) {
      if (staged) ctx.unsupported("with an intermediate quantization on int16 activations");
      return {
        outputs: [{ dtype: rq.y.dtype as never, dims: outDims }],
        runtimeInputs: [0],
        run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
          directConvInt(ins[0]!.data as Int16Array, outs[0]!.data as Int16Array, N, group, Cg, Mg, g, weights, rq);
        },
      };
    }
    const run = byteConv({ N, groups: group, C: Cg, M: Mg, g }, weights, rq, ctx);
    return {
      outputs: [{ dtype: rq.y.dtype as never, dims: outDims }],
      runtimeInputs: [0],
      run(ins, outs) {
        run(ins[0]!.data as Uint8Array, outs[0]!.data as Uint8Array);
      },
    };
  },
};

/**
 * The byte kernels of a 2-D convolution of this shape (Winograd, depthwise or im2col), its weights packed once per
 * session: a function from the input codes to the output codes.
 */
function byteConv(shape: ConvShape, weights: Int8Array, rq: Requant, ctx: PrepareContext): (xd: Uint8Array, yd: Uint8Array) => void {
  const k = ctx.k;
  const { groups: group, C: Cg, M: Mg, g } = shape;
  const M = Mg * group;
  const depthwise = group > 1 && Cg === 1;
  const wino = !depthwise && k.qwinograd.applies(g, group, Cg, Mg)
    ? ctx.once("qweights:winograd", () => group === 1
      ? k.qwinograd.pack(weights, { M, C: Cg }, rq, ctx.persistentF32)
      : k.qwinograd.packGroups(weights, { groups: group, M: Mg, C: Cg }, rq, ctx.persistentF32))
    : undefined;
  if (wino) {
    if (group === 1) k.qwinograd.reserve(shape);
    else k.qwinograd.reserveGroups(shape);
    return (xd, yd) => {
      if ("table" in wino) k.qwinograd.runGroups(wino, xd, yd, shape);
      else k.qwinograd.run(wino as PackedQconv, xd, yd, shape);
    };
  }
  const K = Cg * g.kh * g.kw;
  const packed = ctx.once(depthwise ? "qweights:dw" : "qweights", () =>
    k.qconv.pack(weights, depthwise ? { groups: 1, M, K: g.kh * g.kw, depthwise } : { groups: group, M: Mg, K }, rq, ctx.persistentF32));
  if (depthwise) k.qwindow.reserve(g);
  else k.qconv.reserve(Mg, Cg, g);
  return depthwise ? (xd, yd) => k.qwindow.depthwise(packed, xd, yd, shape) : (xd, yd) => k.qconv.run(packed, xd, yd, shape);
}

/**
 * A 3-D convolution on byte codes, as the float one runs (depth-stacking.ts): a depth tap in the padding reads a
 * plane of the input's zero point.
 */
function qconv3d(inputs: readonly (ValueMeta | undefined)[], x: ValueMeta, w: ValueMeta, ctx: PrepareContext): Prepared {
  const s = depthStacking(x, w, ctx);
  const { N, M, group, OD, g, stacked } = s;
  const staged = inputs[QLINEAR.midScale] !== undefined;
  const rq = staged ? stagedRequantOf(inputs, M, ctx) : requantOf(inputs, M, ctx);
  if (rq.x.dtype !== x.dtype) ctx.fail(`input is ${x.dtype}, its zero point ${rq.x.dtype}`);
  if (!BYTE_TYPES.has(x.dtype) || !BYTE_TYPES.has(rq.y.dtype)) ctx.unsupported(`in 3-D on ${x.dtype} activations (uint8 and int8 only)`);
  const run2d = byteConv({ N: 1, groups: group, C: stacked / group, M: M / group, g }, w.value as Int8Array, rq, ctx);
  // Kernel memory for one output depth's stacked input and its output, kept by the plan.
  const slices = ctx.k.eltwise.bytes(stacked * g.H * g.W, x.dtype === "int8", ctx.persistentF32) as Uint8Array;
  const depthOut = ctx.k.eltwise.bytes(M * g.OH * g.OW, rq.y.dtype === "int8", ctx.persistentF32) as Uint8Array;
  return {
    outputs: [{ dtype: rq.y.dtype as never, dims: [N, M, OD, g.OH, g.OW] }],
    runtimeInputs: [0],
    run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
      runStacked(s, ins[0]!.data as Uint8Array, outs[0]!.data as Uint8Array, slices, depthOut, rq.x.zp, run2d);
    },
  };
}

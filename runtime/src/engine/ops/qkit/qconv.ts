import type { OpDef, RtValue } from "../../op.js";
import { geometry } from "../conv.js";
import { requireInput } from "../util.js";
import { qkitInputs } from "../../../qkit-ops/schema.js";
import { ACTIVATION_TYPES, BYTE_TYPES } from "./qparams.js";
import { directConvInt, requantOf } from "./linear.js";
import type { ConvShape } from "../../kernels/geometry.js";
import type { PackedQconv } from "../../kernels/qconv.js";

const QLINEAR = qkitInputs("QConv");

/**
 * com.qkit.QConv: a convolution (grouped and depthwise included) on quantized activations and int8 weights, with
 * the bias and a fused Relu/Clip, producing the quantized output. Byte activations run the integer kernels; int16
 * ones the direct float64 loop.
 */
export const qconv: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[QLINEAR.x], QLINEAR.x, ctx);
    const w = requireInput(inputs[QLINEAR.w], QLINEAR.w, ctx);
    if (!ACTIVATION_TYPES.has(x.dtype)) ctx.unsupported(`on ${x.dtype} activations`);
    if (w.dtype !== "int8" || w.value === undefined) ctx.unsupported("with weights that are not constant int8");
    const { N, C, M, group, g } = geometry(x, w, ctx);
    const rq = requantOf(inputs, M, ctx);
    if (rq.x.dtype !== x.dtype) ctx.fail(`input is ${x.dtype}, its zero point ${rq.x.dtype}`);
    const Cg = C / group;
    const Mg = M / group;
    const K = Cg * g.kh * g.kw;
    const outDims = x.dims.length === 3 ? [N, M, g.OW] : [N, M, g.OH, g.OW];
    const weights = w.value as Int8Array;
    const k = ctx.k;
    const bytes = BYTE_TYPES.has(x.dtype) && BYTE_TYPES.has(rq.y.dtype);
    const depthwise = group > 1 && Cg === 1;
    if (!bytes) {
      return {
        outputs: [{ dtype: rq.y.dtype as never, dims: outDims }],
        runtimeInputs: [0],
        run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
          directConvInt(ins[0]!.data as Int16Array, outs[0]!.data as Int16Array, N, group, Cg, Mg, g, weights, rq);
        },
      };
    }
    const shape: ConvShape = { N, groups: group, C: Cg, M: Mg, g };
    const wino = !depthwise && k.qwinograd.applies(g, group, Cg, Mg)
      ? ctx.once("qweights:winograd", () => group === 1
        ? k.qwinograd.pack(weights, { M, C }, rq, ctx.persistentF32)
        : k.qwinograd.packGroups(weights, { groups: group, M: Mg, C: Cg }, rq, ctx.persistentF32))
      : undefined;
    if (wino) {
      // A grouped convolution runs group by group on one image at a time.
      k.qwinograd.reserve(group === 1 ? shape : { ...shape, N: 1, groups: 1 });
      return {
        outputs: [{ dtype: rq.y.dtype as never, dims: outDims }],
        runtimeInputs: [0],
        run(ins, outs) {
          const xd = ins[0]!.data as Uint8Array;
          const yd = outs[0]!.data as Uint8Array;
          if (Array.isArray(wino)) k.qwinograd.runGroups(wino, xd, yd, shape);
          else k.qwinograd.run(wino as PackedQconv, xd, yd, shape);
        },
      };
    }
    const packed = ctx.once(depthwise ? "qweights:dw" : "qweights", () =>
      k.qconv.pack(weights, depthwise ? { groups: 1, M, K: g.kh * g.kw, depthwise } : { groups: group, M: Mg, K }, rq, ctx.persistentF32));
    if (depthwise) k.qwindow.reserve(g);
    else k.qconv.reserve(Mg, Cg, g);
    return {
      outputs: [{ dtype: rq.y.dtype as never, dims: outDims }],
      runtimeInputs: [0],
      run(ins, outs) {
        const xd = ins[0]!.data as Uint8Array;
        const yd = outs[0]!.data as Uint8Array;
        if (depthwise) k.qwindow.depthwise(packed, xd, yd, shape);
        else k.qconv.run(packed, xd, yd, shape);
      },
    };
  },
};

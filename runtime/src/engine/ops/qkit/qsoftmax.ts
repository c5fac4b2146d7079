import type { OpDef, RtValue } from "../../op.js";
import type { Bytes } from "../../kernels/qconv.js";
import { normAxis, requireInput, sizeOf } from "../util.js";
import { qkitInputs } from "../../../qkit-ops/schema.js";
import { BYTE_TYPES, perTensor } from "./qparams.js";

const QSOFTMAX = qkitInputs("QSoftmax");

/**
 * com.qkit.QSoftmax: Softmax along `axis` of a quantized byte tensor into quantized bytes, the float island
 * DequantizeLinear → Softmax → QuantizeLinear in one pass (exponentials from a table of the input scale).
 */
export const qsoftmax: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[QSOFTMAX.x], QSOFTMAX.x, ctx);
    if (!BYTE_TYPES.has(x.dtype)) ctx.unsupported(`on ${x.dtype} (uint8 and int8 only)`);
    const xq = perTensor(inputs[QSOFTMAX.xScale], inputs[QSOFTMAX.xZeroPoint], "input", ctx);
    const yq = perTensor(inputs[QSOFTMAX.yScale], inputs[QSOFTMAX.yZeroPoint], "output", ctx);
    if (!BYTE_TYPES.has(yq.dtype)) ctx.unsupported(`producing ${yq.dtype} (uint8 and int8 only)`);
    const axis = normAxis(ctx.node.intAttribute("axis", -1), x.dims.length, ctx);
    const geometry = { outer: sizeOf(x.dims.slice(0, axis)), n: x.dims[axis]!, inner: sizeOf(x.dims.slice(axis + 1)) };
    const k = ctx.k;
    const table = ctx.once("exp", () => k.qsoftmax.table(xq.scale, ctx.persistentF32));
    if (geometry.inner === 1) k.qsoftmax.reserve(geometry.n);
    const out = { scale: yq.scale, zp: yq.zp, qlo: yq.min, qhi: yq.max, signed: yq.dtype === "int8" };
    const signed = x.dtype === "int8";
    return {
      outputs: [{ dtype: yq.dtype as never, dims: x.dims }],
      runtimeInputs: [QSOFTMAX.x],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        k.qsoftmax.run(ins[QSOFTMAX.x]!.data as Bytes, outs[0]!.data as Bytes, geometry, table, signed, out);
      },
    };
  },
};

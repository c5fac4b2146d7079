import type { OpDef, RtValue } from "../op.js";
import { bytesPerElement, dataTypeFromCode } from "../../onnx/data-type.js";
import { requireInput } from "./util.js";
import { NUMERIC_TYPES, bytesOf } from "../tensor.js";

/** BitCast (opset 26): the input's bytes read as another element type of the same width (float32 ↔ int32, ...). */
const bitCast: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const to = dataTypeFromCode(ctx.node.intAttribute("to", 0)) ?? ctx.fail("'to' is not a known element type");
    if (to === "string" || x.dtype === "string") ctx.fail("strings have no bits to reinterpret");
    if (!NUMERIC_TYPES.has(x.dtype) || !NUMERIC_TYPES.has(to) || bytesPerElement(x.dtype) !== bytesPerElement(to)) {
      ctx.unsupported(`from ${x.dtype} to ${to} (integer and float types of the same byte width)`);
    }
    return {
      outputs: [{ dtype: to, dims: x.dims }],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        bytesOf(outs[0]!.data).set(bytesOf(ins[0]!.data));
      },
    };
  },
};

export const bitCastOps: Record<string, OpDef> = { BitCast: bitCast };

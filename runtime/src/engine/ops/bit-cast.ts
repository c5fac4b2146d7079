import type { OpDef, RtValue } from "../op.js";
import { bytesPerElement, dataTypeFromCode, type DataType } from "../../onnx/data-type.js";
import { requireInput } from "./util.js";
import { bytesOf } from "../tensor.js";

/** Element types the engine holds in typed arrays, whose bytes can be read as another's. */
const HELD = new Set<DataType>(["uint8", "int8", "uint16", "int16", "float16", "bfloat16", "int32", "uint32", "float32", "int64", "uint64", "float64"]);

/** BitCast (opset 26): the input's bytes read as another element type of the same width (float32 ↔ int32, ...). */
const bitCast: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const to = dataTypeFromCode(ctx.node.intAttribute("to", 0)) ?? ctx.fail("'to' is not a known element type");
    if (to === "string" || x.dtype === "string") ctx.fail("strings have no bits to reinterpret");
    if (!HELD.has(x.dtype) || !HELD.has(to) || bytesPerElement(x.dtype) !== bytesPerElement(to)) {
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

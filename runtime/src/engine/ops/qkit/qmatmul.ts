import type { OpDef, RtValue } from "../../op.js";
import type { Bytes } from "../../kernels/qconv.js";
import { requireInput, sizeOf } from "../util.js";
import { qkitInputs } from "../../../qkit-ops/schema.js";
import { BYTE_TYPES, outputClamp, perTensor } from "./qparams.js";
import { centered, floatCore, requantize } from "./float-core.js";

const Q = qkitInputs("QMatMul");

/**
 * com.qkit.QMatMul: A·B of two quantized activations (attention's Q·Kᵀ and P·V), batch axes broadcast as MatMul's.
 * The products of the centered codes are summed exactly by the float GEMM and requantized once with s_a·s_b / s_y.
 */
export const qmatmul: OpDef = {
  prepare(inputs, ctx) {
    const a = requireInput(inputs[Q.a], Q.a, ctx);
    const b = requireInput(inputs[Q.b], Q.b, ctx);
    if (!BYTE_TYPES.has(a.dtype) || !BYTE_TYPES.has(b.dtype)) ctx.unsupported(`on ${a.dtype} × ${b.dtype} (uint8 and int8 only)`);
    const aq = perTensor(inputs[Q.aScale], inputs[Q.aZeroPoint], "a", ctx);
    const bq = perTensor(inputs[Q.bScale], inputs[Q.bZeroPoint], "b", ctx);
    const yq = perTensor(inputs[Q.yScale], inputs[Q.yZeroPoint], "output", ctx);
    if (!BYTE_TYPES.has(yq.dtype)) ctx.unsupported(`with a ${yq.dtype} output (uint8 and int8 only)`);
    const { qlo, qhi } = outputClamp(yq, ctx);
    const ca = centered(a, aq, ctx);
    const cb = centered(b, bq, ctx);
    const core = floatCore("MatMul", [ca.meta, cb.meta], ctx);
    const dims = core.outputs[0]!.dims;
    const n = sizeOf(dims);
    const acc = ctx.persistentF32(n);
    const accValue: RtValue = { dtype: "float32", dims, data: acc };
    const coreIns = [ca.value, cb.value];
    const coreOuts = [accValue];
    const scale = yq.scale / (aq.scale * bq.scale);
    const k = ctx.k;
    return {
      outputs: [{ dtype: yq.dtype as never, dims }],
      runtimeInputs: [Q.a, Q.b].filter((i) => inputs[i]!.value === undefined),
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        ca.load(ins[Q.a]?.data as Bytes);
        cb.load(ins[Q.b]?.data as Bytes);
        core.run!(coreIns, coreOuts);
        requantize(k, acc, outs[0]!.data as Bytes, n, scale, yq, qlo, qhi);
      },
    };
  },
};

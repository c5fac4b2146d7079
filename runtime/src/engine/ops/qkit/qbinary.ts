import type { OpDef, RtValue } from "../../op.js";
import { requireInput, sizeOf } from "../util.js";
import { qkitInputs } from "../../../qkit-ops/schema.js";
import { BYTE_TYPES, outputClamp, perTensor } from "./qparams.js";

const QBINARY = qkitInputs("QAdd");

/**
 * com.qkit.QAdd and QMul: y = Q(DQ(a) op DQ(b)) with a fused Relu/Clip, every step in float32 as the reference
 * computes it (bit-exact). Same shapes, or one side a single value.
 */
function qbinaryOp(op: "Add" | "Mul"): OpDef {
  return {
    prepare(inputs, ctx) {
      let a = requireInput(inputs[QBINARY.a], QBINARY.a, ctx);
      let b = requireInput(inputs[QBINARY.b], QBINARY.b, ctx);
      let aq = perTensor(inputs[QBINARY.aScale], inputs[QBINARY.aZeroPoint], "a", ctx);
      let bq = perTensor(inputs[QBINARY.bScale], inputs[QBINARY.bZeroPoint], "b", ctx);
      const yq = perTensor(inputs[QBINARY.yScale], inputs[QBINARY.yZeroPoint], "output", ctx);
      if (!BYTE_TYPES.has(a.dtype) || !BYTE_TYPES.has(b.dtype) || !BYTE_TYPES.has(yq.dtype)) ctx.unsupported("on types other than uint8 and int8");
      const swap = sizeOf(a.dims) === 1 && sizeOf(b.dims) > 1;
      if (swap) [a, b, aq, bq] = [b, a, bq, aq];
      const n = sizeOf(a.dims);
      const same = a.dims.length === b.dims.length && a.dims.every((d, i) => d === b.dims[i]);
      if (!same && sizeOf(b.dims) !== 1) ctx.unsupported(`with broadcasting [${a.dims.join(", ")}] by [${b.dims.join(", ")}]`);
      const outDims = a.dims.length >= b.dims.length ? a.dims : b.dims.map(() => 1);
      const { qlo, qhi } = outputClamp(yq, ctx);
      const k = ctx.k;
      const [ia, ib] = swap ? [1, 0] : [0, 1];
      const params = { a: aq, b: bq, y: yq, qlo, qhi, signedA: a.dtype === "int8", signedB: b.dtype === "int8", signedY: yq.dtype === "int8" };
      return {
        outputs: [{ dtype: yq.dtype as never, dims: outDims }],
        runtimeInputs: [QBINARY.a, QBINARY.b],
        run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
          const pa = ins[[QBINARY.a, QBINARY.b][ia]!]!.data as Uint8Array;
          const pb = ins[[QBINARY.a, QBINARY.b][ib]!]!.data as Uint8Array;
          k.qeltwise.binary(op, pa, pb, outs[0]!.data as Uint8Array, n, !same, params);
        },
      };
    },
  };
}

export const qadd = qbinaryOp("Add");
export const qmul = qbinaryOp("Mul");

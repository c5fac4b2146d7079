import type { OpDef, RtValue } from "../../op.js";
import type { Bytes } from "../../kernels/qconv.js";
import { broadcastDims, broadcastStrides, requireInput, sizeOf } from "../util.js";
import { qkitInputs } from "../../../qkit-ops/schema.js";
import { BYTE_TYPES, outputClamp, perTensor } from "./qparams.js";
import { centered, floatCore, requantize } from "./float-core.js";

const Q = qkitInputs("QMatMul");

/**
 * com.qkit.QMatMul: A·B of two quantized activations (attention's Q·Kᵀ and P·V), batch axes broadcast as MatMul's,
 * requantized once with s_a·s_b / s_y. Two run-time matrices (rank ≥ 2) run the integer GEMM, B packed per batch item;
 * otherwise the products of the centered codes are summed exactly by the float GEMM.
 */
export const qmatmul: OpDef = {
  prepare(inputs, ctx) {
    const a = requireInput(inputs[Q.a], Q.a, ctx);
    const b = requireInput(inputs[Q.b], Q.b, ctx);
    if (!BYTE_TYPES.has(a.dtype) || !BYTE_TYPES.has(b.dtype)) ctx.unsupported(`on ${a.dtype} × ${b.dtype} (uint8 and int8 only)`);
    const aq = perTensor(inputs[Q.aScale], inputs[Q.aZeroPoint], "a", ctx);
    const bq = perTensor(inputs[Q.bScale], inputs[Q.bZeroPoint], "b", ctx);
    // Without output qparams the product is float32, as MatMulIntegerToFloat's: a float op (a Softmax) reads it.
    const yq = inputs[Q.yScale] === undefined ? undefined : perTensor(inputs[Q.yScale], inputs[Q.yZeroPoint], "output", ctx);
    if (yq && !BYTE_TYPES.has(yq.dtype)) ctx.unsupported(`with a ${yq.dtype} output (uint8 and int8 only)`);
    const floatOutput = yq === undefined;
    const outputType = yq?.dtype ?? "float32";
    const { qlo, qhi } = yq ? outputClamp(yq, ctx) : { qlo: 0, qhi: 0 };
    const scale = yq ? yq.scale / (aq.scale * bq.scale) : aq.scale * bq.scale;
    const k = ctx.k;
    if (a.dims.length >= 2 && b.dims.length >= 2 && a.value === undefined && b.value === undefined) {
      const rows = a.dims[a.dims.length - 2]!;
      const K = a.dims[a.dims.length - 1]!;
      const N = b.dims[b.dims.length - 1]!;
      if (b.dims[b.dims.length - 2] !== K) ctx.fail(`A [${a.dims.join(", ")}] and B [${b.dims.join(", ")}] do not agree on K`);
      const batch = broadcastDims(a.dims.slice(0, -2), b.dims.slice(0, -2), ctx);
      const aStrides = broadcastStrides(a.dims.slice(0, -2), batch);
      const bStrides = broadcastStrides(b.dims.slice(0, -2), batch);
      const aOffsets: number[] = [];
      const bOffsets: number[] = [];
      for (let i = 0; i < sizeOf(batch); i++) {
        let ao = 0;
        let bo = 0;
        for (let d = batch.length - 1, rest = i; d >= 0; d--) {
          const at = rest % batch[d]!;
          rest = Math.floor(rest / batch[d]!);
          ao += at * aStrides[d]!;
          bo += at * bStrides[d]!;
        }
        aOffsets.push(ao * rows * K);
        bOffsets.push(bo * K * N);
      }
      const shape = { rows, K, N, aOffsets, bOffsets };
      const epilogue = ctx.once(`qmatmul:epilogue:${K}x${N}`, () => k.qgemm.prepareMatmul(K, N, {
        za: aq.zp, zb: bq.zp, scale, zy: yq?.zp ?? 0, qlo, qhi, signedA: a.dtype === "int8", signedB: b.dtype === "int8",
        signedOutput: outputType === "int8", floatOutput,
      }, ctx.persistentF32));
      k.qgemm.reserveMatmul(K, N);
      const signedB = b.dtype === "int8";
      return {
        outputs: [{ dtype: outputType as never, dims: [...batch, rows, N] }],
        runtimeInputs: [Q.a, Q.b],
        run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
          k.qgemm.matmul(epilogue, ins[Q.a]!.data as Bytes, ins[Q.b]!.data as Bytes, outs[0]!.data as Bytes | Float32Array, shape, bq.zp, signedB);
        },
      };
    }
    const ca = centered(a, aq, ctx);
    const cb = centered(b, bq, ctx);
    const core = floatCore("MatMul", [ca.meta, cb.meta], ctx);
    const dims = core.outputs[0]!.dims;
    const n = sizeOf(dims);
    const acc = ctx.persistentF32(n);
    const accValue: RtValue = { dtype: "float32", dims, data: acc };
    const coreIns = [ca.value, cb.value];
    const coreOuts = [accValue];
    return {
      outputs: [{ dtype: outputType as never, dims }],
      runtimeInputs: [Q.a, Q.b].filter((i) => inputs[i]!.value === undefined),
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        ca.load(ins[Q.a]?.data as Bytes);
        cb.load(ins[Q.b]?.data as Bytes);
        core.run!(coreIns, coreOuts);
        if (yq) {
          requantize(k, acc, outs[0]!.data as Bytes, n, scale, yq, qlo, qhi);
          return;
        }
        const y = outs[0]!.data as Float32Array;
        for (let i = 0; i < n; i++) y[i] = acc[i]! * scale;
      },
    };
  },
};

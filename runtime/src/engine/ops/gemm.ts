import type { OpDef, RtValue } from "../op.js";
import type { GemmOutput, MatrixSource } from "../kernels/gemm.js";
import { matmulOp } from "./matmul.js";
import { isOtherNumeric, otherTypeGemm } from "./other-dtypes.js";
import { gemmShape } from "./gemm-shape.js";
import { broadcastDims, broadcastStrides, requireFloat32, requireInput, sizeOf } from "./util.js";

const EMPTY = new Float32Array(0);

const gemm: OpDef = {
  fusesClamp: true,
  prepare(inputs, ctx) {
    const a = requireInput(inputs[0], 0, ctx);
    const b = requireInput(inputs[1], 1, ctx);
    const c = inputs[2];
    if (isOtherNumeric(a.dtype)) return otherTypeGemm(a, b, c, ctx);
    requireFloat32(a, "A", ctx);
    requireFloat32(b, "B", ctx);
    const { transA, transB, alpha, beta, M, K, N } = gemmShape(a, b, ctx);
    const k = ctx.k;
    const bSource = (data: Float32Array) => ({ data, rowStride: transB ? 1 : N, colStride: transB ? K : 1 });
    const packedB = b.value !== undefined
      ? ctx.once("B", () => {
        const dst = k.gemm.createB(K, N, ctx.persistentF32);
        k.gemm.packB(dst, bSource(b.value as Float32Array), alpha);
        return dst;
      })
      : k.gemm.createB(K, N, ctx.persistentF32);
    // A bias the kernel can add: a constant row vector (or scalar); anything else is added afterwards.
    const cDims = c?.dims ?? [];
    const cIsRow = c !== undefined && c.value !== undefined && c.dtype === "float32" && sizeOf(cDims) <= N &&
      (sizeOf(cDims) === 1 || cDims[cDims.length - 1] === N) && cDims.length <= 2;
    const bias = c === undefined || beta === 0 ? undefined : cIsRow
      ? ctx.once("C", () => k.gemm.bias("cols", c.value as Float32Array, N, beta, ctx.persistentF32))
      : undefined;
    if (c && !cIsRow) broadcastDims(cDims, [M, N], ctx);
    const postAdd = c !== undefined && beta !== 0 && !cIsRow;
    const lo = ctx.clamp?.lo ?? -Infinity;
    const hi = ctx.clamp?.hi ?? Infinity;
    const packedA = k.gemm.createA(M, K, ctx.persistentF32);
    const clamp = postAdd ? undefined : { lo, hi };
    // A plan hands a step the same arrays on every run: the operand descriptions are made once.
    let sourceA: MatrixSource = { data: EMPTY, rowStride: transA ? 1 : K, colStride: transA ? M : 1 };
    let output: GemmOutput = { y: EMPTY };
    return {
      outputs: [{ dtype: "float32", dims: [M, N] }],
      runtimeInputs: b.value !== undefined ? (postAdd ? [0, 2] : [0]) : [0, 1, 2],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        const A = ins[0]!.data as Float32Array;
        if (b.value === undefined) k.gemm.packB(packedB, bSource(ins[1]!.data as Float32Array), alpha);
        if (sourceA.data !== A) sourceA = { ...sourceA, data: A };
        k.gemm.packA(packedA, sourceA);
        const Y = outs[0]!.data as Float32Array;
        if (output.y !== Y) output = { y: Y };
        k.gemm.run(packedA, packedB, output, bias, clamp);
        if (postAdd) {
          const C = ins[2]!.data as Float32Array;
          const cs = broadcastStrides(cDims, [M, N]);
          for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
            const v = Y[m * N + n]! + beta * C[m * cs[0]! + n * cs[1]!]!;
            Y[m * N + n] = Math.min(Math.max(v, lo), hi);
          }
        }
      },
    };
  },
};

export const gemmOps: Record<string, OpDef> = { Gemm: gemm, MatMul: matmulOp() };

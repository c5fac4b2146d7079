import type { OpDef, RtValue } from "../op.js";
import { Kernels } from "../kernels/kernels.js";
import { broadcastDims, broadcastStrides, requireFloat32, requireInput, sizeOf, stridesOf } from "./util.js";

const BIAS_NONE = 0;
const BIAS_COL = 2;

/** Packed-B layout of a K×N matrix read with element strides (ks, ns), scaled, in kernel memory. */
function packRight(k: Kernels, src: Float32Array, ks: number, ns: number, K: number, N: number, scale: number, dst: Float32Array): void {
  const tmp = k.allocF32(src.length);
  tmp.set(src);
  if (scale !== 1) for (let i = 0; i < tmp.length; i++) tmp[i]! *= scale;
  k.packB(tmp.byteOffset, ks, ns, K, N, dst.byteOffset);
  k.free(tmp);
}

const gemm: OpDef = {
  fusesClamp: true,
  prepare(inputs, ctx) {
    const a = requireInput(inputs[0], 0, ctx);
    const b = requireInput(inputs[1], 1, ctx);
    const c = inputs[2];
    requireFloat32(a, "A", ctx);
    requireFloat32(b, "B", ctx);
    if (a.dims.length !== 2 || b.dims.length !== 2) ctx.fail(`A and B must be matrices, got [${a.dims.join(", ")}] and [${b.dims.join(", ")}]`);
    const node = ctx.node;
    const transA = node.intAttribute("transA", 0) !== 0;
    const transB = node.intAttribute("transB", 0) !== 0;
    const alpha = node.floatAttribute("alpha", 1);
    const beta = node.floatAttribute("beta", 1);
    const [M, K] = transA ? [a.dims[1]!, a.dims[0]!] : [a.dims[0]!, a.dims[1]!];
    const [K2, N] = transB ? [b.dims[1]!, b.dims[0]!] : [b.dims[0]!, b.dims[1]!];
    if (K !== K2) ctx.fail(`A is ${M}×${K} but B is ${K2}×${N}`);
    const k = ctx.k;
    const bStrides = transB ? [1, K] : [N, 1];
    const packedB = b.value !== undefined
      ? ctx.once("B", () => {
        const dst = ctx.persistentF32(Kernels.packedBSize(K, N));
        packRight(k, b.value as Float32Array, bStrides[0]!, bStrides[1]!, K, N, alpha, dst);
        return dst;
      })
      : ctx.persistentF32(Kernels.packedBSize(K, N));
    // A bias the kernel can add: a constant row vector (or scalar); anything else is added afterwards.
    const cDims = c?.dims ?? [];
    const cIsRow = c !== undefined && c.value !== undefined && c.dtype === "float32" && sizeOf(cDims) <= N &&
      (sizeOf(cDims) === 1 || cDims[cDims.length - 1] === N) && cDims.length <= 2;
    const bias = c === undefined || beta === 0 ? undefined : cIsRow
      ? ctx.once("C", () => {
        const v = ctx.persistentF32(Math.ceil(N / 8) * 8);
        const src = c.value as Float32Array;
        for (let n = 0; n < N; n++) v[n] = beta * src[src.length === 1 ? 0 : n]!;
        return v;
      })
      : undefined;
    if (c && !cIsRow) broadcastDims(cDims, [M, N], ctx);
    const postAdd = c !== undefined && beta !== 0 && !cIsRow;
    const lo = ctx.clamp?.lo ?? -Infinity;
    const hi = ctx.clamp?.hi ?? Infinity;
    const packedA = ctx.persistentF32(k.packedASize(M, K));
    return {
      outputs: [{ dtype: "float32", dims: [M, N] }],
      runtimeInputs: b.value !== undefined ? (postAdd ? [0, 2] : [0]) : [0, 1, 2],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        const A = ins[0]!.data as Float32Array;
        if (b.value === undefined) packRight(k, ins[1]!.data as Float32Array, bStrides[0]!, bStrides[1]!, K, N, alpha, packedB);
        k.packA(k.ptr(A), transA ? 1 : K, transA ? M : 1, M, K, packedA.byteOffset);
        const Y = outs[0]!.data as Float32Array;
        k.gemm(packedA.byteOffset, packedB.byteOffset, k.ptr(Y), N, M, N, K, bias?.byteOffset ?? 0, bias ? BIAS_COL : BIAS_NONE,
          postAdd ? -Infinity : lo, postAdd ? Infinity : hi);
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

const matmul: OpDef = {
  prepare(inputs, ctx) {
    const a = requireInput(inputs[0], 0, ctx);
    const b = requireInput(inputs[1], 1, ctx);
    requireFloat32(a, "A", ctx);
    requireFloat32(b, "B", ctx);
    if (a.dims.length === 0 || b.dims.length === 0) ctx.fail("MatMul inputs cannot be scalars");
    const aDims = a.dims.length === 1 ? [1, a.dims[0]!] : a.dims;
    const bDims = b.dims.length === 1 ? [b.dims[0]!, 1] : b.dims;
    const M = aDims[aDims.length - 2]!;
    const K = aDims[aDims.length - 1]!;
    const N = bDims[bDims.length - 1]!;
    if (bDims[bDims.length - 2] !== K) ctx.fail(`shapes [${a.dims.join(", ")}] and [${b.dims.join(", ")}] do not multiply`);
    const batch = broadcastDims(aDims.slice(0, -2), bDims.slice(0, -2), ctx);
    const outDims = [...batch, ...(a.dims.length === 1 ? [] : [M]), ...(b.dims.length === 1 ? [] : [N])];
    const count = sizeOf(batch);
    const aStr = broadcastStrides(aDims.slice(0, -2), batch);
    const bStr = broadcastStrides(bDims.slice(0, -2), batch);
    const bt = stridesOf(batch);
    const offsets = (str: number[], size: number) => Array.from({ length: count }, (_, i) => {
      let off = 0;
      for (let d = 0; d < batch.length; d++) off += Math.floor(i / bt[d]!) % batch[d]! * str[d]!;
      return off * size;
    });
    const aOff = offsets(aStr, M * K);
    const bOff = offsets(bStr, K * N);
    const k = ctx.k;
    const bBlock = Kernels.packedBSize(K, N);
    const bMatrices = sizeOf(bDims.slice(0, -2));
    const constB = b.value !== undefined
      ? ctx.once("B", () => {
        const dst = ctx.persistentF32(bBlock * bMatrices);
        const src = b.value as Float32Array;
        for (let i = 0; i < bMatrices; i++) {
          packRight(k, src.subarray(i * K * N, (i + 1) * K * N), N, 1, K, N, 1, dst.subarray(i * bBlock, (i + 1) * bBlock));
        }
        return dst;
      })
      : undefined;
    const packedB = constB ?? ctx.persistentF32(bBlock);
    const packedA = ctx.persistentF32(k.packedASize(M, K));
    return {
      outputs: [{ dtype: "float32", dims: outDims }],
      runtimeInputs: constB ? [0] : [0, 1],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        const ap = k.ptr(ins[0]!.data as Float32Array);
        const yp = k.ptr(outs[0]!.data as Float32Array);
        for (let i = 0; i < count; i++) {
          k.packA(ap + aOff[i]! * 4, K, 1, M, K, packedA.byteOffset);
          let bp: number;
          if (constB) {
            bp = constB.byteOffset + (bOff[i]! / (K * N)) * bBlock * 4;
          } else {
            k.packB(k.ptr(ins[1]!.data as Float32Array) + bOff[i]! * 4, N, 1, K, N, packedB.byteOffset);
            bp = packedB.byteOffset;
          }
          k.gemm(packedA.byteOffset, bp, yp + i * M * N * 4, N, M, N, K, 0, BIAS_NONE, -Infinity, Infinity);
        }
      },
    };
  },
};

export const gemmOps: Record<string, OpDef> = { Gemm: gemm, MatMul: matmul };

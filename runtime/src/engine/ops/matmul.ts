import type { OpDef, PrepareContext, RtValue, ValueMeta } from "../op.js";
import type { GemmBatch, MatrixStrides, PackedB } from "../kernels/gemm.js";
import { broadcastDims, requireFloat32, requireInput, sizeOf, stridesOf } from "./util.js";
import { isOtherNumeric, otherTypeProduct } from "./other-dtypes.js";

/**
 * Transposes a MatMul absorbs (engine/fuse-matmul-transpose.ts): `a`/`b` permute the operand sources as the Transpose
 * that fed them would have; `out` is the Transpose applied to the product (its last axis stays last).
 */
export interface MatMulPerms {
  a?: readonly number[];
  b?: readonly number[];
  out?: readonly number[];
}

/** An operand as the product reads it: dims (1-D promoted to a matrix) and element strides into its source. */
interface Operand {
  dims: number[];
  strides: number[];
}

function operand(meta: ValueMeta, perm: readonly number[] | undefined, isB: boolean): Operand {
  const own = stridesOf(meta.dims);
  if (meta.dims.length === 1) {
    const K = meta.dims[0]!;
    return isB ? { dims: [K, 1], strides: [1, 1] } : { dims: [1, K], strides: [K, 1] };
  }
  if (!perm) return { dims: [...meta.dims], strides: own };
  return { dims: perm.map((p) => meta.dims[p]!), strides: perm.map((p) => own[p]!) };
}

/** Element offset of every batch item (row-major over `batch`) into an operand with the given batch strides. */
function batchOffsets(batch: readonly number[], dims: readonly number[], strides: readonly number[]): number[] {
  const count = sizeOf(batch);
  const pad = batch.length - dims.length;
  const bt = stridesOf(batch);
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    let off = 0;
    for (let d = 0; d < batch.length; d++) {
      const own = d - pad;
      if (own < 0 || dims[own] === 1) continue;
      off += (Math.floor(i / bt[d]!) % batch[d]!) * strides[own]!;
    }
    out[i] = off;
  }
  return out;
}

/** The stride of rows (batch dims then M) taken as one run of rows, when their strides make one progression. */
function foldedRowStride(dims: readonly number[], strides: readonly number[]): number | undefined {
  const wide = dims.map((d, i) => [d, strides[i]!] as const).filter(([d]) => d !== 1);
  if (wide.length === 0) return strides[strides.length - 1];
  for (let i = 0; i + 1 < wide.length; i++) if (wide[i]![1] !== wide[i + 1]![1] * wide[i + 1]![0]) return undefined;
  return wide[wide.length - 1]![1];
}

function transposeConstant(meta: ValueMeta, perm: readonly number[]): Float32Array {
  const src = meta.value as Float32Array;
  const dims = perm.map((p) => meta.dims[p]!);
  const own = stridesOf(meta.dims);
  const st = stridesOf(dims);
  const out = new Float32Array(src.length);
  for (let i = 0; i < out.length; i++) {
    let off = 0;
    for (let d = 0; d < dims.length; d++) off += (Math.floor(i / st[d]!) % dims[d]!) * own[perm[d]!]!;
    out[i] = src[off]!;
  }
  return out;
}

/**
 * MatMul with numpy broadcasting of the batch dims, in one kernel call: a constant 2-D B multiplies every row of the
 * batch as one tall matrix (packed once per session); other batches run as one batched call that packs each item's
 * operands itself, reading transposed operands in place. A third input is a constant bias row the GEMM starts from
 * (a linear layer's Add, engine/fuse-matmul-bias.ts; only with a constant 2-D B).
 */
export function matmulOp(perms: MatMulPerms = {}): OpDef {
  return {
    fusesClamp: true,
    prepare(inputs, ctx) {
      const a = requireInput(inputs[0], 0, ctx);
      const b0 = requireInput(inputs[1], 1, ctx);
      if (a.dims.length === 0 || b0.dims.length === 0) ctx.fail("MatMul inputs cannot be scalars");
      if (isOtherNumeric(a.dtype)) return otherTypeMatMul(a, b0, perms, ctx);
      requireFloat32(a, "A", ctx);
      requireFloat32(b0, "B", ctx);
      const b = b0.value !== undefined && perms.b ? { ...b0, dims: perms.b.map((p) => b0.dims[p]!), value: transposeConstant(b0, perms.b) } : b0;
      const A = operand(a, perms.a, false);
      const B = operand(b, b === b0 ? perms.b : undefined, true);
      const M = A.dims[A.dims.length - 2]!;
      const K = A.dims[A.dims.length - 1]!;
      const N = B.dims[B.dims.length - 1]!;
      const aRank = perms.a ? perms.a.length : a.dims.length;
      const bRank = b === b0 && perms.b ? perms.b.length : b.dims.length;
      if (B.dims[B.dims.length - 2] !== K) {
        ctx.fail(`shapes [${A.dims.join(", ")}] and [${B.dims.join(", ")}] do not multiply`);
      }
      const batch = broadcastDims(A.dims.slice(0, -2), B.dims.slice(0, -2), ctx);
      // Where the product lands: row-major, or through the Transpose applied to it.
      const { outDims, ys } = productLayout(batch, M, N, aRank, bRank, perms.out);
      if (ys[ys.length - 1] !== 1) ctx.fail("internal: a fused output transpose must keep the last axis last");
      const ldc = ys[ys.length - 2]!;
      const aStr: MatrixStrides = { rowStride: A.strides[A.strides.length - 2]!, colStride: A.strides[A.strides.length - 1]! };
      const bStr: MatrixStrides = { rowStride: B.strides[B.strides.length - 2]!, colStride: B.strides[B.strides.length - 1]! };
      const count = sizeOf(batch);
      const bMatrices = sizeOf(B.dims.slice(0, -2));
      const k = ctx.k;
      const clamp = { lo: ctx.clamp?.lo ?? -Infinity, hi: ctx.clamp?.hi ?? Infinity };
      const constB = b.value !== undefined;
      const biasIn = inputs[2];
      // The Add's output: leading 1s where the bias row has more axes than the product.
      const addDims = biasIn ? [...Array<number>(Math.max(0, biasIn.dims.length - outDims.length)).fill(1), ...outDims] : outDims;
      const outputs = [{ dtype: "float32" as const, dims: addDims }];
      const runtimeInputs = constB ? [0] : [0, 1];

      // One matrix of B for the whole batch: fold the batch into the rows when A's and C's rows form one progression.
      const aRows = foldedRowStride([...batch.slice(batch.length - (A.dims.length - 2)), M], A.strides.slice(0, -1));
      const cRows = foldedRowStride([...batch, M], ys.slice(0, -1));
      const aBatchPadded = A.dims.length - 2 === batch.length || sizeOf(batch.slice(0, batch.length - (A.dims.length - 2))) === 1;
      if (bMatrices === 1 && aRows !== undefined && cRows !== undefined && aBatchPadded) {
        const rows = count * M;
        const packedA = k.gemm.createA(rows, K, ctx.persistentF32);
        const packedB = constB ? packConstB(ctx, b.value as Float32Array, K, N, bStr) : k.gemm.createB(K, N, ctx.persistentF32);
        const aSource = { rowStride: aRows, colStride: aStr.colStride };
        const bias = biasIn ? ctx.once("bias", () => k.gemm.bias("cols", biasIn.value as Float32Array, N, 1, ctx.persistentF32)) : undefined;
        return {
          outputs,
          runtimeInputs,
          run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
            if (!constB) k.gemm.packB(packedB, { data: ins[1]!.data as Float32Array, ...bStr });
            k.gemm.packA(packedA, { data: ins[0]!.data as Float32Array, ...aSource });
            k.gemm.run(packedA, packedB, { y: outs[0]!.data as Float32Array, ldc: cRows }, bias, clamp);
          },
        };
      }

      if (biasIn) ctx.fail("internal: a fused bias needs a constant 2-D B");
      const packedAll = constB ? ctx.once("B*", () => k.gemm.packBatchB(b.value as Float32Array, bMatrices, K, N, ctx.persistentF32)) : undefined;
      const cOffsets = batchOffsets(batch, batch, ys.slice(0, -2));
      const batchPlan: GemmBatch = k.gemm.createBatch({
        count, M, N, K, ldc,
        aOffsets: batchOffsets(batch, A.dims.slice(0, -2), A.strides.slice(0, -2)),
        bOffsets: constB
          ? batchOffsets(batch, B.dims.slice(0, -2), stridesOf(B.dims.slice(0, -2)))
          : batchOffsets(batch, B.dims.slice(0, -2), B.strides.slice(0, -2)),
        cOffsets,
        a: aStr,
        b: constB ? "packed" : bStr,
      }, ctx.persistentF32);
      return {
        outputs,
        runtimeInputs,
        run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
          const bData = packedAll ?? (ins[1]!.data as Float32Array);
          k.gemm.runBatch(batchPlan, ins[0]!.data as Float32Array, bData, outs[0]!.data as Float32Array, clamp);
        },
      };
    },
  };
}

function packConstB(ctx: PrepareContext, value: Float32Array, K: number, N: number, strides: MatrixStrides): PackedB {
  return ctx.once("B", () => {
    const dst = ctx.k.gemm.createB(K, N, ctx.persistentF32);
    ctx.k.gemm.packB(dst, { data: value, ...strides });
    return dst;
  });
}

/** Where the product [...batch, M, N] lands: its output dims, and the strides of [...batch, M, N] in it (through `out`). */
function productLayout(batch: number[], M: number, N: number, aRank: number, bRank: number, out: readonly number[] | undefined): { outDims: number[]; ys: number[] } {
  const yDims = [...batch, ...(aRank === 1 ? [] : [M]), ...(bRank === 1 ? [] : [N])];
  const full = [...batch, M, N];
  if (!out) return { outDims: yDims, ys: stridesOf(full) };
  const outDims = out.map((p) => yDims[p]!);
  const fs = stridesOf(outDims);
  const inv = new Array<number>(out.length);
  out.forEach((p, i) => (inv[p] = i));
  return { outDims, ys: full.map((_, j) => fs[inv[j]!]!) };
}

/** MatMul on float64 or an integer type: the same operand and output geometry, a plain loop (other-dtypes.ts). */
function otherTypeMatMul(a: ValueMeta, b: ValueMeta, perms: MatMulPerms, ctx: PrepareContext) {
  if (ctx.node.args.length > 2) ctx.fail("internal: a fused bias needs a float32 product");
  const A = operand(a, perms.a, false);
  const B = operand(b, perms.b, true);
  const [M, K, N] = [A.dims[A.dims.length - 2]!, A.dims[A.dims.length - 1]!, B.dims[B.dims.length - 1]!];
  if (B.dims[B.dims.length - 2] !== K) ctx.fail(`shapes [${A.dims.join(", ")}] and [${B.dims.join(", ")}] do not multiply`);
  const batch = broadcastDims(A.dims.slice(0, -2), B.dims.slice(0, -2), ctx);
  const { outDims, ys } = productLayout(batch, M, N, (perms.a ?? a.dims).length, (perms.b ?? b.dims).length, perms.out);
  const side = (op: Operand) => ({
    rows: op.dims[op.dims.length - 2]!, cols: op.dims[op.dims.length - 1]!,
    rowStride: op.strides[op.strides.length - 2]!, colStride: op.strides[op.strides.length - 1]!,
    offsets: batchOffsets(batch, op.dims.slice(0, -2), op.strides.slice(0, -2)),
  });
  return otherTypeProduct(a, b, side(A), side(B), {
    dims: outDims, rowStride: ys[ys.length - 2]!, colStride: ys[ys.length - 1]!, offsets: batchOffsets(batch, batch, ys.slice(0, -2)),
  }, ctx);
}

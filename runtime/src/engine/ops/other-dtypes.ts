import type { PrepareContext, Prepared, RtValue, ValueMeta } from "../op.js";
import { NUMERIC_TYPES, type TensorData } from "../tensor.js";
import type { DataType } from "../../onnx/data-type.js";
import { sizeOf, stridesOf } from "./util.js";
import { gemmShape } from "./gemm-shape.js";

/**
 * MatMul, Gemm, MaxPool and LayerNormalization on the element types the float32 kernels do not take (float64, the
 * integer types), as plain loops in the type's own arithmetic: float64 in doubles, 32-bit and narrower integers
 * wrapping as C++ does (the store into the typed array wraps), 64-bit integers in BigInt. These are rare in models
 * (double-precision exports, shape arithmetic, QOperator models' uint8 pools) and are exact rather than fast.
 */

/** A typed array read and written as numbers or bigints, whichever its elements are. */
type Elements = { [i: number]: number | bigint; length: number };

/** The product-accumulate of one element type: acc + a·b, wrapping where the type wraps. */
interface Arith {
  zero: number | bigint;
  madd(acc: number | bigint, a: number | bigint, b: number | bigint): number | bigint;
  scale(v: number | bigint, by: number): number | bigint;
  add(a: number | bigint, b: number | bigint): number | bigint;
}

function arithmetic(dtype: DataType): Arith {
  if (dtype === "int64" || dtype === "uint64") {
    const wrap = dtype === "int64" ? (v: bigint) => BigInt.asIntN(64, v) : (v: bigint) => BigInt.asUintN(64, v);
    return {
      zero: 0n,
      madd: (acc, a, b) => wrap((acc as bigint) + (a as bigint) * (b as bigint)),
      scale: (v, by) => (by === 1 ? v : wrap((v as bigint) * BigInt(Math.trunc(by)))),
      add: (a, b) => wrap((a as bigint) + (b as bigint)),
    };
  }
  if (dtype === "float64" || dtype === "float32") {
    return { zero: 0, madd: (acc, a, b) => (acc as number) + (a as number) * (b as number), scale: (v, by) => (v as number) * by, add: (a, b) => (a as number) + (b as number) };
  }
  // 32-bit and narrower integers: products wrap to 32 bits as int32 arithmetic does; the store wraps to the type.
  return {
    zero: 0,
    madd: (acc, a, b) => ((acc as number) + Math.imul(a as number, b as number)) | 0,
    scale: (v, by) => Math.imul(v as number, Math.trunc(by)),
    add: (a, b) => ((a as number) + (b as number)) | 0,
  };
}

/** float64 and the integer types: what these loops compute in (the 16-bit floats run widened to float32). */
export const isOtherNumeric = (dtype: DataType) => NUMERIC_TYPES.has(dtype) && dtype !== "float32" && dtype !== "float16" && dtype !== "bfloat16";

function requireSameType(metas: readonly (ValueMeta | undefined)[], ctx: PrepareContext): DataType {
  const dtype = metas[0]!.dtype;
  if (!isOtherNumeric(dtype)) ctx.unsupported(`on ${dtype}`);
  if (metas.some((m) => m && m.dtype !== dtype)) ctx.fail(`inputs have different element types (${metas.filter(Boolean).map((m) => m!.dtype).join(", ")})`);
  return dtype;
}

/** A clamp fused into the op (Relu, Clip), in the element type. */
function clampOf(ctx: PrepareContext, dtype: DataType): (v: number | bigint) => number | bigint {
  const lo = ctx.clamp?.lo ?? -Infinity;
  const hi = ctx.clamp?.hi ?? Infinity;
  if (lo === -Infinity && hi === Infinity) return (v) => v;
  if (dtype === "int64" || dtype === "uint64") {
    return (v) => (Number.isFinite(lo) && (v as bigint) < BigInt(Math.ceil(lo)) ? BigInt(Math.ceil(lo)) : Number.isFinite(hi) && (v as bigint) > BigInt(Math.floor(hi)) ? BigInt(Math.floor(hi)) : v);
  }
  return (v) => Math.min(Math.max(v as number, lo), hi);
}

/** One operand of a batched product: its matrix dims, element strides, and offset per batch item. */
export interface ProductOperand {
  rows: number;
  cols: number;
  rowStride: number;
  colStride: number;
  offsets: readonly number[];
}

/**
 * MatMul (with the transposes the engine folds into it) on another element type: Y[off_y(b) + m·ldc + n·ycol] =
 * Σ_k A[off_a(b) + m·ra + k·ca] · B[off_b(b) + k·rb + n·cb], reading a constant B from the plan.
 */
export function otherTypeProduct(
  a: ValueMeta, b: ValueMeta, A: ProductOperand, B: ProductOperand, out: { dims: number[]; rowStride: number; colStride: number; offsets: readonly number[] },
  ctx: PrepareContext,
): Prepared {
  const dtype = requireSameType([a, b], ctx);
  const math = arithmetic(dtype);
  const clamp = clampOf(ctx, dtype);
  const [M, K, N] = [A.rows, A.cols, B.cols];
  const constB = b.value as Elements | undefined;
  return {
    outputs: [{ dtype, dims: out.dims }],
    runtimeInputs: constB ? [0] : [0, 1],
    run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
      const x = ins[0]!.data as unknown as Elements;
      const w = constB ?? (ins[1]!.data as unknown as Elements);
      const y = outs[0]!.data as unknown as Elements;
      for (let i = 0; i < out.offsets.length; i++) {
        for (let m = 0; m < M; m++) {
          for (let n = 0; n < N; n++) {
            let acc = math.zero;
            let pa = A.offsets[i]! + m * A.rowStride;
            let pb = B.offsets[i]! + n * B.colStride;
            for (let k = 0; k < K; k++, pa += A.colStride, pb += B.rowStride) acc = math.madd(acc, x[pa]!, w[pb]!);
            y[out.offsets[i]! + m * out.rowStride + n * out.colStride] = clamp(acc);
          }
        }
      }
    },
  };
}

/** Gemm on another element type: alpha·op(A)·op(B) + beta·C, C broadcast to [M, N]. */
export function otherTypeGemm(a: ValueMeta, b: ValueMeta, c: ValueMeta | undefined, ctx: PrepareContext): Prepared {
  const dtype = requireSameType([a, b, c], ctx);
  const math = arithmetic(dtype);
  const clamp = clampOf(ctx, dtype);
  const { transA, transB, alpha, beta, M, K, N } = gemmShape(a, b, ctx);
  const cDims = c?.dims ?? [];
  if (cDims.length > 2) ctx.fail(`C must broadcast to [${M}, ${N}], got [${cDims.join(", ")}]`);
  const [cm, cn] = cDims.length === 2 ? cDims : cDims.length === 1 ? [1, cDims[0]!] : [1, 1];
  if ((cm !== 1 && cm !== M) || (cn !== 1 && cn !== N)) ctx.fail(`C must broadcast to [${M}, ${N}], got [${cDims.join(", ")}]`);
  const [ra, ca] = transA ? [1, M] : [K, 1];
  const [rb, cb] = transB ? [1, K] : [N, 1];
  return {
    outputs: [{ dtype, dims: [M, N] }],
    run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
      const x = ins[0]!.data as unknown as Elements;
      const w = ins[1]!.data as unknown as Elements;
      const bias = ins[2]?.data as unknown as Elements | undefined;
      const y = outs[0]!.data as unknown as Elements;
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
          let acc = math.zero;
          for (let k = 0; k < K; k++) acc = math.madd(acc, x[m * ra + k * ca]!, w[k * rb + n * cb]!);
          let v = math.scale(acc, alpha);
          if (bias && beta !== 0) v = math.add(v, math.scale(bias[(cm === 1 ? 0 : m) * cn + (cn === 1 ? 0 : n)]!, beta));
          y[m * N + n] = clamp(v);
        }
      }
    },
  };
}

/** MaxPool (no indices output) over any number of spatial axes, on another element type; windows as ONNX defines. */
export function otherTypeMaxPool(x: ValueMeta, outSpatial: readonly number[], kernel: readonly number[], strides: readonly number[],
  dilations: readonly number[], padsBegin: readonly number[], ctx: PrepareContext): Prepared {
  const dtype = requireSameType([x], ctx);
  const clamp = clampOf(ctx, dtype);
  const spatial = x.dims.slice(2);
  const planes = x.dims[0]! * x.dims[1]!;
  const inPlane = sizeOf(spatial);
  const outPlane = sizeOf(outSpatial);
  const inStrides = stridesOf(spatial);
  const outStrides = stridesOf(outSpatial);
  const taps = sizeOf(kernel);
  const tapStrides = stridesOf(kernel);
  const bigint = dtype === "int64" || dtype === "uint64";
  return {
    outputs: [{ dtype, dims: [x.dims[0]!, x.dims[1]!, ...outSpatial] }],
    run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
      const src = ins[0]!.data as unknown as Elements;
      const dst = outs[0]!.data as unknown as Elements;
      for (let p = 0; p < planes; p++) {
        for (let o = 0; o < outPlane; o++) {
          let best: number | bigint | undefined;
          for (let t = 0; t < taps; t++) {
            let at = 0;
            let inside = true;
            for (let d = 0; d < spatial.length; d++) {
              const od = Math.floor(o / outStrides[d]!) % outSpatial[d]!;
              const kd = Math.floor(t / tapStrides[d]!) % kernel[d]!;
              const i = od * strides[d]! + kd * dilations[d]! - padsBegin[d]!;
              if (i < 0 || i >= spatial[d]!) { inside = false; break; }
              at += i * inStrides[d]!;
            }
            if (!inside) continue;
            const v = src[p * inPlane + at]!;
            if (best === undefined || v > best || (!bigint && Number.isNaN(v))) best = v;
          }
          dst[p * outPlane + o] = clamp(best ?? (bigint ? 0n : 0));
        }
      }
    },
  };
}

/** LayerNormalization in float64 (mean and inverse standard deviation outputs too), as ONNX's function body computes it. */
export function float64LayerNorm(x: ValueMeta, scale: ValueMeta | undefined, bias: ValueMeta | undefined, axis: number, epsilon: number,
  outputCount: number, ctx: PrepareContext): Prepared {
  for (const m of [scale, bias]) if (m && m.dtype !== "float64") ctx.fail(`Scale and B must be float64 like the input, got ${m.dtype}`);
  const outer = sizeOf(x.dims.slice(0, axis));
  const n = sizeOf(x.dims.slice(axis));
  for (const [m, what] of [[scale, "Scale"], [bias, "B"]] as const) {
    if (m && sizeOf(m.dims) !== n && sizeOf(m.dims) !== 1) ctx.unsupported(`with a ${what} of shape [${m.dims.join(", ")}] (it must cover all normalized axes)`);
  }
  const clamp = clampOf(ctx, "float64") as (v: number) => number;
  const statDims = x.dims.map((d, i) => (i < axis ? d : 1));
  return {
    outputs: [{ dtype: "float64", dims: x.dims }, ...Array.from({ length: Math.min(outputCount, 3) - 1 }, () => ({ dtype: "float32" as DataType, dims: statDims }))],
    run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
      const src = ins[0]!.data as Float64Array;
      const gamma = ins[1]?.data as Float64Array | undefined;
      const beta = ins[2]?.data as Float64Array | undefined;
      const dst = outs[0]!.data as Float64Array;
      const means = outs[1]?.data as TensorData | undefined;
      const invStds = outs[2]?.data as TensorData | undefined;
      for (let r = 0; r < outer; r++) {
        const base = r * n;
        let mean = 0;
        for (let i = 0; i < n; i++) mean += src[base + i]!;
        mean /= n;
        let variance = 0;
        for (let i = 0; i < n; i++) variance += (src[base + i]! - mean) ** 2;
        const invStd = 1 / Math.sqrt(variance / n + epsilon);
        for (let i = 0; i < n; i++) {
          const g = gamma ? gamma[gamma.length === 1 ? 0 : i]! : 1;
          const b = beta ? beta[beta.length === 1 ? 0 : i]! : 0;
          dst[base + i] = clamp((src[base + i]! - mean) * invStd * g + b);
        }
        if (means) (means as Float32Array)[r] = mean;
        if (invStds) (invStds as Float32Array)[r] = invStd;
      }
    },
  };
}

/** Inference-mode BatchNormalization in float64: per channel (axis 1), (x − mean) / √(var + ε) · scale + bias. */
export function float64BatchNorm(x: ValueMeta, params: readonly ValueMeta[], epsilon: number, ctx: PrepareContext): Prepared {
  if (params.some((p) => p.dtype !== "float64")) ctx.fail(`scale, B, mean and var must be float64 like the input, got ${params.map((p) => p.dtype).join(", ")}`);
  const C = x.dims[1] ?? 1;
  for (const p of params) if (sizeOf(p.dims) !== C) ctx.fail(`parameters must have ${C} values, got [${p.dims.join(", ")}]`);
  const planes = (x.dims[0] ?? 1) * C;
  const size = sizeOf(x.dims.slice(2));
  const clamp = clampOf(ctx, "float64") as (v: number) => number;
  return {
    outputs: [{ dtype: "float64", dims: x.dims }],
    run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
      const [src, scale, bias, mean, variance] = ins.map((v) => v!.data as Float64Array) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
      const dst = outs[0]!.data as Float64Array;
      for (let p = 0; p < planes; p++) {
        const c = p % C;
        const f = scale[c]! / Math.sqrt(variance[c]! + epsilon);
        const t = bias[c]! - mean[c]! * f;
        for (let i = p * size; i < (p + 1) * size; i++) dst[i] = clamp(src[i]! * f + t);
      }
    },
  };
}

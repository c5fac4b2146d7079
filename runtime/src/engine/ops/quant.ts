import type { OpDef, PrepareContext, RtValue, ValueMeta } from "../op.js";
import type { DataType } from "../../onnx/data-type.js";
import { dataTypeFromCode, integerRange } from "../../onnx/data-type.js";
import { normAxis, reader, requireInput, sizeOf, writer } from "./util.js";
import { roundHalfEven } from "./math.js";

const QUANT_TYPES = new Set<DataType>(["int8", "uint8", "int16", "uint16", "int32"]);

/** How scale and zero point index the input: one value, or one per slice along `axis`. */
function quantParams(x: ValueMeta, scale: ValueMeta, zp: ValueMeta | undefined, ctx: PrepareContext): { axisSize: number; inner: number } {
  if (ctx.node.intAttribute("block_size", 0) !== 0) ctx.unsupported("with blocked quantization (block_size)");
  const count = sizeOf(scale.dims);
  if (zp && sizeOf(zp.dims) !== count) ctx.fail(`scale has ${count} values, zero point ${sizeOf(zp.dims)}`);
  if (scale.dims.length === 0 || (scale.dims.length === 1 && count === 1)) return { axisSize: 1, inner: sizeOf(x.dims) };
  if (scale.dims.length !== 1) ctx.unsupported(`with a scale of shape [${scale.dims.join(", ")}] (scalar or 1-D only)`);
  const axis = normAxis(ctx.node.intAttribute("axis", 1), x.dims.length, ctx);
  if (x.dims[axis] !== count) ctx.fail(`scale has ${count} values, axis ${axis} of the input has ${x.dims[axis]}`);
  return { axisSize: count, inner: sizeOf(x.dims.slice(axis + 1)) };
}

/** y = saturate(round_half_even(x / scale) + zero_point), the division and rounding done as in float32. */
const quantizeLinear: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const scale = requireInput(inputs[1], 1, ctx);
    const zp = inputs[2];
    const requested = dataTypeFromCode(ctx.node.intAttribute("output_dtype", 0));
    const dtype: DataType = zp?.dtype ?? requested ?? "uint8";
    if (!QUANT_TYPES.has(dtype)) ctx.unsupported(`to ${dtype} (int8, uint8, int16, uint16, int32 only)`);
    if (x.dtype !== "float32") ctx.unsupported(`from ${x.dtype} (float32 only)`);
    const { axisSize, inner } = quantParams(x, scale, zp, ctx);
    const { min, max } = integerRange(dtype)!;
    const total = sizeOf(x.dims);
    const k = ctx.k;
    // Per tensor to bytes with constant parameters: the kernel (both tensors live in kernel memory). A constant input
    // (an exporter's Expand of a class token) is quantized once while planning, outside kernel memory: the loop below.
    const fast = axisSize === 1 && (dtype === "int8" || dtype === "uint8") && scale.value !== undefined && (!zp || zp.value !== undefined) && x.value === undefined;
    if (fast) {
      // Made once: run() allocates nothing.
      const params = { scale: Math.fround(reader(scale.value!)(0)), zp: zp ? reader(zp.value!)(0) : 0 };
      return {
        outputs: [{ dtype, dims: x.dims }],
        runtimeInputs: [0],
        run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
          k.qeltwise.quantize(ins[0]!.data as Float32Array, outs[0]!.data as Uint8Array, total, params, min, max, dtype === "int8");
        },
      };
    }
    return {
      outputs: [{ dtype, dims: x.dims }],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        const src = ins[0]!.data as Float32Array;
        const s = reader(ins[1]!.data);
        const z = ins[2] ? reader(ins[2].data) : () => 0;
        const dst = writer(outs[0]!.data);
        for (let i = 0; i < total; i++) {
          const c = axisSize === 1 ? 0 : Math.floor(i / inner) % axisSize;
          const q = roundHalfEven(Math.fround(src[i]! / s(c))) + z(c);
          dst(i, q < min ? min : q > max ? max : q);
        }
      },
    };
  },
};

/** y = (x - zero_point) · scale, in float32. */
const dequantizeLinear: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const scale = requireInput(inputs[1], 1, ctx);
    const zp = inputs[2];
    if (!QUANT_TYPES.has(x.dtype)) ctx.unsupported(`from ${x.dtype} (int8, uint8, int16, uint16, int32 only)`);
    if (scale.dtype !== "float32") ctx.unsupported(`to ${scale.dtype} (float32 only)`);
    if (zp && zp.dtype !== x.dtype) ctx.fail(`zero point is ${zp.dtype}, input ${x.dtype}`);
    const { axisSize, inner } = quantParams(x, scale, zp, ctx);
    const total = sizeOf(x.dims);
    const k = ctx.k;
    const fast = axisSize === 1 && (x.dtype === "int8" || x.dtype === "uint8") && x.value === undefined && scale.value !== undefined && (!zp || zp.value !== undefined);
    if (fast) {
      const params = { scale: Math.fround(reader(scale.value!)(0)), zp: zp ? reader(zp.value!)(0) : 0 };
      return {
        outputs: [{ dtype: "float32", dims: x.dims }],
        runtimeInputs: [0],
        run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
          k.qeltwise.dequantize(ins[0]!.data as Uint8Array, outs[0]!.data as Float32Array, total, params, x.dtype === "int8");
        },
      };
    }
    return {
      outputs: [{ dtype: "float32", dims: x.dims }],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        const src = reader(ins[0]!.data);
        const s = ins[1]!.data as Float32Array;
        const z = ins[2] ? reader(ins[2].data) : () => 0;
        const dst = outs[0]!.data as Float32Array;
        if (axisSize === 1) {
          const sc = s[0]!;
          const zc = z(0);
          for (let i = 0; i < total; i++) dst[i] = (src(i) - zc) * sc;
          return;
        }
        for (let i = 0; i < total; i++) {
          const c = Math.floor(i / inner) % axisSize;
          dst[i] = (src(i) - z(c)) * s[c]!;
        }
      },
    };
  },
};

/** QuantizeLinear → DequantizeLinear on float32 as one kernel (the planner forms these pairs, see findFakeQuant). */
export const fakeQuantOp: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const scale = requireInput(inputs[1], 1, ctx);
    const zp = inputs[2];
    if (x.dtype !== "float32" || scale.dtype !== "float32" || scale.value === undefined || (zp && zp.value === undefined)) {
      return ctx.fail("internal: not a per-tensor constant Q/DQ pair");
    }
    const dtype: DataType = zp?.dtype ?? "uint8";
    if (!QUANT_TYPES.has(dtype)) ctx.unsupported(`to ${dtype} (int8, uint8, int16, uint16, int32 only)`);
    const { min, max } = integerRange(dtype)!;
    const s = (scale.value as Float32Array)[0]!;
    const z = zp ? reader(zp.value!)(0) : 0;
    const total = sizeOf(x.dims);
    const k = ctx.k;
    return {
      outputs: [{ dtype: "float32", dims: x.dims }],
      runtimeInputs: [0],
      run(ins, outs) {
        k.eltwise.fakeQuant(ins[0]!.data as Float32Array, outs[0]!.data as Float32Array, total, s, z, min, max);
      },
    };
  },
};

export const quantOps: Record<string, OpDef> = { QuantizeLinear: quantizeLinear, DequantizeLinear: dequantizeLinear };

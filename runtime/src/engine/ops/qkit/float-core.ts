// Integer operators that are linear in their quantized input (MatMul of two activations, ConvTranspose, Resize) run
// the engine's float operator on the codes with the zero point taken off: x − zx are small integers, exact in
// float32, so the float kernels compute the integer sums exactly (while they stay below 2²⁴), and the result is
// requantized once, as an integer kernel's accumulator would be.
import type { PrepareContext, Prepared, RtValue, ValueMeta } from "../../op.js";
import type { Bytes } from "../../kernels/qconv.js";
import { lookupOpType } from "../onnx-ops.js";
import { numbers, sizeOf } from "../util.js";
import type { QParam } from "./qparams.js";
import type { Kernels } from "../../kernels/kernels.js";

/** The float operator `opType` prepared on `inputs` for this node (its attributes), without a fused clamp. */
export function floatCore(opType: string, inputs: readonly (ValueMeta | undefined)[], ctx: PrepareContext): Prepared {
  const def = lookupOpType(opType);
  if (!def) return ctx.unsupported(`without the float operator ${opType}`);
  const prepared = def.prepare(inputs, { ...ctx, clamp: undefined });
  if (!prepared.run) ctx.unsupported("on constant inputs only");
  return prepared;
}

/** A quantized input as float32 x − zx in kernel memory: filled once when constant, else per run by `load`. */
export interface Centered {
  meta: ValueMeta;
  value: RtValue;
  load(data: Bytes): void;
}

export function centered(x: ValueMeta, q: QParam, ctx: PrepareContext): Centered {
  const n = sizeOf(x.dims);
  const data = ctx.persistentF32(n);
  const meta: ValueMeta = { dtype: "float32", dims: x.dims };
  const k = ctx.k;
  const signed = x.dtype === "int8";
  if (x.value !== undefined) {
    const v = numbers(x.value);
    for (let i = 0; i < n; i++) data[i] = v[i]! - q.zp;
    meta.value = data;
  }
  return {
    meta,
    value: { dtype: "float32", dims: x.dims, data },
    load: x.value !== undefined ? () => {} : (codes) => k.qeltwise.dequantize(codes, data, n, { scale: 1, zp: q.zp }, signed),
  };
}

/** y = clamp(round(acc / s) + zy) over n accumulators from `at`: s = s_y / (product of the input scales). */
export function requantize(k: Kernels, acc: Float32Array, y: Bytes, n: number, scale: number, yq: QParam, qlo: number, qhi: number, at = 0): void {
  const src = at === 0 && n === acc.length ? acc : acc.subarray(at, at + n);
  const dst = at === 0 && n === y.length ? y : y.subarray(at, at + n);
  k.qeltwise.quantize(src, dst, n, { scale: Math.fround(scale), zp: yq.zp }, qlo, qhi, yq.dtype === "int8");
}

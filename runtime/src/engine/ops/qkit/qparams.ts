import type { PrepareContext, ValueMeta } from "../../op.js";
import { integerRange } from "../../../onnx/data-type.js";
import { numbers } from "../util.js";
import { roundHalfEven } from "../math.js";

/** Activation types the byte kernels run; int16 takes the scalar path. */
export const BYTE_TYPES = new Set(["uint8", "int8"]);
export const ACTIVATION_TYPES = new Set(["uint8", "int8", "int16"]);

export interface QParam {
  scale: number;
  zp: number;
  dtype: string;
  min: number;
  max: number;
}

/** A per-tensor scale and zero point, which must be constants; the dtype is the zero point's (uint8 without one). */
export function perTensor(scale: ValueMeta | undefined, zp: ValueMeta | undefined, what: string, ctx: PrepareContext): QParam {
  if (!scale || scale.value === undefined) return ctx.unsupported(`with a ${what} scale computed at run time`);
  const s = numbers(scale.value);
  if (s.length !== 1) return ctx.unsupported(`with a per-channel ${what} scale`);
  const z = zp?.value !== undefined ? numbers(zp.value) : [0];
  const dtype = zp?.dtype ?? "uint8";
  const range = integerRange(dtype as never) ?? { min: 0, max: 255 };
  return { scale: Math.fround(s[0]!), zp: z[0] ?? 0, dtype, min: range.min, max: range.max };
}

/** Per-channel values of a constant (broadcast from one value when per tensor). */
export function perChannel(meta: ValueMeta | undefined, count: number, fallback: number): number[] {
  if (!meta || meta.value === undefined) return new Array<number>(count).fill(fallback);
  const v = numbers(meta.value);
  return v.length === 1 ? new Array<number>(count).fill(v[0]!) : v;
}

/** QuantizeLinear of one float as the reference computes it: round half to even of the float32 quotient, saturated. */
export function quantizeScalar(v: number, q: QParam): number {
  if (v === Infinity) return q.max;
  if (v === -Infinity) return q.min;
  const r = roundHalfEven(Math.fround(Math.fround(v) / q.scale)) + q.zp;
  return Math.min(q.max, Math.max(q.min, r));
}

/** The output clamp in quantized units: the dtype's range narrowed by a fused Relu/Clip (attributes clamp_min/max). */
export function outputClamp(y: QParam, ctx: PrepareContext): { qlo: number; qhi: number } {
  const lo = ctx.node.floatAttribute("clamp_min", -Infinity);
  const hi = ctx.node.floatAttribute("clamp_max", Infinity);
  return { qlo: quantizeScalar(lo, y), qhi: quantizeScalar(hi, y) };
}

/** Whether the bias scale is the product of input and weight scales, so the int32 bias adds to the accumulator as is. */
export function biasFolds(biasScale: number, xScale: number, wScale: number): boolean {
  const product = xScale * wScale;
  return Math.abs(biasScale - product) <= 1e-6 * Math.abs(product);
}

import type { PrepareContext } from "../../op.js";
import type { LutTable } from "../../kernels/qeltwise.js";
import { quantizeScalar, type QParam } from "./qparams.js";

/** The 256 input codes of a byte type, in table order (int8 tables start at −128). */
export function codes(q: QParam): number[] {
  return Array.from({ length: 256 }, (_, i) => (q.dtype === "int8" ? i - 128 : i));
}

/** DequantizeLinear of one code as the reference computes it (float32). */
export function dequantizeScalar(v: number, q: QParam): number {
  return Math.fround((v - q.zp) * q.scale);
}

/** Whether requantizing from x to y changes nothing (same scale, zero point and type). */
export function sameQuant(x: QParam, y: QParam): boolean {
  return x.scale === y.scale && x.zp === y.zp && x.dtype === y.dtype;
}

/** A 256-entry table in session memory mapping x codes to y codes through `f` (float32 in, float out). */
export function tableOf(ctx: PrepareContext, x: QParam, y: QParam, f: (v: Float32Array) => Float32Array): LutTable {
  const values = f(Float32Array.from(codes(x), (v) => dequantizeScalar(v, x)));
  return ctx.k.qeltwise.table(Array.from(values, (v) => quantizeScalar(v, y)), ctx.persistentF32, x.dtype === "int8");
}

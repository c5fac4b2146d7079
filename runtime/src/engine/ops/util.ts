import { dataTypeFromCode, type DataType } from "../../onnx/data-type.js";
import type { PrepareContext, RtValue, ValueMeta } from "../op.js";
import type { TensorData } from "../tensor.js";

export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i]!;
  }
  return s;
}

/** An axis attribute or input in [-rank, rank) as [0, rank). */
export function normAxis(axis: number, rank: number, ctx: PrepareContext): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) ctx.fail(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Numpy-style broadcast of two shapes. */
export function broadcastDims(a: readonly number[], b: readonly number[], ctx: PrepareContext): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) ctx.fail(`shapes [${a.join(", ")}] and [${b.join(", ")}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Element strides of `dims` inside the broadcast shape `out` (0 where the value repeats). */
export function broadcastStrides(dims: readonly number[], out: readonly number[]): number[] {
  const own = stridesOf(dims);
  const pad = out.length - dims.length;
  return out.map((_, i) => (i < pad || dims[i - pad] === 1 ? 0 : own[i - pad]!));
}

/** Values of a constant (or known) integer/float tensor as plain numbers. */
export function numbers(value: TensorData): number[] {
  if (Array.isArray(value)) throw new Error("expected numbers, got strings");
  return Array.from(value as ArrayLike<number | bigint>, Number);
}

/** A constant input's numbers; fails when the input is computed at run time. */
export function constNumbers(meta: ValueMeta | undefined, what: string, ctx: PrepareContext): number[] {
  if (!meta) ctx.fail(`${what} is missing`);
  if (meta.value === undefined) ctx.needsValue(`with a ${what} computed at run time (it must be a constant or come from shapes)`);
  return numbers(meta.value);
}

/** Read element i as a number (bigints converted). */
export function reader(data: TensorData): (i: number) => number {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return (i) => Number(data[i]!);
  const arr = data as ArrayLike<number>;
  return (i) => arr[i]!;
}

/** Write a number at element i, converting for 64-bit integer arrays. */
export function writer(data: TensorData): (i: number, v: number) => void {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return (i, v) => { data[i] = BigInt(Math.trunc(v)); };
  const arr = data as unknown as { [i: number]: number };
  return (i, v) => { arr[i] = v; };
}

export function isFloat(dtype: DataType): boolean {
  return dtype === "float32" || dtype === "float64";
}

/** Any tensor storage read and written element by element: a typed array, or strings. */
export type AnyArray = { [i: number]: unknown; length: number };

/** Copy n elements from src[from] to dst[to]: typed arrays at once (a memmove), strings one by one. */
export function copyRun(dst: AnyArray, to: number, src: AnyArray, from: number, n: number): void {
  if (ArrayBuffer.isView(dst) && ArrayBuffer.isView(src)) (dst as Float32Array).set((src as Float32Array).subarray(from, from + n), to);
  else for (let i = 0; i < n; i++) dst[to + i] = src[from + i];
}

/** Copy src into dst for any typed array pair of the same kind (or strings). */
export function copyInto(dst: RtValue, src: RtValue): void {
  if (Array.isArray(dst.data)) {
    (src.data as string[]).forEach((s, i) => ((dst.data as string[])[i] = s));
    return;
  }
  (dst.data as unknown as { set(a: ArrayLike<unknown>): void }).set(src.data as ArrayLike<unknown>);
}

export function requireInput<T extends ValueMeta | RtValue>(meta: T | undefined, index: number, ctx: PrepareContext): T {
  if (!meta) ctx.fail(`input ${index} is required`);
  return meta;
}

/** The numeric element type an `output_datatype` attribute (default float) names, as the generator operators take it. */
export function outputDataType(ctx: PrepareContext): DataType {
  const code = ctx.node.intAttribute("output_datatype", 1);
  const dtype = dataTypeFromCode(code);
  if (dtype === undefined || dtype === "string" || dtype === "bool") return ctx.unsupported(`with output_datatype ${code}`);
  return dtype;
}

export function requireFloat32(meta: ValueMeta, what: string, ctx: PrepareContext): void {
  if (meta.dtype === "float16" || meta.dtype === "bfloat16" || meta.dtype === "float64") {
    ctx.unsupported(`on ${meta.dtype} ${what} (float32 only): export the model in float32`);
  }
  if (meta.dtype !== "float32") ctx.unsupported(`on ${meta.dtype} ${what} (float32 only)`);
}

/** Pads [begin..., end...] for a window op, from explicit pads or auto_pad. */
export function windowPads(
  ctx: PrepareContext, input: readonly number[], kernel: readonly number[], strides: readonly number[], dilations: readonly number[],
  ceilMode = false,
): { pads: number[]; out: number[] } {
  const n = kernel.length;
  const autoPad = ctx.node.stringAttribute("auto_pad", "NOTSET");
  let pads = ctx.node.intsAttribute("pads") ?? new Array<number>(2 * n).fill(0);
  if (pads.length !== 2 * n) ctx.fail(`pads has ${pads.length} values, expected ${2 * n}`);
  const out: number[] = [];
  if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    pads = new Array<number>(2 * n).fill(0);
    for (let i = 0; i < n; i++) {
      const o = Math.ceil(input[i]! / strides[i]!);
      const span = (kernel[i]! - 1) * dilations[i]! + 1;
      const total = Math.max(0, (o - 1) * strides[i]! + span - input[i]!);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === "SAME_UPPER" ? small : total - small;
      pads[i + n] = total - pads[i]!;
      out.push(o);
    }
    return { pads, out };
  }
  if (autoPad === "VALID") pads = new Array<number>(2 * n).fill(0);
  for (let i = 0; i < n; i++) {
    const span = (kernel[i]! - 1) * dilations[i]! + 1;
    const room = input[i]! + pads[i]! + pads[i + n]! - span;
    if (room < 0) ctx.fail(`the window (${span}) is larger than the padded input (${input[i]! + pads[i]! + pads[i + n]!})`);
    let o = (ceilMode ? Math.ceil(room / strides[i]!) : Math.floor(room / strides[i]!)) + 1;
    // With ceil_mode the last window must still start inside the input or its left padding.
    if (ceilMode && (o - 1) * strides[i]! >= input[i]! + pads[i]!) o--;
    out.push(o);
  }
  return { pads, out };
}

// What the integer kernels share: the descriptor (its layout is generated from descriptors.json, the one source the
// host's layout comes from too) and the requantizing store.
import { QD } from "./generated/descriptors";
import { codeHigh, codeLow, finiteToCodes, magicLessZero, toCodes, V_MAGIC } from "./qround";
export { QD };

// @ts-ignore: decorator
@inline export function qdesc(d: usize, field: i32): i32 {
  return load<i32>(d + (<usize>field << 2));
}

/**
 * Four accumulators to four codes in [qlo, qhi] (lo, hi: codeLow/codeHigh). The float is bounded and rounded by
 * qround's toCodes (bounding commutes with rounding to integers, so this equals rounding first and clamping after):
 * nearest and trunc_sat cost several instructions each where SIMD lacks them. With a second stage (the descriptor's
 * STAGE), the codes of the first quantization are dequantized, clamped and quantized again, as the Q/DQ reference
 * does around a Relu or Clip: each step in float32 as DequantizeLinear, the clamp and QuantizeLinear compute it.
 */
// @ts-ignore: decorator
@inline function requantLanes(acc: v128, mult: v128, off: v128, lo: v128, hi: v128, zy: v128): v128 {
  const v = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc), mult), off);
  if (!rqStaged) return toCodes(v, lo, hi, zy);
  // q − zp of the first quantization, as a float: bounded, then rounded half to even by the adder (see qround.ts).
  const magic = V_MAGIC;
  const first = f32x4.sub(f32x4.add(f32x4.pmin(f32x4.pmax(v, rqStageLo), rqStageHi), magic), magic);
  // The host's short form of the stage (its float clamp in the bounds above, no NaN to mask; see fold-stage.ts).
  if (rqStageFolded) {
    // Lean: one factor, and the output clamp left to the narrowing to bytes, which saturates to the same range.
    if (rqStageLean) return i32x4.sub(f32x4.add(f32x4.mul(first, rqStageScale), magic), rqMagicZy);
    return finiteToCodes(f32x4.mul(f32x4.mul(first, rqStageScale), rqStageDivisor), lo, hi, rqMagicZy);
  }
  const x = f32x4.pmin(f32x4.pmax(f32x4.mul(first, rqStageScale), rqClampLo), rqClampHi);
  // Multiplying by the reciprocal where the host found it gives every code the division gives (see packStage).
  return toCodes(rqStageReciprocal ? f32x4.mul(x, rqStageDivisor) : f32x4.div(x, rqStageDivisor), lo, hi, zy);
}

/** Narrow eight codes (already in the output type's range) to bytes and store `cols` of them at y. */
// @ts-ignore: decorator
@inline export function storeCodes(q0: v128, q1: v128, signedOutput: bool, y: usize, cols: i32, tmp: usize): void {
  const h = i16x8.narrow_i32x4_s(q0, q1);
  const bytes = signedOutput ? i8x16.narrow_i16x8_s(h, h) : i8x16.narrow_i16x8_u(h, h);
  if (cols == 8) {
    v128.store64_lane(y, bytes, 0);
    return;
  }
  v128.store(tmp, bytes);
  for (let q = 0; q < cols; q++) store<u8>(y + q, load<u8>(tmp + q));
}

// The descriptor's output constants as vectors, set once per kernel call by requantBegin (wasm globals are per
// instance, so per thread) instead of reloaded from memory for every stored row.
let rqZy: v128 = i32x4.splat(0);
let rqLo: v128 = f32x4.splat(0);
let rqHi: v128 = f32x4.splat(0);
let rqSignedOutput: bool = false;
let rqStaged: bool = false;
let rqStageLo: v128 = f32x4.splat(0);
let rqStageHi: v128 = f32x4.splat(0);
let rqStageScale: v128 = f32x4.splat(0);
let rqClampLo: v128 = f32x4.splat(0);
let rqClampHi: v128 = f32x4.splat(0);
let rqStageDivisor: v128 = f32x4.splat(1);
let rqStageReciprocal: bool = false;
let rqStageFolded: bool = false;
let rqStageLean: bool = false;
let rqMagicZy: v128 = i32x4.splat(0);
/** No second stage, and every multiplier and offset finite (FLAGS bit 2): no NaN can reach the rounding. */
let rqFinite: bool = false;

/** Load descriptor d's output constants for requantRow and requantColumn. */
// @ts-ignore: decorator
@inline export function requantBegin(d: usize): void {
  const zy = qdesc(d, QD.ZY);
  rqZy = i32x4.splat(zy);
  rqLo = codeLow(qdesc(d, QD.QLO), zy);
  rqHi = codeHigh(qdesc(d, QD.QHI), zy);
  rqSignedOutput = (qdesc(d, QD.FLAGS) & 2) != 0;
  const stage = <usize>qdesc(d, QD.STAGE);
  rqStaged = stage != 0;
  rqFinite = !rqStaged && (qdesc(d, QD.FLAGS) & 4) != 0;
  rqMagicZy = magicLessZero(zy);
  if (rqStaged) {
    const zp = load<i32>(stage);
    rqStageLo = codeLow(load<i32>(stage, 4), zp);
    rqStageHi = codeHigh(load<i32>(stage, 8), zp);
    rqStageScale = v128.load32_splat(stage + 12);
    rqClampLo = v128.load32_splat(stage + 16);
    rqClampHi = v128.load32_splat(stage + 20);
    rqStageDivisor = v128.load32_splat(stage + 24);
    rqStageReciprocal = load<i32>(stage, 28) != 0;
    rqStageFolded = load<i32>(stage, 32) != 0;
    if (rqStageFolded) {
      // The first rounding's bounds, the two factors (see fold-stage.ts).
      rqStageLo = v128.load32_splat(stage + 36);
      rqStageHi = v128.load32_splat(stage + 40);
      rqStageScale = v128.load32_splat(stage + 44);
      rqStageDivisor = v128.load32_splat(stage + 48);
      rqStageLean = load<i32>(stage, 52) != 0;
    }
  }
}

/**
 * Requantize eight i32 accumulators of one output channel (columns 0–3 in acc0, 4–7 in acc1) and store `cols` bytes
 * at y: q = clamp(nearest_even(f32(acc)·mult + off) + zy, qlo, qhi), with the constants of the last requantBegin.
 */
// @ts-ignore: decorator
@inline export function requantRow(acc0: v128, acc1: v128, mult: usize, off: usize, y: usize, cols: i32, tmp: usize): void {
  const m = v128.load32_splat(mult);
  const o = v128.load32_splat(off);
  if (rqFinite) {
    // One test per row: no NaN mask, the zero point in the subtracted magic (what short-K tiles spend least on).
    const q0 = finiteToCodes(f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc0), m), o), rqLo, rqHi, rqMagicZy);
    const q1 = finiteToCodes(f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc1), m), o), rqLo, rqHi, rqMagicZy);
    storeCodes(q0, q1, rqSignedOutput, y, cols, tmp);
    return;
  }
  storeCodes(requantLanes(acc0, m, o, rqLo, rqHi, rqZy), requantLanes(acc1, m, o, rqLo, rqHi, rqZy), rqSignedOutput, y, cols, tmp);
}

/**
 * One column of four output channels (lane r: channel r, whose multiplier and offset are the r-th at mult and off)
 * to four codes, with the constants of the last requantBegin.
 */
// @ts-ignore: decorator
@inline export function requantColumn(acc: v128, mult: usize, off: usize): v128 {
  if (rqFinite) return finiteToCodes(f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc), v128.load(mult)), v128.load(off)), rqLo, rqHi, rqMagicZy);
  return requantLanes(acc, v128.load(mult), v128.load(off), rqLo, rqHi, rqZy);
}

/** Codes (i32 lanes in the output type's range) as bytes of the last requantBegin's output type, in lanes 0–3. */
// @ts-ignore: decorator
@inline export function codeBytes(q: v128): v128 {
  const h = i16x8.narrow_i32x4_s(q, q);
  return rqSignedOutput ? i8x16.narrow_i16x8_s(h, h) : i8x16.narrow_i16x8_u(h, h);
}

// Quantizing floats to codes as QuantizeLinear does, y = clamp(round_half_even(v) + zy, qlo, qhi), for the integer
// kernels' float epilogues. f32x4.nearest and i32x4.trunc_sat_f32x4_s cost several instructions each where SIMD lacks
// them, so the value is bounded first to [qlo − zy, qhi − zy] (integers: bounding commutes with rounding) and then
// rounded by the float adder itself: adding 1.5·2²³ leaves round_half_even(v) in the low mantissa bits, read back by
// subtracting the bit pattern of 1.5·2²³. NaN becomes 0 (the zero point), as a saturating conversion makes it.

/** The float bounds and constants of one output quantization, made once per call. */
// @ts-ignore: decorator
@inline export function codeLow(qlo: i32, zy: i32): v128 {
  return f32x4.splat(<f32>(qlo - zy));
}

// @ts-ignore: decorator
@inline export function codeHigh(qhi: i32, zy: i32): v128 {
  return f32x4.splat(<f32>(qhi - zy));
}

const MAGIC: f32 = 12582912;
/** MAGIC in every lane, as a global: one load where V8 rebuilds a v128.const at each use (see vmath.ts). */
export let V_MAGIC = f32x4.splat(MAGIC);

/** Four floats (already divided by the output scale) to four i32 codes in [qlo, qhi]; lo and hi from codeLow/High. */
// @ts-ignore: decorator
@inline export function toCodes(v: v128, lo: v128, hi: v128, zy: v128): v128 {
  const magic = V_MAGIC;
  const bounded = f32x4.pmin(f32x4.pmax(v128.and(v, f32x4.eq(v, v)), lo), hi);
  return i32x4.add(i32x4.sub(f32x4.add(bounded, magic), magic), zy);
}

/** The bit pattern of MAGIC less the zero point: subtracting it leaves round_half_even(v) + zy in one step. */
// @ts-ignore: decorator
@inline export function magicLessZero(zy: i32): v128 {
  return i32x4.splat(reinterpret<i32>(MAGIC) - zy);
}

/**
 * toCodes for values known to be finite (an integer accumulator times a finite multiplier, plus a finite offset):
 * no NaN mask, and the zero point folded into the subtracted magic (magicLessZero): four instructions per vector
 * instead of seven, what an epilogue over short K saves most on.
 */
// @ts-ignore: decorator
@inline export function finiteToCodes(v: v128, lo: v128, hi: v128, magicZy: v128): v128 {
  return i32x4.sub(f32x4.add(f32x4.pmin(f32x4.pmax(v, lo), hi), V_MAGIC), magicZy);
}

/** Narrow sixteen codes (four vectors of toCodes' output, already in the output type's range) to bytes, stored at y. */
// @ts-ignore: decorator
@inline export function storeSixteenCodes(q0: v128, q1: v128, q2: v128, q3: v128, signedOutput: bool, y: usize): void {
  const h0 = i16x8.narrow_i32x4_s(q0, q1), h1 = i16x8.narrow_i32x4_s(q2, q3);
  v128.store(y, signedOutput ? i8x16.narrow_i16x8_s(h0, h1) : i8x16.narrow_i16x8_u(h0, h1));
}

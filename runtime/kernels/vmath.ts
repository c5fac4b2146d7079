// Vector transcendental functions on four float32 lanes, for every kernel that needs them (activations, Softmax,
// GELU). All are @inline: a kernel that imports one gets it compiled into its own loop.
//
// Accuracy, measured against double-precision Math.* over the whole float32 range (test/engine-vmath.test.ts sweeps
// every binade from the smallest denormal to FLT_MAX, both signs, ±0, ±Inf and NaN):
//   vexp      relative ≤ 1e-6 (about 3 ulp) where the result is a normal float; below FLT_MIN the result is the
//             exact value rounded once to the denormal grid (absolute ≤ 2^-149).
//   vexpm1neg relative ≤ 1e-6 for x ≤ 0 (no cancellation near 0: e^x - 1 is formed as (2^n - 1) + 2^n·r·q).
//   vlog      relative ≤ 1e-6 (denormal inputs are rescaled first); log 0 = -Inf, log x<0 = NaN, log Inf = Inf.
//   vlog1p    relative ≤ 1e-6 for u ≥ 0; vlog1pUnit the same for u in [0, 1], with one division instead of two.
//   vsigmoid  relative ≤ 1e-6 where the result is normal (x > -87.3), absolute ≤ 2^-149 below.
//   vtanh     relative ≤ 1e-6 everywhere (odd: tanh(-0) = -0).
//   verf      relative ≤ 1e-6 everywhere (a rational minimax fit, see below).
// Measured maxima of the sweep (SIMD128 build; relaxed within the same): exp 2.3e-7, log 1.5e-7, sigmoid 3.1e-7,
// tanh 5.1e-7, erf 3.6e-7, softplus (vlog1pUnit) 3.0e-7.
// NaN in gives NaN out for all of them: every clamp keeps its input when that is NaN (vclamp).
import { madd } from "./madd";

const LOG2E: f32 = 1.44269504088896341;
// ln 2 split so that n·LN2_HI is exact for |n| < 2^9 (LN2_HI has 16 significant bits): Cody–Waite reduction.
const LN2_HI: f32 = 0.693145751953125;
const LN2_LO: f32 = 1.42860682030941723212e-6;
const SIGN_MASK: i32 = 0x80000000;

/**
 * min(max(x, lo), hi) with NaN passed through, one instruction per bound: WebAssembly's pmin/pmax (b < a ? b : a)
 * compile to single minps/maxps, where min/max need several to order ±0 and propagate NaN from either side.
 */
// @ts-ignore: decorator
@inline export function vclamp(x: v128, lo: v128, hi: v128): v128 {
  return f32x4.pmin(f32x4.pmax(x, lo), hi);
}

/**
 * A kernel's output clamp (a fused Relu or Clip to [lo, hi]) as f32x4.min(f32x4.max(x, lo), hi) computes it, NaN
 * passed through, in three instructions where those two take sixteen (each orders ±0 and propagates NaN from either
 * side): pmax keeps a −0 input that max(−0, +0) makes +0, and adding `fix` (zeroFix of lo) turns exactly that −0 into
 * +0, as ONNX Runtime's Relu gives it; adding −0 changes no other value.
 */
// @ts-ignore: decorator
@inline export function vclampOut(x: v128, lo: v128, hi: v128, fix: v128): v128 {
  return f32x4.pmin(f32x4.add(f32x4.pmax(x, lo), fix), hi);
}

/** vclampOut's fix for lower bounds lo: +0 in lanes where lo is +0, −0 elsewhere. */
// @ts-ignore: decorator
@inline export function zeroFix(lo: v128): v128 {
  return v128.andnot(i32x4.splat(SIGN_MASK), i32x4.eq(lo, i32x4.splat(0)));
}

/** Adding 1.5·2^23 rounds a float below 2^22 to an integer (half to even) held in the low mantissa bits. */
const ROUND_BIAS: f32 = 12582912.0;

// The functions' constants as globals (set once by the start function, never written again): V8 builds a v128.const
// with up to four instructions at every use, inside a loop too, where reading a global is one load (`bench --
// eltwise --base` shows what that is worth).
let V_ONE = f32x4.splat(1.0);
let V_HALF = f32x4.splat(0.5);
let V_ROUND_BIAS = f32x4.splat(ROUND_BIAS);
let V_LOG2E = f32x4.splat(LOG2E);
let V_NEG_LN2_HI = f32x4.splat(-LN2_HI);
let V_NEG_LN2_LO = f32x4.splat(-LN2_LO);
let V_EXP_BIAS = i32x4.splat(127);
let V_EXP_C3 = f32x4.splat(<f32>(1.0 / 6.0));
let V_EXP_C4 = f32x4.splat(<f32>(1.0 / 24.0));
let V_EXP_C5 = f32x4.splat(<f32>(1.0 / 120.0));
let V_EXP_C6 = f32x4.splat(<f32>(1.0 / 720.0));
let V_EXP_LO = f32x4.splat(-104.0);
let V_EXP_HI = f32x4.splat(89.0);
let V_EXPM1_LO = f32x4.splat(-18.0);
let V_TWO = f32x4.splat(2.0);
let V_INV9 = f32x4.splat(<f32>(1.0 / 9.0));
let V_INV7 = f32x4.splat(<f32>(1.0 / 7.0));
let V_INV5 = f32x4.splat(<f32>(1.0 / 5.0));
let V_INV3 = f32x4.splat(<f32>(1.0 / 3.0));
let V_FLT_MIN = f32x4.splat(1.17549435e-38);
let V_TWO_23 = f32x4.splat(8388608.0);
let V_LOG_SHIFT = i32x4.splat(0x3f800000 - 0x3f3504f3);
let V_I23 = i32x4.splat(23);
let V_MANTISSA = i32x4.splat(0x007fffff);
let V_SQRT_HALF_BITS = i32x4.splat(0x3f3504f3);
let V_LN2_HI = f32x4.splat(LN2_HI);
let V_LN2_LO = f32x4.splat(LN2_LO);
let V_INF = f32x4.splat(Infinity);
let V_NEG_INF = f32x4.splat(-Infinity);
let V_NAN = f32x4.splat(NaN);
let V_LOG1P_SMALL = f32x4.splat(0.41421356);
let V_INV15 = f32x4.splat(<f32>(1.0 / 15.0));
let V_INV13 = f32x4.splat(<f32>(1.0 / 13.0));
let V_INV11 = f32x4.splat(<f32>(1.0 / 11.0));
let V_NEG_TWO = f32x4.splat(-2.0);
let V_SIGN_MASK = i32x4.splat(SIGN_MASK);
let V_ERF_LO = f32x4.splat(-3.92);
let V_ERF_HI = f32x4.splat(3.92);
let V_ERF_P6 = f32x4.splat(1.9922385519066665e-8);
let V_ERF_P5 = f32x4.splat(-1.957681206476991e-6);
let V_ERF_P4 = f32x4.splat(1.4183938037604094e-4);
let V_ERF_P3 = f32x4.splat(3.701360197737813e-3);
let V_ERF_P2 = f32x4.splat(5.0572678446769714e-2);
let V_ERF_P1 = f32x4.splat(0.19992025196552277);
let V_ERF_P0 = f32x4.splat(1.1283791065216064);
let V_ERF_Q4 = f32x4.splat(9.559617028571665e-4);
let V_ERF_Q3 = f32x4.splat(1.4352763071656227e-2);
let V_ERF_Q2 = f32x4.splat(0.11499655991792679);
let V_ERF_Q1 = f32x4.splat(0.5105063915252686);
let V_NEG_ONE = f32x4.splat(-1.0);
let V_TWO_OVER_PI = f64x2.splat(0.63661977236758134308);
let V_PIO2_HI = f64x2.splat(1.5707963267341256e+00);
let V_PIO2_LO = f64x2.splat(6.077100506506192e-11);
let V_I1 = i32x4.splat(1);
let V_SIN_C3 = f32x4.splat(-1.9515295891e-4);
let V_SIN_C2 = f32x4.splat(8.3321608736e-3);
let V_SIN_C1 = f32x4.splat(-1.6666654611e-1);
let V_COS_C3 = f32x4.splat(2.443315711809948e-5);
let V_COS_C2 = f32x4.splat(-1.388731625493765e-3);
let V_COS_C1 = f32x4.splat(4.166664568298827e-2);
let V_NEG_HALF = f32x4.splat(-0.5);
let V_I2 = i32x4.splat(2);

// @ts-ignore: decorator
@inline function pow2i(n: v128): v128 {
  return i32x4.shl(i32x4.add(n, V_EXP_BIAS), 23);
}

/**
 * e^r - 1 over r for |r| ≤ ln2/2: the Taylor polynomial of degree 5 (so e^r = 1 + r·q has degree 6); its truncation
 * error is below r^7/7! ≤ 1.2e-7 relative, the float32 evaluation adds about 1 ulp.
 */
// @ts-ignore: decorator
@inline function expq(r: v128): v128 {
  let q = madd(r, V_EXP_C6, V_EXP_C5);
  q = madd(q, r, V_EXP_C4);
  q = madd(q, r, V_EXP_C3);
  q = madd(q, r, V_HALF);
  return madd(q, r, V_ONE);
}

/** round(x / ln 2) biased by ROUND_BIAS: as a float less the bias it is n; its bits less the bias's bits, n as an integer. */
// @ts-ignore: decorator
@inline function expBiased(x: v128): v128 {
  return madd(x, V_LOG2E, V_ROUND_BIAS);
}

/** e^r for r = x − n·ln 2 (Cody–Waite), |r| ≤ ln2/2: the mantissa factor that 2^n scales. */
// @ts-ignore: decorator
@inline function expMantissa(x: v128, biased: v128): v128 {
  const n = f32x4.sub(biased, V_ROUND_BIAS);
  let r = madd(n, V_NEG_LN2_HI, x);
  r = madd(n, V_NEG_LN2_LO, r);
  return madd(expq(r), r, V_ONE);
}

/** e^x. Inputs are clamped to [-104, 89] first: below, every result rounds to 0; above, to +Inf. */
// @ts-ignore: decorator
@inline export function vexp(x: v128): v128 {
  const xc = vclamp(x, V_EXP_LO, V_EXP_HI);
  const biased = expBiased(xc);
  const p = expMantissa(xc, biased);
  const ni = i32x4.sub(biased, V_ROUND_BIAS);
  // 2^n as two factors, each a normal float for n in [-150, 128]: p·2^n1 is exact, ·2^n2 rounds once (denormals too).
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  return f32x4.mul(f32x4.mul(p, pow2i(n1)), pow2i(n2));
}

/**
 * vexp for x in [-87, 88], where e^x and 2^n are normal floats: the same reduction and polynomial, without the clamp
 * and with one scaling multiply instead of two (the result's bits are vexp's). Softmax's exponentials, flushed below
 * e^-87 first, take it: 6 fewer instructions per vector in a loop that is all arithmetic.
 */
// @ts-ignore: decorator
@inline export function vexpNormal(x: v128): v128 {
  const biased = expBiased(x);
  // One exact multiply (2^n is normal here); a NaN x stays NaN through the mantissa.
  return f32x4.mul(expMantissa(x, biased), pow2i(i32x4.sub(biased, V_ROUND_BIAS)));
}

/** e^x - 1 for x ≤ 0 (x > 0 is outside its domain), accurate relative to the result near 0. */
// @ts-ignore: decorator
@inline export function vexpm1neg(x: v128): v128 {
  // e^-18 - 1 rounds to -1.
  const xc = f32x4.pmax(x, V_EXPM1_LO);
  const biased = madd(xc, V_LOG2E, V_ROUND_BIAS);
  const n = f32x4.sub(biased, V_ROUND_BIAS);
  let r = madd(n, V_NEG_LN2_HI, xc);
  r = madd(n, V_NEG_LN2_LO, r);
  const s = pow2i(i32x4.sub(biased, V_ROUND_BIAS));
  // e^x - 1 = (s - 1) + s·r·q: s - 1 and s·r are exact, so near 0 (n = 0) this is r·q with r = x.
  return madd(f32x4.mul(s, r), expq(r), f32x4.sub(s, V_ONE));
}

/**
 * log(1 + f) for f in [√½ - 1, √2 - 1] as 2·atanh(s), s = f / (2 + f), |s| ≤ 0.1716: the series 2s(1 + s²/3 + … +
 * s⁸/9) truncates below s^10/11 ≤ 2e-9 relative.
 */
// @ts-ignore: decorator
@inline function log1pCore(f: v128): v128 {
  const s = f32x4.div(f, f32x4.add(V_TWO, f));
  const z = f32x4.mul(s, s);
  let p = madd(z, V_INV9, V_INV7);
  p = madd(p, z, V_INV5);
  p = madd(p, z, V_INV3);
  const s2 = f32x4.add(s, s);
  // 2s + 2s·z·p: the small correction is added last.
  return madd(f32x4.mul(s2, z), p, s2);
}

/** Natural logarithm. */
// @ts-ignore: decorator
@inline export function vlog(x: v128): v128 {
  // Denormals: scale by 2^23 so the exponent field is meaningful, and take 23 off the exponent.
  const tiny = f32x4.lt(x, V_FLT_MIN);
  const xs = v128.bitselect(f32x4.mul(x, V_TWO_23), x, tiny);
  // Move the mantissa into [√½, √2): m = bits' mantissa with the exponent of √½ added back.
  const ix = i32x4.add(xs, V_LOG_SHIFT);
  const k = i32x4.sub(i32x4.sub(i32x4.shr_s(ix, 23), V_EXP_BIAS), v128.and(tiny, V_I23));
  const m = i32x4.add(v128.and(ix, V_MANTISSA), V_SQRT_HALF_BITS);
  const f = f32x4.sub(m, V_ONE);
  const kf = f32x4.convert_i32x4_s(k);
  const y = madd(kf, V_LN2_HI, madd(kf, V_LN2_LO, log1pCore(f)));
  // Zero, negative, +Inf and NaN.
  const normal = v128.and(f32x4.gt(x, f32x4.splat(0.0)), f32x4.lt(x, V_INF));
  const special = v128.bitselect(V_NEG_INF, v128.bitselect(x, V_NAN, f32x4.eq(x, V_INF)), f32x4.eq(x, f32x4.splat(0.0)));
  return v128.bitselect(y, special, normal);
}

/** log(1 + u) for u ≥ 0 (or NaN), accurate relative to the result for tiny u. */
// @ts-ignore: decorator
@inline export function vlog1p(u: v128): v128 {
  const small = f32x4.le(u, V_LOG1P_SMALL);
  // 1 + u rounds by at most 2^-24 relative, an absolute 6e-8 on a logarithm above 0.34 where it is taken.
  return v128.bitselect(log1pCore(u), vlog(f32x4.add(u, V_ONE)), small);
}

/**
 * log(1 + u) for u in [0, 1] (e.g. u = e^-|x| in softplus): 2·atanh(s), s = u / (2 + u) ≤ 1/3, the series to s^14/15;
 * the next term is below (1/9)^7/17 ≤ 1.2e-8 relative.
 */
// @ts-ignore: decorator
@inline export function vlog1pUnit(u: v128): v128 {
  const s = f32x4.div(u, f32x4.add(V_TWO, u));
  const z = f32x4.mul(s, s);
  let p = madd(z, V_INV15, V_INV13);
  p = madd(p, z, V_INV11);
  p = madd(p, z, V_INV9);
  p = madd(p, z, V_INV7);
  p = madd(p, z, V_INV5);
  p = madd(p, z, V_INV3);
  const s2 = f32x4.add(s, s);
  return madd(f32x4.mul(s2, z), p, s2);
}

/** 1 / (1 + e^-x), from e = e^-|x| ≤ 1 so nothing overflows: 1/(1+e) for x ≥ 0, e/(1+e) below. */
// @ts-ignore: decorator
@inline export function vsigmoid(x: v128): v128 {
  const e = vexp(f32x4.neg(f32x4.abs(x)));
  const num = v128.bitselect(e, V_ONE, f32x4.lt(x, f32x4.splat(0.0)));
  return f32x4.div(num, f32x4.add(V_ONE, e));
}

/** tanh x = -t / (2 + t) with t = e^(-2|x|) - 1, the sign of x put back. */
// @ts-ignore: decorator
@inline export function vtanh(x: v128): v128 {
  const t = vexpm1neg(f32x4.mul(f32x4.abs(x), V_NEG_TWO));
  const y = f32x4.div(f32x4.neg(t), f32x4.add(V_TWO, t));
  return v128.or(y, v128.and(x, V_SIGN_MASK));
}

/**
 * erf x ≈ x·P(x²)/Q(x²) on |x| ≤ 3.92 (beyond, erf rounds to ±1 in float32): a rational fit of degrees 13/8 made
 * by iteratively reweighted least squares on the relative error (5e-8 in exact arithmetic; 4.4e-7 measured in
 * float32). Q has no zero on the interval (Q ≥ 1). The result is clamped to [-1, 1].
 */
// @ts-ignore: decorator
@inline export function verf(x: v128): v128 {
  const xc = vclamp(x, V_ERF_LO, V_ERF_HI);
  const z = f32x4.mul(xc, xc);
  let p = madd(z, V_ERF_P6, V_ERF_P5);
  p = madd(p, z, V_ERF_P4);
  p = madd(p, z, V_ERF_P3);
  p = madd(p, z, V_ERF_P2);
  p = madd(p, z, V_ERF_P1);
  p = madd(p, z, V_ERF_P0);
  let q = madd(z, V_ERF_Q4, V_ERF_Q3);
  q = madd(q, z, V_ERF_Q2);
  q = madd(q, z, V_ERF_Q1);
  q = madd(q, z, V_ONE);
  const y = f32x4.div(f32x4.mul(xc, p), q);
  return vclamp(y, V_NEG_ONE, V_ONE);
}

/** |x| below this reduces exactly in double precision (k·π/2 with k < 2^20 and a 33-bit π/2 head). */
const SINCOS_REDUCED: f32 = 1.6e6;
let V_SINCOS_REDUCED = f32x4.splat(SINCOS_REDUCED);

/**
 * sin(x) (cosine = false) or cos(x): x − k·π/2 reduced in double precision, so the remainder r (|r| ≤ π/4) is exact to
 * float32 rounding even next to a zero of the result; then float32 minimax polynomials of sin and cos on r, picked
 * and signed by the quadrant k mod 4 (cos is sin one quadrant on). Lanes past SINCOS_REDUCED (rare: arguments in
 * radians that large carry no phase information in float32) take the double-precision Math.sin or Math.cos.
 */
// @ts-ignore: decorator
@inline export function vsincos(x: v128, cosine: bool): v128 {
  const twoOverPi = V_TWO_OVER_PI;
  const pio2Hi = V_PIO2_HI;
  const pio2Lo = V_PIO2_LO;
  const xLo = f64x2.promote_low_f32x4(x);
  const xHi = f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 0, 1));
  const kLo = f64x2.nearest(f64x2.mul(xLo, twoOverPi));
  const kHi = f64x2.nearest(f64x2.mul(xHi, twoOverPi));
  const rLo = f64x2.sub(f64x2.sub(xLo, f64x2.mul(kLo, pio2Hi)), f64x2.mul(kLo, pio2Lo));
  const rHi = f64x2.sub(f64x2.sub(xHi, f64x2.mul(kHi, pio2Hi)), f64x2.mul(kHi, pio2Lo));
  const r = v128.shuffle<f32>(f32x4.demote_f64x2_zero(rLo), f32x4.demote_f64x2_zero(rHi), 0, 1, 4, 5);
  let q = v128.shuffle<i32>(i32x4.trunc_sat_f64x2_s_zero(kLo), i32x4.trunc_sat_f64x2_s_zero(kHi), 0, 1, 4, 5);
  if (cosine) q = i32x4.add(q, V_I1);
  const r2 = f32x4.mul(r, r);
  let ps = madd(r2, V_SIN_C3, V_SIN_C2);
  ps = madd(ps, r2, V_SIN_C1);
  const s = madd(f32x4.mul(ps, r2), r, r);
  let pc = madd(r2, V_COS_C3, V_COS_C2);
  pc = madd(pc, r2, V_COS_C1);
  const c = madd(f32x4.mul(pc, r2), r2, madd(r2, V_NEG_HALF, V_ONE));
  // Odd quadrants take the other function; quadrants 2 and 3 flip the sign.
  const odd = i32x4.eq(v128.and(q, V_I1), V_I1);
  const sign = i32x4.shl(v128.and(q, V_I2), 30);
  let y = v128.xor(v128.bitselect(c, s, odd), sign);
  const far = f32x4.gt(f32x4.abs(x), V_SINCOS_REDUCED);
  if (v128.any_true(far)) {
    if (i32x4.extract_lane(far, 0) != 0) { const v = <f64>f32x4.extract_lane(x, 0); y = f32x4.replace_lane(y, 0, <f32>(cosine ? Math.cos(v) : Math.sin(v))); }
    if (i32x4.extract_lane(far, 1) != 0) { const v = <f64>f32x4.extract_lane(x, 1); y = f32x4.replace_lane(y, 1, <f32>(cosine ? Math.cos(v) : Math.sin(v))); }
    if (i32x4.extract_lane(far, 2) != 0) { const v = <f64>f32x4.extract_lane(x, 2); y = f32x4.replace_lane(y, 2, <f32>(cosine ? Math.cos(v) : Math.sin(v))); }
    if (i32x4.extract_lane(far, 3) != 0) { const v = <f64>f32x4.extract_lane(x, 3); y = f32x4.replace_lane(y, 3, <f32>(cosine ? Math.cos(v) : Math.sin(v))); }
  }
  return y;
}

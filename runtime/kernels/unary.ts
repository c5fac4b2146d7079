// Elementwise activations and math functions on contiguous float32 runs, four lanes at a time; the last 1–3
// elements go through the same vector code (loaded lane by lane), so every element sees one implementation.
// Accuracy (test/engine-unary.test.ts, against double-precision Math over the whole float range): within 1e-6 relative
// (absolute 2^-148·max(1, |x|) where the result is denormal), except where the formula itself is ill-conditioned in
// float32: Gelu for x < 0 adds 3e-7·|x| absolute (1 + erf cancels), GeluTanh 3e-7·|2u·y| (the rounded argument u
// scaled by sigmoid's slope), HardSigmoid 6e-8 and HardSwish 6e-8·|x| absolute (x·alpha + beta crossing 0 and 1).
import { vclamp, vclampOut, verf, vexp, vexpm1neg, vlog, vlog1pUnit, vsigmoid, vsincos, vtanh, zeroFix } from "./vmath";

// One marker class per function: the loops are generic over it, so each function gets its own loop with the others'
// branches removed at compile time (an op number passed down would let the optimizer merge all loops into one with
// the dispatch inside). Op codes (the `unary` switch below) are shared with src/engine/kernels/unary.ts (UNARY_OPS).
class Exp {} // 0
class Log {} // 1
class Sigmoid {} // 2
class Tanh {} // 3
class Erf {} // 4
class Gelu {} // 5
class GeluTanh {} // 6
class Softplus {} // 7
class Softsign {} // 8
class HardSigmoid {} // 9
class HardSwish {} // 10
class Elu {} // 11
class Selu {} // 12
class Celu {} // 13
class LeakyRelu {} // 14
class Mish {} // 15
class Sqrt {} // 16
class Reciprocal {} // 17
class Abs {} // 18
class Neg {} // 19
class Floor {} // 20
class Ceil {} // 21
class Round {} // 22
class Silu {} // 23
class ThresholdedRelu {} // 24
class Square {} // 25
class Cube {} // 26
class PowHalf {} // 27
class Affine {} // 28
class Sin {} // 29
class Cos {} // 30

// @ts-ignore: decorator
@inline function apply<Op>(x: v128, alpha: f32, beta: f32): v128 {
  const zero = f32x4.splat(0.0);
  const one = f32x4.splat(1.0);
  if (idof<Op>() == idof<Exp>()) return vexp(x);
  if (idof<Op>() == idof<Log>()) return vlog(x);
  if (idof<Op>() == idof<Sigmoid>()) return vsigmoid(x);
  if (idof<Op>() == idof<Tanh>()) return vtanh(x);
  if (idof<Op>() == idof<Erf>()) return verf(x);
  if (idof<Op>() == idof<Gelu>()) {
    // x·½(1 + erf(x/√2)); for x ≪ 0 the sum cancels as in every float32 implementation.
    const e = verf(f32x4.mul(x, f32x4.splat(0.70710678118654752)));
    return f32x4.mul(f32x4.mul(x, f32x4.splat(0.5)), f32x4.add(one, e));
  }
  if (idof<Op>() == idof<GeluTanh>()) {
    // ½x(1 + tanh u) = x·sigmoid(2u), u = √(2/π)(x + 0.044715x³): no cancellation for x ≪ 0.
    const x2 = f32x4.mul(x, x);
    const u2 = f32x4.mul(x, f32x4.add(f32x4.splat(1.5957691216057308), f32x4.mul(x2, f32x4.splat(0.07135481627159025))));
    return f32x4.mul(x, vsigmoid(u2));
  }
  if (idof<Op>() == idof<Softplus>()) return f32x4.add(f32x4.pmax(x, zero), vlog1pUnit(vexp(f32x4.neg(f32x4.abs(x)))));
  if (idof<Op>() == idof<Softsign>()) return f32x4.div(x, f32x4.add(one, f32x4.abs(x)));
  if (idof<Op>() == idof<HardSigmoid>()) {
    return vclamp(f32x4.add(f32x4.mul(x, f32x4.splat(alpha)), f32x4.splat(beta)), zero, one);
  }
  if (idof<Op>() == idof<HardSwish>()) {
    const h = vclamp(f32x4.add(f32x4.mul(x, f32x4.splat(alpha)), f32x4.splat(beta)), zero, one);
    return f32x4.mul(x, h);
  }
  if (idof<Op>() == idof<Elu>() || idof<Op>() == idof<Selu>() || idof<Op>() == idof<Celu>()) {
    // alpha·(e^x - 1) below 0 (Celu: alpha·(e^(x/alpha) - 1)); Selu scales both sides by beta (gamma).
    const neg = f32x4.lt(x, zero);
    const arg = idof<Op>() == idof<Celu>() ? f32x4.div(f32x4.pmin(x, zero), f32x4.splat(alpha)) : f32x4.pmin(x, zero);
    const low = f32x4.mul(f32x4.splat(alpha), vexpm1neg(arg));
    const y = v128.bitselect(low, x, neg);
    return idof<Op>() == idof<Selu>() ? f32x4.mul(y, f32x4.splat(beta)) : y;
  }
  if (idof<Op>() == idof<LeakyRelu>()) return v128.bitselect(f32x4.mul(x, f32x4.splat(alpha)), x, f32x4.lt(x, zero));
  if (idof<Op>() == idof<Mish>()) {
    // tanh(log(1 + e)) = n / (n + 2) with n = e(e + 2), e = e^x: all terms positive, so nothing cancels. Past
    // x = 9.1 the ratio rounds to 1; clamping x at 20 keeps n finite.
    const e = vexp(f32x4.pmin(x, f32x4.splat(20.0)));
    const n = f32x4.mul(e, f32x4.add(e, f32x4.splat(2.0)));
    return f32x4.mul(x, f32x4.div(n, f32x4.add(n, f32x4.splat(2.0))));
  }
  if (idof<Op>() == idof<Sqrt>()) return f32x4.sqrt(x);
  if (idof<Op>() == idof<Reciprocal>()) return f32x4.div(one, x);
  if (idof<Op>() == idof<Abs>()) return f32x4.abs(x);
  if (idof<Op>() == idof<Neg>()) return f32x4.neg(x);
  if (idof<Op>() == idof<Floor>()) return f32x4.floor(x);
  if (idof<Op>() == idof<Ceil>()) return f32x4.ceil(x);
  if (idof<Op>() == idof<Round>()) return f32x4.nearest(x);
  if (idof<Op>() == idof<Silu>()) return f32x4.mul(x, vsigmoid(x));
  if (idof<Op>() == idof<ThresholdedRelu>()) return v128.and(x, f32x4.gt(x, f32x4.splat(alpha)));
  if (idof<Op>() == idof<Square>()) return f32x4.mul(x, x);
  if (idof<Op>() == idof<Cube>()) return f32x4.mul(f32x4.mul(x, x), x);
  if (idof<Op>() == idof<PowHalf>()) {
    // pow(x, 0.5): sqrt, except pow(-0, .5) = +0 and pow(-Inf, .5) = +Inf.
    const s = f32x4.add(f32x4.sqrt(x), zero);
    return v128.bitselect(f32x4.splat(Infinity), s, f32x4.eq(x, f32x4.splat(-Infinity)));
  }
  if (idof<Op>() == idof<Sin>()) return vsincos(x, false);
  if (idof<Op>() == idof<Cos>()) return vsincos(x, true);
  // AFFINE: x·alpha + beta (a Mul and an Add by scalars, or Div by a scalar's reciprocal).
  return f32x4.add(f32x4.mul(x, f32x4.splat(alpha)), f32x4.splat(beta));
}

// @ts-ignore: decorator
@inline function run<Op>(x: usize, y: usize, n: i32, alpha: f32, beta: f32, lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vfix = zeroFix(vlo);
  const vhi = f32x4.splat(hi);
  // The exact min/max (±0 ordered as Relu/Clip define it) only where a clamp was fused.
  const clamped = lo != -Infinity || hi != Infinity;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    let r = apply<Op>(v128.load(x + off), alpha, beta);
    if (clamped) r = vclampOut(r, vlo, vhi, vfix);
    v128.store(y + off, r);
  }
  const rest = n - i;
  if (rest > 0) {
    const off = <usize>i << 2;
    let v = f32x4.splat(0.0);
    v = f32x4.replace_lane(v, 0, load<f32>(x + off));
    if (rest > 1) v = f32x4.replace_lane(v, 1, load<f32>(x + off, 4));
    if (rest > 2) v = f32x4.replace_lane(v, 2, load<f32>(x + off, 8));
    const r = vclampOut(apply<Op>(v, alpha, beta), vlo, vhi, vfix);
    store<f32>(y + off, f32x4.extract_lane(r, 0));
    if (rest > 1) store<f32>(y + off, f32x4.extract_lane(r, 1), 4);
    if (rest > 2) store<f32>(y + off, f32x4.extract_lane(r, 2), 8);
  }
}

/**
 * y[i] = clamp(f(x[i]), lo, hi) for i < n, f chosen by `op` (codes above) with its parameters alpha, beta; the clamp
 * is a fused Relu/Clip (±Inf otherwise). y may be x.
 */
export function unary(op: i32, x: usize, y: usize, n: i32, alpha: f32, beta: f32, lo: f32, hi: f32): void {
  switch (op) {
    case 0: run<Exp>(x, y, n, alpha, beta, lo, hi); break;
    case 1: run<Log>(x, y, n, alpha, beta, lo, hi); break;
    case 2: run<Sigmoid>(x, y, n, alpha, beta, lo, hi); break;
    case 3: run<Tanh>(x, y, n, alpha, beta, lo, hi); break;
    case 4: run<Erf>(x, y, n, alpha, beta, lo, hi); break;
    case 5: run<Gelu>(x, y, n, alpha, beta, lo, hi); break;
    case 6: run<GeluTanh>(x, y, n, alpha, beta, lo, hi); break;
    case 7: run<Softplus>(x, y, n, alpha, beta, lo, hi); break;
    case 8: run<Softsign>(x, y, n, alpha, beta, lo, hi); break;
    case 9: run<HardSigmoid>(x, y, n, alpha, beta, lo, hi); break;
    case 10: run<HardSwish>(x, y, n, alpha, beta, lo, hi); break;
    case 11: run<Elu>(x, y, n, alpha, beta, lo, hi); break;
    case 12: run<Selu>(x, y, n, alpha, beta, lo, hi); break;
    case 13: run<Celu>(x, y, n, alpha, beta, lo, hi); break;
    case 14: run<LeakyRelu>(x, y, n, alpha, beta, lo, hi); break;
    case 15: run<Mish>(x, y, n, alpha, beta, lo, hi); break;
    case 16: run<Sqrt>(x, y, n, alpha, beta, lo, hi); break;
    case 17: run<Reciprocal>(x, y, n, alpha, beta, lo, hi); break;
    case 18: run<Abs>(x, y, n, alpha, beta, lo, hi); break;
    case 19: run<Neg>(x, y, n, alpha, beta, lo, hi); break;
    case 20: run<Floor>(x, y, n, alpha, beta, lo, hi); break;
    case 21: run<Ceil>(x, y, n, alpha, beta, lo, hi); break;
    case 22: run<Round>(x, y, n, alpha, beta, lo, hi); break;
    case 23: run<Silu>(x, y, n, alpha, beta, lo, hi); break;
    case 24: run<ThresholdedRelu>(x, y, n, alpha, beta, lo, hi); break;
    case 25: run<Square>(x, y, n, alpha, beta, lo, hi); break;
    case 26: run<Cube>(x, y, n, alpha, beta, lo, hi); break;
    case 27: run<PowHalf>(x, y, n, alpha, beta, lo, hi); break;
    case 29: run<Sin>(x, y, n, alpha, beta, lo, hi); break;
    case 30: run<Cos>(x, y, n, alpha, beta, lo, hi); break;
    default: run<Affine>(x, y, n, alpha, beta, lo, hi); break;
  }
}

/** y[i] = pow(x[i], e) in double precision, rounded once: Pow by a constant exponent without a vector shortcut. */
export function pow_scalar(x: usize, y: usize, n: i32, e: f64): void {
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(y + off, <f32>Math.pow(<f64>load<f32>(x + off), e));
  }
}

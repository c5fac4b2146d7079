// Elementwise activations and math functions on contiguous float32 runs, four lanes at a time; the last 1–3
// elements go through the same vector code (loaded lane by lane), so every element sees one implementation.
// Accuracy: see vmath.ts; the functions built from those add at most a few roundings (test/engine-unary.test.ts).
import { verf, vexp, vexpm1neg, vlog, vlog1p, vsigmoid, vtanh } from "./vmath";

// Op codes, shared with src/engine/kernels/unary.ts (UNARY_OPS).
const EXP = 0;
const LOG = 1;
const SIGMOID = 2;
const TANH = 3;
const ERF = 4;
const GELU = 5;
const GELU_TANH = 6;
const SOFTPLUS = 7;
const SOFTSIGN = 8;
const HARD_SIGMOID = 9;
const HARD_SWISH = 10;
const ELU = 11;
const SELU = 12;
const CELU = 13;
const LEAKY_RELU = 14;
const MISH = 15;
const SQRT = 16;
const RECIPROCAL = 17;
const ABS = 18;
const NEG = 19;
const FLOOR = 20;
const CEIL = 21;
const ROUND = 22;
const SILU = 23;
const THRESHOLDED_RELU = 24;
const SQUARE = 25;
const CUBE = 26;
const POW_HALF = 27;
const AFFINE = 28;

// @ts-ignore: decorator
@inline function apply(op: i32, x: v128, alpha: f32, beta: f32): v128 {
  const zero = f32x4.splat(0.0);
  const one = f32x4.splat(1.0);
  if (op == EXP) return vexp(x);
  if (op == LOG) return vlog(x);
  if (op == SIGMOID) return vsigmoid(x);
  if (op == TANH) return vtanh(x);
  if (op == ERF) return verf(x);
  if (op == GELU) {
    // x·½(1 + erf(x/√2)); for x ≪ 0 the sum cancels as in every float32 implementation.
    const e = verf(f32x4.mul(x, f32x4.splat(0.70710678118654752)));
    return f32x4.mul(f32x4.mul(x, f32x4.splat(0.5)), f32x4.add(one, e));
  }
  if (op == GELU_TANH) {
    // ½x(1 + tanh u) = x·sigmoid(2u), u = √(2/π)(x + 0.044715x³): no cancellation for x ≪ 0.
    const x2 = f32x4.mul(x, x);
    const u2 = f32x4.mul(x, f32x4.add(f32x4.splat(1.5957691216057308), f32x4.mul(x2, f32x4.splat(0.07135481627159025))));
    return f32x4.mul(x, vsigmoid(u2));
  }
  if (op == SOFTPLUS) return f32x4.add(f32x4.max(x, zero), vlog1p(vexp(f32x4.neg(f32x4.abs(x)))));
  if (op == SOFTSIGN) return f32x4.div(x, f32x4.add(one, f32x4.abs(x)));
  if (op == HARD_SIGMOID) {
    return f32x4.min(f32x4.max(f32x4.add(f32x4.mul(x, f32x4.splat(alpha)), f32x4.splat(beta)), zero), one);
  }
  if (op == HARD_SWISH) {
    const h = f32x4.min(f32x4.max(f32x4.add(f32x4.mul(x, f32x4.splat(alpha)), f32x4.splat(beta)), zero), one);
    return f32x4.mul(x, h);
  }
  if (op == ELU || op == SELU || op == CELU) {
    // alpha·(e^x - 1) below 0 (Celu: alpha·(e^(x/alpha) - 1)); Selu scales both sides by beta (gamma).
    const neg = f32x4.lt(x, zero);
    const arg = op == CELU ? f32x4.div(f32x4.min(x, zero), f32x4.splat(alpha)) : f32x4.min(x, zero);
    const low = f32x4.mul(f32x4.splat(alpha), vexpm1neg(arg));
    const y = v128.bitselect(low, x, neg);
    return op == SELU ? f32x4.mul(y, f32x4.splat(beta)) : y;
  }
  if (op == LEAKY_RELU) return v128.bitselect(f32x4.mul(x, f32x4.splat(alpha)), x, f32x4.lt(x, zero));
  if (op == MISH) {
    const sp = f32x4.add(f32x4.max(x, zero), vlog1p(vexp(f32x4.neg(f32x4.abs(x)))));
    return f32x4.mul(x, vtanh(sp));
  }
  if (op == SQRT) return f32x4.sqrt(x);
  if (op == RECIPROCAL) return f32x4.div(one, x);
  if (op == ABS) return f32x4.abs(x);
  if (op == NEG) return f32x4.neg(x);
  if (op == FLOOR) return f32x4.floor(x);
  if (op == CEIL) return f32x4.ceil(x);
  if (op == ROUND) return f32x4.nearest(x);
  if (op == SILU) return f32x4.mul(x, vsigmoid(x));
  if (op == THRESHOLDED_RELU) return v128.and(x, f32x4.gt(x, f32x4.splat(alpha)));
  if (op == SQUARE) return f32x4.mul(x, x);
  if (op == CUBE) return f32x4.mul(f32x4.mul(x, x), x);
  if (op == POW_HALF) {
    // pow(x, 0.5): sqrt, except pow(-0, .5) = +0 and pow(-Inf, .5) = +Inf.
    const s = f32x4.add(f32x4.sqrt(x), zero);
    return v128.bitselect(f32x4.splat(Infinity), s, f32x4.eq(x, f32x4.splat(-Infinity)));
  }
  // AFFINE: x·alpha + beta (a Mul and an Add by scalars, or Div by a scalar's reciprocal).
  return f32x4.add(f32x4.mul(x, f32x4.splat(alpha)), f32x4.splat(beta));
}

// @ts-ignore: decorator
@inline function run(op: i32, x: usize, y: usize, n: i32, alpha: f32, beta: f32, lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(y + off, f32x4.min(f32x4.max(apply(op, v128.load(x + off), alpha, beta), vlo), vhi));
  }
  const rest = n - i;
  if (rest > 0) {
    const off = <usize>i << 2;
    let v = f32x4.splat(0.0);
    v = f32x4.replace_lane(v, 0, load<f32>(x + off));
    if (rest > 1) v = f32x4.replace_lane(v, 1, load<f32>(x + off, 4));
    if (rest > 2) v = f32x4.replace_lane(v, 2, load<f32>(x + off, 8));
    const r = f32x4.min(f32x4.max(apply(op, v, alpha, beta), vlo), vhi);
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
    case EXP: run(EXP, x, y, n, alpha, beta, lo, hi); break;
    case LOG: run(LOG, x, y, n, alpha, beta, lo, hi); break;
    case SIGMOID: run(SIGMOID, x, y, n, alpha, beta, lo, hi); break;
    case TANH: run(TANH, x, y, n, alpha, beta, lo, hi); break;
    case ERF: run(ERF, x, y, n, alpha, beta, lo, hi); break;
    case GELU: run(GELU, x, y, n, alpha, beta, lo, hi); break;
    case GELU_TANH: run(GELU_TANH, x, y, n, alpha, beta, lo, hi); break;
    case SOFTPLUS: run(SOFTPLUS, x, y, n, alpha, beta, lo, hi); break;
    case SOFTSIGN: run(SOFTSIGN, x, y, n, alpha, beta, lo, hi); break;
    case HARD_SIGMOID: run(HARD_SIGMOID, x, y, n, alpha, beta, lo, hi); break;
    case HARD_SWISH: run(HARD_SWISH, x, y, n, alpha, beta, lo, hi); break;
    case ELU: run(ELU, x, y, n, alpha, beta, lo, hi); break;
    case SELU: run(SELU, x, y, n, alpha, beta, lo, hi); break;
    case CELU: run(CELU, x, y, n, alpha, beta, lo, hi); break;
    case LEAKY_RELU: run(LEAKY_RELU, x, y, n, alpha, beta, lo, hi); break;
    case MISH: run(MISH, x, y, n, alpha, beta, lo, hi); break;
    case SQRT: run(SQRT, x, y, n, alpha, beta, lo, hi); break;
    case RECIPROCAL: run(RECIPROCAL, x, y, n, alpha, beta, lo, hi); break;
    case ABS: run(ABS, x, y, n, alpha, beta, lo, hi); break;
    case NEG: run(NEG, x, y, n, alpha, beta, lo, hi); break;
    case FLOOR: run(FLOOR, x, y, n, alpha, beta, lo, hi); break;
    case CEIL: run(CEIL, x, y, n, alpha, beta, lo, hi); break;
    case ROUND: run(ROUND, x, y, n, alpha, beta, lo, hi); break;
    case SILU: run(SILU, x, y, n, alpha, beta, lo, hi); break;
    case THRESHOLDED_RELU: run(THRESHOLDED_RELU, x, y, n, alpha, beta, lo, hi); break;
    case SQUARE: run(SQUARE, x, y, n, alpha, beta, lo, hi); break;
    case CUBE: run(CUBE, x, y, n, alpha, beta, lo, hi); break;
    case POW_HALF: run(POW_HALF, x, y, n, alpha, beta, lo, hi); break;
    default: run(AFFINE, x, y, n, alpha, beta, lo, hi); break;
  }
}

/** y[i] = pow(x[i], e) in double precision, rounded once: Pow by a constant exponent without a vector shortcut. */
export function pow_scalar(x: usize, y: usize, n: i32, e: f64): void {
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(y + off, <f32>Math.pow(<f64>load<f32>(x + off), e));
  }
}

// Row kernels of transformers: Softmax / LogSoftmax, LayerNormalization (and InstanceNormalization through the same
// row loop), and the Reduce* family. Every tensor is seen as [outer][n][inner]: the operation runs along n, either on
// contiguous rows (inner = 1, vectorised along n) or on 4 neighbouring columns at once (inner > 1, vectorised along
// inner). A call takes the rows [o0, o1) of outer, so the host can split it over threads.
import { madd } from "./madd";
import { vclampOut, vexp, vexpNormal, vlog, zeroFix } from "./vmath";

/** -87 in every lane, as a global (see vmath.ts: one load where a v128.const costs V8 several instructions). */
let V_EXP_FLOOR = f32x4.splat(-87.0);

// Exponentials come from vmath.ts (vexp: within 1e-6 relative wherever the result is a normal float); every caller
// passes x - max ≤ 0. Below e^-87 (1.6e-38) the result would be a denormal, and x86 computes with those through a
// microcode assist two orders of magnitude slower: a masked attention row (scores of -1e4, -3.4e38 or -inf) ran
// Softmax 3.5× slower than an unmasked one. Such a term is below 2^-126 of the row's sum (which is ≥ 1), so it is 0.
// @ts-ignore: decorator
@inline function expNonPositive4(x: v128): v128 {
  const floor = V_EXP_FLOOR;
  // pmax keeps a NaN x (NaN in, NaN out); the comparison is false for it.
  return v128.andnot(vexpNormal(f32x4.pmax(x, floor)), f32x4.lt(x, floor));
}

// @ts-ignore: decorator
@inline function expNonPositive(x: f32): f32 {
  return f32x4.extract_lane(vexp(f32x4.splat(x)), 0);
}

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

// @ts-ignore: decorator
@inline function hmax(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/** Softmax (log = 0) or LogSoftmax (log = 1) along n of x[outer][n][inner], for rows [o0, o1). */
export function softmax(x: usize, y: usize, n: i32, inner: i32, log: i32, o0: i32, o1: i32): void {
  if (inner == 1) {
    for (let o = o0; o < o1; o++) softmaxRow(x + ((<usize>o * n) << 2), y + ((<usize>o * n) << 2), n, log);
    return;
  }
  const step = <usize>inner << 2;
  for (let o = o0; o < o1; o++) {
    const base = (<usize>o * n * inner) << 2;
    let q = 0;
    for (; q + 4 <= inner; q += 4) softmaxColumns4(x + base + (<usize>q << 2), y + base + (<usize>q << 2), n, step, log);
    for (; q < inner; q++) softmaxColumn(x + base + (<usize>q << 2), y + base + (<usize>q << 2), n, step, log);
  }
}

/**
 * The largest float of a row, NaN left out: four independent chains of pmax, one instruction each, where f32x4.max
 * lowers to eight (it orders ±0 and propagates NaN) and one dependent chain of those took half of Softmax's time. A
 * NaN in the row still makes Softmax's whole row NaN: its exponential is NaN, and so is the sum every term is divided
 * by (as a NaN maximum made every term NaN before).
 */
// @ts-ignore: decorator
@inline function rowMax(x: usize, n: i32): f32 {
  let m0 = f32x4.splat(-Infinity), m1 = m0, m2 = m0, m3 = m0;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    m0 = f32x4.pmax(m0, v128.load(p));
    m1 = f32x4.pmax(m1, v128.load(p, 16));
    m2 = f32x4.pmax(m2, v128.load(p, 32));
    m3 = f32x4.pmax(m3, v128.load(p, 48));
  }
  for (; i + 4 <= n; i += 4) m0 = f32x4.pmax(m0, v128.load(x + (<usize>i << 2)));
  const v = f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3));
  let m = hmax(v);
  for (; i < n; i++) {
    const e = load<f32>(x + (<usize>i << 2));
    if (e > m) m = e;
  }
  return m;
}

// @ts-ignore: decorator
@inline function softmaxRow(x: usize, y: usize, n: i32, log: i32): void {
  const m = rowMax(x, n);
  // A row of -inf (or +inf) has no finite maximum to subtract: ONNX Runtime gives NaN there, so does x - m.
  const vmax = f32x4.splat(m);
  let vs = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    const e = expNonPositive4(f32x4.sub(v128.load(x + off), vmax));
    if (!log) v128.store(y + off, e);
    vs = f32x4.add(vs, e);
  }
  let s = hsum(vs);
  for (; i < n; i++) {
    const off = <usize>i << 2;
    const e = expNonPositive(load<f32>(x + off) - m);
    if (!log) store<f32>(y + off, e);
    s += e;
  }
  if (log) {
    const shift = f32x4.splat(m + <f32>Math.log(<f64>s));
    i = 0;
    for (; i + 4 <= n; i += 4) {
      const off = <usize>i << 2;
      v128.store(y + off, f32x4.sub(v128.load(x + off), shift));
    }
    const sh = f32x4.extract_lane(shift, 0);
    for (; i < n; i++) store<f32>(y + (<usize>i << 2), load<f32>(x + (<usize>i << 2)) - sh);
    return;
  }
  const inv = f32x4.splat(<f32>1 / s);
  i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(y + off, f32x4.mul(v128.load(y + off), inv));
  }
  const invs = f32x4.extract_lane(inv, 0);
  for (; i < n; i++) store<f32>(y + (<usize>i << 2), load<f32>(y + (<usize>i << 2)) * invs);
}

// @ts-ignore: decorator
@inline function softmaxColumns4(x: usize, y: usize, n: i32, step: usize, log: i32): void {
  let vm = f32x4.splat(-Infinity);
  // pmax (see rowMax): a NaN lane is left out of its maximum, and still makes its whole column NaN through the sum.
  for (let i = 0; i < n; i++) vm = f32x4.pmax(vm, v128.load(x + <usize>i * step));
  let vs = f32x4.splat(0);
  for (let i = 0; i < n; i++) {
    const e = expNonPositive4(f32x4.sub(v128.load(x + <usize>i * step), vm));
    if (!log) v128.store(y + <usize>i * step, e);
    vs = f32x4.add(vs, e);
  }
  if (log) {
    const shift = f32x4.add(vm, f32x4(
      <f32>Math.log(<f64>f32x4.extract_lane(vs, 0)), <f32>Math.log(<f64>f32x4.extract_lane(vs, 1)),
      <f32>Math.log(<f64>f32x4.extract_lane(vs, 2)), <f32>Math.log(<f64>f32x4.extract_lane(vs, 3))));
    for (let i = 0; i < n; i++) v128.store(y + <usize>i * step, f32x4.sub(v128.load(x + <usize>i * step), shift));
    return;
  }
  const inv = f32x4.div(f32x4.splat(1), vs);
  for (let i = 0; i < n; i++) v128.store(y + <usize>i * step, f32x4.mul(v128.load(y + <usize>i * step), inv));
}

// @ts-ignore: decorator
@inline function softmaxColumn(x: usize, y: usize, n: i32, step: usize, log: i32): void {
  let m: f32 = -Infinity;
  for (let i = 0; i < n; i++) m = max(m, load<f32>(x + <usize>i * step));
  let s: f32 = 0;
  for (let i = 0; i < n; i++) {
    const e = expNonPositive(load<f32>(x + <usize>i * step) - m);
    if (!log) store<f32>(y + <usize>i * step, e);
    s += e;
  }
  if (log) {
    const shift = m + <f32>Math.log(<f64>s);
    for (let i = 0; i < n; i++) store<f32>(y + <usize>i * step, load<f32>(x + <usize>i * step) - shift);
    return;
  }
  const inv = <f32>1 / s;
  for (let i = 0; i < n; i++) store<f32>(y + <usize>i * step, load<f32>(y + <usize>i * step) * inv);
}

/** Σ (x − c)² over a row of n floats, eight a step in two float32 lane sums. */
// @ts-ignore: decorator
@inline function squaresAbout(row: usize, n: i32, c: f32): f32 {
  const vc = f32x4.splat(c);
  let s0 = f32x4.splat(0);
  let s1 = s0;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const d0 = f32x4.sub(v128.load(row + (<usize>i << 2)), vc);
    const d1 = f32x4.sub(v128.load(row + (<usize>i << 2), 16), vc);
    s0 = madd(d0, d0, s0);
    s1 = madd(d1, d1, s1);
  }
  for (; i + 4 <= n; i += 4) {
    const d = f32x4.sub(v128.load(row + (<usize>i << 2)), vc);
    s0 = madd(d, d, s0);
  }
  let sq = hsum(f32x4.add(s0, s1));
  for (; i < n; i++) {
    const d = load<f32>(row + (<usize>i << 2)) - c;
    sq += d * d;
  }
  return sq;
}

/**
 * Normalise each row of x[rows][n] to zero mean and unit variance (eps added to the variance), then scale and shift:
 * per element (gamma[i], beta[i]) when C = 0, per row's channel (gamma[row % C]) otherwise; beta may be 0 (none).
 * mean and invStd, when not 0, receive each row's statistics (LayerNormalization's optional outputs). The result is
 * clamped to [lo, hi] (a fused Relu/Clip; ±inf otherwise). Rows [r0, r1).
 */
export function layer_norm(
  x: usize, y: usize, n: i32, gamma: usize, beta: usize, C: i32, eps: f32, mean: usize, invStd: usize,
  lo: f32, hi: f32, r0: i32, r1: i32,
): void {
  const vlo = f32x4.splat(lo);
  const vfix = zeroFix(vlo);
  const vhi = f32x4.splat(hi);
  const invN: f32 = <f32>1 / <f32>n;
  for (let r = r0; r < r1; r++) {
    const row = x + ((<usize>r * n) << 2);
    const out = y + ((<usize>r * n) << 2);
    let s0 = f32x4.splat(0);
    let s1 = s0;
    let i = 0;
    for (; i + 8 <= n; i += 8) {
      s0 = f32x4.add(s0, v128.load(row + (<usize>i << 2)));
      s1 = f32x4.add(s1, v128.load(row + (<usize>i << 2), 16));
    }
    for (; i + 4 <= n; i += 4) s0 = f32x4.add(s0, v128.load(row + (<usize>i << 2)));
    let sum = hsum(f32x4.add(s0, s1));
    for (; i < n; i++) sum += load<f32>(row + (<usize>i << 2));
    const mu = sum * invN;
    const inv: f32 = <f32>1 / sqrt<f32>(squaresAbout(row, n, mu) * invN + eps);
    if (mean) store<f32>(mean + (<usize>r << 2), mu);
    if (invStd) store<f32>(invStd + (<usize>r << 2), inv);
    if (C > 0) {
      const c = <usize>(r % C) << 2;
      const g: f32 = load<f32>(gamma + c) * inv;
      const b: f32 = (beta ? load<f32>(beta + c) : 0) - mu * g;
      const vg = f32x4.splat(g);
      const vb = f32x4.splat(b);
      i = 0;
      for (; i + 4 <= n; i += 4) {
        const off = <usize>i << 2;
        v128.store(out + off, vclampOut(madd(v128.load(row + off), vg, vb), vlo, vhi, vfix));
      }
      for (; i < n; i++) store<f32>(out + (<usize>i << 2), min(max(load<f32>(row + (<usize>i << 2)) * g + b, lo), hi));
      continue;
    }
    const vmu = f32x4.splat(mu);
    const vinv = f32x4.splat(inv);
    i = 0;
    for (; i + 4 <= n; i += 4) {
      const off = <usize>i << 2;
      const v = f32x4.mul(f32x4.mul(f32x4.sub(v128.load(row + off), vmu), vinv), v128.load(gamma + off));
      const w = beta ? f32x4.add(v, v128.load(beta + off)) : v;
      v128.store(out + off, vclampOut(w, vlo, vhi, vfix));
    }
    for (; i < n; i++) {
      const off = <usize>i << 2;
      const v = (load<f32>(row + off) - mu) * inv * load<f32>(gamma + off) + (beta ? load<f32>(beta + off) : 0);
      store<f32>(out + off, min(max(v, lo), hi));
    }
  }
}

// Reduce* operations, by the codes the host passes.
const R_SUM = 0;
const R_MEAN = 1;
const R_MAX = 2;
const R_MIN = 3;
const R_PROD = 4;
const R_SUM_SQUARE = 5;
const R_L1 = 6;
const R_L2 = 7;
const R_LOG_SUM = 8;
const R_LOG_SUM_EXP = 9;

// @ts-ignore: decorator
@inline function init4(op: i32): v128 {
  if (op == R_MAX) return f32x4.splat(-Infinity);
  if (op == R_MIN) return f32x4.splat(Infinity);
  if (op == R_PROD) return f32x4.splat(1);
  return f32x4.splat(0);
}

/** acc ∘ x for one step of the fold (LogSumExp's steps add exp(x - max) and are done apart). */
// @ts-ignore: decorator
@inline function step4(op: i32, acc: v128, x: v128): v128 {
  if (op == R_MAX) return f32x4.max(acc, x);
  if (op == R_MIN) return f32x4.min(acc, x);
  if (op == R_PROD) return f32x4.mul(acc, x);
  if (op == R_SUM_SQUARE || op == R_L2) return madd(x, x, acc);
  if (op == R_L1) return f32x4.add(acc, f32x4.abs(x));
  return f32x4.add(acc, x);
}

/** Two partial folds of the same op merged: sums of any kind add, max, min and prod fold. */
// @ts-ignore: decorator
@inline function merge4(op: i32, a: v128, b: v128): v128 {
  if (op == R_MAX) return f32x4.max(a, b);
  if (op == R_MIN) return f32x4.min(a, b);
  if (op == R_PROD) return f32x4.mul(a, b);
  return f32x4.add(a, b);
}

// @ts-ignore: decorator
@inline function combine(op: i32, a: f32, b: f32): f32 {
  if (op == R_MAX) return max(a, b);
  if (op == R_MIN) return min(a, b);
  if (op == R_PROD) return a * b;
  return a + b;
}

// @ts-ignore: decorator
@inline function finish(op: i32, acc: f32, n: i32): f32 {
  if (op == R_MEAN) return acc / <f32>n;
  if (op == R_L2) return sqrt<f32>(acc);
  if (op == R_LOG_SUM) return <f32>Math.log(<f64>acc);
  return acc;
}

// @ts-ignore: decorator
@inline function extreme4(isMax: bool, acc: v128, x: v128): v128 {
  return isMax ? f32x4.pmax(acc, x) : f32x4.pmin(acc, x);
}

/**
 * ReduceMax (isMax) or ReduceMin of a row: four chains of pmax or pmin, one instruction a step where f32x4.max/min
 * lower to eight, with NaN noted apart, so that a NaN anywhere in the row makes the result NaN as before.
 */
// @ts-ignore: decorator
@inline function extremeRow(isMax: bool, x: usize, n: i32): f32 {
  let a0 = f32x4.splat(isMax ? -Infinity : Infinity), a1 = a0, a2 = a0, a3 = a0;
  let nan = i32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
    a0 = extreme4(isMax, a0, v0);
    a1 = extreme4(isMax, a1, v1);
    a2 = extreme4(isMax, a2, v2);
    a3 = extreme4(isMax, a3, v3);
    nan = v128.or(nan, v128.or(v128.or(f32x4.ne(v0, v0), f32x4.ne(v1, v1)), v128.or(f32x4.ne(v2, v2), f32x4.ne(v3, v3))));
  }
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    a0 = extreme4(isMax, a0, v);
    nan = v128.or(nan, f32x4.ne(v, v));
  }
  const a = extreme4(isMax, extreme4(isMax, a0, a1), extreme4(isMax, a2, a3));
  const op = isMax ? R_MAX : R_MIN;
  let r = combine(op, combine(op, f32x4.extract_lane(a, 0), f32x4.extract_lane(a, 1)),
    combine(op, f32x4.extract_lane(a, 2), f32x4.extract_lane(a, 3)));
  for (; i < n; i++) r = combine(op, r, load<f32>(x + (<usize>i << 2)));
  return v128.any_true(nan) ? NaN : r;
}

// @ts-ignore: decorator
@inline function reduceRow(op: i32, x: usize, n: i32): f32 {
  if (op == R_LOG_SUM_EXP) {
    let vm = f32x4.splat(-Infinity);
    let i = 0;
    for (; i + 4 <= n; i += 4) vm = f32x4.max(vm, v128.load(x + (<usize>i << 2)));
    let m = hmax(vm);
    for (; i < n; i++) m = max(m, load<f32>(x + (<usize>i << 2)));
    if (m == -Infinity || m == Infinity) return m;
    const vmax = f32x4.splat(m);
    let vs = f32x4.splat(0);
    i = 0;
    for (; i + 4 <= n; i += 4) vs = f32x4.add(vs, expNonPositive4(f32x4.sub(v128.load(x + (<usize>i << 2)), vmax)));
    let s = hsum(vs);
    for (; i < n; i++) s += expNonPositive(load<f32>(x + (<usize>i << 2)) - m);
    return m + <f32>Math.log(<f64>s);
  }
  if (op == R_MAX || op == R_MIN) return extremeRow(op == R_MAX, x, n);
  // Four independent folds: one chain of dependent steps would wait on each step's latency.
  let acc = init4(op);
  let acc1 = acc;
  let acc2 = acc;
  let acc3 = acc;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const row = x + (<usize>i << 2);
    acc = step4(op, acc, v128.load(row));
    acc1 = step4(op, acc1, v128.load(row, 16));
    acc2 = step4(op, acc2, v128.load(row, 32));
    acc3 = step4(op, acc3, v128.load(row, 48));
  }
  for (; i + 4 <= n; i += 4) acc = step4(op, acc, v128.load(x + (<usize>i << 2)));
  acc = merge4(op, merge4(op, acc, acc1), merge4(op, acc2, acc3));
  let a = combine(op, combine(op, f32x4.extract_lane(acc, 0), f32x4.extract_lane(acc, 1)),
    combine(op, f32x4.extract_lane(acc, 2), f32x4.extract_lane(acc, 3)));
  for (; i < n; i++) {
    const v = f32x4.extract_lane(step4(op, init4(op), f32x4.splat(load<f32>(x + (<usize>i << 2)))), 0);
    a = combine(op, a, v);
  }
  return finish(op, a, n);
}

/** Four neighbouring columns x[i·step + 0..3] folded over i < n, finished, stored at y. */
// @ts-ignore: decorator
@inline function reduceColumns4(op: i32, x: usize, y: usize, n: i32, step: usize): void {
  if (op == R_LOG_SUM_EXP) {
    let vm = f32x4.splat(-Infinity);
    for (let i = 0; i < n; i++) vm = f32x4.max(vm, v128.load(x + <usize>i * step));
    // Lanes whose maximum is infinite take it as their result (exp of inf - inf would be NaN).
    const infinite = f32x4.eq(f32x4.abs(vm), f32x4.splat(Infinity));
    const shift = v128.andnot(vm, infinite);
    let vs = f32x4.splat(0);
    for (let i = 0; i < n; i++) vs = f32x4.add(vs, expNonPositive4(f32x4.sub(v128.load(x + <usize>i * step), shift)));
    store<f32>(y, lse(f32x4.extract_lane(vm, 0), f32x4.extract_lane(vs, 0)));
    store<f32>(y, lse(f32x4.extract_lane(vm, 1), f32x4.extract_lane(vs, 1)), 4);
    store<f32>(y, lse(f32x4.extract_lane(vm, 2), f32x4.extract_lane(vs, 2)), 8);
    store<f32>(y, lse(f32x4.extract_lane(vm, 3), f32x4.extract_lane(vs, 3)), 12);
    return;
  }
  // Two independent folds, even and odd rows: half the chain of dependent steps.
  let acc = init4(op);
  let acc1 = acc;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    acc = step4(op, acc, v128.load(x + <usize>i * step));
    acc1 = step4(op, acc1, v128.load(x + <usize>(i + 1) * step));
  }
  if (i < n) acc = step4(op, acc, v128.load(x + <usize>i * step));
  acc = merge4(op, acc, acc1);
  store<f32>(y, finish(op, f32x4.extract_lane(acc, 0), n));
  store<f32>(y, finish(op, f32x4.extract_lane(acc, 1), n), 4);
  store<f32>(y, finish(op, f32x4.extract_lane(acc, 2), n), 8);
  store<f32>(y, finish(op, f32x4.extract_lane(acc, 3), n), 12);
}

// @ts-ignore: decorator
@inline function lse(m: f32, s: f32): f32 {
  return m == -Infinity || m == Infinity ? m : m + <f32>Math.log(<f64>s);
}

// @ts-ignore: decorator
@inline function reduceColumn(op: i32, x: usize, n: i32, step: usize): f32 {
  if (op == R_LOG_SUM_EXP) {
    let m: f32 = -Infinity;
    for (let i = 0; i < n; i++) m = max(m, load<f32>(x + <usize>i * step));
    if (m == -Infinity || m == Infinity) return m;
    let s: f32 = 0;
    for (let i = 0; i < n; i++) s += expNonPositive(load<f32>(x + <usize>i * step) - m);
    return m + <f32>Math.log(<f64>s);
  }
  let a = f32x4.extract_lane(init4(op), 0);
  for (let i = 0; i < n; i++) a = combine(op, a, f32x4.extract_lane(step4(op, init4(op), f32x4.splat(load<f32>(x + <usize>i * step))), 0));
  return finish(op, a, n);
}

// @ts-ignore: decorator
@inline function reduceRows(op: i32, x: usize, y: usize, n: i32, inner: i32, o0: i32, o1: i32): void {
  if (inner == 1) {
    let o = o0;
    if (n < 4 && op != R_MAX && op != R_MIN && op != R_LOG_SUM_EXP) {
      // Rows shorter than a vector (a complex pair's magnitude, a 3-D point): four rows at a time, lane r folding row
      // o + r in reduceRow's own order. One reduceRow per row cost 8 ns for two floats.
      for (; o + 4 <= o1; o += 4) {
        const row = x + ((<usize>o * n) << 2);
        const next = <usize>n << 2;
        let acc = init4(op);
        for (let i = 0; i < n; i++) {
          const at = row + (<usize>i << 2);
          let v = f32x4.splat(load<f32>(at));
          v = f32x4.replace_lane(v, 1, load<f32>(at + next));
          v = f32x4.replace_lane(v, 2, load<f32>(at + next * 2));
          v = f32x4.replace_lane(v, 3, load<f32>(at + next * 3));
          acc = merge4(op, acc, step4(op, init4(op), v));
        }
        const out = y + (<usize>o << 2);
        store<f32>(out, finish(op, f32x4.extract_lane(acc, 0), n));
        store<f32>(out, finish(op, f32x4.extract_lane(acc, 1), n), 4);
        store<f32>(out, finish(op, f32x4.extract_lane(acc, 2), n), 8);
        store<f32>(out, finish(op, f32x4.extract_lane(acc, 3), n), 12);
      }
    }
    for (; o < o1; o++) store<f32>(y + (<usize>o << 2), reduceRow(op, x + ((<usize>o * n) << 2), n));
    return;
  }
  const step = <usize>inner << 2;
  for (let o = o0; o < o1; o++) {
    const src = x + ((<usize>o * n * inner) << 2);
    const dst = y + ((<usize>o * inner) << 2);
    let q = 0;
    for (; q + 4 <= inner; q += 4) reduceColumns4(op, src + (<usize>q << 2), dst + (<usize>q << 2), n, step);
    for (; q < inner; q++) store<f32>(dst + (<usize>q << 2), reduceColumn(op, src + (<usize>q << 2), n, step));
  }
}

/**
 * y[o][q] = reduce over i < n of x[o][i][q], for rows [o0, o1). op: 0 sum, 1 mean, 2 max, 3 min, 4 prod, 5 sum of
 * squares, 6 L1, 7 L2, 8 log-sum, 9 log-sum-exp. NaN propagates through max and min.
 */
export function reduce(op: i32, x: usize, y: usize, n: i32, inner: i32, o0: i32, o1: i32): void {
  switch (op) {
    case R_SUM: reduceRows(R_SUM, x, y, n, inner, o0, o1); break;
    case R_MEAN: reduceRows(R_MEAN, x, y, n, inner, o0, o1); break;
    case R_MAX: reduceRows(R_MAX, x, y, n, inner, o0, o1); break;
    case R_MIN: reduceRows(R_MIN, x, y, n, inner, o0, o1); break;
    case R_PROD: reduceRows(R_PROD, x, y, n, inner, o0, o1); break;
    case R_SUM_SQUARE: reduceRows(R_SUM_SQUARE, x, y, n, inner, o0, o1); break;
    case R_L1: reduceRows(R_L1, x, y, n, inner, o0, o1); break;
    case R_L2: reduceRows(R_L2, x, y, n, inner, o0, o1); break;
    case R_LOG_SUM: reduceRows(R_LOG_SUM, x, y, n, inner, o0, o1); break;
    default: reduceRows(R_LOG_SUM_EXP, x, y, n, inner, o0, o1); break;
  }
}

// @ts-ignore: decorator
@inline function lrnScale(sq: v128, k: v128, bias: v128, beta: f32): v128 {
  const base = madd(sq, k, bias);
  if (beta == 0.75) {
    // AlexNet's exponent in square roots: base^-0.75 = 1 / (√base · √√base), exact to rounding.
    const r = f32x4.sqrt(base);
    return f32x4.div(f32x4.splat(1.0), f32x4.mul(r, f32x4.sqrt(r)));
  }
  return vexp(f32x4.mul(f32x4.splat(-beta), vlog(base)));
}

/**
 * Local response normalisation across channels (LRN): y = x · (bias + alpha/size · Σ x²)^-beta, the sum over the
 * channels [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉] of the same pixel. x is [N][C][plane]; (n, c) planes [p0, p1).
 */
export function lrn(x: usize, y: usize, C: i32, plane: i32, size: i32, alpha: f32, beta: f32, bias: f32, p0: i32, p1: i32): void {
  const before = (size - 1) >> 1;
  const after = size - 1 - before;
  const k = f32x4.splat(alpha / <f32>size);
  const vb = f32x4.splat(bias);
  const planeBytes = <usize>plane << 2;
  for (let p = p0; p < p1; p++) {
    const n = p / C;
    const c = p - n * C;
    const lo = max(0, c - before);
    const hi = min(C - 1, c + after);
    const first = x + (<usize>(n * C + lo)) * planeBytes;
    const xp = x + <usize>p * planeBytes;
    const yp = y + <usize>p * planeBytes;
    let i = 0;
    for (; i + 4 <= plane; i += 4) {
      const off = <usize>i << 2;
      let sq = f32x4.splat(0);
      let q = first + off;
      for (let j = lo; j <= hi; j++) {
        const v = v128.load(q);
        sq = madd(v, v, sq);
        q += planeBytes;
      }
      v128.store(yp + off, f32x4.mul(v128.load(xp + off), lrnScale(sq, k, vb, beta)));
    }
    for (; i < plane; i++) {
      const off = <usize>i << 2;
      let sq: f32 = 0;
      let q = first + off;
      for (let j = lo; j <= hi; j++) {
        const v = load<f32>(q);
        sq += v * v;
        q += planeBytes;
      }
      store<f32>(yp + off, load<f32>(xp + off) * f32x4.extract_lane(lrnScale(f32x4.splat(sq), k, vb, beta), 0));
    }
  }
}

/**
 * RMS normalisation of rows [r0, r1) of x[rows][n]: y = x / √(mean(x²) + eps) · gamma[i] (one scale per row element),
 * clamped to [lo, hi] (a fused Relu/Clip).
 */
export function rms_norm(x: usize, y: usize, n: i32, gamma: usize, eps: f32, lo: f32, hi: f32, r0: i32, r1: i32): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  for (let r = r0; r < r1; r++) {
    const row = x + ((<usize>r * n) << 2);
    const out = y + ((<usize>r * n) << 2);
    const inv: f32 = <f32>1 / sqrt<f32>(squaresAbout(row, n, 0) / <f32>n + eps);
    const vinv = f32x4.splat(inv);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const off = <usize>i << 2;
      const v = f32x4.mul(f32x4.mul(v128.load(row + off), vinv), v128.load(gamma + off));
      v128.store(out + off, f32x4.pmin(f32x4.pmax(v, vlo), vhi));
    }
    for (; i < n; i++) {
      const off = <usize>i << 2;
      store<f32>(out + off, min(max(load<f32>(row + off) * inv * load<f32>(gamma + off), lo), hi));
    }
  }
}

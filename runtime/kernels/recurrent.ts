// Gate math of the recurrent cells (LSTM, GRU, RNN) for one time step. The host has already computed the input
// projection X·Wᵀ (+ Wb) for every step in one GEMM and this step's recurrent projection H·Rᵀ (+ Rb) in another;
// these kernels add them, clip, apply the cell's activations (sigmoid and tanh vectorised) and update the state.
// A batch row whose sequence has ended (t ≥ its length) keeps its state and writes zeros to Y, as ONNX specifies.
// Sigmoid, tanh and exp come from vmath.ts (≤ 1e-6 relative, documented and swept there).
import { madd } from "./madd";
import { vexp, vsigmoid, vtanh } from "./vmath";

// Activation codes, as the host's ACTIVATIONS table numbers them.
const ACT_SIGMOID = 0;
const ACT_TANH = 1;
const ACT_RELU = 2;
const ACT_AFFINE = 3;
const ACT_LEAKY_RELU = 4;
const ACT_THRESHOLDED_RELU = 5;
const ACT_SCALED_TANH = 6;
const ACT_HARD_SIGMOID = 7;
const ACT_ELU = 8;
const ACT_SOFTSIGN = 9;
const ACT_SOFTPLUS = 10;

// @ts-ignore: decorator
@inline function softplus1(x: f32): f32 {
  return x > 20 ? x : Mathf.log(1 + Mathf.exp(x));
}

/** One of the ONNX recurrent activations on 4 lanes, with its alpha and beta. */
// @ts-ignore: decorator
@inline function act4(code: i32, x: v128, alpha: f32, beta: f32): v128 {
  if (code == ACT_SIGMOID) return vsigmoid(x);
  if (code == ACT_TANH) return vtanh(x);
  const zero = f32x4.splat(0);
  if (code == ACT_RELU) return f32x4.max(x, zero);
  const va = f32x4.splat(alpha);
  const vb = f32x4.splat(beta);
  if (code == ACT_AFFINE) return madd(x, va, vb);
  if (code == ACT_LEAKY_RELU) return v128.bitselect(x, f32x4.mul(x, va), f32x4.ge(x, zero));
  if (code == ACT_THRESHOLDED_RELU) return v128.and(x, f32x4.gt(x, va));
  if (code == ACT_SCALED_TANH) return f32x4.mul(va, vtanh(f32x4.mul(vb, x)));
  if (code == ACT_HARD_SIGMOID) return f32x4.min(f32x4.max(madd(x, va, vb), zero), f32x4.splat(1));
  if (code == ACT_ELU) return v128.bitselect(x, f32x4.mul(va, f32x4.sub(vexp(x), f32x4.splat(1))), f32x4.ge(x, zero));
  if (code == ACT_SOFTSIGN) return f32x4.div(x, f32x4.add(f32x4.splat(1), f32x4.abs(x)));
  // Softplus: rare, scalar.
  return f32x4(
    softplus1(f32x4.extract_lane(x, 0)), softplus1(f32x4.extract_lane(x, 1)),
    softplus1(f32x4.extract_lane(x, 2)), softplus1(f32x4.extract_lane(x, 3)),
  );
}

/**
 * clamp(x, lo, hi) for a gate's pre-activation (±inf when the node has no clip). pmax/pmin are one instruction each
 * where max/min cost several for their NaN rules; a NaN still comes through as NaN.
 */
// @ts-ignore: decorator
@inline function clamp4(x: v128, lo: v128, hi: v128): v128 {
  return f32x4.pmin(f32x4.pmax(x, lo), hi);
}

/** clamp(a + b, -clip, clip) for 4 lanes at byte offset `off` of two gate rows (clip is +inf when absent). */
// @ts-ignore: decorator
@inline function pre4(a: usize, b: usize, off: usize, lo: v128, hi: v128): v128 {
  return clamp4(f32x4.add(v128.load(a + off), v128.load(b + off)), lo, hi);
}

/** Whether batch row b is still inside its sequence at time t (lens: one float per row, or 0 for full length). */
// @ts-ignore: decorator
@inline function active(lens: usize, b: i32, t: i32): bool {
  return lens == 0 || <f32>t < load<f32>(lens + (<usize>b << 2));
}

// @ts-ignore: decorator
@inline function zeroRow(y: usize, H: i32): void {
  if (y != 0) memory.fill(y, 0, <usize>H << 2);
}

/** Internal rows are padded to whole vectors (the padded units stay zero and never reach an output). */
// @ts-ignore: decorator
@inline function padded(H: i32): i32 {
  return (H + 3) & ~3;
}

/** Store 4 lanes at unit j of an output row of H units (fewer at the row's end). */
// @ts-ignore: decorator
@inline function storeOut(y: usize, j: i32, H: i32, v: v128): void {
  const off = <usize>j << 2;
  if (j + 4 <= H) {
    v128.store(y + off, v);
    return;
  }
  const n = H - j;
  store<f32>(y + off, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(y + off + 4, f32x4.extract_lane(v, 1));
  if (n > 2) store<f32>(y + off + 8, f32x4.extract_lane(v, 2));
}

/**
 * One LSTM step over B batch rows of H units. Gate columns in ONNX order i, o, f, c. xw: this step's row of batch 0
 * (xwRow floats between batch rows), hr: B rows of 4H, c and h: the state (B × H, updated in place), p: peepholes
 * (i, o, f; 0 for none), hr rows hrRow floats apart, y: this step's output row of batch 0 (yRow apart; 0 for
 * none). Internal rows (xw gates, hr gates, c, h, p) are H rounded up to a multiple of 4 wide; y rows are H wide.
 */
// @ts-ignore: decorator
@inline function lstmRows(
  xw: usize, xwRow: i32, hr: usize, hrRow: i32, c: usize, h: usize, p: usize, y: usize, yRow: i32, B: i32, H: i32, t: i32, lens: usize,
  clip: f32, inputForget: i32, f: i32, fa: f32, fb: f32, g: i32, ga: f32, gb: f32, hc: i32, ha: f32, hb: f32,
): void {
  const lo = f32x4.splat(-clip);
  const hi = f32x4.splat(clip);
  const one = f32x4.splat(1);
  const Hp = padded(H);
  const gate = <usize>Hp << 2;
  for (let b = 0; b < B; b++) {
    const yb: usize = y == 0 ? 0 : y + ((<usize>b * yRow) << 2);
    if (!active(lens, b, t)) {
      zeroRow(yb, H);
      continue;
    }
    const xb = xw + ((<usize>b * xwRow) << 2);
    const rb = hr + ((<usize>b * hrRow) << 2);
    const cb = c + ((<usize>b * Hp) << 2);
    const hbp = h + ((<usize>b * Hp) << 2);
    for (let j = 0; j < Hp; j += 4) {
      const off = <usize>j << 2;
      const cPrev = v128.load(cb + off);
      let gi = f32x4.add(v128.load(xb + off), v128.load(rb + off));
      let gf = f32x4.add(v128.load(xb + off + 2 * gate), v128.load(rb + off + 2 * gate));
      if (p != 0) {
        gi = madd(v128.load(p + off), cPrev, gi);
        gf = madd(v128.load(p + off + 2 * gate), cPrev, gf);
      }
      const i4 = act4(f, clamp4(gi, lo, hi), fa, fb);
      const f4 = inputForget ? f32x4.sub(one, i4) : act4(f, clamp4(gf, lo, hi), fa, fb);
      const c4 = act4(g, pre4(xb + 3 * gate, rb + 3 * gate, off, lo, hi), ga, gb);
      const cNew = madd(f4, cPrev, f32x4.mul(i4, c4));
      let go = f32x4.add(v128.load(xb + off + gate), v128.load(rb + off + gate));
      if (p != 0) go = madd(v128.load(p + off + gate), cNew, go);
      const o4 = act4(f, clamp4(go, lo, hi), fa, fb);
      const hNew = f32x4.mul(o4, act4(hc, cNew, ha, hb));
      v128.store(cb + off, cNew);
      v128.store(hbp + off, hNew);
      if (yb != 0) storeOut(yb, j, H, hNew);
    }
  }
}

/** lstm_step: the default activations compile to their own loop (no per-vector dispatch), any others to the general one. */
export function lstm_step(
  xw: usize, xwRow: i32, hr: usize, hrRow: i32, c: usize, h: usize, p: usize, y: usize, yRow: i32, B: i32, H: i32, t: i32, lens: usize,
  clip: f32, inputForget: i32, f: i32, fa: f32, fb: f32, g: i32, ga: f32, gb: f32, hc: i32, ha: f32, hb: f32,
): void {
  if (f == ACT_SIGMOID && g == ACT_TANH && hc == ACT_TANH) {
    lstmRows(xw, xwRow, hr, hrRow, c, h, p, y, yRow, B, H, t, lens, clip, inputForget,
      ACT_SIGMOID, 0, 0, ACT_TANH, 0, 0, ACT_TANH, 0, 0);
  } else {
    lstmRows(xw, xwRow, hr, hrRow, c, h, p, y, yRow, B, H, t, lens, clip, inputForget, f, fa, fb, g, ga, gb, hc, ha, hb);
  }
}

/**
 * GRU, before the second recurrent GEMM when the reset gate applies before the linear map (linear_before_reset 0):
 * r = f(xw_r + hr_r), rh = r ⊙ h. Gate columns z, r, h; hr holds hrRow floats per batch row.
 */
// @ts-ignore: decorator
@inline function gruResetRows(
  xw: usize, xwRow: i32, hr: usize, hrRow: i32, h: usize, rh: usize, B: i32, H: i32, clip: f32, f: i32, fa: f32, fb: f32,
): void {
  const lo = f32x4.splat(-clip);
  const hi = f32x4.splat(clip);
  const Hp = padded(H);
  const gate = <usize>Hp << 2;
  for (let b = 0; b < B; b++) {
    const xb = xw + ((<usize>b * xwRow) << 2) + gate;
    const rb = hr + ((<usize>b * hrRow) << 2) + gate;
    const row = (<usize>b * Hp) << 2;
    for (let j = 0; j < Hp; j += 4) {
      const off = <usize>j << 2;
      const r4 = act4(f, pre4(xb, rb, off, lo, hi), fa, fb);
      v128.store(rh + row + off, f32x4.mul(r4, v128.load(h + row + off)));
    }
  }
}

/** gru_reset: the default activations compile to their own loop (no per-vector dispatch), any others to the general one. */
export function gru_reset(
  xw: usize, xwRow: i32, hr: usize, hrRow: i32, h: usize, rh: usize, B: i32, H: i32, clip: f32, f: i32, fa: f32, fb: f32,
): void {
  if (f == ACT_SIGMOID) gruResetRows(xw, xwRow, hr, hrRow, h, rh, B, H, clip, ACT_SIGMOID, 0, 0);
  else gruResetRows(xw, xwRow, hr, hrRow, h, rh, B, H, clip, f, fa, fb);
}

/**
 * One GRU step: z = f(xw_z + hr_z); the candidate g(xw_h + hh) where hh is (r ⊙ h)·Rhᵀ + Rbh (linear_before_reset
 * 0, from the second GEMM), or g(xw_h + r ⊙ hh) with hh = h·Rhᵀ + Rbh (linear_before_reset 1, r computed here);
 * h = (1 − z) ⊙ candidate + z ⊙ h. hr and hh hold hrRow and hhRow floats per batch row.
 */
// @ts-ignore: decorator
@inline function gruRows(
  xw: usize, xwRow: i32, hr: usize, hrRow: i32, hh: usize, hhRow: i32, h: usize, y: usize, yRow: i32, B: i32, H: i32, t: i32,
  lens: usize, clip: f32, linearBeforeReset: i32, f: i32, fa: f32, fb: f32, g: i32, ga: f32, gb: f32,
): void {
  const lo = f32x4.splat(-clip);
  const hi = f32x4.splat(clip);
  const Hp = padded(H);
  const gate = <usize>Hp << 2;
  for (let b = 0; b < B; b++) {
    const yb: usize = y == 0 ? 0 : y + ((<usize>b * yRow) << 2);
    if (!active(lens, b, t)) {
      zeroRow(yb, H);
      continue;
    }
    const xb = xw + ((<usize>b * xwRow) << 2);
    const rb = hr + ((<usize>b * hrRow) << 2);
    const hhb = hh + ((<usize>b * hhRow) << 2);
    const hbp = h + ((<usize>b * Hp) << 2);
    for (let j = 0; j < Hp; j += 4) {
      const off = <usize>j << 2;
      const z4 = act4(f, pre4(xb, rb, off, lo, hi), fa, fb);
      let pre: v128;
      if (linearBeforeReset) {
        const r4 = act4(f, pre4(xb + gate, rb + gate, off, lo, hi), fa, fb);
        pre = madd(r4, v128.load(hhb + off), v128.load(xb + 2 * gate + off));
      } else {
        pre = f32x4.add(v128.load(xb + 2 * gate + off), v128.load(hhb + off));
      }
      const cand = act4(g, clamp4(pre, lo, hi), ga, gb);
      const hPrev = v128.load(hbp + off);
      const hNew = madd(z4, f32x4.sub(hPrev, cand), cand);
      v128.store(hbp + off, hNew);
      if (yb != 0) storeOut(yb, j, H, hNew);
    }
  }
}

/** gru_step: the default activations compile to their own loop (no per-vector dispatch), any others to the general one. */
export function gru_step(
  xw: usize, xwRow: i32, hr: usize, hrRow: i32, hh: usize, hhRow: i32, h: usize, y: usize, yRow: i32, B: i32, H: i32, t: i32,
  lens: usize, clip: f32, linearBeforeReset: i32, f: i32, fa: f32, fb: f32, g: i32, ga: f32, gb: f32,
): void {
  if (f == ACT_SIGMOID && g == ACT_TANH) {
    gruRows(xw, xwRow, hr, hrRow, hh, hhRow, h, y, yRow, B, H, t, lens, clip, linearBeforeReset,
      ACT_SIGMOID, 0, 0, ACT_TANH, 0, 0);
  } else {
    gruRows(xw, xwRow, hr, hrRow, hh, hhRow, h, y, yRow, B, H, t, lens, clip, linearBeforeReset, f, fa, fb, g, ga, gb);
  }
}

/** One simple RNN step: h = f(xw + hr). */
// @ts-ignore: decorator
@inline function rnnRows(
  xw: usize, xwRow: i32, hr: usize, hrRow: i32, h: usize, y: usize, yRow: i32, B: i32, H: i32, t: i32, lens: usize,
  clip: f32, f: i32, fa: f32, fb: f32,
): void {
  const lo = f32x4.splat(-clip);
  const hi = f32x4.splat(clip);
  const Hp = padded(H);
  for (let b = 0; b < B; b++) {
    const yb: usize = y == 0 ? 0 : y + ((<usize>b * yRow) << 2);
    if (!active(lens, b, t)) {
      zeroRow(yb, H);
      continue;
    }
    const xb = xw + ((<usize>b * xwRow) << 2);
    const rb = hr + ((<usize>b * hrRow) << 2);
    const hbp = h + ((<usize>b * Hp) << 2);
    for (let j = 0; j < Hp; j += 4) {
      const off = <usize>j << 2;
      const hNew = act4(f, pre4(xb, rb, off, lo, hi), fa, fb);
      v128.store(hbp + off, hNew);
      if (yb != 0) storeOut(yb, j, H, hNew);
    }
  }
}

/** rnn_step: the default activations compile to their own loop (no per-vector dispatch), any others to the general one. */
export function rnn_step(
  xw: usize, xwRow: i32, hr: usize, hrRow: i32, h: usize, y: usize, yRow: i32, B: i32, H: i32, t: i32, lens: usize,
  clip: f32, f: i32, fa: f32, fb: f32,
): void {
  if (f == ACT_TANH) rnnRows(xw, xwRow, hr, hrRow, h, y, yRow, B, H, t, lens, clip, ACT_TANH, 0, 0);
  else rnnRows(xw, xwRow, hr, hrRow, h, y, yRow, B, H, t, lens, clip, f, fa, fb);
}

/** y = act(x) over n floats (n a multiple of 4): the kernels' activations, for tests against Math.*. */
export function recurrent_act(code: i32, x: usize, y: usize, n: i32, alpha: f32, beta: f32): void {
  for (let i = 0; i < n; i += 4) {
    const off = <usize>i << 2;
    v128.store(y + off, act4(code, v128.load(x + off), alpha, beta));
  }
}

/** One tile of rows_gemm: `rows` (1 or 2) rows of A against `nb` (1 or 2) blocks of 8 columns of B. */
// @ts-ignore: decorator
@inline function rowsTile(rows: i32, nb: i32, a0: usize, a1: usize, K: i32, b0: usize, b1: usize, bias: usize, c0: usize, c1: usize): void {
  let u0 = f32x4.splat(0), u1 = u0, u2 = u0, u3 = u0, v0 = u0, v1 = u0, v2 = u0, v3 = u0;
  if (bias != 0) {
    u0 = v128.load(bias); u1 = v128.load(bias, 16);
    if (nb == 2) { u2 = v128.load(bias, 32); u3 = v128.load(bias, 48); }
    v0 = u0; v1 = u1; v2 = u2; v3 = u3;
  }
  for (let k = 0; k < K; k++) {
    const ka = <usize>k << 2;
    const p0 = v128.load(b0), p1 = v128.load(b0, 16);
    const x0 = v128.load32_splat(a0 + ka);
    u0 = madd(x0, p0, u0); u1 = madd(x0, p1, u1);
    if (rows == 2) {
      const x1 = v128.load32_splat(a1 + ka);
      v0 = madd(x1, p0, v0); v1 = madd(x1, p1, v1);
      if (nb == 2) {
        const q0 = v128.load(b1), q1 = v128.load(b1, 16);
        u2 = madd(x0, q0, u2); u3 = madd(x0, q1, u3);
        v2 = madd(x1, q0, v2); v3 = madd(x1, q1, v3);
      }
    } else if (nb == 2) {
      const q0 = v128.load(b1), q1 = v128.load(b1, 16);
      u2 = madd(x0, q0, u2); u3 = madd(x0, q1, u3);
    }
    b0 += 32;
    b1 += 32;
  }
  v128.store(c0, u0); v128.store(c0, u1, 16);
  if (nb == 2) { v128.store(c0, u2, 32); v128.store(c0, u3, 48); }
  if (rows == 2) {
    v128.store(c1, v0); v128.store(c1, v1, 16);
    if (nb == 2) { v128.store(c1, v2, 32); v128.store(c1, v3, 48); }
  }
}

/**
 * One row of A against 3 blocks of 8 columns of B (bStride bytes apart). A single row (batch 1, the common recurrent
 * case) has one multiply-add per loaded vector, so its speed is the number of independent accumulators: 6 keep the
 * multiply-adds from waiting on each other's latency, and with the 6 loaded vectors and the broadcast still fit the
 * 15 vector registers the engine allocates (8 accumulators spill).
 */
// @ts-ignore: decorator
@inline function rowTile3(a0: usize, K: i32, b0: usize, bStride: usize, bias: usize, c0: usize): void {
  let u0 = f32x4.splat(0), u1 = u0, u2 = u0, u3 = u0, u4 = u0, u5 = u0;
  if (bias != 0) {
    u0 = v128.load(bias); u1 = v128.load(bias, 16); u2 = v128.load(bias, 32); u3 = v128.load(bias, 48);
    u4 = v128.load(bias, 64); u5 = v128.load(bias, 80);
  }
  let b1 = b0 + bStride;
  let b2 = b1 + bStride;
  for (let k = 0; k < K; k++) {
    const x = v128.load32_splat(a0 + (<usize>k << 2));
    u0 = madd(x, v128.load(b0), u0); u1 = madd(x, v128.load(b0, 16), u1);
    u2 = madd(x, v128.load(b1), u2); u3 = madd(x, v128.load(b1, 16), u3);
    u4 = madd(x, v128.load(b2), u4); u5 = madd(x, v128.load(b2, 16), u5);
    b0 += 32; b1 += 32; b2 += 32;
  }
  v128.store(c0, u0); v128.store(c0, u1, 16); v128.store(c0, u2, 32); v128.store(c0, u3, 48);
  v128.store(c0, u4, 64); v128.store(c0, u5, 80);
}

/**
 * C = A·B (+ bias per column) for the few rows of a recurrent state: A is M × K row-major (lda floats per row, no
 * packing), B is packed in 8-column blocks as pack_b lays it out, C rows are ldc floats apart and hold whole blocks
 * (N rounded up to 8). Two rows against two blocks per tile keep 8 accumulators busy; the GEMM kernel would pad the
 * rows to its panel height and compute the padding too.
 */
export function rows_gemm(a: usize, lda: i32, M: i32, K: i32, b: usize, N: i32, bias: usize, c: usize, ldc: i32): void {
  const blocks = (N + 7) >> 3;
  const bStride = <usize>K << 5;
  for (let m = 0; m < M; m += 2) {
    const a0 = a + ((<usize>m * lda) << 2);
    const a1 = a0 + (<usize>lda << 2);
    const c0 = c + ((<usize>m * ldc) << 2);
    const c1 = c0 + (<usize>ldc << 2);
    const pair = m + 2 <= M;
    let j = 0;
    if (!pair) {
      for (; j + 3 <= blocks; j += 3) {
        const bb: usize = bias == 0 ? 0 : bias + (<usize>j << 5);
        rowTile3(a0, K, b + <usize>j * bStride, bStride, bb, c0 + (<usize>j << 5));
      }
    }
    for (; j + 2 <= blocks; j += 2) {
      const bj = b + <usize>j * bStride;
      const bb: usize = bias == 0 ? 0 : bias + (<usize>j << 5);
      const cj = <usize>j << 5;
      if (pair) rowsTile(2, 2, a0, a1, K, bj, bj + bStride, bb, c0 + cj, c1 + cj);
      else rowsTile(1, 2, a0, a1, K, bj, bj + bStride, bb, c0 + cj, c1 + cj);
    }
    if (j < blocks) {
      const bj = b + <usize>j * bStride;
      const bb: usize = bias == 0 ? 0 : bias + (<usize>j << 5);
      const cj = <usize>j << 5;
      if (pair) rowsTile(2, 1, a0, a1, K, bj, bj, bb, c0 + cj, c1 + cj);
      else rowsTile(1, 1, a0, a1, K, bj, bj, bb, c0 + cj, c1 + cj);
    }
  }
}

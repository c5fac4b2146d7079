// Elementwise kernels on contiguous float runs; the host reduces broadcasting to these shapes.
import { madd } from "./madd";

const OP_ADD = 0;
const OP_SUB = 1;
const OP_MUL = 2;
const OP_DIV = 3;
const OP_MIN = 4;
const OP_MAX = 5;

// @ts-ignore: decorator
@inline function op4(op: i32, a: v128, b: v128): v128 {
  if (op == OP_ADD) return f32x4.add(a, b);
  if (op == OP_SUB) return f32x4.sub(a, b);
  if (op == OP_MUL) return f32x4.mul(a, b);
  if (op == OP_DIV) return f32x4.div(a, b);
  if (op == OP_MIN) return f32x4.min(a, b);
  return f32x4.max(a, b);
}

// @ts-ignore: decorator
@inline function op1(op: i32, a: f32, b: f32): f32 {
  if (op == OP_ADD) return a + b;
  if (op == OP_SUB) return a - b;
  if (op == OP_MUL) return a * b;
  if (op == OP_DIV) return a / b;
  if (op == OP_MIN) return min(a, b);
  return max(a, b);
}

// @ts-ignore: decorator
@inline function binaryRun(op: i32, a: usize, b: usize, y: usize, n: i32, bStep: i32, lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let i = 0;
  if (bStep == 0) {
    const vb = v128.load32_splat(b);
    for (; i + 4 <= n; i += 4) {
      const off = <usize>i << 2;
      v128.store(y + off, f32x4.min(f32x4.max(op4(op, v128.load(a + off), vb), vlo), vhi));
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const off = <usize>i << 2;
      v128.store(y + off, f32x4.min(f32x4.max(op4(op, v128.load(a + off), v128.load(b + off)), vlo), vhi));
    }
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(y + off, min(max(op1(op, load<f32>(a + off), load<f32>(b + (bStep == 0 ? 0 : off))), lo), hi));
  }
}

/**
 * y[i] = clamp(a[i] op b[i·bStep], lo, hi) for i < n, bStep 0 (b is one value) or 1; the clamp fuses a following
 * Relu/Clip (±inf otherwise). op: 0 add, 1 sub, 2 mul, 3 div, 4 min, 5 max.
 */
export function binary(op: i32, a: usize, b: usize, y: usize, n: i32, bStep: i32, lo: f32, hi: f32): void {
  switch (op) {
    case OP_ADD: binaryRun(OP_ADD, a, b, y, n, bStep, lo, hi); break;
    case OP_SUB: binaryRun(OP_SUB, a, b, y, n, bStep, lo, hi); break;
    case OP_MUL: binaryRun(OP_MUL, a, b, y, n, bStep, lo, hi); break;
    case OP_DIV: binaryRun(OP_DIV, a, b, y, n, bStep, lo, hi); break;
    case OP_MIN: binaryRun(OP_MIN, a, b, y, n, bStep, lo, hi); break;
    default: binaryRun(OP_MAX, a, b, y, n, bStep, lo, hi); break;
  }
}

/** y = clamp(x, lo, hi): Relu, Clip, and copies (with ±inf). */
export function clamp(x: usize, y: usize, n: i32, lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(y + off, f32x4.min(f32x4.max(v128.load(x + off), vlo), vhi));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(y + off, min(max(load<f32>(x + off), lo), hi));
  }
}

/** y[p][i] = clamp(x[p][i]·s[p % C] + t[p % C]) over `planes` runs of `size`: BatchNormalization, per-channel affine. */
export function channel_affine(x: usize, y: usize, planes: i32, C: i32, size: i32, s: usize, t: usize, lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  for (let p = 0; p < planes; p++) {
    const c = p % C;
    const sc = load<f32>(s + (<usize>c << 2));
    const sh = load<f32>(t + (<usize>c << 2));
    const vs = f32x4.splat(sc);
    const vt = f32x4.splat(sh);
    const base = (<usize>p * size) << 2;
    let i = 0;
    for (; i + 4 <= size; i += 4) {
      const off = base + (<usize>i << 2);
      v128.store(y + off, f32x4.min(f32x4.max(madd(v128.load(x + off), vs, vt), vlo), vhi));
    }
    for (; i < size; i++) {
      const off = base + (<usize>i << 2);
      store<f32>(y + off, min(max(load<f32>(x + off) * sc + sh, lo), hi));
    }
  }
}

/**
 * QuantizeLinear followed by DequantizeLinear with the same per-tensor parameters, without the integer tensor in
 * between: y = (clamp(round_half_even(x / scale) + zp, qmin, qmax) - zp) · scale, every step in float32 as ONNX
 * Runtime computes it (f32x4.nearest rounds half to even).
 */
export function fake_quant(x: usize, y: usize, n: i32, scale: f32, zp: f32, qmin: f32, qmax: f32): void {
  const vs = f32x4.splat(scale);
  const vz = f32x4.splat(zp);
  const vlo = f32x4.splat(qmin);
  const vhi = f32x4.splat(qmax);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    const q = f32x4.min(f32x4.max(f32x4.add(f32x4.nearest(f32x4.div(v128.load(x + off), vs)), vz), vlo), vhi);
    v128.store(y + off, f32x4.mul(f32x4.sub(q, vz), vs));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    const q = min(max(nearest(load<f32>(x + off) / scale) + zp, qmin), qmax);
    store<f32>(y + off, (q - zp) * scale);
  }
}

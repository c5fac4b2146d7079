// LayerNormalization from quantized codes to quantized codes: the float island DequantizeLinear → LayerNormalization
// → QuantizeLinear in one pass over the tensor. Each row is dequantized into a private scratch row (L1-resident) while
// its sum is taken, then normalised and quantized straight into the output: no float tensor is written to memory.
// The float steps are norm.ts's layer_norm's, in the same order (the same partial sums, the same multiply-adds), so the
// codes are the reference's bit for bit; only its clamp is left out (there is none in the island, and f32x4.min/max
// with their NaN rules cost as much as the rest of the row).
import { madd } from "./madd";
import { codeHigh, codeLow, storeSixteenCodes, toCodes } from "./qround";

// @ts-ignore: decorator
@inline function load4(p: usize, signed: bool): v128 {
  const v = v128.load32_zero(p);
  return signed ? i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v)) : i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v));
}

// @ts-ignore: decorator
@inline function load1(p: usize, signed: bool): i32 {
  return signed ? <i32>load<i8>(p) : <i32>load<u8>(p);
}

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** Four output codes at element i of a dequantized row: normalised, scaled, shifted and quantized as the loop below. */
// @ts-ignore: decorator
@inline function normCodes(row: usize, gamma: usize, beta: usize, i: i32, vmu: v128, vinv: v128, vsy: v128, vflo: v128, vfhi: v128,
  vzy: v128): v128 {
  const off = <usize>i << 2;
  const v = f32x4.mul(f32x4.mul(f32x4.sub(v128.load(row + off), vmu), vinv), v128.load(gamma + off));
  const w = beta ? f32x4.add(v, v128.load(beta + off)) : v;
  return toCodes(f32x4.div(w, vsy), vflo, vfhi, vzy);
}

/**
 * Rows [r0, r1) of x[rows][n] (codes, scale sx, zero point zx): dequantized as DequantizeLinear does, normalised with
 * gamma[n] and beta[n] (0: none) and epsilon as LayerNormalization does, then y = clamp(nearest(v / sy) + zy, qlo, qhi)
 * as QuantizeLinear does. flags: bit 0 x signed, bit 1 y signed. `scratch` holds n floats (one row per thread).
 */
export function qlayer_norm(x: usize, y: usize, n: i32, gamma: usize, beta: usize, eps: f32, sx: f32, zx: i32, sy: f32, zy: i32,
  qlo: i32, qhi: i32, flags: i32, r0: i32, r1: i32, scratch: usize): void {
  const xs = (flags & 1) != 0, ys = (flags & 2) != 0;
  const vsx = f32x4.splat(sx), vzx = i32x4.splat(zx);
  const vsy = f32x4.splat(sy), vzy = i32x4.splat(zy);
  const vflo = codeLow(qlo, zy), vfhi = codeHigh(qhi, zy);
  const invN: f32 = <f32>1 / <f32>n;
  const row = scratch;
  for (let r = r0; r < r1; r++) {
    const xr = x + <usize>r * <usize>n;
    const yr = y + <usize>r * <usize>n;
    // Dequantize and sum: layer_norm's two accumulators over blocks of 8, then one over a block of 4, then the tail.
    let s0 = f32x4.splat(0);
    let s1 = s0;
    let i = 0;
    // Sixteen codes per load (the same additions into the same two accumulators as two blocks of 8).
    for (; i + 16 <= n; i += 16) {
      const c = v128.load(xr + i);
      const lo = xs ? i16x8.extend_low_i8x16_s(c) : i16x8.extend_low_i8x16_u(c);
      const hi = xs ? i16x8.extend_high_i8x16_s(c) : i16x8.extend_high_i8x16_u(c);
      const v0 = f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_low_i16x8_s(lo), vzx)), vsx);
      const v1 = f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_high_i16x8_s(lo), vzx)), vsx);
      const v2 = f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_low_i16x8_s(hi), vzx)), vsx);
      const v3 = f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_high_i16x8_s(hi), vzx)), vsx);
      const at = row + (<usize>i << 2);
      v128.store(at, v0);
      v128.store(at, v1, 16);
      v128.store(at, v2, 32);
      v128.store(at, v3, 48);
      s0 = f32x4.add(s0, v0);
      s1 = f32x4.add(s1, v1);
      s0 = f32x4.add(s0, v2);
      s1 = f32x4.add(s1, v3);
    }
    for (; i + 8 <= n; i += 8) {
      const v0 = f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(load4(xr + i, xs), vzx)), vsx);
      const v1 = f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(load4(xr + i + 4, xs), vzx)), vsx);
      v128.store(row + (<usize>i << 2), v0);
      v128.store(row + (<usize>i << 2), v1, 16);
      s0 = f32x4.add(s0, v0);
      s1 = f32x4.add(s1, v1);
    }
    for (; i + 4 <= n; i += 4) {
      const v = f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(load4(xr + i, xs), vzx)), vsx);
      v128.store(row + (<usize>i << 2), v);
      s0 = f32x4.add(s0, v);
    }
    let sum = hsum(f32x4.add(s0, s1));
    for (; i < n; i++) {
      const v = <f32>(load1(xr + i, xs) - zx) * sx;
      store<f32>(row + (<usize>i << 2), v);
      sum += v;
    }
    const mu = sum * invN;
    const vmu = f32x4.splat(mu);
    s0 = f32x4.splat(0);
    s1 = s0;
    i = 0;
    for (; i + 8 <= n; i += 8) {
      const d0 = f32x4.sub(v128.load(row + (<usize>i << 2)), vmu);
      const d1 = f32x4.sub(v128.load(row + (<usize>i << 2), 16), vmu);
      s0 = madd(d0, d0, s0);
      s1 = madd(d1, d1, s1);
    }
    for (; i + 4 <= n; i += 4) {
      const d = f32x4.sub(v128.load(row + (<usize>i << 2)), vmu);
      s0 = madd(d, d, s0);
    }
    let sq = hsum(f32x4.add(s0, s1));
    for (; i < n; i++) {
      const d = load<f32>(row + (<usize>i << 2)) - mu;
      sq += d * d;
    }
    const inv: f32 = <f32>1 / sqrt<f32>(sq * invN + eps);
    const vinv = f32x4.splat(inv);
    i = 0;
    // Sixteen outputs per step: one narrowing chain and one store for four vectors (the same float steps per value).
    for (; i + 16 <= n; i += 16) {
      const q0 = normCodes(row, gamma, beta, i, vmu, vinv, vsy, vflo, vfhi, vzy);
      const q1 = normCodes(row, gamma, beta, i + 4, vmu, vinv, vsy, vflo, vfhi, vzy);
      const q2 = normCodes(row, gamma, beta, i + 8, vmu, vinv, vsy, vflo, vfhi, vzy);
      const q3 = normCodes(row, gamma, beta, i + 12, vmu, vinv, vsy, vflo, vfhi, vzy);
      storeSixteenCodes(q0, q1, q2, q3, ys, yr + i);
    }
    for (; i + 4 <= n; i += 4) {
      const off = <usize>i << 2;
      const v = f32x4.mul(f32x4.mul(f32x4.sub(v128.load(row + off), vmu), vinv), v128.load(gamma + off));
      const w = beta ? f32x4.add(v, v128.load(beta + off)) : v;
      // NaN (a constant row with epsilon 0) becomes the zero point, as in the reference.
      const q = toCodes(f32x4.div(w, vsy), vflo, vfhi, vzy);
      const h = i16x8.narrow_i32x4_s(q, q);
      v128.store32_lane(yr + i, ys ? i8x16.narrow_i16x8_s(h, h) : i8x16.narrow_i16x8_u(h, h), 0);
    }
    for (; i < n; i++) {
      const off = <usize>i << 2;
      const w = (load<f32>(row + off) - mu) * inv * load<f32>(gamma + off) + (beta ? load<f32>(beta + off) : 0);
      const f = min(max(nearest(w / sy), <f32>-1e9), <f32>1e9);
      store<u8>(yr + i, <u8>min(max(<i32>f + zy, qlo), qhi));
    }
  }
}

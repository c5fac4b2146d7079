// Elementwise kernels on quantized bytes. Add and Mul repeat the Q/DQ reference's float32 steps one for one
// (dequantize, operate, divide by the output scale, round half to even), so they match it bit for bit; Quantize and
// Dequantize are QuantizeLinear/DequantizeLinear on kernel memory; lookup tables cover every unary op.
import { codeHigh, codeLow, storeSixteenCodes, toCodes } from "./qround";

// @ts-ignore: decorator
@inline function load4(p: usize, signed: bool): v128 {
  const v = v128.load32_zero(p);
  return signed ? i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v)) : i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v));
}

// @ts-ignore: decorator
@inline function store4(p: usize, q: v128, signed: bool): void {
  const h = i16x8.narrow_i32x4_s(q, q);
  v128.store32_lane(p, signed ? i8x16.narrow_i16x8_s(h, h) : i8x16.narrow_i16x8_u(h, h), 0);
}

// @ts-ignore: decorator
@inline function load1(p: usize, signed: bool): i32 {
  return signed ? <i32>load<i8>(p) : <i32>load<u8>(p);
}

/**
 * y[i] = clamp(nearest(((a[i] − za)·sa  op  (b[i·bStep] − zb)·sb) / sy) + zy, qlo, qhi), op 0 add, 2 mul, in float32.
 * flags: bit 0 a signed, bit 1 b signed, bit 2 y signed, bit 3 b holds float32 values (a constant operand taken as it
 * is: sb and zb unused), bit 4 sy is the output scale's reciprocal, which multiplies (where the host checked that
 * every pair of codes comes out as the division's: binary-reciprocal.ts).
 */
export function qbinary(op: i32, a: usize, b: usize, y: usize, n: i32, bStep: i32, sa: f32, za: i32, sb: f32, zb: i32,
  sy: f32, zy: i32, qlo: i32, qhi: i32, flags: i32): void {
  if ((flags & 16) != 0) qbinaryRun(op, a, b, y, n, bStep, sa, za, sb, zb, sy, zy, qlo, qhi, flags, true);
  else qbinaryRun(op, a, b, y, n, bStep, sa, za, sb, zb, sy, zy, qlo, qhi, flags, false);
}

/**
 * qbinary over runs [r0, r1) of a broadcast: run r reads `inner` codes of a at aAt[r], b at bAt[r] (stepping, or one
 * value repeated) and writes y at r·inner. One call for a whole squeeze-excite Mul instead of one per channel.
 */
export function qbinary_runs(op: i32, a: usize, b: usize, y: usize, inner: i32, bStep: i32, aAt: usize, bAt: usize, r0: i32, r1: i32,
  sa: f32, za: i32, sb: f32, zb: i32, sy: f32, zy: i32, qlo: i32, qhi: i32, flags: i32): void {
  for (let r = r0; r < r1; r++) {
    const ao = <usize>load<i32>(aAt + (<usize>r << 2));
    const bo = <usize>load<i32>(bAt + (<usize>r << 2)) << ((flags & 8) != 0 ? 2 : 0);
    // The loop's copy per output step (divide or multiply) keeps that choice out of the sixteen-code steps.
    if ((flags & 16) != 0) qbinaryRun(op, a + ao, b + bo, y + <usize>r * <usize>inner, inner, bStep, sa, za, sb, zb, sy, zy, qlo, qhi, flags, true);
    else qbinaryRun(op, a + ao, b + bo, y + <usize>r * <usize>inner, inner, bStep, sa, za, sb, zb, sy, zy, qlo, qhi, flags, false);
  }
}

// @ts-ignore: decorator
@inline function qbinaryRun(op: i32, a: usize, b: usize, y: usize, n: i32, bStep: i32, sa: f32, za: i32, sb: f32, zb: i32,
  sy: f32, zy: i32, qlo: i32, qhi: i32, flags: i32, rcp: bool): void {
  const as = (flags & 1) != 0, bs = (flags & 2) != 0, ys = (flags & 4) != 0, bf = (flags & 8) != 0;
  const vsa = f32x4.splat(sa), vsb = f32x4.splat(sb), vsy = f32x4.splat(sy);
  const vza = i32x4.splat(za), vzb = i32x4.splat(zb), vzy = i32x4.splat(zy);
  const vlo = codeLow(qlo, zy), vhi = codeHigh(qhi, zy);
  // A repeated b is the same float for the whole run: computed once.
  const fbRepeated = f32x4.splat(bf ? load<f32>(b) : <f32>(load1(b, bs) - zb) * sb);
  let i = 0;
  // Sixteen codes per step: one load, store and narrowing chain for four vectors of floats (the same float steps).
  for (; i + 16 <= n; i += 16) {
    const va = v128.load(a + i);
    const la = as ? i16x8.extend_low_i8x16_s(va) : i16x8.extend_low_i8x16_u(va);
    const ha = as ? i16x8.extend_high_i8x16_s(va) : i16x8.extend_high_i8x16_u(va);
    let lb = fbRepeated, hb = fbRepeated;
    if (bStep && !bf) {
      const vb = v128.load(b + i);
      lb = bs ? i16x8.extend_low_i8x16_s(vb) : i16x8.extend_low_i8x16_u(vb);
      hb = bs ? i16x8.extend_high_i8x16_s(vb) : i16x8.extend_high_i8x16_u(vb);
    }
    const q0 = binaryCodes(op, i32x4.extend_low_i16x8_s(la), lb, 0, b + (<usize>i << 2), bStep, bf, fbRepeated, vza, vsa, vzb, vsb, vsy, vlo, vhi, vzy, rcp);
    const q1 = binaryCodes(op, i32x4.extend_high_i16x8_s(la), lb, 1, b + (<usize>i << 2), bStep, bf, fbRepeated, vza, vsa, vzb, vsb, vsy, vlo, vhi, vzy, rcp);
    const q2 = binaryCodes(op, i32x4.extend_low_i16x8_s(ha), hb, 0, b + (<usize>i << 2) + 32, bStep, bf, fbRepeated, vza, vsa, vzb, vsb, vsy, vlo, vhi, vzy, rcp);
    const q3 = binaryCodes(op, i32x4.extend_high_i16x8_s(ha), hb, 1, b + (<usize>i << 2) + 32, bStep, bf, fbRepeated, vza, vsa, vzb, vsb, vsy, vlo, vhi, vzy, rcp);
    storeSixteenCodes(q0, q1, q2, q3, ys, y + i);
  }
  for (; i + 4 <= n; i += 4) {
    const fa = f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(load4(a + i, as), vza)), vsa);
    const fb = !bStep ? fbRepeated : bf ? v128.load(b + (<usize>i << 2)) : f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(load4(b + i, bs), vzb)), vsb);
    const v = op == 2 ? f32x4.mul(fa, fb) : f32x4.add(fa, fb);
    store4(y + i, toCodes(rcp ? f32x4.mul(v, vsy) : f32x4.div(v, vsy), vlo, vhi, vzy), ys);
  }
  for (; i < n; i++) {
    const fa = <f32>(load1(a + i, as) - za) * sa;
    const fb = bf ? load<f32>(b + (bStep ? <usize>i << 2 : 0)) : <f32>(load1(b + (bStep ? <usize>i : 0), bs) - zb) * sb;
    const v: f32 = op == 2 ? fa * fb : fa + fb;
    const q = <i32>nearest(rcp ? v * sy : v / sy) + zy;
    const c = min(max(q, qlo), qhi);
    store<u8>(y + i, <u8>c);
  }
}

/**
 * Four output codes of qbinaryRun's sixteen: a's codes widened to i32 (ai); b's eight codes of this half widened to
 * i16 (b16, `high` picks its upper four), or float32 values at bf32, or the one repeated float.
 */
// @ts-ignore: decorator
@inline function binaryCodes(op: i32, ai: v128, b16: v128, high: i32, bf32: usize, bStep: i32, bf: bool, fbRepeated: v128,
  vza: v128, vsa: v128, vzb: v128, vsb: v128, vsy: v128, vlo: v128, vhi: v128, vzy: v128, rcp: bool): v128 {
  const fa = f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(ai, vza)), vsa);
  let fb = fbRepeated;
  if (bStep) {
    if (bf) fb = v128.load(bf32 + (<usize>high << 4));
    else {
      const bi = high ? i32x4.extend_high_i16x8_s(b16) : i32x4.extend_low_i16x8_s(b16);
      fb = f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(bi, vzb)), vsb);
    }
  }
  const v = op == 2 ? f32x4.mul(fa, fb) : f32x4.add(fa, fb);
  return toCodes(rcp ? f32x4.mul(v, vsy) : f32x4.div(v, vsy), vlo, vhi, vzy);
}

/**
 * y[i] = table[x[i]] (signed inputs index by x + 128): requantization and unary ops in the quantized domain. Sixteen
 * codes at a time: the table is 16 registers of 16 entries, and swizzling register k by x − 16k picks the entry where
 * x falls in that register's range and gives 0 elsewhere (an index of 16 or more), so OR-ing the 16 lookups is the
 * lookup.
 */
export function qlut(x: usize, y: usize, n: i32, table: usize, signed: i32): void {
  const flip: u32 = signed ? 0x80 : 0;
  let i = 0;
  if (n >= 16) {
    const t0 = v128.load(table), t1 = v128.load(table, 16), t2 = v128.load(table, 32), t3 = v128.load(table, 48);
    const t4 = v128.load(table, 64), t5 = v128.load(table, 80), t6 = v128.load(table, 96), t7 = v128.load(table, 112);
    const t8 = v128.load(table, 128), t9 = v128.load(table, 144), t10 = v128.load(table, 160), t11 = v128.load(table, 176);
    const t12 = v128.load(table, 192), t13 = v128.load(table, 208), t14 = v128.load(table, 224), t15 = v128.load(table, 240);
    const vflip = i8x16.splat(<i8>flip), step = i8x16.splat(16);
    for (; i + 16 <= n; i += 16) {
      let k = v128.xor(v128.load(x + i), vflip);
      let r = i8x16.swizzle(t0, k);
      k = i8x16.sub(k, step); r = v128.or(r, i8x16.swizzle(t1, k));
      k = i8x16.sub(k, step); r = v128.or(r, i8x16.swizzle(t2, k));
      k = i8x16.sub(k, step); r = v128.or(r, i8x16.swizzle(t3, k));
      k = i8x16.sub(k, step); r = v128.or(r, i8x16.swizzle(t4, k));
      k = i8x16.sub(k, step); r = v128.or(r, i8x16.swizzle(t5, k));
      k = i8x16.sub(k, step); r = v128.or(r, i8x16.swizzle(t6, k));
      k = i8x16.sub(k, step); r = v128.or(r, i8x16.swizzle(t7, k));
      k = i8x16.sub(k, step); r = v128.or(r, i8x16.swizzle(t8, k));
      k = i8x16.sub(k, step); r = v128.or(r, i8x16.swizzle(t9, k));
      k = i8x16.sub(k, step); r = v128.or(r, i8x16.swizzle(t10, k));
      k = i8x16.sub(k, step); r = v128.or(r, i8x16.swizzle(t11, k));
      k = i8x16.sub(k, step); r = v128.or(r, i8x16.swizzle(t12, k));
      k = i8x16.sub(k, step); r = v128.or(r, i8x16.swizzle(t13, k));
      k = i8x16.sub(k, step); r = v128.or(r, i8x16.swizzle(t14, k));
      k = i8x16.sub(k, step); r = v128.or(r, i8x16.swizzle(t15, k));
      v128.store(y + i, r);
    }
  }
  for (; i < n; i++) store<u8>(y + i, load<u8>(table + ((<u32>load<u8>(x + i)) ^ flip)));
}

/**
 * qlut for a table that is an affine map with a clamp (see affine-table.ts, which checked every entry):
 * y = clamp((x·a + c) >> shift, lo, hi), sixteen codes per step in int16 products and int32 sums; the tail reads the
 * table. flags: bit 0 signed input, bit 1 signed output.
 */
export function qlut_affine(x: usize, y: usize, n: i32, table: usize, a: i32, c: i32, shift: i32, lo: i32, hi: i32, flags: i32): void {
  const si = (flags & 1) != 0, so = (flags & 2) != 0;
  const va = i16x8.splat(<i16>a), vc = i32x4.splat(c);
  const vlo = i8x16.splat(<i8>lo), vhi = i8x16.splat(<i8>hi);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const v = v128.load(x + i);
    const l = si ? i16x8.extend_low_i8x16_s(v) : i16x8.extend_low_i8x16_u(v);
    const h = si ? i16x8.extend_high_i8x16_s(v) : i16x8.extend_high_i8x16_u(v);
    const p0 = i32x4.shr_s(i32x4.add(i32x4.extmul_low_i16x8_s(l, va), vc), shift);
    const p1 = i32x4.shr_s(i32x4.add(i32x4.extmul_high_i16x8_s(l, va), vc), shift);
    const p2 = i32x4.shr_s(i32x4.add(i32x4.extmul_low_i16x8_s(h, va), vc), shift);
    const p3 = i32x4.shr_s(i32x4.add(i32x4.extmul_high_i16x8_s(h, va), vc), shift);
    const h0 = i16x8.narrow_i32x4_s(p0, p1), h1 = i16x8.narrow_i32x4_s(p2, p3);
    // Narrowing saturates to the output type's range, which holds [lo, hi].
    const b = so ? i8x16.narrow_i16x8_s(h0, h1) : i8x16.narrow_i16x8_u(h0, h1);
    v128.store(y + i, so ? i8x16.min_s(i8x16.max_s(b, vlo), vhi) : i8x16.min_u(i8x16.max_u(b, vlo), vhi));
  }
  const flip: u32 = si ? 0x80 : 0;
  for (; i < n; i++) store<u8>(y + i, load<u8>(table + ((<u32>load<u8>(x + i)) ^ flip)));
}

/** QuantizeLinear, per tensor: y = clamp(nearest(x / s) + zp, qmin, qmax), the division in float32. */
export function qquantize(x: usize, y: usize, n: i32, s: f32, zp: i32, qmin: i32, qmax: i32, signed: i32): void {
  const vs = f32x4.splat(s), vz = i32x4.splat(zp), vlo = codeLow(qmin, zp), vhi = codeHigh(qmax, zp);
  let i = 0;
  // Sixteen codes per step: one narrowing chain and one store for four vectors.
  for (; i + 16 <= n; i += 16) {
    const at = x + (<usize>i << 2);
    const q0 = toCodes(f32x4.div(v128.load(at), vs), vlo, vhi, vz), q1 = toCodes(f32x4.div(v128.load(at, 16), vs), vlo, vhi, vz);
    const q2 = toCodes(f32x4.div(v128.load(at, 32), vs), vlo, vhi, vz), q3 = toCodes(f32x4.div(v128.load(at, 48), vs), vlo, vhi, vz);
    storeSixteenCodes(q0, q1, q2, q3, signed != 0, y + i);
  }
  for (; i + 4 <= n; i += 4) {
    store4(y + i, toCodes(f32x4.div(v128.load(x + (<usize>i << 2)), vs), vlo, vhi, vz), signed != 0);
  }
  for (; i < n; i++) {
    const f = nearest(load<f32>(x + (<usize>i << 2)) / s);
    // Saturate in float first: trunc of values beyond i32 is undefined.
    const q = <i32>min(max(f, <f32>-1e9), <f32>1e9) + zp;
    store<u8>(y + i, <u8>min(max(q, qmin), qmax));
  }
}

/** DequantizeLinear, per tensor: y = (x − zp)·s in float32. */
export function qdequantize(x: usize, y: usize, n: i32, s: f32, zp: i32, signed: i32): void {
  const vs = f32x4.splat(s), vz = i32x4.splat(zp);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    v128.store(y + (<usize>i << 2), f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(load4(x + i, signed != 0), vz)), vs));
  }
  for (; i < n; i++) store<f32>(y + (<usize>i << 2), <f32>(load1(x + i, signed != 0) - zp) * s);
}

/**
 * The machine's int8 ceiling for these kernels: `iterations` rounds of 12 independent chains of
 * i32x4.dot_i16x8_s + add on registers (8 multiply-adds per dot, 96 per round), no memory traffic. Each chain feeds
 * its own accumulator back as the next operand, so nothing is loop-invariant for the compiler to hoist.
 */
export function peak_int_ops(iterations: i32, seed: i32): i32 {
  const w = i16x8.splat(<i16>seed);
  let c0 = i32x4.splat(1), c1 = i32x4.splat(2), c2 = i32x4.splat(3), c3 = i32x4.splat(4);
  let c4 = i32x4.splat(5), c5 = i32x4.splat(6), c6 = i32x4.splat(7), c7 = i32x4.splat(8);
  let c8 = i32x4.splat(9), c9 = i32x4.splat(10), c10 = i32x4.splat(11), c11 = i32x4.splat(12);
  for (let i = 0; i < iterations; i++) {
    c0 = i32x4.add(c0, i32x4.dot_i16x8_s(c0, w)); c1 = i32x4.add(c1, i32x4.dot_i16x8_s(c1, w));
    c2 = i32x4.add(c2, i32x4.dot_i16x8_s(c2, w)); c3 = i32x4.add(c3, i32x4.dot_i16x8_s(c3, w));
    c4 = i32x4.add(c4, i32x4.dot_i16x8_s(c4, w)); c5 = i32x4.add(c5, i32x4.dot_i16x8_s(c5, w));
    c6 = i32x4.add(c6, i32x4.dot_i16x8_s(c6, w)); c7 = i32x4.add(c7, i32x4.dot_i16x8_s(c7, w));
    c8 = i32x4.add(c8, i32x4.dot_i16x8_s(c8, w)); c9 = i32x4.add(c9, i32x4.dot_i16x8_s(c9, w));
    c10 = i32x4.add(c10, i32x4.dot_i16x8_s(c10, w)); c11 = i32x4.add(c11, i32x4.dot_i16x8_s(c11, w));
  }
  const s = i32x4.add(i32x4.add(i32x4.add(c0, c1), i32x4.add(c2, c3)), i32x4.add(i32x4.add(c4, c5), i32x4.add(c6, c7)));
  return i32x4.extract_lane(i32x4.add(s, i32x4.add(i32x4.add(c8, c9), i32x4.add(c10, c11))), 0);
}

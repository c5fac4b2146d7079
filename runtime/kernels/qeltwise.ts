// Elementwise kernels on quantized bytes. Add and Mul repeat the Q/DQ reference's float32 steps one for one
// (dequantize, operate, divide by the output scale, round half to even), so they match it bit for bit; Quantize and
// Dequantize are QuantizeLinear/DequantizeLinear on kernel memory; lookup tables cover every unary op.

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
 * flags: bit 0 a signed, bit 1 b signed, bit 2 y signed.
 */
export function qbinary(op: i32, a: usize, b: usize, y: usize, n: i32, bStep: i32, sa: f32, za: i32, sb: f32, zb: i32,
  sy: f32, zy: i32, qlo: i32, qhi: i32, flags: i32): void {
  const as = (flags & 1) != 0, bs = (flags & 2) != 0, ys = (flags & 4) != 0;
  const vsa = f32x4.splat(sa), vsb = f32x4.splat(sb), vsy = f32x4.splat(sy);
  const vza = i32x4.splat(za), vzb = i32x4.splat(zb), vzy = i32x4.splat(zy);
  const vlo = i32x4.splat(qlo), vhi = i32x4.splat(qhi);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const fa = f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(load4(a + i, as), vza)), vsa);
    const bv = bStep ? load4(b + i, bs) : i32x4.splat(load1(b, bs));
    const fb = f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(bv, vzb)), vsb);
    const v = op == 2 ? f32x4.mul(fa, fb) : f32x4.add(fa, fb);
    const q = i32x4.add(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.div(v, vsy))), vzy);
    store4(y + i, i32x4.min_s(i32x4.max_s(q, vlo), vhi), ys);
  }
  for (; i < n; i++) {
    const fa = <f32>(load1(a + i, as) - za) * sa;
    const fb = <f32>(load1(b + (bStep ? <usize>i : 0), bs) - zb) * sb;
    const v: f32 = op == 2 ? fa * fb : fa + fb;
    const q = <i32>nearest(v / sy) + zy;
    const c = min(max(q, qlo), qhi);
    store<u8>(y + i, <u8>c);
  }
}

/** y[i] = table[x[i]] (signed inputs index by x + 128): requantization and unary ops in the quantized domain. */
export function qlut(x: usize, y: usize, n: i32, table: usize, signed: i32): void {
  const flip: u32 = signed ? 0x80 : 0;
  for (let i = 0; i < n; i++) store<u8>(y + i, load<u8>(table + ((<u32>load<u8>(x + i)) ^ flip)));
}

/** QuantizeLinear, per tensor: y = clamp(nearest(x / s) + zp, qmin, qmax), the division in float32. */
export function qquantize(x: usize, y: usize, n: i32, s: f32, zp: i32, qmin: i32, qmax: i32, signed: i32): void {
  const vs = f32x4.splat(s), vz = i32x4.splat(zp), vlo = i32x4.splat(qmin), vhi = i32x4.splat(qmax);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = i32x4.add(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.div(v128.load(x + (<usize>i << 2)), vs))), vz);
    store4(y + i, i32x4.min_s(i32x4.max_s(q, vlo), vhi), signed != 0);
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
 * The machine's int8 ceiling for these kernels: `iterations` rounds of 16 independent i32x4.dot_i16x8_s + add on
 * registers (8 multiply-adds each, 128 per round), no memory traffic. The benchmark divides measured GOPS by it.
 */
export function peak_int_ops(iterations: i32, seed: i32): i32 {
  const a = i16x8.splat(<i16>seed);
  const b = i16x8.splat(3);
  let c0 = i32x4.splat(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
  let a1 = i16x8.add(a, b);
  for (let i = 0; i < iterations; i++) {
    c0 = i32x4.add(c0, i32x4.dot_i16x8_s(a, b)); c1 = i32x4.add(c1, i32x4.dot_i16x8_s(a1, b));
    c2 = i32x4.add(c2, i32x4.dot_i16x8_s(a, a1)); c3 = i32x4.add(c3, i32x4.dot_i16x8_s(a1, a1));
    c4 = i32x4.add(c4, i32x4.dot_i16x8_s(a, a)); c5 = i32x4.add(c5, i32x4.dot_i16x8_s(b, b));
    c6 = i32x4.add(c6, i32x4.dot_i16x8_s(b, a1)); c7 = i32x4.add(c7, i32x4.dot_i16x8_s(b, a));
    c0 = i32x4.add(c0, i32x4.dot_i16x8_s(a1, b)); c1 = i32x4.add(c1, i32x4.dot_i16x8_s(a, b));
    c2 = i32x4.add(c2, i32x4.dot_i16x8_s(a1, a)); c3 = i32x4.add(c3, i32x4.dot_i16x8_s(a, a1));
    c4 = i32x4.add(c4, i32x4.dot_i16x8_s(b, b)); c5 = i32x4.add(c5, i32x4.dot_i16x8_s(a, a));
    c6 = i32x4.add(c6, i32x4.dot_i16x8_s(a, b)); c7 = i32x4.add(c7, i32x4.dot_i16x8_s(b, a1));
    a1 = i16x8.add(a1, b);
  }
  const s = i32x4.add(i32x4.add(i32x4.add(c0, c1), i32x4.add(c2, c3)), i32x4.add(i32x4.add(c4, c5), i32x4.add(c6, c7)));
  return i32x4.extract_lane(s, 0);
}

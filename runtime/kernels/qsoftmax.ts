// Softmax of quantized codes into quantized codes. Along a row, x − max is s·(q − q_max) with q_max − q an integer in
// [0, 255]: its exponential is one of 256 floats, a table made once per scale. No dequantized tensor is written and no
// exponential is computed while running: max of the codes, table lookups and a sum, then one scaling and rounding.
import { codeHigh, codeLow, storeSixteenCodes, toCodes } from "./qround";

// @ts-ignore: decorator
@inline function code(p: usize, signed: bool): i32 {
  return signed ? <i32>load<i8>(p) : <i32>load<u8>(p);
}

/**
 * y = clamp(nearest(e / Σe · (1/sy)) + zy) along n of x[outer][n][inner] for rows [o0, o1), e = table[q_max − q].
 * flags: bit 0 x signed, bit 1 y signed. Contiguous rows (inner = 1) keep e in `scratch` (n floats per thread).
 */
export function qsoftmax(x: usize, y: usize, n: i32, inner: i32, table: usize, invSy: f32, zy: i32, qlo: i32, qhi: i32, flags: i32,
  o0: i32, o1: i32, scratch: usize): void {
  const xs = (flags & 1) != 0, ys = (flags & 2) != 0;
  if (inner == 1) {
    for (let o = o0; o < o1; o++) qsoftmaxRow(x + <usize>o * <usize>n, y + <usize>o * <usize>n, n, table, invSy, zy, qlo, qhi, xs, ys, scratch);
    return;
  }
  const step = <usize>inner;
  for (let o = o0; o < o1; o++) {
    const base = <usize>o * <usize>n * step;
    for (let c = 0; c < inner; c++) {
      const xp = x + base + <usize>c, yp = y + base + <usize>c;
      let m = -1000;
      for (let i = 0; i < n; i++) m = max(m, code(xp + <usize>i * step, xs));
      let s: f32 = 0;
      for (let i = 0; i < n; i++) s += load<f32>(table + (<usize>(m - code(xp + <usize>i * step, xs)) << 2));
      const k = invSy / s;
      for (let i = 0; i < n; i++) {
        const e = load<f32>(table + (<usize>(m - code(xp + <usize>i * step, xs)) << 2));
        store<u8>(yp + <usize>i * step, <u8>min(max(<i32>nearest(e * k) + zy, qlo), qhi));
      }
    }
  }
}

// @ts-ignore: decorator
@inline function maxBytes(a: v128, b: v128, signed: bool): v128 {
  return signed ? i8x16.max_s(a, b) : i8x16.max_u(a, b);
}

// @ts-ignore: decorator
@inline function entry(table: usize, index: i32): f32 {
  return load<f32>(table + (<usize>index << 2));
}

// @ts-ignore: decorator
@inline function qsoftmaxRow(x: usize, y: usize, n: i32, table: usize, invSy: f32, zy: i32, qlo: i32, qhi: i32, xs: bool, ys: bool,
  e: usize): void {
  let i = 0;
  let m = -1000;
  if (n >= 16) {
    let vm = v128.load(x);
    for (i = 16; i + 16 <= n; i += 16) vm = maxBytes(vm, v128.load(x + i), xs);
    vm = maxBytes(vm, i8x16.shuffle(vm, vm, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7), xs);
    vm = maxBytes(vm, i8x16.shuffle(vm, vm, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3), xs);
    vm = maxBytes(vm, i8x16.shuffle(vm, vm, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1), xs);
    vm = maxBytes(vm, i8x16.shuffle(vm, vm, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0), xs);
    m = xs ? <i32>i8x16.extract_lane_s(vm, 0) : <i32>i8x16.extract_lane_u(vm, 0);
  }
  for (; i < n; i++) m = max(m, code(x + i, xs));
  let vs = f32x4.splat(0);
  i = 0;
  // Sixteen exponentials per step: the differences m − q of a vector of codes, looked up lane by lane.
  const vm = i8x16.splat(<i8>m);
  for (; i + 16 <= n; i += 16) {
    const d = i8x16.sub(vm, v128.load(x + i));
    const at = e + (<usize>i << 2);
    const v0 = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(entry(table, i8x16.extract_lane_u(d, 0))),
      1, entry(table, i8x16.extract_lane_u(d, 1))), 2, entry(table, i8x16.extract_lane_u(d, 2))), 3, entry(table, i8x16.extract_lane_u(d, 3)));
    const v1 = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(entry(table, i8x16.extract_lane_u(d, 4))),
      1, entry(table, i8x16.extract_lane_u(d, 5))), 2, entry(table, i8x16.extract_lane_u(d, 6))), 3, entry(table, i8x16.extract_lane_u(d, 7)));
    const v2 = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(entry(table, i8x16.extract_lane_u(d, 8))),
      1, entry(table, i8x16.extract_lane_u(d, 9))), 2, entry(table, i8x16.extract_lane_u(d, 10))), 3, entry(table, i8x16.extract_lane_u(d, 11)));
    const v3 = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(entry(table, i8x16.extract_lane_u(d, 12))),
      1, entry(table, i8x16.extract_lane_u(d, 13))), 2, entry(table, i8x16.extract_lane_u(d, 14))), 3, entry(table, i8x16.extract_lane_u(d, 15)));
    v128.store(at, v0);
    v128.store(at, v1, 16);
    v128.store(at, v2, 32);
    v128.store(at, v3, 48);
    vs = f32x4.add(f32x4.add(f32x4.add(f32x4.add(vs, v0), v1), v2), v3);
  }
  for (; i + 4 <= n; i += 4) {
    const a = load<f32>(table + (<usize>(m - code(x + i, xs)) << 2));
    const b = load<f32>(table + (<usize>(m - code(x + i + 1, xs)) << 2));
    const c = load<f32>(table + (<usize>(m - code(x + i + 2, xs)) << 2));
    const d = load<f32>(table + (<usize>(m - code(x + i + 3, xs)) << 2));
    const v = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(a), 1, b), 2, c), 3, d);
    v128.store(e + (<usize>i << 2), v);
    vs = f32x4.add(vs, v);
  }
  let s = f32x4.extract_lane(vs, 0) + f32x4.extract_lane(vs, 1) + f32x4.extract_lane(vs, 2) + f32x4.extract_lane(vs, 3);
  for (; i < n; i++) {
    const v = load<f32>(table + (<usize>(m - code(x + i, xs)) << 2));
    store<f32>(e + (<usize>i << 2), v);
    s += v;
  }
  const k = invSy / s;
  const vk = f32x4.splat(k), vz = i32x4.splat(zy), vlo = codeLow(qlo, zy), vhi = codeHigh(qhi, zy);
  i = 0;
  // Sixteen outputs per step: one narrowing chain and one store for four vectors.
  for (; i + 16 <= n; i += 16) {
    const at = e + (<usize>i << 2);
    const c0 = toCodes(f32x4.mul(v128.load(at), vk), vlo, vhi, vz);
    const c1 = toCodes(f32x4.mul(v128.load(at, 16), vk), vlo, vhi, vz);
    const c2 = toCodes(f32x4.mul(v128.load(at, 32), vk), vlo, vhi, vz);
    const c3 = toCodes(f32x4.mul(v128.load(at, 48), vk), vlo, vhi, vz);
    storeSixteenCodes(c0, c1, c2, c3, ys, y + i);
  }
  for (; i + 4 <= n; i += 4) {
    const c = toCodes(f32x4.mul(v128.load(e + (<usize>i << 2)), vk), vlo, vhi, vz);
    const h = i16x8.narrow_i32x4_s(c, c);
    v128.store32_lane(y + i, ys ? i8x16.narrow_i16x8_s(h, h) : i8x16.narrow_i16x8_u(h, h), 0);
  }
  for (; i < n; i++) store<u8>(y + i, <u8>min(max(<i32>nearest(load<f32>(e + (<usize>i << 2)) * k) + zy, qlo), qhi));
}

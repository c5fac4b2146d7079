// What the integer kernels share: the descriptor (its layout is generated from descriptors.json, the one source the
// host's layout comes from too) and the requantizing store.
import { QD } from "./generated/descriptors";
export { QD };

// @ts-ignore: decorator
@inline export function qdesc(d: usize, field: i32): i32 {
  return load<i32>(d + (<usize>field << 2));
}

/**
 * Requantize eight i32 accumulators of one output channel (columns 0–3 in acc0, 4–7 in acc1) and store `cols` bytes
 * at y: q = clamp(nearest_even(f32(acc)·mult + off) + zy, qlo, qhi).
 */
// @ts-ignore: decorator
@inline export function requantStore(acc0: v128, acc1: v128, mult: usize, off: usize, d: usize, y: usize, cols: i32, tmp: usize): void {
  const m = v128.load32_splat(mult);
  const o = v128.load32_splat(off);
  const zy = i32x4.splat(qdesc(d, QD.ZY));
  const lo = i32x4.splat(qdesc(d, QD.QLO));
  const hi = i32x4.splat(qdesc(d, QD.QHI));
  const q0 = i32x4.min_s(i32x4.max_s(i32x4.add(i32x4.trunc_sat_f32x4_s(f32x4.nearest(
    f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc0), m), o))), zy), lo), hi);
  const q1 = i32x4.min_s(i32x4.max_s(i32x4.add(i32x4.trunc_sat_f32x4_s(f32x4.nearest(
    f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc1), m), o))), zy), lo), hi);
  const h = i16x8.narrow_i32x4_s(q0, q1);
  const bytes = (qdesc(d, QD.FLAGS) & 2) != 0 ? i8x16.narrow_i16x8_s(h, h) : i8x16.narrow_i16x8_u(h, h);
  if (cols == 8) {
    v128.store64_lane(y, bytes, 0);
    return;
  }
  v128.store(tmp, bytes);
  for (let q = 0; q < cols; q++) store<u8>(y + q, load<u8>(tmp + q));
}

// The descriptor's output constants as vectors, set once per kernel call by requantBegin (wasm globals are per
// instance, so per thread) instead of reloaded from memory for every stored row.
let rqZy: v128 = i32x4.splat(0);
let rqLo: v128 = i32x4.splat(0);
let rqHi: v128 = i32x4.splat(0);
let rqSignedOutput: bool = false;

/** Load descriptor d's output constants for requantRow. */
// @ts-ignore: decorator
@inline export function requantBegin(d: usize): void {
  rqZy = i32x4.splat(qdesc(d, QD.ZY));
  rqLo = i32x4.splat(qdesc(d, QD.QLO));
  rqHi = i32x4.splat(qdesc(d, QD.QHI));
  rqSignedOutput = (qdesc(d, QD.FLAGS) & 2) != 0;
}

/** requantStore with the constants of the last requantBegin. */
// @ts-ignore: decorator
@inline export function requantRow(acc0: v128, acc1: v128, mult: usize, off: usize, y: usize, cols: i32, tmp: usize): void {
  const m = v128.load32_splat(mult);
  const o = v128.load32_splat(off);
  const q0 = i32x4.min_s(i32x4.max_s(i32x4.add(i32x4.trunc_sat_f32x4_s(f32x4.nearest(
    f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc0), m), o))), rqZy), rqLo), rqHi);
  const q1 = i32x4.min_s(i32x4.max_s(i32x4.add(i32x4.trunc_sat_f32x4_s(f32x4.nearest(
    f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc1), m), o))), rqZy), rqLo), rqHi);
  const h = i16x8.narrow_i32x4_s(q0, q1);
  const bytes = rqSignedOutput ? i8x16.narrow_i16x8_s(h, h) : i8x16.narrow_i16x8_u(h, h);
  if (cols == 8) {
    v128.store64_lane(y, bytes, 0);
    return;
  }
  v128.store(tmp, bytes);
  for (let q = 0; q < cols; q++) store<u8>(y + q, load<u8>(tmp + q));
}

// What the integer kernels share: the descriptor (an i32 record the host writes once per operator, because a kernel
// call through the thread pool carries at most 30 arguments) and the requantizing store.

/** Field indices of a quantized-operator descriptor (i32 each). Pointers are byte offsets into the shared memory. */
export namespace QD {
  export const C = 0;        // input channels per group
  export const H = 1;
  export const W = 2;
  export const KH = 3;
  export const KW = 4;
  export const SH = 5;
  export const SW = 6;
  export const PH = 7;
  export const PW = 8;
  export const DH = 9;
  export const DW = 10;
  export const OH = 11;
  export const OW = 12;
  export const M = 13;       // output channels per group
  export const GROUPS = 14;
  export const A = 15;       // packed weights (qpack_a, or int16 depthwise filters)
  export const A_STRIDE = 16; // bytes between groups' packed weights
  export const BIAS = 17;    // i32 per output channel (zero points folded in), padded per group
  export const P_STRIDE = 18; // bytes between groups' per-channel arrays
  export const MULT = 19;    // f32 per output channel: s_x·s_w / s_y
  export const OFF = 20;     // f32 per output channel: what the bias adds when it is not an exact accumulator integer
  export const ZX = 21;
  export const ZY = 22;
  export const QLO = 23;     // output clamp in quantized units (dtype range, fused Relu/Clip)
  export const QHI = 24;
  export const FLAGS = 25;   // bit 0: signed input, bit 1: signed output
  export const SIZE = 32;
}

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

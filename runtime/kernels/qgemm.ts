// Integer GEMM on row-major byte activations: Y[rows][N] = requant(X[rows][K]·B[K][N] + bias), Y row-major too, so
// a quantized Linear (and an attention MatMul) runs with no transpose on either side.
//   B (weights once per plan; a run-time operand once per call) packed per block of 8 columns, K pairs outermost:
//     B[j][k/2][c][2] as i16, zero point subtracted, K padded to even with zeros
//   X packed per call in chunks of GROWS rows, per panel of 4 rows: X[p][k/2][r][2] as i16, zero point subtracted
// A 4×8 output tile keeps 8 i32x4 accumulators (rows × 4-column halves): per K pair, 2 B loads, 4 pair broadcasts,
// 8 i32x4.dot_i16x8_s. Both operands are centered (|x − z| ≤ 255, |b| ≤ 255), so a pair sum of two products stays
// far inside i32 and the accumulator is exactly Σ (x − zx)·(b − zb) + bias.
// Requantization as qcommon's: q = clamp(nearest_even(f32(acc)·mult + off) + zy, qlo, qhi) per output column, in
// float32; with flag 4, q = clamp(nearest_even(f32(acc) / mult[0]) + zy, qlo, qhi) (QuantizeLinear's division, what
// an activation × activation MatMul requantizes with). Rounded as qround's toCodes does (bounded, then the adder's own
// round half to even): the same codes as nearest + a saturating conversion, in fewer instructions per tile.
import { codeHigh, codeLow, finiteToCodes, magicLessZero, toCodes } from "./qround";
import { storeCodes } from "./qcommon";

/** Rows per packed activation chunk: the chunk stays in cache while every column block passes over it. */
export const GROWS: i32 = 64;

/** Bytes of B packed for the kernel: ceil(N/8) blocks of K2/2 pairs of 32 bytes. */
export function qgemm_packed_bytes(K: i32, N: i32): i32 {
  return ((N + 7) >> 3) * ((K + 1) & ~1) * 16;
}

/** Bytes of private scratch qgemm_rows needs for K: one packed chunk of GROWS rows, and a store buffer. */
export function qgemm_scratch_bytes(K: i32): i32 {
  return GROWS * ((K + 1) & ~1) * 2 + 64;
}

// @ts-ignore: decorator
@inline function widen8(p: usize, signed: bool): v128 {
  const v = v128.load64_zero(p);
  return signed ? i16x8.extend_low_i8x16_s(v) : i16x8.extend_low_i8x16_u(v);
}

// @ts-ignore: decorator
@inline function byteAt(p: usize, signed: bool): i32 {
  return signed ? <i32>load<i8>(p) : <i32>load<u8>(p);
}

/**
 * Pack B (bytes; element (k, n) at src + k·sk + n·sn) as the kernel's column blocks, b − zb in int16. Rows of 8
 * contiguous columns (sn = 1) load as one vector each; the rest (edges, transposed sources) one byte at a time.
 */
export function qgemm_pack_b(src: usize, K: i32, N: i32, sk: i32, sn: i32, zb: i32, signed: i32, dst: usize): void {
  const K2 = (K + 1) & ~1;
  const blocks = (N + 7) >> 3;
  const s = signed != 0;
  const vz = i16x8.splat(<i16>zb);
  for (let j = 0; j < blocks; j++) {
    const n0 = j << 3;
    const vector = sn == 1 && n0 + 8 <= N;
    for (let k = 0; k < K2; k += 2) {
      if (vector) {
        const r0 = i16x8.sub(widen8(src + <usize>k * sk + n0, s), vz);
        const r1 = k + 1 < K ? i16x8.sub(widen8(src + <usize>(k + 1) * sk + n0, s), vz) : i16x8.splat(0);
        v128.store(dst, v128.shuffle<i16>(r0, r1, 0, 8, 1, 9, 2, 10, 3, 11));
        v128.store(dst, v128.shuffle<i16>(r0, r1, 4, 12, 5, 13, 6, 14, 7, 15), 16);
      } else {
        for (let c = 0; c < 8; c++) {
          const n = n0 + c;
          const b0 = n < N ? byteAt(src + <usize>k * sk + <usize>n * sn, s) - zb : 0;
          const b1 = n < N && k + 1 < K ? byteAt(src + <usize>(k + 1) * sk + <usize>n * sn, s) - zb : 0;
          store<i16>(dst + (<usize>c << 2), <i16>b0);
          store<i16>(dst + (<usize>c << 2), <i16>b1, 2);
        }
      }
      dst += 32;
    }
  }
}

/**
 * Pack rows [r0, r0 + nr) (nr ≤ 4) of X (row stride K bytes) as one panel, x − xz in int16: four rows of 8 K steps
 * load as four vectors and leave as four pair-interleaved vectors (a 4×4 transpose of i32 lanes); missing rows and
 * the K tail are zeros.
 */
// @ts-ignore: decorator
@inline function packPanel(x: usize, K: i32, nr: i32, xz: i32, signed: bool, dst: usize): void {
  const K2 = (K + 1) & ~1;
  let k = 0;
  if (nr == 4) {
    const vz = i16x8.splat(<i16>xz);
    const stride = <usize>K;
    for (; k + 8 <= K; k += 8) {
      const p = x + <usize>k;
      const a0 = i16x8.sub(widen8(p, signed), vz);
      const a1 = i16x8.sub(widen8(p + stride, signed), vz);
      const a2 = i16x8.sub(widen8(p + stride * 2, signed), vz);
      const a3 = i16x8.sub(widen8(p + stride * 3, signed), vz);
      const t0 = v128.shuffle<i32>(a0, a1, 0, 4, 1, 5);
      const t1 = v128.shuffle<i32>(a2, a3, 0, 4, 1, 5);
      const t2 = v128.shuffle<i32>(a0, a1, 2, 6, 3, 7);
      const t3 = v128.shuffle<i32>(a2, a3, 2, 6, 3, 7);
      v128.store(dst, v128.shuffle<i64>(t0, t1, 0, 2));
      v128.store(dst, v128.shuffle<i64>(t0, t1, 1, 3), 16);
      v128.store(dst, v128.shuffle<i64>(t2, t3, 0, 2), 32);
      v128.store(dst, v128.shuffle<i64>(t2, t3, 1, 3), 48);
      dst += 64;
    }
  }
  for (; k < K2; k += 2) {
    for (let r = 0; r < 4; r++) {
      const p = x + <usize>r * K + k;
      const v0 = r < nr ? byteAt(p, signed) - xz : 0;
      const v1 = r < nr && k + 1 < K ? byteAt(p + 1, signed) - xz : 0;
      store<i16>(dst + (<usize>r << 2), <i16>v0);
      store<i16>(dst + (<usize>r << 2), <i16>v1, 2);
    }
    dst += 16;
  }
}

/** Requantize one row's 8 columns (acc0: columns 0–3, acc1: 4–7) and store `cols` bytes at y. */
// @ts-ignore: decorator
@inline function requantRow(
  acc0: v128, acc1: v128, m0: v128, m1: v128, o0: v128, o1: v128, zy: v128, magicZy: v128, flo: v128, fhi: v128, flags: i32,
  y: usize, cols: i32, tmp: usize,
): void {
  let f0: v128, f1: v128;
  if ((flags & 4) != 0) {
    f0 = f32x4.div(f32x4.convert_i32x4_s(acc0), m0);
    f1 = f32x4.div(f32x4.convert_i32x4_s(acc1), m1);
  } else {
    f0 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc0), m0), o0);
    f1 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc1), m1), o1);
  }
  if ((flags & 16) != 0) {
    // Float output (a product a float op reads, as MatMulIntegerToFloat): the scaled accumulators themselves.
    if (cols == 8) {
      v128.store(y, f0);
      v128.store(y, f1, 16);
    } else {
      v128.store(tmp, f0);
      v128.store(tmp, f1, 16);
      memory.copy(y, tmp, <usize>cols << 2);
    }
    return;
  }
  if ((flags & 8) != 0) storeCodes(finiteToCodes(f0, flo, fhi, magicZy), finiteToCodes(f1, flo, fhi, magicZy), (flags & 2) != 0, y, cols, tmp);
  else storeCodes(toCodes(f0, flo, fhi, zy), toCodes(f1, flo, fhi, zy), (flags & 2) != 0, y, cols, tmp);
}

/**
 * Y = requant(X·B + bias) for column blocks [j0, j1) and row panels [p0, p1) (4 rows each). x: rows × K bytes
 * (zero point xz); b: packed by qgemm_pack_b; bias (i32), mult and off (f32): one per column, padded to whole blocks;
 * y: rows × N bytes. flags: bit 0 signed X, bit 1 signed Y, bit 2 divide by mult[0] (no off), bit 3 every multiplier and
 * offset finite (and a divisor nonzero), so no NaN can reach the rounding and it takes finiteToCodes, bit 4 float
 * output: y is rows × N float32, acc·mult + off unrounded.
 */
export function qgemm_rows(
  x: usize, rows: i32, K: i32, xz: i32, b: usize, N: i32, bias: usize, mult: usize, off: usize, y: usize,
  zy: i32, qlo: i32, qhi: i32, flags: i32, j0: i32, j1: i32, p0: i32, p1: i32, scratch: usize,
): void {
  const K2 = (K + 1) & ~1;
  const kp = K2 >> 1;
  const signed = (flags & 1) != 0;
  const vzy = i32x4.splat(zy), magicZy = magicLessZero(zy), lo = codeLow(qlo, zy), hi = codeHigh(qhi, zy);
  const tmp = scratch + <usize>(GROWS * K2 * 2);
  const divide = (flags & 4) != 0;
  // Bytes per output element: floats with flag 16, codes otherwise.
  const es: usize = (flags & 16) != 0 ? 4 : 1;
  const rowBytes = <usize>N * es;
  const chunkPanels = GROWS >> 2;
  for (let pc = p0; pc < p1; pc += chunkPanels) {
    const pe = min(pc + chunkPanels, p1);
    for (let p = pc; p < pe; p++) {
      const r0 = p << 2;
      packPanel(x + <usize>r0 * K, K, min(4, rows - r0), xz, signed, scratch + <usize>((p - pc) * K2 * 8));
    }
    for (let j = j0; j < j1; j++) {
      const n0 = j << 3;
      const cols = min(8, N - n0);
      const bj = b + <usize>j * kp * 32;
      const colBias = bias + (<usize>n0 << 2);
      let m0: v128, m1: v128;
      if (divide) {
        m0 = v128.load32_splat(mult); m1 = m0;
      } else {
        m0 = v128.load(mult + (<usize>n0 << 2)); m1 = v128.load(mult + (<usize>n0 << 2), 16);
      }
      const o0 = v128.load(off + (<usize>n0 << 2)), o1 = v128.load(off + (<usize>n0 << 2), 16);
      for (let p = pc; p < pe; p++) {
        const r0 = p << 2;
        const nr = min(4, rows - r0);
        let a = scratch + <usize>((p - pc) * K2 * 8);
        let w = bj;
        let c00 = v128.load(colBias), c01 = v128.load(colBias, 16);
        let c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
        for (let k = 0; k < kp; k++) {
          const b0 = v128.load(w);
          const b1 = v128.load(w, 16);
          let av = v128.load32_splat(a);
          c00 = i32x4.add(c00, i32x4.dot_i16x8_s(b0, av)); c01 = i32x4.add(c01, i32x4.dot_i16x8_s(b1, av));
          av = v128.load32_splat(a, 4);
          c10 = i32x4.add(c10, i32x4.dot_i16x8_s(b0, av)); c11 = i32x4.add(c11, i32x4.dot_i16x8_s(b1, av));
          av = v128.load32_splat(a, 8);
          c20 = i32x4.add(c20, i32x4.dot_i16x8_s(b0, av)); c21 = i32x4.add(c21, i32x4.dot_i16x8_s(b1, av));
          av = v128.load32_splat(a, 12);
          c30 = i32x4.add(c30, i32x4.dot_i16x8_s(b0, av)); c31 = i32x4.add(c31, i32x4.dot_i16x8_s(b1, av));
          a += 16;
          w += 32;
        }
        const yr = y + (<usize>r0 * N + n0) * es;
        requantRow(c00, c01, m0, m1, o0, o1, vzy, magicZy, lo, hi, flags, yr, cols, tmp);
        if (nr > 1) requantRow(c10, c11, m0, m1, o0, o1, vzy, magicZy, lo, hi, flags, yr + rowBytes, cols, tmp);
        if (nr > 2) requantRow(c20, c21, m0, m1, o0, o1, vzy, magicZy, lo, hi, flags, yr + rowBytes * 2, cols, tmp);
        if (nr > 3) requantRow(c30, c31, m0, m1, o0, o1, vzy, magicZy, lo, hi, flags, yr + rowBytes * 3, cols, tmp);
      }
    }
  }
}

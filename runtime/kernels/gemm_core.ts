// fp32 GEMM, C[M×N] = A[M×K] · B[K×N] (+ bias, clamped), on pre-packed operands and an MR×8 register tile.
// MR is 4: 8 accumulators + 2 B vectors + 1 broadcast. 5×8 and 6×8 tiles (the code below handles them) measured at
// half the speed under V8, which then spills accumulators, so both builds use 4×8.
//   A packed in panels of MR rows: A[p][k][r]  at a + ((p·K + k)·MR + r)·4   (rows past M are zero)
//   B packed in blocks of 8 cols:  B[j][k][c]  at b + ((j·K + k)·8 + c)·4    (cols past N are zero)
// K is split into blocks of at most KC so a B micro-panel stays in L1 while A's block streams from L2; the first
// block starts from the bias, later ones accumulate into C, and only the last applies the clamp.
import { madd } from "./madd";
import { vclampOut, zeroFix } from "./vmath";

export const MR: i32 = 4;
export const NR: i32 = 8;
export const KC: i32 = 256;

/** 0: no bias; 1: one value per row (conv output channel); 2: one value per column (Gemm). Bias arrays are padded. */
export const BIAS_ROW = 1;
export const BIAS_COL = 2;

/**
 * One MR×8 tile over kc steps. Edge tiles (rows < MR or cols < 8) go through the scratch `tmp` (MR·8 floats) so that
 * the vector code never reads or writes outside C.
 */
// @ts-ignore: decorator
@inline function tile(
  a: usize, b: usize, kc: i32, c: usize, ldc: i32, rows: i32, cols: i32,
  first: bool, last: bool, bias: usize, biasMode: i32, lo: f32, hi: f32, tmp: usize,
): void {
  const full = rows == MR && cols == NR;
  let src = c;
  let stride = <usize>ldc << 2;
  if (!full) {
    stride = 32;
    src = tmp;
    if (!first) {
      for (let r = 0; r < MR; r++) for (let q = 0; q < NR; q++) {
        store<f32>(tmp + ((r * NR + q) << 2), r < rows && q < cols ? load<f32>(c + ((<usize>r * ldc + q) << 2)) : 0);
      }
    }
  }
  let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
  let c40: v128 = f32x4.splat(0), c41: v128 = c40, c50: v128 = c40, c51: v128 = c40;
  if (first) {
    if (biasMode == BIAS_ROW) {
      c00 = v128.load32_splat(bias); c01 = c00;
      c10 = v128.load32_splat(bias, 4); c11 = c10;
      c20 = v128.load32_splat(bias, 8); c21 = c20;
      c30 = v128.load32_splat(bias, 12); c31 = c30;
      if (MR >= 5) { c40 = v128.load32_splat(bias, 16); c41 = c40; }
      if (MR == 6) { c50 = v128.load32_splat(bias, 20); c51 = c50; }
    } else if (biasMode == BIAS_COL) {
      c00 = v128.load(bias); c01 = v128.load(bias, 16);
      c10 = c00; c11 = c01; c20 = c00; c21 = c01; c30 = c00; c31 = c01;
      if (MR >= 5) { c40 = c00; c41 = c01; }
      if (MR == 6) { c50 = c00; c51 = c01; }
    } else {
      c00 = f32x4.splat(0); c01 = c00; c10 = c00; c11 = c00; c20 = c00; c21 = c00; c30 = c00; c31 = c00;
    }
  } else {
    c00 = v128.load(src); c01 = v128.load(src, 16); src += stride;
    c10 = v128.load(src); c11 = v128.load(src, 16); src += stride;
    c20 = v128.load(src); c21 = v128.load(src, 16); src += stride;
    c30 = v128.load(src); c31 = v128.load(src, 16);
    if (MR >= 5) { src += stride; c40 = v128.load(src); c41 = v128.load(src, 16); }
    if (MR == 6) { src += stride; c50 = v128.load(src); c51 = v128.load(src, 16); }
  }
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
    av = v128.load32_splat(a, 4);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
    av = v128.load32_splat(a, 8);
    c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
    av = v128.load32_splat(a, 12);
    c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
    if (MR >= 5) {
      av = v128.load32_splat(a, 16);
      c40 = madd(av, b0, c40); c41 = madd(av, b1, c41);
    }
    if (MR == 6) {
      av = v128.load32_splat(a, 20);
      c50 = madd(av, b0, c50); c51 = madd(av, b1, c51);
    }
    a += <usize>MR << 2;
    b += 32;
  }
  if (last) {
    const vlo = f32x4.splat(lo);
    const vfix = zeroFix(vlo);
    const vhi = f32x4.splat(hi);
    c00 = vclampOut(c00, vlo, vhi, vfix); c01 = vclampOut(c01, vlo, vhi, vfix);
    c10 = vclampOut(c10, vlo, vhi, vfix); c11 = vclampOut(c11, vlo, vhi, vfix);
    c20 = vclampOut(c20, vlo, vhi, vfix); c21 = vclampOut(c21, vlo, vhi, vfix);
    c30 = vclampOut(c30, vlo, vhi, vfix); c31 = vclampOut(c31, vlo, vhi, vfix);
    if (MR >= 5) { c40 = vclampOut(c40, vlo, vhi, vfix); c41 = vclampOut(c41, vlo, vhi, vfix); }
    if (MR == 6) { c50 = vclampOut(c50, vlo, vhi, vfix); c51 = vclampOut(c51, vlo, vhi, vfix); }
  }
  let dst = full ? c : tmp;
  v128.store(dst, c00); v128.store(dst, c01, 16); dst += stride;
  v128.store(dst, c10); v128.store(dst, c11, 16); dst += stride;
  v128.store(dst, c20); v128.store(dst, c21, 16); dst += stride;
  v128.store(dst, c30); v128.store(dst, c31, 16);
  if (MR >= 5) { dst += stride; v128.store(dst, c40); v128.store(dst, c41, 16); }
  if (MR == 6) { dst += stride; v128.store(dst, c50); v128.store(dst, c51, 16); }
  if (!full) {
    for (let r = 0; r < rows; r++) for (let q = 0; q < cols; q++) {
      store<f32>(c + ((<usize>r * ldc + q) << 2), load<f32>(tmp + ((r * NR + q) << 2)));
    }
  }
}

/** Bytes of A's K block beyond which it no longer stays in L2, and the loops switch order. */
const A_BLOCK_L2: i32 = 256 * 1024;

/**
 * Tiles of one K block: column blocks [j0, j1) of a B chunk laid out as [block][kc][8] starting at block `jBase`,
 * against the row panels [p0, p1) of A. Normally the loop over panels is innermost, so the B micro-panel is reused from L1
 * while A's block comes from L2; when A's block is too big for L2 (many output channels, e.g. 512×256 floats) the
 * panel loop goes outside instead: each A micro-panel stays in L1 and the (small) B chunk in L2.
 */
// @ts-ignore: decorator
@inline export function kblock(
  a: usize, aStride: usize, b: usize, bStride: usize, jBase: i32, kc: i32,
  c: usize, ldc: i32, M: i32, N: i32, j0: i32, j1: i32, p0: i32, p1: i32,
  first: bool, last: bool, bias: usize, biasMode: i32, lo: f32, hi: f32, tmp: usize,
): void {
  if ((p1 - p0) * MR * kc * 4 > A_BLOCK_L2) {
    for (let p = p0; p < p1; p++) {
      const m0 = p * MR;
      for (let j = j0; j < j1; j++) {
        const n0 = j * NR;
        const rowBias = biasMode == BIAS_ROW ? bias + (<usize>m0 << 2) : bias + (<usize>n0 << 2);
        tile(a + <usize>p * aStride, b + <usize>(j - jBase) * bStride, kc, c + ((<usize>m0 * ldc + n0) << 2), ldc,
          min(MR, M - m0), min(NR, N - n0), first, last, rowBias, biasMode, lo, hi, tmp);
      }
    }
    return;
  }
  for (let j = j0; j < j1; j++) {
    const bj = b + <usize>(j - jBase) * bStride;
    const n0 = j * NR;
    const cols = min(NR, N - n0);
    for (let p = p0; p < p1; p++) {
      const m0 = p * MR;
      const rowBias = biasMode == BIAS_ROW ? bias + (<usize>m0 << 2) : bias + (<usize>n0 << 2);
      tile(a + <usize>p * aStride, bj, kc, c + ((<usize>m0 * ldc + n0) << 2), ldc, min(MR, M - m0), cols,
        first, last, rowBias, biasMode, lo, hi, tmp);
    }
  }
}


// 2-D convolution of one image and one group as a GEMM: packed weights (A, M = output channels) times the im2col
// matrix (B, N = output pixels), which is never materialized whole: each chunk of column blocks is packed for one
// K block straight from the NCHW input into scratch, used, and overwritten by the next.
import { KC, MR, NR, BIAS_ROW, kblock } from "./gemm_core";

/** Column blocks packed per chunk: KC × 16·8 floats = 128 KiB of scratch, which stays in L2. */
export const CONV_CHUNK_BLOCKS: i32 = 16;

/** Largest padded copy of one group's input planes conv2d makes (128 KiB: it stays in L2 beside the packed chunk). */
const PADDED_LIMIT: i32 = 32768;

/**
 * Floats of the padded copy of one group's input that conv2d gathers its columns from, or 0 when it packs them from
 * the input itself. On output rows narrower than four column blocks (7×7 to 28×28 planes), many blocks of 8 columns
 * straddle rows or touch the padding, and packing them from the input took bounds checks and index arithmetic per
 * element: the im2col of RegNet's grouped 3×3 convolutions took 5× their GEMM. From a copy with the padding written
 * out, a block's columns are one run of a padded row or two runs of consecutive rows: two vector loads per 4 columns.
 */
export function conv2d_padded_floats(C: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, OH: i32, OW: i32): i32 {
  if (OW >= 4 * NR) return 0;
  // A 1×1, stride-1, unpadded convolution copies whole blocks from its input already.
  if (kh * kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0) return 0;
  const n = C * paddedRows(OH, kh, sh, dh) * paddedColumns(OW, kw, sw, dw);
  return n <= PADDED_LIMIT ? n : 0;
}

/** Rows of the padded copy: from the top padding to the last row a tap reads. */
// @ts-ignore: decorator
@inline function paddedRows(OH: i32, kh: i32, sh: i32, dh: i32): i32 {
  return (OH - 1) * sh + (kh - 1) * dh + 1;
}

// @ts-ignore: decorator
@inline function paddedColumns(OW: i32, kw: i32, sw: i32, dw: i32): i32 {
  return (OW - 1) * sw + (kw - 1) * dw + 1;
}

/**
 * Floats of private scratch conv2d needs: one packed chunk, the 32-float edge tile and coordinates, and `padded`
 * (conv2d_padded_floats) with 16 floats of slack, which a stride-2 run's vector loads may read past its last column.
 */
export function conv2d_scratch_floats(padded: i32): i32 {
  return KC * CONV_CHUNK_BLOCKS * NR + 64 + padded + 16;
}

/**
 * y[M][OH·OW] = clamp(W·im2col(x) + bias) over output column blocks [j0, j1) and row panels [p0, p1) (threads
 * split one or the other).
 * x: C×H×W; a: weights packed as A panels with K = C·kh·kw; bias: M values padded to a multiple of MR.
 */
export function conv2d(
  x: usize, C: i32, H: i32, W: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, OH: i32, OW: i32,
  a: usize, M: i32, y: usize, bias: usize, lo: f32, hi: f32, j0: i32, j1: i32, p0: i32, p1: i32, scratch: usize,
): void {
  const K = C * kh * kw;
  const N = OH * OW;
  const tmp = scratch + (<usize>(KC * CONV_CHUNK_BLOCKS * NR) << 2);
  // Rows of two to four blocks (16 to 31 columns) pack fast enough from the input when threads share the image: the
  // copy pays only when one call makes all of its columns (a group's whole convolution, or one thread's).
  const whole = j0 == 0 && j1 >= (N + NR - 1) / NR;
  const padded = OW < 2 * NR || whole ? conv2d_padded_floats(C, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW) : 0;
  const copy = tmp + 256;
  const Hp = paddedRows(OH, kh, sh, dh);
  const Wp = paddedColumns(OW, kw, sw, dw);
  if (padded > 0) pad_planes(x, C, H, W, ph, pw, Hp, Wp, copy);
  for (let jc = j0; jc < j1; jc += CONV_CHUNK_BLOCKS) {
    const je = min(jc + CONV_CHUNK_BLOCKS, j1);
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = min(KC, K - k0);
      if (padded > 0) gather_pack(copy, Hp, Wp, kh, kw, sh, sw, dh, dw, OW, N, k0, kc, jc, je, scratch);
      else im2col_pack(x, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OW, N, k0, kc, jc, je, scratch, tmp + 128);
      kblock(a + <usize>(k0 * MR * 4), <usize>(K * MR * 4), scratch, <usize>kc << 5, jc, kc, y, N, M, N, jc, je, p0, p1,
        k0 == 0, k0 + kc >= K, bias, BIAS_ROW, lo, hi, tmp);
    }
  }
}

/**
 * Copy C planes of H×W into Hp×Wp planes at `dst`, shifted by the padding (ph, pw), zeros around. Rows are short
 * (the copy is for planes under 16 columns wide): element loops, where memory.fill and memory.copy would each be a call.
 */
function pad_planes(x: usize, C: i32, H: i32, W: i32, ph: i32, pw: i32, Hp: i32, Wp: i32, dst: usize): void {
  // Columns [lo, hi) of a padded row hold input columns [lo - pw, hi - pw); the rest are zeros.
  const lo = min(pw, Wp);
  const hi = min(pw + W, Wp);
  let out = dst;
  for (let c = 0; c < C; c++) {
    const src = x + ((<usize>(c * H * W)) << 2);
    for (let py = 0; py < Hp; py++) {
      const iy = py - ph;
      if (iy < 0 || iy >= H) {
        for (let px = 0; px < Wp; px++) store<f32>(out + (<usize>px << 2), 0);
      } else {
        const row = src + ((<usize>(iy * W - pw)) << 2);
        let px = 0;
        for (; px < lo; px++) store<f32>(out + (<usize>px << 2), 0);
        for (; px < hi; px++) store<f32>(out + (<usize>px << 2), load<f32>(row + (<usize>px << 2)));
        for (; px < Wp; px++) store<f32>(out + (<usize>px << 2), 0);
      }
      out += <usize>Wp << 2;
    }
  }
}

/**
 * pack im2col rows [k0, k0+kc) of column blocks [jc, je) as [block][kc][8] from the padded copy (pad_planes): a
 * column's tap (ci, ky, kx) is at its own offset plus the tap's, whatever the padding. Columns past N repeat column
 * N − 1 (their outputs are never stored).
 */
function gather_pack(
  src: usize, Hp: i32, Wp: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  OW: i32, N: i32, k0: i32, kc: i32, jc: i32, je: i32, dst: usize,
): void {
  const khw = kh * kw;
  const plane = Hp * Wp;
  for (let j = jc; j < je; j++) {
    const n0 = j * NR;
    const o0 = column(n0, N, OW, sh, sw, Wp);
    const o1 = column(n0 + 1, N, OW, sh, sw, Wp);
    const o2 = column(n0 + 2, N, OW, sh, sw, Wp);
    const o3 = column(n0 + 3, N, OW, sh, sw, Wp);
    const o4 = column(n0 + 4, N, OW, sh, sw, Wp);
    const o5 = column(n0 + 5, N, OW, sh, sw, Wp);
    const o6 = column(n0 + 6, N, OW, sh, sw, Wp);
    const o7 = column(n0 + 7, N, OW, sh, sw, Wp);
    let ci = k0 / khw;
    let rem = k0 - ci * khw;
    let ky = rem / kw;
    let kx = rem - ky * kw;
    // Eight columns on one output row read a run of one padded row (every other element at stride 2).
    const oneRow = n0 - (n0 / OW) * OW + NR <= OW && n0 + NR <= N && (sw == 1 || sw == 2);
    // Eight columns across two output rows (7×7 and 14×14 planes) read two runs: the first r of the block from one
    // padded row, the rest from the next, each a vector load, merged lane by lane.
    const r = OW - (n0 - (n0 / OW) * OW);
    if (!oneRow && n0 + NR <= N && (sw == 1 || sw == 2) && NR - r <= OW) {
      const first0 = i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(r));
      const first1 = i32x4.lt_s(i32x4(4, 5, 6, 7), i32x4.splat(r));
      // The second run shifted back r columns, so that lane q reads its column q - r of the next row.
      const second = column(n0 + r, N, OW, sh, sw, Wp) - (<usize>(r * sw) << 2);
      for (let kk = 0; kk < kc; kk++) {
        const tap = src + ((<usize>(ci * plane + ky * dh * Wp + kx * dw)) << 2);
        const a = tap + o0;
        const b = tap + second;
        if (sw == 1) {
          v128.store(dst, v128.bitselect(v128.load(a), v128.load(b), first0));
          v128.store(dst, v128.bitselect(v128.load(a, 16), v128.load(b, 16), first1), 16);
        } else {
          v128.store(dst, v128.bitselect(
            v128.shuffle<f32>(v128.load(a), v128.load(a, 16), 0, 2, 4, 6), v128.shuffle<f32>(v128.load(b), v128.load(b, 16), 0, 2, 4, 6), first0));
          v128.store(dst, v128.bitselect(
            v128.shuffle<f32>(v128.load(a, 32), v128.load(a, 48), 0, 2, 4, 6), v128.shuffle<f32>(v128.load(b, 32), v128.load(b, 48), 0, 2, 4, 6), first1), 16);
        }
        dst += 32;
        if (++kx == kw) {
          kx = 0;
          if (++ky == kh) { ky = 0; ci++; }
        }
      }
      continue;
    }
    if (oneRow) {
      for (let kk = 0; kk < kc; kk++) {
        const row = src + o0 + ((<usize>(ci * plane + ky * dh * Wp + kx * dw)) << 2);
        if (sw == 1) {
          v128.store(dst, v128.load(row));
          v128.store(dst, v128.load(row, 16), 16);
        } else {
          v128.store(dst, v128.shuffle<f32>(v128.load(row), v128.load(row, 16), 0, 2, 4, 6));
          // The last load reads one float past the eighth column's: the next row's, or the copy's slack.
          v128.store(dst, v128.shuffle<f32>(v128.load(row, 32), v128.load(row, 48), 0, 2, 4, 6), 16);
        }
        dst += 32;
        if (++kx == kw) {
          kx = 0;
          if (++ky == kh) { ky = 0; ci++; }
        }
      }
      continue;
    }
    for (let kk = 0; kk < kc; kk++) {
      const base = src + ((<usize>(ci * plane + ky * dh * Wp + kx * dw)) << 2);
      store<f32>(dst, load<f32>(base + o0));
      store<f32>(dst, load<f32>(base + o1), 4);
      store<f32>(dst, load<f32>(base + o2), 8);
      store<f32>(dst, load<f32>(base + o3), 12);
      store<f32>(dst, load<f32>(base + o4), 16);
      store<f32>(dst, load<f32>(base + o5), 20);
      store<f32>(dst, load<f32>(base + o6), 24);
      store<f32>(dst, load<f32>(base + o7), 28);
      dst += 32;
      if (++kx == kw) {
        kx = 0;
        if (++ky == kh) { ky = 0; ci++; }
      }
    }
  }
}

/** Byte offset of output column n's first tap in a padded plane of width Wp (n clamped to N − 1). */
// @ts-ignore: decorator
@inline function column(n: i32, N: i32, OW: i32, sh: i32, sw: i32, Wp: i32): usize {
  const m = min(n, N - 1);
  const oy = m / OW;
  return <usize>((oy * sh * Wp + (m - oy * OW) * sw) << 2);
}

/** Pack im2col rows [k0, k0+kc) of column blocks [jc, je) as [block][kc][8]. */
function im2col_pack(
  x: usize, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32,
  OW: i32, N: i32, k0: i32, kc: i32, jc: i32, je: i32, dst: usize, coords: usize,
): void {
  const khw = kh * kw;
  const plane = <usize>(H * W);
  // A 1×1, stride-1, unpadded convolution reads the input planes as they are: B is a copy of x's rows.
  const pointwise = khw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0;
  for (let j = jc; j < je; j++) {
    const n0 = j * NR;
    if (pointwise && n0 + NR <= N) {
      let src = x + ((<usize>k0 * plane + n0) << 2);
      for (let kk = 0; kk < kc; kk++) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        src += plane << 2;
        dst += 32;
      }
      continue;
    }
    const oy0 = n0 / OW;
    const ox0 = n0 - oy0 * OW;
    // The 8 columns lie on one output row: their inputs are a (possibly strided) run of one input row.
    const oneRow = ox0 + NR <= OW && n0 + NR <= N;
    const ixBase = ox0 * sw - pw;
    const iyBase = oy0 * sh - ph;
    if (!oneRow) {
      // Top-left input coordinates of the 8 columns (beyond N: a row far outside, so they read as zero).
      for (let q = 0; q < NR; q++) {
        const n = n0 + q;
        const oy = n / OW;
        store<i32>(coords + (q << 3), n < N ? oy * sh - ph : -0x40000000);
        store<i32>(coords + (q << 3), n - oy * OW, 4);
      }
      for (let q = 0; q < NR; q++) store<i32>(coords + (q << 3), load<i32>(coords + (q << 3), 4) * sw - pw, 4);
    }
    let ci = k0 / khw;
    let rem = k0 - ci * khw;
    let ky = rem / kw;
    let kx = rem - ky * kw;
    for (let kk = 0; kk < kc; kk++) {
      const iy = iyBase + ky * dh;
      const ix = ixBase + kx * dw;
      const chan = x + ((<usize>ci * plane) << 2);
      if (oneRow && iy >= 0 && iy < H && ix >= 0 && ((sw == 1 && ix + 8 <= W) || (sw == 2 && ix + 16 <= W))) {
        const row = chan + ((<usize>(iy * W + ix)) << 2);
        if (sw == 1) {
          v128.store(dst, v128.load(row));
          v128.store(dst, v128.load(row, 16), 16);
        } else {
          v128.store(dst, v128.shuffle<f32>(v128.load(row), v128.load(row, 16), 0, 2, 4, 6));
          v128.store(dst, v128.shuffle<f32>(v128.load(row, 32), v128.load(row, 48), 0, 2, 4, 6), 16);
        }
      } else {
        const dy = ky * dh;
        const dx = kx * dw;
        for (let q = 0; q < NR; q++) {
          let yy: i32, xx: i32;
          if (oneRow) {
            yy = iyBase + dy;
            xx = ixBase + q * sw + dx;
          } else {
            yy = load<i32>(coords + (q << 3)) + dy;
            xx = load<i32>(coords + (q << 3), 4) + dx;
          }
          let v: f32 = 0;
          if (<u32>yy < <u32>H && <u32>xx < <u32>W) v = load<f32>(chan + ((<usize>(yy * W + xx)) << 2));
          store<f32>(dst + (q << 2), v);
        }
      }
      dst += 32;
      if (++kx == kw) {
        kx = 0;
        if (++ky == kh) { ky = 0; ci++; }
      }
    }
  }
}

/**
 * Items [i0, i1) of a batch's (image, group) pairs, item i being group i mod groups of image i / groups: each item's
 * whole convolution on one thread, so that threads split a batch by images, or one image's groups between them (no
 * shared columns, no duplicated packing). Group g's packed weights and bias sit aStride and biasStride bytes after
 * group g - 1's.
 */
export function conv2d_images(
  x: usize, inImage: i32, y: usize, outImage: i32, i0: i32, i1: i32, groups: i32, Cg: i32, H: i32, W: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, OH: i32, OW: i32,
  a: usize, aStride: i32, Mg: i32, bias: usize, biasStride: i32, lo: f32, hi: f32, scratch: usize,
): void {
  const blocks = (OH * OW + NR - 1) / NR;
  const panels = (Mg + MR - 1) / MR;
  for (let i = i0; i < i1; i++) {
    const n = i / groups;
    const g = i - n * groups;
    conv2d(x + <usize>n * inImage + ((<usize>(g * Cg * H * W)) << 2), Cg, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW,
      a + <usize>g * aStride, Mg, y + <usize>n * outImage + ((<usize>(g * Mg * OH * OW)) << 2), bias + <usize>g * biasStride,
      lo, hi, 0, blocks, 0, panels, scratch);
  }
}

// Direct fp32 convolution for convolutions with few output channels (an RGB output layer, a segmentation or detection
// head, a depth map): there, an im2col GEMM packs every input tap once per four output channels, and packing was
// nearly all of the time (a 7×7 convolution from 32 channels to 3 ran at 4.5 GMAC/s, a 3×3 one to 1 channel at 1.3).
// Here the tile reads its inputs straight from a zero-padded copy of the image, split into its stride phases:
//   Q[c][a][b][i][j] = xpad[c][s·i + a][s·j + b]   (planes of PH2 × PW2, a, b < s; s = 1: the padded image itself)
// Output pixel (oy, ox) is "wide column" n = oy·PW2 + ox of a phase grid, and tap (c, ky, kx) of every column n is
// Q at n plus one offset per tap (the tap table): 8 consecutive columns are one unaligned vector load per 4, whatever
// the stride, padding or dilation. Columns with ox ≥ OW are computed and dropped by the store.
// The weights are the GEMM's A panels (gemm_core: [panel][k][4 rows], k = (c, ky, kx)), and the sum runs over k in
// the same order from the bias, so a convolution gives the same floats on either path.
import { MR } from "./gemm_core";
import { madd } from "./madd";
import { vclampOut, zeroFix } from "./vmath";

/** Floats read past the last phase plane by the last tile (its columns past the grid, dropped). */
const DIRECT_SLACK: i32 = 64;

/** Rows (columns) of a phase plane for `out` output rows of a k-tap window: tap ky of output row oy reads phase row oy + ⌊ky·d / s⌋. */
export function direct_phase_extent(out: i32, k: i32, d: i32, s: i32): i32 {
  return out + ((k - 1) * d) / s;
}

/** Floats of the phase planes direct_pad writes for one image of C channels. */
export function direct_pad_floats(C: i32, kh: i32, kw: i32, s: i32, dh: i32, dw: i32, OH: i32, OW: i32): i32 {
  return C * s * s * direct_phase_extent(OH, kh, dh, s) * direct_phase_extent(OW, kw, dw, s) + DIRECT_SLACK;
}

/** Floats of private scratch direct_conv needs for K = C·kh·kw taps: the tap table and an edge tile. */
export function direct_scratch_floats(K: i32): i32 {
  return K + 4 * 32 + 16;
}

/**
 * Write channels [c0, c1) of x (C × H × W) as their s² phase planes of PH2 × PW2 (see the head of this file), the
 * padding ph, pw (and whatever a phase reads past the input) as zeros. Also zeroes the slack after the last plane
 * when c1 = C.
 */
export function direct_pad(
  x: usize, C: i32, H: i32, W: i32, ph: i32, pw: i32, s: i32, PH2: i32, PW2: i32, dst: usize, c0: i32, c1: i32,
): void {
  const plane = <usize>(PH2 * PW2);
  for (let c = c0; c < c1; c++) {
    const src = x + ((<usize>(c * H * W)) << 2);
    for (let a = 0; a < s; a++) {
      for (let b = 0; b < s; b++) {
        let out = dst + ((<usize>((c * s + a) * s + b) * plane) << 2);
        // Phase columns j read input column s·j + b − pw: those in [0, W) are [jlo, jhi).
        const jlo = min(PW2, max(0, (pw - b + s - 1) / s));
        const jhi = max(jlo, min(PW2, (W - 1 + pw - b) / s + 1));
        for (let i = 0; i < PH2; i++) {
          const iy = s * i + a - ph;
          if (iy < 0 || iy >= H) {
            zeroRun(out, PW2);
          } else {
            const row = src + ((<usize>(iy * W)) << 2);
            zeroRun(out, jlo);
            const first = s * jlo + b - pw;
            if (s == 1) {
              copyRun(out + (<usize>jlo << 2), row + (<usize>first << 2), jhi - jlo);
            } else {
              for (let j = jlo; j < jhi; j++) {
                store<f32>(out + (<usize>j << 2), load<f32>(row + (<usize>(first + (j - jlo) * s) << 2)));
              }
            }
            zeroRun(out + (<usize>jhi << 2), PW2 - jhi);
          }
          out += <usize>PW2 << 2;
        }
      }
    }
  }
  if (c1 == C) zeroRun(dst + ((<usize>C * s * s * plane) << 2), DIRECT_SLACK);
}

// @ts-ignore: decorator
@inline function zeroRun(p: usize, n: i32): void {
  let i = 0;
  const zero = f32x4.splat(0);
  for (; i + 4 <= n; i += 4) v128.store(p + (<usize>i << 2), zero);
  for (; i < n; i++) store<f32>(p + (<usize>i << 2), 0);
}

// @ts-ignore: decorator
@inline function copyRun(to: usize, from: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(to + (<usize>i << 2), v128.load(from + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(to + (<usize>i << 2), load<f32>(from + (<usize>i << 2)));
}

/** Output columns per tile for M output channels: 4 rows × 8, 2 × 16 or 1 × 32 (eight accumulators each). */
export function direct_block_columns(M: i32): i32 {
  return M == 1 ? 32 : M == 2 ? 16 : 8;
}

/**
 * y[M][OH·OW] = clamp(W ⊛ x + bias) for the tiles of column blocks [j0, j1) (direct_block_columns wide) and row
 * panels [p0, p1) of MR channels. q: the phase planes (direct_pad); a, bias: the GEMM's packed weights (K = C·kh·kw)
 * and padded bias.
 */
export function direct_conv(
  q: usize, C: i32, s: i32, PH2: i32, PW2: i32, kh: i32, kw: i32, dh: i32, dw: i32, OH: i32, OW: i32,
  a: usize, M: i32, y: usize, bias: usize, lo: f32, hi: f32, j0: i32, j1: i32, p0: i32, p1: i32, scratch: usize,
): void {
  const K = C * kh * kw;
  // The tap table: byte offset of tap k = (c, ky, kx) from a column's own position in Q.
  const table = scratch;
  const plane = PH2 * PW2;
  let k = 0;
  for (let c = 0; c < C; c++) {
    for (let ky = 0; ky < kh; ky++) {
      const dy = ky * dh;
      for (let kx = 0; kx < kw; kx++) {
        const dx = kx * dw;
        const at = ((c * s + dy % s) * s + dx % s) * plane + (dy / s) * PW2 + dx / s;
        store<i32>(table + (<usize>k << 2), at << 2);
        k++;
      }
    }
  }
  const tmp = scratch + ((<usize>K << 2) + 63 & ~63);
  const Nw = (OH - 1) * PW2 + OW;
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const vfix = zeroFix(vlo);
  const panelBytes = <usize>(K * MR) << 2;
  const width = direct_block_columns(M);
  for (let j = j0; j < j1; j++) {
    const n0 = j * width;
    const base = q + (<usize>n0 << 2);
    for (let p = p0; p < p1; p++) {
      const m0 = p * MR;
      const ap = a + <usize>p * panelBytes;
      const rows = min(MR, M - m0);
      const yp = y + ((<usize>m0 * OH * OW) << 2);
      if (width == 8) tile4x8(ap, base, table, K, bias + (<usize>m0 << 2), vlo, vhi, vfix, tmp);
      else if (width == 16) tile2x16(ap, base, table, K, bias + (<usize>m0 << 2), vlo, vhi, vfix, tmp);
      else tile1x32(ap, base, table, K, bias + (<usize>m0 << 2), vlo, vhi, vfix, tmp);
      storeTile(tmp, rows, width, yp, n0, Nw, OW, PW2, OH * OW);
    }
  }
}

/** Four channels × 8 columns into tmp (rows 128 bytes apart, as storeTile reads them). */
// @ts-ignore: decorator
@inline function tile4x8(a: usize, base: usize, table: usize, K: i32, bias: usize, vlo: v128, vhi: v128, vfix: v128, tmp: usize): void {
  let c00 = v128.load32_splat(bias), c01 = c00;
  let c10 = v128.load32_splat(bias, 4), c11 = c10;
  let c20 = v128.load32_splat(bias, 8), c21 = c20;
  let c30 = v128.load32_splat(bias, 12), c31 = c30;
  const end = table + (<usize>K << 2);
  for (let t = table; t < end; t += 4) {
    const x = base + <usize>load<i32>(t);
    const b0 = v128.load(x);
    const b1 = v128.load(x, 16);
    let av = v128.load32_splat(a);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
    av = v128.load32_splat(a, 4);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
    av = v128.load32_splat(a, 8);
    c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
    av = v128.load32_splat(a, 12);
    c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
    a += 16;
  }
  v128.store(tmp, vclampOut(c00, vlo, vhi, vfix)); v128.store(tmp, vclampOut(c01, vlo, vhi, vfix), 16);
  v128.store(tmp, vclampOut(c10, vlo, vhi, vfix), 128); v128.store(tmp, vclampOut(c11, vlo, vhi, vfix), 144);
  v128.store(tmp, vclampOut(c20, vlo, vhi, vfix), 256); v128.store(tmp, vclampOut(c21, vlo, vhi, vfix), 272);
  v128.store(tmp, vclampOut(c30, vlo, vhi, vfix), 384); v128.store(tmp, vclampOut(c31, vlo, vhi, vfix), 400);
}

/** Two channels × 16 columns into tmp (rows 128 bytes apart). */
// @ts-ignore: decorator
@inline function tile2x16(a: usize, base: usize, table: usize, K: i32, bias: usize, vlo: v128, vhi: v128, vfix: v128, tmp: usize): void {
  let c00 = v128.load32_splat(bias), c01 = c00, c02 = c00, c03 = c00;
  let c10 = v128.load32_splat(bias, 4), c11 = c10, c12 = c10, c13 = c10;
  const end = table + (<usize>K << 2);
  for (let t = table; t < end; t += 4) {
    const x = base + <usize>load<i32>(t);
    const b0 = v128.load(x);
    const b1 = v128.load(x, 16);
    const b2 = v128.load(x, 32);
    const b3 = v128.load(x, 48);
    let av = v128.load32_splat(a);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01); c02 = madd(av, b2, c02); c03 = madd(av, b3, c03);
    av = v128.load32_splat(a, 4);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11); c12 = madd(av, b2, c12); c13 = madd(av, b3, c13);
    a += 16;
  }
  v128.store(tmp, vclampOut(c00, vlo, vhi, vfix)); v128.store(tmp, vclampOut(c01, vlo, vhi, vfix), 16);
  v128.store(tmp, vclampOut(c02, vlo, vhi, vfix), 32); v128.store(tmp, vclampOut(c03, vlo, vhi, vfix), 48);
  v128.store(tmp, vclampOut(c10, vlo, vhi, vfix), 128); v128.store(tmp, vclampOut(c11, vlo, vhi, vfix), 144);
  v128.store(tmp, vclampOut(c12, vlo, vhi, vfix), 160); v128.store(tmp, vclampOut(c13, vlo, vhi, vfix), 176);
}

/** One channel × 32 columns into tmp. */
// @ts-ignore: decorator
@inline function tile1x32(a: usize, base: usize, table: usize, K: i32, bias: usize, vlo: v128, vhi: v128, vfix: v128, tmp: usize): void {
  let c0 = v128.load32_splat(bias), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
  const end = table + (<usize>K << 2);
  for (let t = table; t < end; t += 4) {
    const x = base + <usize>load<i32>(t);
    const av = v128.load32_splat(a);
    c0 = madd(av, v128.load(x), c0); c1 = madd(av, v128.load(x, 16), c1);
    c2 = madd(av, v128.load(x, 32), c2); c3 = madd(av, v128.load(x, 48), c3);
    c4 = madd(av, v128.load(x, 64), c4); c5 = madd(av, v128.load(x, 80), c5);
    c6 = madd(av, v128.load(x, 96), c6); c7 = madd(av, v128.load(x, 112), c7);
    a += 16;
  }
  v128.store(tmp, vclampOut(c0, vlo, vhi, vfix)); v128.store(tmp, vclampOut(c1, vlo, vhi, vfix), 16);
  v128.store(tmp, vclampOut(c2, vlo, vhi, vfix), 32); v128.store(tmp, vclampOut(c3, vlo, vhi, vfix), 48);
  v128.store(tmp, vclampOut(c4, vlo, vhi, vfix), 64); v128.store(tmp, vclampOut(c5, vlo, vhi, vfix), 80);
  v128.store(tmp, vclampOut(c6, vlo, vhi, vfix), 96); v128.store(tmp, vclampOut(c7, vlo, vhi, vfix), 112);
}

/**
 * Store `rows` rows of a tile (tmp: rows 128 bytes apart, `width` columns from wide column n0) into their output
 * planes (yp: the panel's first, planes `planeSize` floats apart): each grid row's run of columns with ox < OW.
 */
// @ts-ignore: decorator
@inline function storeTile(tmp: usize, rows: i32, width: i32, yp: usize, n0: i32, Nw: i32, OW: i32, PW2: i32, planeSize: i32): void {
  const end = min(width, Nw - n0);
  let oy = n0 / PW2;
  let ox = n0 - oy * PW2;
  for (let q = 0; q < end; ) {
    const run = min(OW - ox, end - q);
    if (run > 0) {
      const to = yp + ((<usize>(oy * OW + ox)) << 2);
      const from = tmp + (<usize>q << 2);
      for (let r = 0; r < rows; r++) {
        copyRun(to + ((<usize>(r * planeSize)) << 2), from + (<usize>r << 7), run);
      }
    }
    q += PW2 - ox;
    ox = 0;
    oy++;
  }
}

// 3×3, stride-1 convolution by Winograd's F(2×2, 3×3): each 2×2 output tile costs 16 multiplies per input channel
// instead of 36. The tiles of all images of a batch form one set, so the transformed weights stream once per chunk of
// tiles, not once per image. The input is padded once (wino_pad); then per chunk of output tiles the 4×4 input tiles
// are transformed (V = Bᵀ d B) straight into the packed-B layout, 16 GEMMs multiply them by the transformed weights
// (U = G g Gᵀ, packed by the host as 16 A operands), and the output transform (Y = Aᵀ M A) adds the bias, clamps
// and writes NCHW. All transforms use only additions (G's ½ is folded into U), so accuracy stays at fp32 level.
import { KC, MR, NR, kblock } from "./gemm_core";
import { vclampOut, zeroFix } from "./vmath";

/** Bytes of a round's transformed tiles (one ξ, all of K) that stay in L1/L2 while each weight panel streams past them. */
const WHOLE_K_TILES: i32 = 64 * 1024;

/** Pad a C×H×W image into C planes of PH×PW (PH = 2·TH + 2, PW = 2·TW + 2 + 8 slack), zeros around, for planes [c0, c1). */
export function wino_pad(x: usize, H: i32, W: i32, ph: i32, pw: i32, PH: i32, PW: i32, y: usize, c0: i32, c1: i32): void {
  for (let c = c0; c < c1; c++) {
    const src = x + ((<usize>c * H * W) << 2);
    const dst = y + ((<usize>c * PH * PW) << 2);
    for (let py = 0; py < PH; py++) {
      const iy = py - ph;
      const out = dst + ((<usize>py * PW) << 2);
      if (iy < 0 || iy >= H) {
        memory.fill(out, 0, <usize>PW << 2);
        continue;
      }
      // Zeros left of the row, the row itself, zeros to its right (pads are never negative).
      const left = min(pw, PW);
      const n = min(W, PW - left);
      memory.fill(out, 0, <usize>left << 2);
      memory.copy(out + (<usize>left << 2), src + ((<usize>iy * W) << 2), <usize>n << 2);
      memory.fill(out + (<usize>(left + n) << 2), 0, <usize>(PW - left - n) << 2);
    }
  }
}

/** Floats of private scratch wino_conv needs for chunks of `chunk` tile blocks. */
export function wino_scratch_floats(C: i32, M: i32, chunk: i32): i32 {
  return 16 * (C + M) * chunk * NR + 64;
}

/**
 * Output tiles [j0·8, j1·8) (numbered across the `images` of the batch) and output-channel panels [p0, p1): y (M × OH·OW) = clamp(conv3x3(x) +
 * bias). `pad` is the wino_pad'ed input, `u` the 16 packed weight operands (each uStride bytes apart), `chunk` tile
 * blocks are processed per round. Threads split tiles, or channels where there are few tiles and many weights: then
 * `v` holds every tile transformed once (wino_transform), which each share reads instead of transforming its own.
 */
export function wino_conv(
  pad: usize, images: i32, C: i32, PH: i32, PW: i32, OH: i32, OW: i32, u: usize, uStride: i32, M: i32,
  y: usize, bias: usize, lo: f32, hi: f32, j0: i32, j1: i32, p0: i32, p1: i32, chunk: i32, v: usize, scratch: usize,
): void {
  const TW = (OW + 1) >> 1;
  const TH = (OH + 1) >> 1;
  const perImage = TH * TW;
  const T = images * perImage;
  const outImage = <usize>(M * OH * OW) << 2;
  const cols = chunk * NR;
  const vStride = <usize>(C * cols) << 2;
  const mStride = <usize>(M * cols) << 2;
  const vbuf = scratch;
  const mbuf = vbuf + 16 * vStride;
  const tmp = mbuf + 16 * mStride;
  const vAll = <usize>(C * ((T + NR - 1) / NR) * NR) << 2;
  for (let jc = j0; jc < j1; jc += chunk) {
    const je = min(jc + chunk, j1);
    // Input transform of the round's tiles, unless the caller transformed every tile once already (v ≠ 0).
    if (v == 0) transformTiles(pad, images, C, PH, PW, TW, perImage, jc, je, jc, 0, C, vbuf, vStride, tmp);
    // 16 GEMMs: M_ξ (M × tiles of the chunk) = U_ξ · V_ξ.
    for (let xi = 0; xi < 16; xi++) {
      const a = u + <usize>xi * uStride;
      // Pre-transformed tiles lie all blocks in a row (block 0 first), a round's own from block jc.
      const b = v == 0 ? vbuf + <usize>xi * vStride : v + <usize>xi * vAll;
      const jBase = v == 0 ? jc : 0;
      const c = mbuf + <usize>xi * mStride - ((<usize>(jc * NR)) << 2);
      // A round's tiles are few (ResNet's last stage: 16 tiles against 512 × 512 weights per ξ): the weights stream
      // from memory once per round in any order, and each panel's whole K at once (panels lie K·MR floats apart) makes
      // that one sequential stream, where K blocks of KC read it in pieces a panel apart, and the tiles stay in cache.
      if (C > KC && (je - jc) * C * NR * 4 <= WHOLE_K_TILES) {
        for (let p = p0; p < p1; p++) kblock(a, <usize>(C * MR * 4), b, <usize>C << 5, jBase, C, c, cols, M, T, jc, je, p, p + 1, true, false, 0, 0, 0, 0, tmp);
        continue;
      }
      for (let k0 = 0; k0 < C; k0 += KC) {
        const kc = min(KC, C - k0);
        kblock(a + <usize>(k0 * MR * 4), <usize>(C * MR * 4), b + (<usize>k0 << 5), <usize>C << 5, jBase, kc, c, cols, M, T, jc, je, p0, p1,
          k0 == 0, false, 0, 0, 0, 0, tmp);
      }
    }
    // Output transform, 4 tiles at a time.
    const vlo = f32x4.splat(lo);
    const vfix = zeroFix(vlo);
    const vhi = f32x4.splat(hi);
    for (let m = p0 * MR; m < min(M, p1 * MR); m++) {
      const vb = v128.load32_splat(bias + (<usize>m << 2));
      const out = y + ((<usize>m * OH * OW) << 2);
      for (let n = jc * NR; n < min(je * NR, T); n += 4) {
        const mp = mbuf + ((<usize>(m * cols + n - jc * NR)) << 2);
        const m0 = v128.load(mp), m1 = v128.load(mp + mStride), m2 = v128.load(mp + 2 * mStride), m3 = v128.load(mp + 3 * mStride);
        const m4 = v128.load(mp + 4 * mStride), m5 = v128.load(mp + 5 * mStride), m6 = v128.load(mp + 6 * mStride), m7 = v128.load(mp + 7 * mStride);
        const m8 = v128.load(mp + 8 * mStride), m9 = v128.load(mp + 9 * mStride), m10 = v128.load(mp + 10 * mStride), m11 = v128.load(mp + 11 * mStride);
        const m12 = v128.load(mp + 12 * mStride), m13 = v128.load(mp + 13 * mStride), m14 = v128.load(mp + 14 * mStride), m15 = v128.load(mp + 15 * mStride);
        // s = Aᵀ m (rows), then y = s A (columns); Aᵀ = [[1, 1, 1, 0], [0, 1, -1, -1]].
        const s00 = f32x4.add(f32x4.add(m0, m4), m8), s01 = f32x4.add(f32x4.add(m1, m5), m9);
        const s02 = f32x4.add(f32x4.add(m2, m6), m10), s03 = f32x4.add(f32x4.add(m3, m7), m11);
        const s10 = f32x4.sub(f32x4.sub(m4, m8), m12), s11 = f32x4.sub(f32x4.sub(m5, m9), m13);
        const s12 = f32x4.sub(f32x4.sub(m6, m10), m14), s13 = f32x4.sub(f32x4.sub(m7, m11), m15);
        const y00 = vclampOut(f32x4.add(f32x4.add(f32x4.add(s00, s01), s02), vb), vlo, vhi, vfix);
        const y01 = vclampOut(f32x4.add(f32x4.sub(f32x4.sub(s01, s02), s03), vb), vlo, vhi, vfix);
        const y10 = vclampOut(f32x4.add(f32x4.add(f32x4.add(s10, s11), s12), vb), vlo, vhi, vfix);
        const y11 = vclampOut(f32x4.add(f32x4.sub(f32x4.sub(s11, s12), s13), vb), vlo, vhi, vfix);
        const img = n / perImage;
        const ty = (n - img * perImage) / TW;
        const tx = n - img * perImage - ty * TW;
        if (tx + 4 <= TW && 2 * tx + 8 <= OW && 2 * ty + 2 <= OH && n + 4 <= T) {
          const row = out + <usize>img * outImage + ((<usize>(2 * ty * OW + 2 * tx)) << 2);
          v128.store(row, v128.shuffle<f32>(y00, y01, 0, 4, 1, 5));
          v128.store(row, v128.shuffle<f32>(y00, y01, 2, 6, 3, 7), 16);
          const row1 = row + (<usize>OW << 2);
          v128.store(row1, v128.shuffle<f32>(y10, y11, 0, 4, 1, 5));
          v128.store(row1, v128.shuffle<f32>(y10, y11, 2, 6, 3, 7), 16);
        } else {
          v128.store(tmp, y00);
          v128.store(tmp, y01, 16);
          v128.store(tmp, y10, 32);
          v128.store(tmp, y11, 48);
          for (let l = 0; l < 4; l++) {
            const t = n + l;
            if (t >= T) break;
            const timg = t / perImage;
            const tty = (t - timg * perImage) / TW;
            const ttx = t - timg * perImage - tty * TW;
            const dst = out + <usize>timg * outImage;
            for (let r = 0; r < 2; r++) for (let c = 0; c < 2; c++) {
              const oy = 2 * tty + r;
              const ox = 2 * ttx + c;
              if (oy < OH && ox < OW) store<f32>(dst + ((<usize>(oy * OW + ox)) << 2), load<f32>(tmp + ((<usize>((r * 2 + c) * 4 + l)) << 2)));
            }
          }
        }
      }
    }
  }
}

/**
 * V (16 matrices of C × tiles, packed-B layout) of all tile blocks of the batch for input channels [c0, c1): what
 * wino_conv's shares read when they split output channels, so the input transform runs once, not once per share.
 */
export function wino_transform(pad: usize, images: i32, C: i32, PH: i32, PW: i32, OH: i32, OW: i32, v: usize, c0: i32, c1: i32, scratch: usize): void {
  const TW = (OW + 1) >> 1;
  const TH = (OH + 1) >> 1;
  const blocks = (images * TH * TW + NR - 1) / NR;
  transformTiles(pad, images, C, PH, PW, TW, TH * TW, 0, blocks, 0, c0, c1, v, <usize>(C * blocks * NR) << 2, scratch);
}

/** Floats of the tiles wino_transform writes for a batch (16 · C · tile blocks · NR). */
export function wino_transform_floats(images: i32, C: i32, OH: i32, OW: i32): i32 {
  return 16 * C * ((images * ((OH + 1) >> 1) * ((OW + 1) >> 1) + NR - 1) / NR) * NR;
}

/**
 * V = Bᵀ d B of tile blocks [jc, je) and channels [c0, c1) into `vbuf` (block jBase first), 4 tiles (one vector lane
 * each) at a time.
 */
function transformTiles(
  pad: usize, images: i32, C: i32, PH: i32, PW: i32, TW: i32, perImage: i32, jc: i32, je: i32, jBase: i32, c0: i32, c1: i32,
  vbuf: usize, vStride: usize, tmp: usize,
): void {
  const T = images * perImage;
  const inImage = <usize>(C * PH * PW) << 2;
  const plane = <usize>(PH * PW) << 2;
  for (let g = jc * 2; g < je * 2; g++) {
    const n = g * 4;
    const jj = (n >> 3) - jBase;
    const q = n & 7;
    const img = n / perImage;
    const ty = (n - img * perImage) / TW;
    const tx = n - img * perImage - ty * TW;
    const vector = tx + 4 <= TW && n + 4 <= T;
    const imgPad = pad + <usize>img * inImage;
    for (let ci = c0; ci < c1; ci++) {
      const off = ((<usize>(jj * C + ci) * NR + q) << 2);
      if (vector) {
        let base = imgPad + <usize>ci * plane + ((<usize>(2 * ty * PW + 2 * tx)) << 2);
        const rowStep = <usize>PW << 2;
        const r0 = v128.load(base), r0b = v128.load(base, 16), s0 = v128.load(base, 8), s0b = v128.load(base, 24);
        base += rowStep;
        const r1 = v128.load(base), r1b = v128.load(base, 16), s1 = v128.load(base, 8), s1b = v128.load(base, 24);
        base += rowStep;
        const r2 = v128.load(base), r2b = v128.load(base, 16), s2 = v128.load(base, 8), s2b = v128.load(base, 24);
        base += rowStep;
        const r3 = v128.load(base), r3b = v128.load(base, 16), s3 = v128.load(base, 8), s3b = v128.load(base, 24);
        // d[r][c]: column c of the 4×4 tile, for 4 neighbouring tiles (stride 2 apart).
        const d00 = v128.shuffle<f32>(r0, r0b, 0, 2, 4, 6), d01 = v128.shuffle<f32>(r0, r0b, 1, 3, 5, 7);
        const d02 = v128.shuffle<f32>(s0, s0b, 0, 2, 4, 6), d03 = v128.shuffle<f32>(s0, s0b, 1, 3, 5, 7);
        const d10 = v128.shuffle<f32>(r1, r1b, 0, 2, 4, 6), d11 = v128.shuffle<f32>(r1, r1b, 1, 3, 5, 7);
        const d12 = v128.shuffle<f32>(s1, s1b, 0, 2, 4, 6), d13 = v128.shuffle<f32>(s1, s1b, 1, 3, 5, 7);
        const d20 = v128.shuffle<f32>(r2, r2b, 0, 2, 4, 6), d21 = v128.shuffle<f32>(r2, r2b, 1, 3, 5, 7);
        const d22 = v128.shuffle<f32>(s2, s2b, 0, 2, 4, 6), d23 = v128.shuffle<f32>(s2, s2b, 1, 3, 5, 7);
        const d30 = v128.shuffle<f32>(r3, r3b, 0, 2, 4, 6), d31 = v128.shuffle<f32>(r3, r3b, 1, 3, 5, 7);
        const d32 = v128.shuffle<f32>(s3, s3b, 0, 2, 4, 6), d33 = v128.shuffle<f32>(s3, s3b, 1, 3, 5, 7);
        inputTransform(vbuf + off, vStride, d00, d01, d02, d03, d10, d11, d12, d13, d20, d21, d22, d23, d30, d31, d32, d33);
      } else {
        // Tiles that wrap to the next tile row or lie past the last one: gather lane by lane.
        const lanes = tmp;
        for (let l = 0; l < 4; l++) {
          const t = n + l;
          const timg = t / perImage;
          const tty = (t - timg * perImage) / TW;
          const ttx = t - timg * perImage - tty * TW;
          const src = pad + <usize>timg * inImage + <usize>ci * plane;
          for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) {
            const v: f32 = t < T ? load<f32>(src + ((<usize>((2 * tty + r) * PW + 2 * ttx + c)) << 2)) : 0;
            store<f32>(lanes + (<usize>((r * 4 + c) * 4 + l) << 2), v);
          }
        }
        inputTransform(vbuf + off, vStride,
          v128.load(lanes), v128.load(lanes, 16), v128.load(lanes, 32), v128.load(lanes, 48),
          v128.load(lanes, 64), v128.load(lanes, 80), v128.load(lanes, 96), v128.load(lanes, 112),
          v128.load(lanes, 128), v128.load(lanes, 144), v128.load(lanes, 160), v128.load(lanes, 176),
          v128.load(lanes, 192), v128.load(lanes, 208), v128.load(lanes, 224), v128.load(lanes, 240));
      }
    }
  }
}

/** V = Bᵀ d B with Bᵀ = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], stored as V_ξ (ξ = 4r + c). */
// @ts-ignore: decorator
@inline function inputTransform(
  dst: usize, stride: usize,
  d00: v128, d01: v128, d02: v128, d03: v128, d10: v128, d11: v128, d12: v128, d13: v128,
  d20: v128, d21: v128, d22: v128, d23: v128, d30: v128, d31: v128, d32: v128, d33: v128,
): void {
  // t = Bᵀ d (over rows)
  const t00 = f32x4.sub(d00, d20), t01 = f32x4.sub(d01, d21), t02 = f32x4.sub(d02, d22), t03 = f32x4.sub(d03, d23);
  const t10 = f32x4.add(d10, d20), t11 = f32x4.add(d11, d21), t12 = f32x4.add(d12, d22), t13 = f32x4.add(d13, d23);
  const t20 = f32x4.sub(d20, d10), t21 = f32x4.sub(d21, d11), t22 = f32x4.sub(d22, d12), t23 = f32x4.sub(d23, d13);
  const t30 = f32x4.sub(d10, d30), t31 = f32x4.sub(d11, d31), t32 = f32x4.sub(d12, d32), t33 = f32x4.sub(d13, d33);
  // V = t B (over columns)
  v128.store(dst, f32x4.sub(t00, t02)); v128.store(dst + stride, f32x4.add(t01, t02));
  v128.store(dst + 2 * stride, f32x4.sub(t02, t01)); v128.store(dst + 3 * stride, f32x4.sub(t01, t03));
  v128.store(dst + 4 * stride, f32x4.sub(t10, t12)); v128.store(dst + 5 * stride, f32x4.add(t11, t12));
  v128.store(dst + 6 * stride, f32x4.sub(t12, t11)); v128.store(dst + 7 * stride, f32x4.sub(t11, t13));
  v128.store(dst + 8 * stride, f32x4.sub(t20, t22)); v128.store(dst + 9 * stride, f32x4.add(t21, t22));
  v128.store(dst + 10 * stride, f32x4.sub(t22, t21)); v128.store(dst + 11 * stride, f32x4.sub(t21, t23));
  v128.store(dst + 12 * stride, f32x4.sub(t30, t32)); v128.store(dst + 13 * stride, f32x4.add(t31, t32));
  v128.store(dst + 14 * stride, f32x4.sub(t32, t31)); v128.store(dst + 15 * stride, f32x4.sub(t31, t33));
}

// Exact integer Winograd F(2×2, 3×3) for 3×3 stride-1 quantized convolutions: 16 multiplies per 2×2 output tile and
// input channel instead of 36. Everything stays integer: the weights are transformed with G' = 2G (no ½), so
// U' = G' g G'ᵀ = 4·U fits int16 (|U'| ≤ 9·127); the input transform V = Bᵀ (x − zx) B only adds (|V| ≤ 4·255); the
// 16 products are the int16 dot GEMM of qconv; the output transform Aᵀ M A only adds, and its result is exactly 4 times
// the convolution, so a shift by 2 recovers the accumulator (the host checks the weights keep every sum in int32).
// Requantization then follows qconv's (documented in qconv.ts).
import { QD, qdesc, requantBegin, requantRow } from "./qcommon";
import { QMR, QNR } from "./qconv";

/** Padded plane geometry for output OH×OW: PH = 2·ceil(OH/2) + 2 rows, PW = 2·ceil(OW/2) + 2 + 32 columns (overread). */
// @ts-ignore: decorator
@inline function padW(OW: i32): i32 {
  return 2 * ((OW + 1) >> 1) + 34;
}
// @ts-ignore: decorator
@inline function padH(OH: i32): i32 {
  return 2 * ((OH + 1) >> 1) + 2;
}

/** Bytes of the padded int16 input of one image (qwino_pad's output). */
export function qwino_pad_bytes(C: i32, OH: i32, OW: i32): i32 {
  return ((C + 1) & ~1) * padH(OH) * padW(OW) * 2;
}

/**
 * At most this many blocks in a round (ResNet-18's 7×7 layers: 16 tiles, two blocks, 512 channels) take ξ outside
 * the blocks, keeping each block's 16 product tiles apart until the output transform: a panel's weights for one ξ
 * (kp·16 bytes) then stay in L1 for both blocks instead of the panel's weights for all 16 ξ being read again per block.
 */
const FEW_BLOCKS: i32 = 2;

/** Bytes of private scratch qwino needs for chunks of `chunk` blocks of 8 tiles. */
export function qwino_scratch_bytes(C: i32, chunk: i32): i32 {
  return 16 * chunk * ((C + 1) & ~1) * 16 + 16 * 128 * max(chunk, FEW_BLOCKS) + 2048;
}

/** Copy channels [c0, c1) of one image (bytes) into int16 planes of x − zx with zero padding (an odd C's extra plane is zero). */
export function qwino_pad(d: usize, x: usize, pad: usize, c0: i32, c1: i32): void {
  const C = qdesc(d, QD.C), H = qdesc(d, QD.H), W = qdesc(d, QD.W);
  const ph = qdesc(d, QD.PH), pw = qdesc(d, QD.PW);
  const PH = padH(qdesc(d, QD.OH)), PW = padW(qdesc(d, QD.OW));
  const zx = qdesc(d, QD.ZX);
  const signed = (qdesc(d, QD.FLAGS) & 1) != 0;
  const vz = i16x8.splat(<i16>zx);
  for (let c = c0; c < c1; c++) {
    const dst = pad + (<usize>(c * PH * PW) << 1);
    memory.fill(dst, 0, <usize>(PH * PW * 2));
    if (c >= C) continue;
    const src = x + <usize>(c * H * W);
    for (let iy = 0; iy < H; iy++) {
      const py = iy + ph;
      if (py < 0 || py >= PH) continue;
      const row = src + <usize>(iy * W);
      const out = dst + (<usize>(py * PW + pw) << 1);
      const count = min(W, PW - pw);
      let ix = 0;
      for (; ix + 8 <= count; ix += 8) {
        const v = v128.load64_zero(row + ix);
        const w = signed ? i16x8.extend_low_i8x16_s(v) : i16x8.extend_low_i8x16_u(v);
        v128.store(out + (<usize>ix << 1), i16x8.sub(w, vz));
      }
      for (; ix < count; ix++) {
        const v: i32 = signed ? <i32>load<i8>(row + ix) : <i32>load<u8>(row + ix);
        store<i16>(out + (<usize>ix << 1), <i16>(v - zx));
      }
    }
  }
}

/** Bᵀ d B for 8 tiles at once (one i16 lane each), stored as V_ξ at dst + ξ·stride (16 bytes each). */
// @ts-ignore: decorator
@inline function inputTransform(
  dst: usize, stride: usize,
  d00: v128, d01: v128, d02: v128, d03: v128, d10: v128, d11: v128, d12: v128, d13: v128,
  d20: v128, d21: v128, d22: v128, d23: v128, d30: v128, d31: v128, d32: v128, d33: v128,
): void {
  const t00 = i16x8.sub(d00, d20), t01 = i16x8.sub(d01, d21), t02 = i16x8.sub(d02, d22), t03 = i16x8.sub(d03, d23);
  const t10 = i16x8.add(d10, d20), t11 = i16x8.add(d11, d21), t12 = i16x8.add(d12, d22), t13 = i16x8.add(d13, d23);
  const t20 = i16x8.sub(d20, d10), t21 = i16x8.sub(d21, d11), t22 = i16x8.sub(d22, d12), t23 = i16x8.sub(d23, d13);
  const t30 = i16x8.sub(d10, d30), t31 = i16x8.sub(d11, d31), t32 = i16x8.sub(d12, d32), t33 = i16x8.sub(d13, d33);
  v128.store(dst, i16x8.sub(t00, t02)); v128.store(dst + stride, i16x8.add(t01, t02));
  v128.store(dst + 2 * stride, i16x8.sub(t02, t01)); v128.store(dst + 3 * stride, i16x8.sub(t01, t03));
  v128.store(dst + 4 * stride, i16x8.sub(t10, t12)); v128.store(dst + 5 * stride, i16x8.add(t11, t12));
  v128.store(dst + 6 * stride, i16x8.sub(t12, t11)); v128.store(dst + 7 * stride, i16x8.sub(t11, t13));
  v128.store(dst + 8 * stride, i16x8.sub(t20, t22)); v128.store(dst + 9 * stride, i16x8.add(t21, t22));
  v128.store(dst + 10 * stride, i16x8.sub(t22, t21)); v128.store(dst + 11 * stride, i16x8.sub(t21, t23));
  v128.store(dst + 12 * stride, i16x8.sub(t30, t32)); v128.store(dst + 13 * stride, i16x8.add(t31, t32));
  v128.store(dst + 14 * stride, i16x8.sub(t32, t31)); v128.store(dst + 15 * stride, i16x8.sub(t31, t33));
}

// @ts-ignore: decorator
@inline function evens(a: v128, b: v128): v128 {
  return v128.shuffle<i16>(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
}
// @ts-ignore: decorator
@inline function odds(a: v128, b: v128): v128 {
  return v128.shuffle<i16>(a, b, 1, 3, 5, 7, 9, 11, 13, 15);
}

/** The 16 vectors d[r][c] (8 lanes: 8 consecutive tiles of one tile row starting at `row`), stored at dst + 16·(4r + c). */
// @ts-ignore: decorator
@inline function tileColumns(row: usize, rs: usize, dst: usize): void {
  let r = row;
  let o = dst;
  for (let i = 0; i < 4; i++) {
    const a = v128.load(r), b = v128.load(r, 16), e = v128.load(r, 4), f = v128.load(r, 20);
    v128.store(o, evens(a, b));
    v128.store(o, odds(a, b), 16);
    v128.store(o, evens(e, f), 32);
    v128.store(o, odds(e, f), 48);
    r += rs;
    o += 64;
  }
}

/**
 * Transform the 4×4 input tiles of tiles [n0, n0 + 8) of channel plane `plane` into V_ξ (8 lanes) at tmpV + ξ·16.
 * Eight tiles on one tile row load as vectors (stride-2 de-interleaved); eight spread over two tile rows load both
 * runs and merge them with swizzles (`merge`: two index vectors prepared per block); others gather lane by lane.
 */
// @ts-ignore: decorator
@inline function transformTiles(plane: usize, PW: i32, TW: i32, TH: i32, T: i32, n0: i32, tmpV: usize, lanes: usize, merge: usize): void {
  const ty = n0 / TW;
  const tx = n0 - ty * TW;
  const rs = <usize>PW << 1;
  if (tx + 8 <= TW) {
    let r = plane + (<usize>(2 * ty * PW + 2 * tx) << 1);
    const a0 = v128.load(r), b0 = v128.load(r, 16), e0 = v128.load(r, 4), f0 = v128.load(r, 20);
    r += rs;
    const a1 = v128.load(r), b1 = v128.load(r, 16), e1 = v128.load(r, 4), f1 = v128.load(r, 20);
    r += rs;
    const a2 = v128.load(r), b2 = v128.load(r, 16), e2 = v128.load(r, 4), f2 = v128.load(r, 20);
    r += rs;
    const a3 = v128.load(r), b3 = v128.load(r, 16), e3 = v128.load(r, 4), f3 = v128.load(r, 20);
    inputTransform(tmpV, 16,
      evens(a0, b0), odds(a0, b0), evens(e0, f0), odds(e0, f0),
      evens(a1, b1), odds(a1, b1), evens(e1, f1), odds(e1, f1),
      evens(a2, b2), odds(a2, b2), evens(e2, f2), odds(e2, f2),
      evens(a3, b3), odds(a3, b3), evens(e3, f3), odds(e3, f3));
    return;
  }
  if (8 - (TW - tx) <= TW) {
    // Lanes [0, TW − tx) from this tile row, the rest from the start of the next (or anything past the last tile).
    tileColumns(plane + (<usize>(2 * ty * PW + 2 * tx) << 1), rs, lanes);
    const next = ty + 1 < TH ? ty + 1 : ty;
    tileColumns(plane + (<usize>(2 * next * PW) << 1), rs, lanes + 256);
    const ia = v128.load(merge), ib = v128.load(merge, 16);
    for (let i = 0; i < 16; i++) {
      const at = <usize>i << 4;
      v128.store(lanes + 512 + at, v128.or(i8x16.swizzle(v128.load(lanes + at), ia), i8x16.swizzle(v128.load(lanes + 256 + at), ib)));
    }
    const m = lanes + 512;
    inputTransform(tmpV, 16,
      v128.load(m), v128.load(m, 16), v128.load(m, 32), v128.load(m, 48),
      v128.load(m, 64), v128.load(m, 80), v128.load(m, 96), v128.load(m, 112),
      v128.load(m, 128), v128.load(m, 144), v128.load(m, 160), v128.load(m, 176),
      v128.load(m, 192), v128.load(m, 208), v128.load(m, 224), v128.load(m, 240));
    return;
  }
  for (let l = 0; l < 8; l++) {
    const t = n0 + l;
    const tty = t / TW;
    const ttx = t - tty * TW;
    for (let rr = 0; rr < 4; rr++) for (let cc = 0; cc < 4; cc++) {
      const v: i16 = t < T ? load<i16>(plane + (<usize>((2 * tty + rr) * PW + 2 * ttx + cc) << 1)) : 0;
      store<i16>(lanes + (<usize>((rr * 4 + cc) * 8 + l) << 1), v);
    }
  }
  inputTransform(tmpV, 16,
    v128.load(lanes), v128.load(lanes, 16), v128.load(lanes, 32), v128.load(lanes, 48),
    v128.load(lanes, 64), v128.load(lanes, 80), v128.load(lanes, 96), v128.load(lanes, 112),
    v128.load(lanes, 128), v128.load(lanes, 144), v128.load(lanes, 160), v128.load(lanes, 176),
    v128.load(lanes, 192), v128.load(lanes, 208), v128.load(lanes, 224), v128.load(lanes, 240));
}

/** Swizzle indices merging tile rows for the block at n0: lanes below TW − tx from the first run, the rest from the second. */
// @ts-ignore: decorator
@inline function mergeIndices(n0: i32, TW: i32, merge: usize): void {
  const split = TW - (n0 - (n0 / TW) * TW);
  for (let l = 0; l < 8; l++) {
    const mine = l < split;
    store<u8>(merge + 2 * l, mine ? <u8>(2 * l) : 0xff);
    store<u8>(merge + 2 * l + 1, mine ? <u8>(2 * l + 1) : 0xff);
    store<u8>(merge + 16 + 2 * l, mine ? 0xff : <u8>(2 * (l - split)));
    store<u8>(merge + 16 + 2 * l + 1, mine ? 0xff : <u8>(2 * (l - split) + 1));
  }
}

/** One 4×8 tile of int32 accumulators over kp K pairs, from zero, stored at part (rows of 8). */
// @ts-ignore: decorator
@inline function gemmTile(a: usize, b: usize, kp: i32, part: usize): void {
  let c00 = i32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (let k = 0; k < kp; k++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = i32x4.add(c00, i32x4.dot_i16x8_s(b0, av)); c01 = i32x4.add(c01, i32x4.dot_i16x8_s(b1, av));
    av = v128.load32_splat(a, 4);
    c10 = i32x4.add(c10, i32x4.dot_i16x8_s(b0, av)); c11 = i32x4.add(c11, i32x4.dot_i16x8_s(b1, av));
    av = v128.load32_splat(a, 8);
    c20 = i32x4.add(c20, i32x4.dot_i16x8_s(b0, av)); c21 = i32x4.add(c21, i32x4.dot_i16x8_s(b1, av));
    av = v128.load32_splat(a, 12);
    c30 = i32x4.add(c30, i32x4.dot_i16x8_s(b0, av)); c31 = i32x4.add(c31, i32x4.dot_i16x8_s(b1, av));
    a += 16;
    b += 32;
  }
  v128.store(part, c00); v128.store(part, c01, 16);
  v128.store(part, c10, 32); v128.store(part, c11, 48);
  v128.store(part, c20, 64); v128.store(part, c21, 80);
  v128.store(part, c30, 96); v128.store(part, c31, 112);
}

/**
 * Tile blocks [j0, j1) (8 output tiles each) and channel panels [p0, p1) of one image: `pad` from qwino_pad, y its
 * output (M × OH·OW bytes). Threads split blocks, or panels where blocks are few (each then transforms every block).
 * The descriptor's A holds the 16 transformed weight operands packed like qconv's A (A_STRIDE bytes apart).
 */
export function qwino(d: usize, pad: usize, y: usize, j0: i32, j1: i32, p0: i32, p1: i32, chunk: i32, scratch: usize): void {
  const C = qdesc(d, QD.C), M = qdesc(d, QD.M), OH = qdesc(d, QD.OH), OW = qdesc(d, QD.OW);
  const PH = padH(OH), PW = padW(OW);
  const TH = (OH + 1) >> 1, TW = (OW + 1) >> 1;
  const T = TH * TW;
  const C2 = (C + 1) & ~1;
  const kp = C2 >> 1;
  const u = <usize>qdesc(d, QD.A), uStride = <usize>qdesc(d, QD.A_STRIDE);
  const bias = <usize>qdesc(d, QD.BIAS), mult = <usize>qdesc(d, QD.MULT), off = <usize>qdesc(d, QD.OFF);
  const blockBytes = <usize>(C2 * 16);       // one block of V_ξ: kp pairs × 8 tiles × 2 i16
  const xiStride = blockBytes * <usize>chunk; // V_ξ for the whole chunk
  const vbuf = scratch;
  const mbuf = vbuf + 16 * xiStride;
  const tmpV = mbuf + <usize>(16 * 128 * max(chunk, FEW_BLOCKS)); // two channels' V_ξ, 256 bytes each
  const lanes = tmpV + 512;     // 768 bytes: two runs of tile columns and their merge
  const merge = lanes + 768;
  const tmp = merge + 32;
  const plane = <usize>(PH * PW) << 1;
  const panels = (M + QMR - 1) / QMR;
  requantBegin(d);
  for (let jc = j0; jc < j1; jc += chunk) {
    const je = min(jc + chunk, j1);
    // Input transform into the packed-B layout: [ξ][block][pair][tile][2].
    for (let j = jc; j < je; j++) {
      const n0 = j * QNR;
      mergeIndices(n0, TW, merge);
      for (let c = 0; c < C2; c += 2) {
        transformTiles(pad + <usize>c * plane, PW, TW, TH, T, n0, tmpV, lanes, merge);
        transformTiles(pad + <usize>(c + 1) * plane, PW, TW, TH, T, n0, tmpV + 256, lanes, merge);
        const dst = vbuf + <usize>(j - jc) * blockBytes + (<usize>(c >> 1) << 5);
        for (let xi = 0; xi < 16; xi++) {
          const v0 = v128.load(tmpV + (<usize>xi << 4));
          const v1 = v128.load(tmpV + 256 + (<usize>xi << 4));
          const at = dst + <usize>xi * xiStride;
          v128.store(at, v128.shuffle<i16>(v0, v1, 0, 8, 1, 9, 2, 10, 3, 11));
          v128.store(at, v128.shuffle<i16>(v0, v1, 4, 12, 5, 13, 6, 14, 7, 15), 16);
        }
      }
    }
    // Stream the smaller operand: with all transformed weights in L2, each block's V stays in L1 across the
    // channel panels; with more weights than that, each panel's weights stay in L1/L2 across the chunk's blocks.
    if (<usize>16 * uStride <= <usize>(512 * 1024)) {
      for (let j = jc; j < je; j++) for (let p = p0; p < p1; p++) panelBlockWork(d, p, j, jc, u, uStride, kp, vbuf, xiStride, blockBytes, mbuf, M, OH, OW, TW, T, y, bias, mult, off, tmp);
    } else {
      if (je - jc <= FEW_BLOCKS) {
        for (let p = p0; p < p1; p++) {
          for (let xi = 0; xi < 16; xi++) {
            const a = u + <usize>xi * uStride + <usize>(p * kp * 16);
            for (let j = jc; j < je; j++) {
              gemmTile(a, vbuf + <usize>xi * xiStride + <usize>(j - jc) * blockBytes, kp, mbuf + <usize>((j - jc) * 16 * 128) + (<usize>xi << 7));
            }
          }
          for (let j = jc; j < je; j++) outputTiles(p, j, mbuf + <usize>((j - jc) * 16 * 128), M, OH, OW, TW, T, y, bias, mult, off, tmp);
        }
      } else {
        for (let p = p0; p < p1; p++) for (let j = jc; j < je; j++) panelBlockWork(d, p, j, jc, u, uStride, kp, vbuf, xiStride, blockBytes, mbuf, M, OH, OW, TW, T, y, bias, mult, off, tmp);
      }
    }
  }
}

/** The 16 GEMM tiles of channel panel p and tile block j, then the output transform and requantization of those tiles. */
// @ts-ignore: decorator
@inline function panelBlockWork(
  d: usize, p: i32, j: i32, jc: i32, u: usize, uStride: usize, kp: i32, vbuf: usize, xiStride: usize, blockBytes: usize,
  mbuf: usize, M: i32, OH: i32, OW: i32, TW: i32, T: i32, y: usize, bias: usize, mult: usize, off: usize, tmp: usize,
): void {
  for (let xi = 0; xi < 16; xi++) {
    gemmTile(u + <usize>xi * uStride + <usize>(p * kp * 16), vbuf + <usize>xi * xiStride + <usize>(j - jc) * blockBytes,
      kp, mbuf + (<usize>xi << 7));
  }
  outputTiles(p, j, mbuf, M, OH, OW, TW, T, y, bias, mult, off, tmp);
}

/** The output transform and requantization of channel panel p's tile block j from its 16 M_ξ tiles at mbuf. */
// @ts-ignore: decorator
@inline function outputTiles(
  p: i32, j: i32, mbuf: usize, M: i32, OH: i32, OW: i32, TW: i32, T: i32, y: usize, bias: usize, mult: usize, off: usize, tmp: usize,
): void {
  const m0 = p * QMR;
  const rows = min(QMR, M - m0);
  const n0 = j * QNR;
  for (let r = 0; r < rows; r++) {
    const m = m0 + r;
    const out = y + <usize>(m * OH * OW);
    for (let h = 0; h < 2; h++) {
      // Columns 4h..4h+3 of row r of the 16 M_ξ tiles.
      const base = mbuf + <usize>(r * 32 + h * 16);
      const s00 = i32x4.add(i32x4.add(v128.load(base), v128.load(base, 4 * 128)), v128.load(base, 8 * 128));
      const s01 = i32x4.add(i32x4.add(v128.load(base, 128), v128.load(base, 5 * 128)), v128.load(base, 9 * 128));
      const s02 = i32x4.add(i32x4.add(v128.load(base, 2 * 128), v128.load(base, 6 * 128)), v128.load(base, 10 * 128));
      const s03 = i32x4.add(i32x4.add(v128.load(base, 3 * 128), v128.load(base, 7 * 128)), v128.load(base, 11 * 128));
      const s10 = i32x4.sub(i32x4.sub(v128.load(base, 4 * 128), v128.load(base, 8 * 128)), v128.load(base, 12 * 128));
      const s11 = i32x4.sub(i32x4.sub(v128.load(base, 5 * 128), v128.load(base, 9 * 128)), v128.load(base, 13 * 128));
      const s12 = i32x4.sub(i32x4.sub(v128.load(base, 6 * 128), v128.load(base, 10 * 128)), v128.load(base, 14 * 128));
      const s13 = i32x4.sub(i32x4.sub(v128.load(base, 7 * 128), v128.load(base, 11 * 128)), v128.load(base, 15 * 128));
      const vb = v128.load32_splat(bias + (<usize>m << 2));
      // Aᵀ M A is 4 × the convolution: shift back, add the bias.
      const y00 = i32x4.add(i32x4.shr_s(i32x4.add(i32x4.add(s00, s01), s02), 2), vb);
      const y01 = i32x4.add(i32x4.shr_s(i32x4.sub(i32x4.sub(s01, s02), s03), 2), vb);
      const y10 = i32x4.add(i32x4.shr_s(i32x4.add(i32x4.add(s10, s11), s12), 2), vb);
      const y11 = i32x4.add(i32x4.shr_s(i32x4.sub(i32x4.sub(s11, s12), s13), 2), vb);
      const mp = mult + (<usize>m << 2), op = off + (<usize>m << 2);
      requantRow(y00, y01, mp, op, tmp, 8, tmp + 64);
      requantRow(y10, y11, mp, op, tmp + 8, 8, tmp + 64);
      // tmp: [y00 lanes 0-3, y01 lanes 0-3, y10 ..., y11 ...] for tiles n0 + 4h + l.
      for (let l = 0; l < 4; l++) {
        const t = n0 + 4 * h + l;
        if (t >= T) break;
        const ty = t / TW;
        const tx = t - ty * TW;
        const oy = 2 * ty;
        const ox = 2 * tx;
        const o = out + <usize>(oy * OW + ox);
        store<u8>(o, load<u8>(tmp + l));
        if (ox + 1 < OW) store<u8>(o, load<u8>(tmp + 4 + l), 1);
        if (oy + 1 < OH) {
          store<u8>(o + <usize>OW, load<u8>(tmp + 8 + l));
          if (ox + 1 < OW) store<u8>(o + <usize>OW, load<u8>(tmp + 12 + l), 1);
        }
      }
    }
  }
}

/** One image of descriptor d: padded into `scratch`, then transformed, multiplied and stored from there. */
// @ts-ignore: decorator
@inline function wholeImage(d: usize, x: usize, y: usize, chunk: i32, scratch: usize): void {
  const C = qdesc(d, QD.C), M = qdesc(d, QD.M), OH = qdesc(d, QD.OH), OW = qdesc(d, QD.OW);
  const padBytes = <usize>((qwino_pad_bytes(C, OH, OW) + 63) & ~63);
  const blocks = (((OH + 1) >> 1) * ((OW + 1) >> 1) + QNR - 1) / QNR;
  qwino_pad(d, x, scratch, 0, (C + 1) & ~1);
  qwino(d, scratch, y, 0, blocks, 0, (M + QMR - 1) / QMR, chunk, scratch + padBytes);
}

/** Images [n0, n1) on one thread (threads split a batch by images): each padded into this thread's scratch. */
export function qwino_images(d: usize, x: usize, y: usize, n0: i32, n1: i32, chunk: i32, scratch: usize): void {
  const inImage = <usize>(qdesc(d, QD.C) * qdesc(d, QD.H) * qdesc(d, QD.W));
  const outImage = <usize>(qdesc(d, QD.M) * qdesc(d, QD.OH) * qdesc(d, QD.OW));
  for (let n = n0; n < n1; n++) wholeImage(d, x + <usize>n * inImage, y + <usize>n * outImage, chunk, scratch);
}

/**
 * Items [i0, i1) of a grouped convolution's (image, group) pairs, item i = n·groups + g, on one thread: group g's
 * descriptor (its own transformed weights, same geometry) is the i32 at table + 4·g. One call for all the groups,
 * which threads split by whole items.
 */
export function qwino_groups(table: usize, groups: i32, x: usize, y: usize, i0: i32, i1: i32, chunk: i32, scratch: usize): void {
  const d0 = <usize>load<i32>(table);
  const inGroup = <usize>(qdesc(d0, QD.C) * qdesc(d0, QD.H) * qdesc(d0, QD.W));
  const outGroup = <usize>(qdesc(d0, QD.M) * qdesc(d0, QD.OH) * qdesc(d0, QD.OW));
  for (let i = i0; i < i1; i++) {
    const d = <usize>load<i32>(table + (<usize>(i % groups) << 2));
    wholeImage(d, x + <usize>i * inGroup, y + <usize>i * outGroup, chunk, scratch);
  }
}

// Integer convolution on uint8/int8 activations and int8 weights (row-major GEMMs: qgemm.ts).
// Operands are widened to int16 so that i32x4.dot_i16x8_s multiplies two K steps per lane: the measured fastest exact
// int8 path in SIMD128 (the relaxed int8 dot needs 7-bit activations, which ordinary u8/s8 models do not have).
//   A (weights) packed per panel of MR rows, K padded to even, K pairs outermost: A[p][k/2][r][2] as i16
//   B (im2col)  packed per block of 8 columns, K pairs:                               B[j][k/2][c][2] as i16
// A 4×8 output tile keeps 8 i32x4 accumulators: per K pair, 2 B loads, 4 pair broadcasts, 8 dots.
// Padding reads the activation zero point, and the bias holds −zx·Σw (zero points folded into the bias), so the
// accumulator is exactly Σ (x − zx)·w + b.
// Requantization (documented rounding): q = clamp(nearest_even(f32(acc) · mult + off) + zy, qlo, qhi), in float32;
// f32(acc) rounds accumulators beyond 2^24 and the product rounds once more, which can move values lying within
// ~1e-6 of a half-integer to the other side of the tie. The clamp carries fused Relu/Clip bounds in quantized units.
import { QD, codeBytes, qdesc, requantBegin, requantColumn, requantRow } from "./qcommon";

export const QMR: i32 = 4;
export const QNR: i32 = 8;
/** K steps per block; B chunk of QCHUNK blocks is QKC·8·2 bytes per block (64 KiB for the chunk). */
export const QKC: i32 = 256;
export const QCHUNK: i32 = 16;

/** Bytes of private scratch qconv needs for M output channels (per group): the packed B chunk, the i32 partial tiles. */
export function qconv_scratch_bytes(M: i32): i32 {
  const panels = (M + QMR - 1) / QMR;
  return QKC * QCHUNK * QNR * 2 + panels * QCHUNK * 128 + 256;
}

/** Pack W[m][k] = src[m·K + k] (int8) into int16 A panels: ceil(M/4)·4 rows × K2 (K rounded up to even). */
export function qpack_a(src: usize, M: i32, K: i32, dst: usize): void {
  const K2 = (K + 1) & ~1;
  const panels = (M + QMR - 1) / QMR;
  for (let p = 0; p < panels; p++) {
    for (let k = 0; k < K2; k += 2) {
      for (let r = 0; r < QMR; r++) {
        const m = p * QMR + r;
        const w0: i16 = m < M ? <i16>load<i8>(src + <usize>m * K + k) : 0;
        const w1: i16 = m < M && k + 1 < K ? <i16>load<i8>(src + <usize>m * K + k + 1) : 0;
        store<i16>(dst, w0);
        store<i16>(dst, w1, 2);
        dst += 4;
      }
    }
  }
}

// @ts-ignore: decorator
@inline function widen8(p: usize, signed: bool): v128 {
  const v = v128.load64_zero(p);
  return signed ? i16x8.extend_low_i8x16_s(v) : i16x8.extend_low_i8x16_u(v);
}

/** Eight columns of im2col row k as int16 (padding = zx). */
// @ts-ignore: decorator
@inline function column8(
  x: usize, H: i32, W: i32, chan: usize, iy: i32, ix: i32, sw: i32, oneRow: bool, coords: usize, dy: i32, dx: i32,
  zx: i32, signed: bool, pointwise: usize,
): v128 {
  if (pointwise) return widen8(pointwise, signed);
  if (oneRow && iy >= 0 && iy < H && ix >= 0) {
    const row = chan + <usize>(iy * W + ix);
    if (sw == 1 && ix + 8 <= W) return widen8(row, signed);
    if (sw == 2 && ix + 16 <= W) {
      const v = v128.load(row);
      const even = v128.shuffle<u8>(v, v, 0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14);
      return signed ? i16x8.extend_low_i8x16_s(even) : i16x8.extend_low_i8x16_u(even);
    }
  }
  // Scalar gather through 16 bytes after the coordinates (lane indices must be literals).
  const col = coords + 64;
  for (let q = 0; q < QNR; q++) {
    let yy: i32, xx: i32;
    if (oneRow) {
      yy = iy;
      xx = ix + q * sw;
    } else {
      yy = load<i32>(coords + (q << 3)) + dy;
      xx = load<i32>(coords + (q << 3), 4) + dx;
    }
    let v: i32 = zx;
    if (<u32>yy < <u32>H && <u32>xx < <u32>W) {
      const p = chan + <usize>(yy * W + xx);
      v = signed ? <i32>load<i8>(p) : <i32>load<u8>(p);
    }
    store<i16>(col + (<usize>q << 1), <i16>v);
  }
  return v128.load(col);
}

/**
 * Eight columns from n0 of a 1×1 convolution's im2col row k (channel k's plane of `plane` bytes) as int16, of which
 * `tail` (< 8) are the plane's: rows before the last load 8 bytes (the rest is the next plane's), the last copies its
 * `tail` bytes to tmp first.
 */
// @ts-ignore: decorator
@inline function pointwiseTail(x: usize, k: i32, K: i32, plane: i32, n0: i32, tail: i32, signed: bool, tmp: usize): v128 {
  const p = x + <usize>(k * plane + n0);
  if (k + 1 < K) return widen8(p, signed);
  v128.store(tmp, i16x8.splat(0));
  copyShort(tmp, p, tail);
  return widen8(tmp, signed);
}

/** Pack im2col rows [k0, k0+kc) (kc even, or K's odd end) of column blocks [jc, je) as [block][kc/2][8][2] int16. */
function qim2col_pack(
  x: usize, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32,
  OW: i32, N: i32, K: i32, k0: i32, kc: i32, jc: i32, je: i32, zx: i32, signed: bool, dst: usize, coords: usize,
): void {
  const khw = kh * kw;
  const plane = <usize>(H * W);
  const isPointwise = khw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0;
  const zero = i16x8.splat(0);
  let from = jc;
  if (isPointwise) {
    // Im2col row k is channel k's plane: whole blocks pack as runs; a last partial one (reading past the plane) below.
    const whole = min(je, N / QNR);
    const blockBytes = <usize>(kc >> 1) << 5;
    if (whole > jc) {
      for (let kk = 0; kk < kc; kk += 2) {
        const k = k0 + kk;
        packRows(x, k * H * W, k + 1 < K ? (k + 1) * H * W : -1, jc, whole, signed, dst + (<usize>kk << 4), blockBytes);
      }
      from = whole;
      dst += <usize>(whole - jc) * blockBytes;
    }
    if (from < je && from * QNR < N) {
      // The partial last block (a 7×7 plane's 49th column): each row's 8 bytes as one load, the bytes past the plane
      // being the next plane's (columns the store drops); only the last row copies its columns alone, so nothing is
      // read past the input. The gathering loop below cost this block 16 bounds-checked byte loads per K pair.
      const n0 = from * QNR;
      const plane = H * W;
      const tail = N - n0;
      for (let kk = 0; kk < kc; kk += 2) {
        const k = k0 + kk;
        const v0 = pointwiseTail(x, k, K, plane, n0, tail, signed, coords);
        const v1 = k + 1 < K ? pointwiseTail(x, k + 1, K, plane, n0, tail, signed, coords) : zero;
        v128.store(dst, v128.shuffle<i16>(v0, v1, 0, 8, 1, 9, 2, 10, 3, 11));
        v128.store(dst, v128.shuffle<i16>(v0, v1, 4, 12, 5, 13, 6, 14, 7, 15), 16);
        dst += 32;
      }
      from++;
    }
  }
  for (let j = from; j < je; j++) {
    const n0 = j * QNR;
    const oy0 = n0 / OW;
    const ox0 = n0 - oy0 * OW;
    const oneRow = ox0 + QNR <= OW && n0 + QNR <= N;
    const whole = isPointwise && n0 + QNR <= N;
    const ixBase = ox0 * sw - pw;
    const iyBase = oy0 * sh - ph;
    if (!oneRow && !whole) {
      for (let q = 0; q < QNR; q++) {
        const n = n0 + q;
        const oy = n / OW;
        store<i32>(coords + (q << 3), n < N ? oy * sh - ph : -0x40000000);
        store<i32>(coords + (q << 3), (n - oy * OW) * sw - pw, 4);
      }
    }
    let ci = k0 / khw;
    let rem = k0 - ci * khw;
    let ky = rem / kw;
    let kx = rem - ky * kw;
    for (let kk = 0; kk < kc; kk += 2) {
      let v0: v128, v1: v128;
      {
        const chan = x + <usize>ci * plane;
        v0 = column8(x, H, W, chan, iyBase + ky * dh, ixBase + kx * dw, sw, oneRow, coords, ky * dh, kx * dw, zx, signed,
          whole ? chan + <usize>n0 : 0);
        if (++kx == kw) { kx = 0; if (++ky == kh) { ky = 0; ci++; } }
      }
      if (k0 + kk + 1 < K) {
        const chan = x + <usize>ci * plane;
        v1 = column8(x, H, W, chan, iyBase + ky * dh, ixBase + kx * dw, sw, oneRow, coords, ky * dh, kx * dw, zx, signed,
          whole ? chan + <usize>n0 : 0);
        if (++kx == kw) { kx = 0; if (++ky == kh) { ky = 0; ci++; } }
      } else {
        v1 = zero;
      }
      v128.store(dst, v128.shuffle<i16>(v0, v1, 0, 8, 1, 9, 2, 10, 3, 11));
      v128.store(dst, v128.shuffle<i16>(v0, v1, 4, 12, 5, 13, 6, 14, 7, 15), 16);
      dst += 32;
    }
  }
}

/** Bytes of the zx-padded copy of one image group that qconv2d packs from (see qim2col_padded, qim2col_phases). */
export function qconv_pad_bytes(C: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, OH: i32, OW: i32): i32 {
  if (phased(sh, sw, dh, dw)) {
    const PH2 = phaseRows(OH, kh, sh), PW2 = phaseRows(OW, kw, sw);
    const phasesPerChannel = sh * sw;
    return C * phasesPerChannel * PH2 * PW2 + 64 + C * phasesPerChannel * (PH2 * PW2 + PHASE_SLACK) + 64;
  }
  return C * ((OH - 1) * sh + (kh - 1) * dh + 1) * ((OW - 1) * sw + (kw - 1) * dw + 1) + 64;
}

/**
 * A stride s ≥ 2 equal on both axes (no dilation) packs from the padded image split into its s² row/column phases
 * (stride 2: parities; AlexNet's 11×11 stride 4: 16 phases, where packing columns element by element took 80% of the
 * convolution's time).
 */
// @ts-ignore: decorator
@inline function phased(sh: i32, sw: i32, dh: i32, dw: i32): bool {
  return sh == sw && sh >= 2 && dh == 1 && dw == 1;
}

/** Rows (columns) of one phase for OH outputs of a k-tap window at stride s: tap ky reads phase row oy + ⌊ky/s⌋. */
// @ts-ignore: decorator
@inline function phaseRows(OH: i32, k: i32, s: i32): i32 {
  return OH + (k - 1) / s;
}

/** Bytes after each phase plane: the last row's 8-column vector store may run past the plane's end. */
const PHASE_SLACK: i32 = 16;

/**
 * Split the padded image P (C planes of (s·PH2)×(s·PW2)) into s²·C phase planes Q[c][a][b] (PH2×PW2, plane stride
 * PH2·PW2 + PHASE_SLACK) with Q[c][a][b][i][j] = P[c][s·i + a][s·j + b]: a stride-s window's tap (ky, kx) then reads
 * phase (ky mod s, kx mod s) with stride 1, so im2col rows are contiguous runs as in qim2col_wide.
 */
function splitPhases(P: usize, C: i32, PH2: i32, PW2: i32, s: i32, dst: usize): void {
  const plane = PH2 * PW2 + PHASE_SLACK;
  if (s != 2) {
    // Larger strides are stems (a few channels): a byte at a time.
    const PWp = s * PW2;
    for (let c = 0; c < C; c++) {
      for (let r = 0; r < s * PH2; r++) {
        const src = P + <usize>((c * s * PH2 + r) * PWp);
        const row = dst + <usize>((c * s * s + (r % s) * s) * plane + (r / s) * PW2);
        for (let b = 0; b < s; b++) {
          const to = row + <usize>(b * plane);
          for (let j = 0; j < PW2; j++) store<u8>(to + <usize>j, load<u8>(src + <usize>(j * s + b)));
        }
      }
    }
    return;
  }
  const PWp = 2 * PW2;
  for (let c = 0; c < C; c++) {
    for (let r = 0; r < 2 * PH2; r++) {
      const src = P + <usize>((c * 2 * PH2 + r) * PWp);
      const even = dst + <usize>((c * 4 + (r & 1) * 2) * plane + (r >> 1) * PW2);
      const odd = even + <usize>plane;
      // Rows are written in increasing order, so a vector's spill past a row's end lands on the next row (written
      // later) or in the plane's slack.
      for (let j = 0; j < PW2; j += 8) {
        const v = v128.load(src + (<usize>j << 1));
        v128.store64_lane(even + <usize>j, v128.shuffle<u8>(v, v, 0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15), 0);
        v128.store64_lane(odd + <usize>j, v128.shuffle<u8>(v, v, 1, 3, 5, 7, 9, 11, 13, 15, 0, 2, 4, 6, 8, 10, 12, 14), 0);
      }
    }
  }
}

/** qim2col_wide on the phase planes of splitPhases (stride s): tap (ky, kx) of channel c is a run of phase (ky mod s, kx mod s). */
function qim2col_phases(
  Q: usize, PH2: i32, PW2: i32, s: i32, kh: i32, kw: i32, K: i32, k0: i32, kc: i32, jc: i32, je: i32, signed: bool, dst: usize,
): void {
  const khw = kh * kw;
  const ss = s * s;
  const plane = PH2 * PW2 + PHASE_SLACK;
  const blockBytes = <usize>(kc >> 1) << 5;
  let ci = k0 / khw;
  let rem = k0 - ci * khw;
  let ky = rem / kw;
  let kx = rem - ky * kw;
  for (let kk = 0; kk < kc; kk += 2) {
    const r0 = (ci * ss + (ky % s) * s + kx % s) * plane + (ky / s) * PW2 + kx / s;
    if (++kx == kw) { kx = 0; if (++ky == kh) { ky = 0; ci++; } }
    let r1 = -1;
    if (k0 + kk + 1 < K) {
      r1 = (ci * ss + (ky % s) * s + kx % s) * plane + (ky / s) * PW2 + kx / s;
      if (++kx == kw) { kx = 0; if (++ky == kh) { ky = 0; ci++; } }
    }
    packRows(Q, r0, r1, jc, je, signed, dst + (<usize>kk << 4), blockBytes);
  }
}

/**
 * Im2col rows r0 and r1 (offsets of contiguous runs from P; r1 < 0: K's odd end, zeros) of column blocks [jc, je)
 * interleaved as one K pair: [block][pair][8][2] int16, blocks blockBytes apart from dst. Pairs outermost, so each
 * row's offset is worked out once per chunk rather than once per block.
 */
// @ts-ignore: decorator
@inline function packRows(P: usize, r0: i32, r1: i32, jc: i32, je: i32, signed: bool, dst: usize, blockBytes: usize): void {
  let s0 = P + <usize>r0 + (<usize>jc << 3);
  if (r1 < 0) {
    const zero = i16x8.splat(0);
    for (let j = jc; j < je; j++) {
      const v0 = widen8(s0, signed);
      v128.store(dst, v128.shuffle<i16>(v0, zero, 0, 8, 1, 9, 2, 10, 3, 11));
      v128.store(dst, v128.shuffle<i16>(v0, zero, 4, 12, 5, 13, 6, 14, 7, 15), 16);
      s0 += 8;
      dst += blockBytes;
    }
    return;
  }
  let s1 = P + <usize>r1 + (<usize>jc << 3);
  // The two signednesses as two loops: V8 keeps a loop-invariant test inside the loop (with `signed` reloaded from
  // the stack), a fifth of this loop's instructions.
  if (signed) {
    for (let j = jc; j < je; j++) {
      const v0 = widen8(s0, true);
      const v1 = widen8(s1, true);
      v128.store(dst, v128.shuffle<i16>(v0, v1, 0, 8, 1, 9, 2, 10, 3, 11));
      v128.store(dst, v128.shuffle<i16>(v0, v1, 4, 12, 5, 13, 6, 14, 7, 15), 16);
      s0 += 8;
      s1 += 8;
      dst += blockBytes;
    }
    return;
  }
  for (let j = jc; j < je; j++) {
    const v0 = widen8(s0, false);
    const v1 = widen8(s1, false);
    v128.store(dst, v128.shuffle<i16>(v0, v1, 0, 8, 1, 9, 2, 10, 3, 11));
    v128.store(dst, v128.shuffle<i16>(v0, v1, 4, 12, 5, 13, 6, 14, 7, 15), 16);
    s0 += 8;
    s1 += 8;
    dst += blockBytes;
  }
}

/** Copy C planes of H×W bytes into PH×PW planes at (ph, pw), the rest filled with the zero point. */
function padImage(
  x: usize, C: i32, H: i32, W: i32, ph: i32, pw: i32, PH: i32, PW: i32, zx: i32, dst: usize, scratch: usize,
): void {
  // Shared row padding (sharedRow): the last row's right padding reaches up to 16 bytes past the last plane.
  memory.fill(dst, <u8>zx, <usize>(C * PH * PW + 16));
  const x0 = max(0, -pw);
  const count = min(W - x0, PW - pw - x0);
  const y0 = max(0, -ph);
  const y1 = min(H, PH - ph);
  if (count <= 0 || y1 <= y0) return;
  const inRow = <usize>W, outRow = <usize>PW;
  const from0 = x + <usize>(y0 * W + x0);
  const to0 = dst + <usize>((y0 + ph) * PW + pw + x0);
  if (count > 16) {
    for (let c = 0; c < C; c++) {
      let from = from0 + <usize>(c * H * W);
      let to = to0 + <usize>(c * PH * PW);
      for (let iy = y0; iy < y1; iy++) {
        copyRow(to, from, count);
        from += inRow;
        to += outRow;
      }
    }
    return;
  }
  // Rows of at most 16 bytes (7×7 and 14×14 planes, where a group's rows are many and short): one vector each, its
  // bytes past the row set to zx. Rows go in increasing order, so what spills past a row is padding (zx) or is
  // written later; past the last row it lands in the copy's slack (qconv_pad_bytes). Reads stay inside the input.
  // The row mask and the masked zero point wait in scratch: V8 rebuilt them (and the splats behind them) in the loop.
  const iota = v128(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const mask = i8x16.lt_u(iota, i8x16.splat(<i8>count));
  v128.store(scratch, mask);
  v128.store(scratch, v128.andnot(i8x16.splat(<i8>zx), mask), 16);
  const end = x + <usize>(C * H * W);
  for (let c = 0; c < C; c++) {
    let from = from0 + <usize>(c * H * W);
    let to = to0 + <usize>(c * PH * PW);
    for (let iy = y0; iy < y1; iy++) {
      if (from + 16 <= end) v128.store(to, v128.or(v128.and(v128.load(from), v128.load(scratch)), v128.load(scratch, 16)));
      else copyShort(to, from, count);
      from += inRow;
      to += outRow;
    }
  }
}

// @ts-ignore: decorator
@inline function byteAt(p: usize, signed: bool): i16 {
  return signed ? <i16>load<i8>(p) : <i16>load<u8>(p);
}

/**
 * Stride 1 on the padded image's own grid ("wide" columns n = oy·PW + ox, ox < PW): im2col row (c, ky, kx) is then
 * the contiguous run P[c][ky·dh·PW + kx·dw + n], 8 columns one vector load. Columns with ox ≥ OW are computed and
 * dropped by the store (see storeWide); reads past the last plane land in the padded copy's slack.
 */
function qim2col_wide(
  P: usize, plane: i32, PW: i32, kh: i32, kw: i32, dh: i32, dw: i32, K: i32, k0: i32, kc: i32, jc: i32, je: i32,
  signed: bool, dst: usize,
): void {
  const khw = kh * kw;
  const blockBytes = <usize>(kc >> 1) << 5;
  let ci = k0 / khw;
  let rem = k0 - ci * khw;
  let ky = rem / kw;
  let kx = rem - ky * kw;
  for (let kk = 0; kk < kc; kk += 2) {
    const r0 = ci * plane + ky * dh * PW + kx * dw;
    if (++kx == kw) { kx = 0; if (++ky == kh) { ky = 0; ci++; } }
    let r1 = -1;
    if (k0 + kk + 1 < K) {
      r1 = ci * plane + ky * dh * PW + kx * dw;
      if (++kx == kw) { kx = 0; if (++ky == kh) { ky = 0; ci++; } }
    }
    packRows(P, r0, r1, jc, je, signed, dst + (<usize>kk << 4), blockBytes);
  }
}

/**
 * Store one channel's 8 wide columns from n0 (see qim2col_wide) into its OH×OW plane at y: the columns that are
 * output pixels (ox < OW, n < Nw), a grid row's run at a time through the byte buffer at tmp.
 */
// @ts-ignore: decorator
@inline function storeWide(acc0: v128, acc1: v128, mult: usize, off: usize, d: usize, y: usize, n0: i32, Nw: i32, OW: i32,
  PW: i32, tmp: usize, oy0: i32, ox0: i32): void {
  let oy = oy0;
  let ox = ox0;
  if (ox + QNR <= OW && n0 + QNR <= Nw) {
    requantRow(acc0, acc1, mult, off, y + <usize>(oy * OW + ox), QNR, tmp);
    return;
  }
  const codes = tmp + 16;
  requantRow(acc0, acc1, mult, off, codes, QNR, tmp);
  const end = min(QNR, Nw - n0);
  for (let q = 0; q < end; ) {
    const run = min(OW - ox, end - q);
    if (run > 0) copyShort(y + <usize>(oy * OW + ox), codes + <usize>q, run);
    q += PW - ox;
    ox = 0;
    oy++;
  }
}

/**
 * Copy one row of n bytes as vectors, the last one overlapping its predecessor so nothing past the row is written:
 * on shared memory V8's memory.copy is a call to a relaxed-atomic byte copy, per row (3584 rows in RegNet's first
 * grouped convolution).
 */
// @ts-ignore: decorator
@inline function copyRow(to: usize, from: usize, n: i32): void {
  if (n < 16) {
    copyShort(to, from, n);
    return;
  }
  const last = <usize>(n - 16);
  for (let o: usize = 0; o < last; o += 16) v128.store(to + o, v128.load(from + o));
  v128.store(to + last, v128.load(from + last));
}

/** Copy n < 16 bytes (no call: memory.copy of a variable length is one in V8). */
// @ts-ignore: decorator
@inline function copyShort(to: usize, from: usize, n: i32): void {
  let o: usize = 0;
  if (n & 8) { store<u64>(to, load<u64>(from)); o = 8; }
  if (n & 4) { store<u32>(to + o, load<u32>(from + o)); o += 4; }
  if (n & 2) { store<u16>(to + o, load<u16>(from + o)); o += 2; }
  if (n & 1) store<u8>(to + o, load<u8>(from + o));
}

/**
 * The row stride of the padded copy a stride-1 window packs from: the rows share their padding, one row's right
 * padding and the next row's left padding being the same zx bytes (W + max(left, right) rather than their sum), so
 * the wide grid has fewer dropped columns: a 7×7 plane with a 3×3 window has rows of 8, one column block each.
 * fullPW is the padded width W + left + right; a pad longer than the copy's slack keeps the rows apart.
 */
// @ts-ignore: decorator
@inline function sharedRow(W: i32, left: i32, fullPW: i32): i32 {
  const right = fullPW - left - W;
  return left < 0 || right < 0 || min(left, right) > 16 ? fullPW : W + max(left, right);
}

/**
 * Pack im2col rows [k0, k0+kc) of column blocks [jc, je) from the padded image P (planes PH×PW), as qim2col_pack
 * does from the raw input but with no bounds to check: 8 columns on one output row load as one vector (stride 1 or
 * 2), others gather from 8 precomputed offsets.
 */
function qim2col_padded(
  P: usize, PH: i32, PW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  OW: i32, N: i32, K: i32, k0: i32, kc: i32, jc: i32, je: i32, signed: bool, dst: usize,
): void {
  const khw = kh * kw;
  const plane = PH * PW;
  const zero = i16x8.splat(0);
  if (sh == 1 && sw == 1) {
    qim2col_wide(P, plane, PW, kh, kw, dh, dw, K, k0, kc, jc, je, signed, dst);
    return;
  }
  for (let j = jc; j < je; j++) {
    const n0 = j * QNR;
    const oy0 = n0 / OW;
    const ox0 = n0 - oy0 * OW;
    const oneRow = ox0 + QNR <= OW && n0 + QNR <= N && (sw == 1 || sw == 2);
    // Top-left offsets of the 8 columns' windows (columns past N repeat the last one; their outputs are dropped).
    let n = min(n0, N - 1); let oy = n / OW;
    const a0 = oy * sh * PW + (n - oy * OW) * sw;
    n = min(n0 + 1, N - 1); oy = n / OW;
    const a1 = oy * sh * PW + (n - oy * OW) * sw;
    n = min(n0 + 2, N - 1); oy = n / OW;
    const a2 = oy * sh * PW + (n - oy * OW) * sw;
    n = min(n0 + 3, N - 1); oy = n / OW;
    const a3 = oy * sh * PW + (n - oy * OW) * sw;
    n = min(n0 + 4, N - 1); oy = n / OW;
    const a4 = oy * sh * PW + (n - oy * OW) * sw;
    n = min(n0 + 5, N - 1); oy = n / OW;
    const a5 = oy * sh * PW + (n - oy * OW) * sw;
    n = min(n0 + 6, N - 1); oy = n / OW;
    const a6 = oy * sh * PW + (n - oy * OW) * sw;
    n = min(n0 + 7, N - 1); oy = n / OW;
    const a7 = oy * sh * PW + (n - oy * OW) * sw;
    let ci = k0 / khw;
    let rem = k0 - ci * khw;
    let ky = rem / kw;
    let kx = rem - ky * kw;
    for (let kk = 0; kk < kc; kk += 2) {
      let v0: v128 = zero, v1: v128 = zero;
      for (let h = 0; h < 2; h++) {
        if (k0 + kk + h >= K) break;
        const base = P + <usize>(ci * plane + ky * dh * PW + kx * dw);
        let v: v128;
        if (oneRow) {
          if (sw == 1) {
            v = widen8(base + <usize>a0, signed);
          } else {
            const w = v128.load(base + <usize>a0);
            const even = v128.shuffle<u8>(w, w, 0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14);
            v = signed ? i16x8.extend_low_i8x16_s(even) : i16x8.extend_low_i8x16_u(even);
          }
        } else {
          v = i16x8.splat(byteAt(base + <usize>a0, signed));
          v = i16x8.replace_lane(v, 1, byteAt(base + <usize>a1, signed));
          v = i16x8.replace_lane(v, 2, byteAt(base + <usize>a2, signed));
          v = i16x8.replace_lane(v, 3, byteAt(base + <usize>a3, signed));
          v = i16x8.replace_lane(v, 4, byteAt(base + <usize>a4, signed));
          v = i16x8.replace_lane(v, 5, byteAt(base + <usize>a5, signed));
          v = i16x8.replace_lane(v, 6, byteAt(base + <usize>a6, signed));
          v = i16x8.replace_lane(v, 7, byteAt(base + <usize>a7, signed));
        }
        if (h == 0) v0 = v; else v1 = v;
        if (++kx == kw) { kx = 0; if (++ky == kh) { ky = 0; ci++; } }
      }
      v128.store(dst, v128.shuffle<i16>(v0, v1, 0, 8, 1, 9, 2, 10, 3, 11));
      v128.store(dst, v128.shuffle<i16>(v0, v1, 4, 12, 5, 13, 6, 14, 7, 15), 16);
      dst += 32;
    }
  }
}

/**
 * One 4×8 tile over kp K pairs. `first`: start from the bias (else from the partial tile at `part`); `last`:
 * requantize and store bytes at y (row stride N), else keep the i32 partial tile.
 */
// @ts-ignore: decorator
@inline function qtile(
  a: usize, b: usize, kp: i32, part: usize, first: bool, last: bool, bias: usize, mult: usize, off: usize,
  d: usize, y: usize, N: i32, rows: i32, cols: i32, tmp: usize, wide: bool, n0: i32, Nw: i32, OW: i32, PW: i32,
): void {
  let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
  if (first) {
    c00 = v128.load32_splat(bias); c01 = c00;
    c10 = v128.load32_splat(bias, 4); c11 = c10;
    c20 = v128.load32_splat(bias, 8); c21 = c20;
    c30 = v128.load32_splat(bias, 12); c31 = c30;
  } else {
    c00 = v128.load(part); c01 = v128.load(part, 16);
    c10 = v128.load(part, 32); c11 = v128.load(part, 48);
    c20 = v128.load(part, 64); c21 = v128.load(part, 80);
    c30 = v128.load(part, 96); c31 = v128.load(part, 112);
  }
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
  if (!last) {
    v128.store(part, c00); v128.store(part, c01, 16);
    v128.store(part, c10, 32); v128.store(part, c11, 48);
    v128.store(part, c20, 64); v128.store(part, c21, 80);
    v128.store(part, c30, 96); v128.store(part, c31, 112);
    return;
  }
  if (wide) {
    // The block's grid position, once for its four rows.
    const oy = n0 / PW;
    const ox = n0 - oy * PW;
    storeWide(c00, c01, mult, off, d, y, n0, Nw, OW, PW, tmp, oy, ox);
    if (rows > 1) storeWide(c10, c11, mult + 4, off + 4, d, y + <usize>N, n0, Nw, OW, PW, tmp, oy, ox);
    if (rows > 2) storeWide(c20, c21, mult + 8, off + 8, d, y + <usize>N * 2, n0, Nw, OW, PW, tmp, oy, ox);
    if (rows > 3) storeWide(c30, c31, mult + 12, off + 12, d, y + <usize>N * 3, n0, Nw, OW, PW, tmp, oy, ox);
    return;
  }
  requantRow(c00, c01, mult, off, y, cols, tmp);
  if (rows > 1) requantRow(c10, c11, mult + 4, off + 4, y + <usize>N, cols, tmp);
  if (rows > 2) requantRow(c20, c21, mult + 8, off + 8, y + <usize>N * 2, cols, tmp);
  if (rows > 3) requantRow(c30, c31, mult + 12, off + 12, y + <usize>N * 3, cols, tmp);
}

/**
 * Columns [c0, c0 + nc) (nc 1, 2 or 4) of a block that has fewer than 7 columns, for one row panel: per K pair one
 * dot multiplies the panel's 4 rows by a splat of one column, so a partial block costs its columns rather than 8
 * (a 7×7 plane is 6 blocks and 1 column). Lane r of column c's accumulator is output channel m0 + r. `first`/`last`
 * and the partial tile at `part` as in qtile; only the first `keep` columns are stored (y: the panel's first row).
 */
// @ts-ignore: decorator
@inline function qnarrow(
  a: usize, b: usize, kp: i32, part: usize, first: bool, last: bool, bias: usize, mult: usize, off: usize,
  y: usize, N: i32, rows: i32, c0: i32, nc: i32, keep: i32, wide: bool, n0: i32, OW: i32, PW: i32,
): void {
  let v0: v128, v1: v128, v2: v128, v3: v128;
  if (first) {
    v0 = v128.load(bias); v1 = v0; v2 = v0; v3 = v0;
  } else {
    v0 = v128.load(part); v1 = v128.load(part, 16); v2 = v128.load(part, 32); v3 = v128.load(part, 48);
  }
  let bc = b + (<usize>c0 << 2);
  if (nc == 1) {
    for (let k = 0; k < kp; k++) {
      v0 = i32x4.add(v0, i32x4.dot_i16x8_s(v128.load(a), v128.load32_splat(bc)));
      a += 16;
      bc += 32;
    }
  } else if (nc == 2) {
    for (let k = 0; k < kp; k++) {
      const av = v128.load(a);
      v0 = i32x4.add(v0, i32x4.dot_i16x8_s(av, v128.load32_splat(bc)));
      v1 = i32x4.add(v1, i32x4.dot_i16x8_s(av, v128.load32_splat(bc, 4)));
      a += 16;
      bc += 32;
    }
  } else {
    for (let k = 0; k < kp; k++) {
      const av = v128.load(a);
      v0 = i32x4.add(v0, i32x4.dot_i16x8_s(av, v128.load32_splat(bc)));
      v1 = i32x4.add(v1, i32x4.dot_i16x8_s(av, v128.load32_splat(bc, 4)));
      v2 = i32x4.add(v2, i32x4.dot_i16x8_s(av, v128.load32_splat(bc, 8)));
      v3 = i32x4.add(v3, i32x4.dot_i16x8_s(av, v128.load32_splat(bc, 12)));
      a += 16;
      bc += 32;
    }
  }
  if (!last) {
    v128.store(part, v0); v128.store(part, v1, 16); v128.store(part, v2, 32); v128.store(part, v3, 48);
    return;
  }
  storeColumn(v0, mult, off, y, N, rows, wide, n0 + c0, OW, PW);
  if (keep > 1) storeColumn(v1, mult, off, y, N, rows, wide, n0 + c0 + 1, OW, PW);
  if (keep > 2) storeColumn(v2, mult, off, y, N, rows, wide, n0 + c0 + 2, OW, PW);
  if (keep > 3) storeColumn(v3, mult, off, y, N, rows, wide, n0 + c0 + 3, OW, PW);
}

/**
 * One column (c0 = 0) of a block that has a single column, for four row panels at once (a 7×7 plane is 6 blocks and
 * 1 column): per K pair one splat of the column serves four panels' dots, where qnarrow spends a splat, two pointer
 * steps and the loop's own test on each dot. Panels are `panelBytes` apart in A, their partial tiles `partStride`
 * apart; `first`/`last` as in qtile; the panel at m0 + 4i stores min(4, M − m0 − 4i) rows from y + 4i·N.
 */
// @ts-ignore: decorator
@inline function qnarrowColumn4(
  a: usize, panelBytes: usize, b: usize, kp: i32, part: usize, partStride: usize, first: bool, last: bool, bias: usize,
  mult: usize, off: usize, y: usize, N: i32, rows: i32, wide: bool, n0: i32, OW: i32, PW: i32,
): void {
  let v0: v128, v1: v128, v2: v128, v3: v128;
  if (first) {
    v0 = v128.load(bias); v1 = v128.load(bias, 16); v2 = v128.load(bias, 32); v3 = v128.load(bias, 48);
  } else {
    v0 = v128.load(part); v1 = v128.load(part + partStride); v2 = v128.load(part + partStride * 2);
    v3 = v128.load(part + partStride * 3);
  }
  let a0 = a, a1 = a + panelBytes, a2 = a + panelBytes * 2, a3 = a + panelBytes * 3;
  const end = b + (<usize>kp << 5);
  for (let bc = b; bc < end; bc += 32) {
    const bv = v128.load32_splat(bc);
    v0 = i32x4.add(v0, i32x4.dot_i16x8_s(v128.load(a0), bv));
    v1 = i32x4.add(v1, i32x4.dot_i16x8_s(v128.load(a1), bv));
    v2 = i32x4.add(v2, i32x4.dot_i16x8_s(v128.load(a2), bv));
    v3 = i32x4.add(v3, i32x4.dot_i16x8_s(v128.load(a3), bv));
    a0 += 16; a1 += 16; a2 += 16; a3 += 16;
  }
  if (!last) {
    v128.store(part, v0); v128.store(part + partStride, v1); v128.store(part + partStride * 2, v2);
    v128.store(part + partStride * 3, v3);
    return;
  }
  const n4 = <usize>N << 2;
  storeColumn(v0, mult, off, y, N, min(4, rows), wide, n0, OW, PW);
  storeColumn(v1, mult + 16, off + 16, y + n4, N, min(4, rows - 4), wide, n0, OW, PW);
  storeColumn(v2, mult + 32, off + 32, y + n4 * 2, N, min(4, rows - 8), wide, n0, OW, PW);
  storeColumn(v3, mult + 48, off + 48, y + n4 * 3, N, min(4, rows - 12), wide, n0, OW, PW);
}

/** Requantize column n of a row panel (lane r: row r) and store its `rows` bytes; a wide column past OW is dropped. */
// @ts-ignore: decorator
@inline function storeColumn(acc: v128, mult: usize, off: usize, y: usize, N: i32, rows: i32, wide: bool, n: i32, OW: i32, PW: i32): void {
  let pixel = n;
  if (wide) {
    const oy = n / PW;
    const ox = n - oy * PW;
    if (ox >= OW) return;
    pixel = oy * OW + ox;
  }
  const bytes = codeBytes(requantColumn(acc, mult, off));
  const at = y + <usize>pixel;
  store<u8>(at, i8x16.extract_lane_u(bytes, 0));
  if (rows > 1) store<u8>(at + <usize>N, i8x16.extract_lane_u(bytes, 1));
  if (rows > 2) store<u8>(at + <usize>N * 2, i8x16.extract_lane_u(bytes, 2));
  if (rows > 3) store<u8>(at + <usize>N * 3, i8x16.extract_lane_u(bytes, 3));
}

/**
 * One image and group: y[M][OH·OW] (bytes) = requant(W · im2col(x) + bias) for column blocks [j0, j1) and row panels
 * [p0, p1). x: C×H×W bytes; a/bias/mult/off: this group's packed weights and per-channel parameters (the descriptor
 * holds the geometry and the requantization constants, see qcommon).
 */
export function qconv2d(d: usize, g: i32, x: usize, y: usize, j0: i32, j1: i32, p0: i32, p1: i32, scratch: usize): void {
  const C = qdesc(d, QD.C), H = qdesc(d, QD.H), W = qdesc(d, QD.W);
  const kh = qdesc(d, QD.KH), kw = qdesc(d, QD.KW), sh = qdesc(d, QD.SH), sw = qdesc(d, QD.SW);
  const ph = qdesc(d, QD.PH), pw = qdesc(d, QD.PW), dh = qdesc(d, QD.DH), dw = qdesc(d, QD.DW);
  const OH = qdesc(d, QD.OH), OW = qdesc(d, QD.OW), M = qdesc(d, QD.M);
  const zx = qdesc(d, QD.ZX);
  const signed = (qdesc(d, QD.FLAGS) & 1) != 0;
  requantBegin(d);
  const K = C * kh * kw;
  const K2 = (K + 1) & ~1;
  const N = OH * OW;
  const pg = <usize>g * <usize>qdesc(d, QD.P_STRIDE);
  const a = <usize>qdesc(d, QD.A) + <usize>g * <usize>qdesc(d, QD.A_STRIDE);
  const bias = <usize>qdesc(d, QD.BIAS) + pg;
  const mult = <usize>qdesc(d, QD.MULT) + pg;
  const off = <usize>qdesc(d, QD.OFF) + pg;
  const bchunk = scratch;
  const parts = scratch + <usize>(QKC * QCHUNK * QNR * 2);
  const panels = (M + QMR - 1) / QMR;
  const tmp = parts + <usize>(panels * QCHUNK * 128);
  const coords = tmp + 64;
  // Anything but a plain 1×1 convolution packs from a zx-padded copy of the image (this thread's own).
  const pointwise = kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0;
  // Stride s ≥ 2 packs from the padded image's phases, whose grid (PW2 columns) then has stride 1.
  const phases = !pointwise && phased(sh, sw, dh, dw);
  const PH2 = phaseRows(OH, kh, sh), PW2 = phaseRows(OW, kw, sw);
  const PH = phases ? sh * PH2 : (OH - 1) * sh + (kh - 1) * dh + 1;
  const fullPW = (OW - 1) * sw + (kw - 1) * dw + 1;
  const PW = phases ? sw * PW2 : sh == 1 && sw == 1 ? sharedRow(W, pw, fullPW) : fullPW;
  const padded = tmp + 256;
  const split = padded + <usize>(C * PH * PW + 64);
  if (!pointwise) padImage(x, C, H, W, ph, pw, PH, PW, zx, padded, coords);
  if (phases) splitPhases(padded, C, PH2, PW2, sh, split);
  const wide = !pointwise && ((sh == 1 && sw == 1) || phases);
  // The wide grid's row length: the padded image's, or a phase's.
  const gridW = phases ? PW2 : PW;
  const Nw = wide ? (OH - 1) * gridW + OW : N;
  for (let jc = j0; jc < j1; jc += QCHUNK) {
    const je = min(jc + QCHUNK, j1);
    // A chunk of few blocks (a 7×7 plane is 7) takes longer K steps in the same B buffer: a 1×1 of 400 channels then
    // runs its whole K at once, with no partial tiles to store and reload, and each panel's weights in one run.
    const kcMax = max(QKC, ((QKC * QCHUNK) / (je - jc)) & ~1);
    for (let k0 = 0; k0 < K2; k0 += kcMax) {
      const kc = min(kcMax, K2 - k0);
      const kp = kc >> 1;
      if (pointwise) qim2col_pack(x, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OW, N, K, k0, kc, jc, je, zx, signed, bchunk, coords);
      else if (phases) qim2col_phases(split, PH2, PW2, sh, kh, kw, K, k0, kc, jc, je, signed, bchunk);
      else qim2col_padded(padded, PH, PW, kh, kw, sh, sw, dh, dw, OW, N, K, k0, kc, jc, je, signed, bchunk);
      const first = k0 == 0;
      const last = k0 + kc >= K2;
      // Panels outermost: one panel's K chunk of A (kc·8 bytes) stays in L1 across the chunk's column blocks, so A
      // streams once per column chunk (the B chunk stays in L2); blocks outermost re-read all of A per block.
      for (let p = p0; p < p1; p++) {
        const m0 = p * QMR;
        for (let j = jc; j < je; j++) {
          const bj = bchunk + <usize>((j - jc) * kp * 32);
          const n0 = j * QNR;
          const cols = min(QNR, N - n0);
          const blockCols = wide ? min(QNR, Nw - n0) : cols;
          if (blockCols < QNR - 1) {
            // A partial block: 4 columns (3 round up to 4), then the rest (1 or 2); their partial tiles 64 bytes apart.
            const part = parts + <usize>((p * QCHUNK + (j - jc)) * 128);
            const head = min(4, blockCols);
            const ap = a + <usize>(p * K2 * QMR * 2 + k0 * QMR * 2);
            const m4 = <usize>m0 << 2;
            const yp = y + <usize>m0 * N;
            const rows = min(QMR, M - m0);
            if (blockCols == 1 && p < p0 + ((p1 - p0) & ~3)) {
              // A single column runs for four panels at a time, at the first of each four (the panels past the last
              // whole four take qnarrow below).
              if (((p - p0) & 3) != 0) continue;
              qnarrowColumn4(ap, <usize>(K2 * QMR * 2), bj, kp, part, <usize>(QCHUNK * 128), first, last, bias + m4,
                mult + m4, off + m4, yp, N, M - m0, wide, n0, OW, gridW);
              continue;
            }
            qnarrow(ap, bj, kp, part, first, last, bias + m4, mult + m4, off + m4, yp, N, rows, 0, head == 3 ? 4 : head,
              head, wide, n0, OW, gridW);
            if (blockCols > 4) {
              qnarrow(ap, bj, kp, part + 64, first, last, bias + m4, mult + m4, off + m4, yp, N, rows, 4, blockCols - 4,
                blockCols - 4, wide, n0, OW, gridW);
            }
            continue;
          }
          qtile(a + <usize>(p * K2 * QMR * 2 + k0 * QMR * 2), bj, kp, parts + <usize>((p * QCHUNK + (j - jc)) * 128),
            first, last, bias + (<usize>m0 << 2), mult + (<usize>m0 << 2), off + (<usize>m0 << 2), d,
            y + <usize>m0 * N + (wide ? 0 : <usize>n0), N, min(QMR, M - m0), cols, tmp, wide, n0, Nw, OW, gridW);
        }
      }
    }
  }
}

/**
 * Column blocks of 8 that qconv2d's [j0, j1) range over for the descriptor's geometry: output pixels, or for stride 1
 * with a window the wide columns of the padded grid (see qim2col_wide), for strides ≥ 2 those of a phase's grid.
 */
export function qconv_column_blocks(d: usize): i32 {
  const kh = qdesc(d, QD.KH), kw = qdesc(d, QD.KW), sh = qdesc(d, QD.SH), sw = qdesc(d, QD.SW);
  const OH = qdesc(d, QD.OH), OW = qdesc(d, QD.OW);
  const pointwise = kh == 1 && kw == 1 && sh == 1 && sw == 1 && qdesc(d, QD.PH) == 0 && qdesc(d, QD.PW) == 0;
  if (!pointwise && phased(sh, sw, qdesc(d, QD.DH), qdesc(d, QD.DW))) return ((OH - 1) * phaseRows(OW, kw, sw) + OW + QNR - 1) / QNR;
  if (pointwise || sh != 1 || sw != 1) return (OH * OW + QNR - 1) / QNR;
  const PW = sharedRow(qdesc(d, QD.W), qdesc(d, QD.PW), (OW - 1) + (kw - 1) * qdesc(d, QD.DW) + 1);
  return ((OH - 1) * PW + OW + QNR - 1) / QNR;
}

/**
 * Items [i0, i1) of a batch's (image, group) pairs, item i = n·groups + g, on one thread: threads split a batch, or
 * one image's groups, by whole items (RegNet's 25 groups of 16 channels are too small to split within).
 */
export function qconv2d_images(d: usize, x: usize, y: usize, i0: i32, i1: i32, scratch: usize): void {
  const C = qdesc(d, QD.C), H = qdesc(d, QD.H), W = qdesc(d, QD.W), M = qdesc(d, QD.M);
  const plane = qdesc(d, QD.OH) * qdesc(d, QD.OW);
  const groups = qdesc(d, QD.GROUPS);
  const blocks = qconv_column_blocks(d);
  const panels = (M + QMR - 1) / QMR;
  const inGroup = <usize>(C * H * W);
  const outGroup = <usize>(M * plane);
  for (let i = i0; i < i1; i++) {
    qconv2d(d, i % groups, x + <usize>i * inGroup, y + <usize>i * outGroup, 0, blocks, 0, panels, scratch);
  }
}

/**
 * Depth to space for a transposed convolution whose stride equals its kernel (no overlap): y[m][iy·kh + ty][ix·kw + tx]
 * = t[(m·kh + ty)·kw + tx][iy·W + ix], t being the 1×1 convolution's M·kh·kw output planes of H×W bytes.
 */
export function qdepth_to_space(t: usize, M: i32, kh: i32, kw: i32, H: i32, W: i32, y: usize): void {
  const plane = <usize>(H * W);
  const OW = W * kw;
  for (let m = 0; m < M; m++) {
    for (let ty = 0; ty < kh; ty++) {
      const src = t + <usize>((m * kh + ty) * kw) * plane;
      for (let iy = 0; iy < H; iy++) {
        const row = y + <usize>((m * H + iy) * kh + ty) * <usize>OW;
        const s0 = src + <usize>(iy * W);
        let ix = 0;
        if (kw == 2) {
          // Two taps' rows interleave into one output row, 8 pixels per shuffle.
          const s1 = s0 + plane;
          for (; ix + 8 <= W; ix += 8) {
            const a = v128.load64_zero(s0 + <usize>ix);
            const b = v128.load64_zero(s1 + <usize>ix);
            v128.store(row + (<usize>ix << 1), v128.shuffle<u8>(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
          }
        }
        for (; ix < W; ix++) {
          for (let tx = 0; tx < kw; tx++) store<u8>(row + <usize>(ix * kw + tx), load<u8>(s0 + <usize>tx * plane + <usize>ix));
        }
      }
    }
  }
}

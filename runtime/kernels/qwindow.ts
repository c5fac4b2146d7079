// Integer sliding-window kernels on NCHW byte planes: depthwise convolution, max pooling, and plane sums (global
// average pooling). Like the float window kernels, each plane is first copied into a padded scratch plane so the
// inner loops need no bounds checks.
import { QD, qdesc, requantBegin, requantRow } from "./qcommon";

/** Bytes of scratch a depthwise convolution needs: one padded int16 plane plus overread room. */
export function qwindow_scratch_bytes(kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, OH: i32, OW: i32): i32 {
  const PH = (OH - 1) * sh + (kh - 1) * dh + 1;
  const PW = (OW - 1) * sw + (kw - 1) * dw + 1 + 32;
  return PH * PW * 2 + 128 + kh * kw * 16;
}

/** Copy plane x (bytes) into dst as int16 (x − zx), with zero borders: PH×PW, the input at (ph, pw). */
function padPlane16(x: usize, H: i32, W: i32, signed: bool, zx: i32, dst: usize, PH: i32, PW: i32, ph: i32, pw: i32): void {
  memory.fill(dst, 0, <usize>(PH * PW * 2));
  const vz = i16x8.splat(<i16>zx);
  for (let iy = max(0, -ph); iy < H && iy + ph < PH; iy++) {
    const src = x + <usize>(iy * W);
    const out = dst + (<usize>((iy + ph) * PW + pw) << 1);
    const count = min(W, PW - pw);
    let ix = 0;
    for (; ix + 8 <= count; ix += 8) {
      const v = v128.load64_zero(src + ix);
      const w = signed ? i16x8.extend_low_i8x16_s(v) : i16x8.extend_low_i8x16_u(v);
      v128.store(out + (<usize>ix << 1), i16x8.sub(w, vz));
    }
    for (; ix < count; ix++) {
      const v: i32 = signed ? <i32>load<i8>(src + ix) : <i32>load<u8>(src + ix);
      store<i16>(out + (<usize>ix << 1), <i16>(v - zx));
    }
  }
}

// @ts-ignore: decorator
@inline function taps8(p: usize, sw: i32): v128 {
  if (sw == 1) return v128.load(p);
  return v128.shuffle<i16>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6, 8, 10, 12, 14);
}

// @ts-ignore: decorator
@inline function tap(a: v128, r: usize, sw: i32, wv: v128): v128 {
  return i32x4.add(a, i32x4.extmul_low_i16x8_s(taps8(r, sw), wv));
}

// @ts-ignore: decorator
@inline function tapHigh(a: v128, r: usize, sw: i32, wv: v128): v128 {
  return i32x4.add(a, i32x4.extmul_high_i16x8_s(taps8(r, sw), wv));
}

/**
 * One channel of a 3×3 depthwise convolution (strides 1 and 2) from its padded int16 plane: the nine weight splats
 * stay in registers across the whole plane instead of being rebuilt for every 8 outputs, the bulk of the general
 * loop's work at 9 taps.
 */
function dw3x3(
  pad: usize, PW: i32, OH: i32, OW: i32, sh: i32, sw: i32, dh: i32, dw: i32, w: usize, vb: v128, mult: usize, off: usize,
  d: usize, out: usize, tmp: usize,
): void {
  const w0 = i16x8.splat(load<i16>(w)), w1 = i16x8.splat(load<i16>(w, 2)), w2 = i16x8.splat(load<i16>(w, 4));
  const w3 = i16x8.splat(load<i16>(w, 6)), w4 = i16x8.splat(load<i16>(w, 8)), w5 = i16x8.splat(load<i16>(w, 10));
  const w6 = i16x8.splat(load<i16>(w, 12)), w7 = i16x8.splat(load<i16>(w, 14)), w8 = i16x8.splat(load<i16>(w, 16));
  const rowStep = <usize>(dh * PW) << 1;
  const c1 = <usize>dw << 1, c2 = <usize>(2 * dw) << 1;
  for (let oy = 0; oy < OH; oy++) {
    const yr = out + <usize>(oy * OW);
    for (let ox = 0; ox < OW; ox += 8) {
      const r0 = pad + (<usize>(oy * sh * PW + ox * sw) << 1);
      const r1 = r0 + rowStep, r2 = r1 + rowStep;
      let a0 = tap(vb, r0, sw, w0), a1 = tapHigh(vb, r0, sw, w0);
      a0 = tap(a0, r0 + c1, sw, w1); a1 = tapHigh(a1, r0 + c1, sw, w1);
      a0 = tap(a0, r0 + c2, sw, w2); a1 = tapHigh(a1, r0 + c2, sw, w2);
      a0 = tap(a0, r1, sw, w3); a1 = tapHigh(a1, r1, sw, w3);
      a0 = tap(a0, r1 + c1, sw, w4); a1 = tapHigh(a1, r1 + c1, sw, w4);
      a0 = tap(a0, r1 + c2, sw, w5); a1 = tapHigh(a1, r1 + c2, sw, w5);
      a0 = tap(a0, r2, sw, w6); a1 = tapHigh(a1, r2, sw, w6);
      a0 = tap(a0, r2 + c1, sw, w7); a1 = tapHigh(a1, r2 + c1, sw, w7);
      a0 = tap(a0, r2 + c2, sw, w8); a1 = tapHigh(a1, r2 + c2, sw, w8);
      requantRow(a0, a1, mult, off, yr + <usize>ox, min(8, OW - ox), tmp);
    }
  }
}

/**
 * Depthwise convolution of one image, output channels [c0, c1): channel o reads input plane o / (M / C). Weights are
 * int16 [M][kh·kw] at the descriptor's A; per-channel bias (i32, zero points already subtracted from the input), mult
 * and off as for qconv2d.
 */
export function qdwconv2d(d: usize, x: usize, y: usize, c0: i32, c1: i32, scratch: usize): void {
  const C = qdesc(d, QD.C), H = qdesc(d, QD.H), W = qdesc(d, QD.W);
  const kh = qdesc(d, QD.KH), kw = qdesc(d, QD.KW), sh = qdesc(d, QD.SH), sw = qdesc(d, QD.SW);
  const ph = qdesc(d, QD.PH), pw = qdesc(d, QD.PW), dh = qdesc(d, QD.DH), dw = qdesc(d, QD.DW);
  const OH = qdesc(d, QD.OH), OW = qdesc(d, QD.OW), M = qdesc(d, QD.M);
  const zx = qdesc(d, QD.ZX);
  const signed = (qdesc(d, QD.FLAGS) & 1) != 0;
  const wts = <usize>qdesc(d, QD.A), bias = <usize>qdesc(d, QD.BIAS);
  const mult = <usize>qdesc(d, QD.MULT), off = <usize>qdesc(d, QD.OFF);
  const PH = (OH - 1) * sh + (kh - 1) * dh + 1;
  const PW = (OW - 1) * sw + (kw - 1) * dw + 1 + 32;
  const pad = scratch;
  const tmp = scratch + <usize>(PH * PW * 2);
  const per = M / C;
  const taps = kh * kw;
  const vec = sw == 1 || sw == 2;
  requantBegin(d);
  let loaded = -1;
  for (let o = c0; o < c1; o++) {
    const ci = o / per;
    if (ci != loaded) {
      padPlane16(x + <usize>(ci * H * W), H, W, signed, zx, pad, PH, PW, ph, pw);
      loaded = ci;
    }
    const w = wts + <usize>(o * taps * 2);
    const b = load<i32>(bias + (<usize>o << 2));
    const out = y + <usize>(o * OH * OW);
    const vb = i32x4.splat(b);
    if (vec && kh == 3 && kw == 3) {
      dw3x3(pad, PW, OH, OW, sh, sw, dh, dw, w, vb, mult + (<usize>o << 2), off + (<usize>o << 2), d, out, tmp);
      continue;
    }
    // The taps' weight splats, built once per channel rather than once per 8 outputs.
    const splats = tmp + 128;
    if (vec) for (let t = 0; t < taps; t++) v128.store(splats + (<usize>t << 4), i16x8.splat(load<i16>(w + (<usize>t << 1))));
    for (let oy = 0; oy < OH; oy++) {
      const row = pad + (<usize>(oy * sh * PW) << 1);
      const yr = out + <usize>(oy * OW);
      let ox = 0;
      if (vec) {
        for (; ox < OW; ox += 8) {
          let a0 = vb, a1 = vb;
          for (let ky = 0; ky < kh; ky++) {
            const r = row + (<usize>(ky * dh * PW + ox * sw) << 1);
            for (let kx = 0; kx < kw; kx++) {
              const wv = v128.load(splats + (<usize>(ky * kw + kx) << 4));
              const v = taps8(r + (<usize>(kx * dw) << 1), sw);
              a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(v, wv));
              a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(v, wv));
            }
          }
          requantRow(a0, a1, mult + (<usize>o << 2), off + (<usize>o << 2), yr + <usize>ox, min(8, OW - ox), tmp);
        }
        continue;
      }
      for (; ox < OW; ox += 4) {
        for (let q = 0; q < 4; q++) {
          let s = b;
          for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
            s += <i32>load<i16>(row + (<usize>(ky * dh * PW + (ox + q) * sw + kx * dw) << 1)) * <i32>load<i16>(w + (<usize>(ky * kw + kx) << 1));
          }
          store<i32>(tmp + 16 + (<usize>q << 2), s);
        }
        const acc = v128.load(tmp + 16);
        requantRow(acc, acc, mult + (<usize>o << 2), off + (<usize>o << 2), yr + <usize>ox, min(4, OW - ox), tmp);
      }
    }
  }
}

/** Depthwise convolution of images [n0, n1), all channels, on one thread. */
export function qdwconv2d_images(d: usize, x: usize, y: usize, n0: i32, n1: i32, scratch: usize): void {
  const inImage = <usize>(qdesc(d, QD.C) * qdesc(d, QD.H) * qdesc(d, QD.W));
  const M = qdesc(d, QD.M);
  const outImage = <usize>(M * qdesc(d, QD.OH) * qdesc(d, QD.OW));
  for (let n = n0; n < n1; n++) qdwconv2d(d, x + <usize>n * inImage, y + <usize>n * outImage, 0, M, scratch);
}

/**
 * Max pooling on byte planes [c0, c1) (signed planes flipped to unsigned order by xor 0x80 on the way in and out):
 * padding never wins, since it is filled with the smallest value. 16 outputs per step for strides 1 and 2.
 */
export function qmaxpool2d(
  x: usize, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, OH: i32, OW: i32,
  signed: i32, y: usize, c0: i32, c1: i32, scratch: usize,
): void {
  if (ph == 0 && pw == 0 && dh == 1 && dw == 1 && (sw == 1 || sw == 2) && (OH - 1) * sh + kh <= H && (OW - 1) * sw + kw <= W) {
    maxpoolInPlace(x, H, W, kh, kw, sh, sw, OH, OW, signed != 0, y, c0, c1, scratch);
    return;
  }
  const PH = (OH - 1) * sh + (kh - 1) * dh + 1;
  const PW = (OW - 1) * sw + (kw - 1) * dw + 1 + 64;
  const flip: u8 = signed ? 0x80 : 0;
  const vflip = i8x16.splat(flip);
  const tmp = scratch + <usize>(PH * PW);
  for (let c = c0; c < c1; c++) {
    const src = x + <usize>(c * H * W);
    memory.fill(scratch, 0, <usize>(PH * PW));
    for (let iy = max(0, -ph); iy < H && iy + ph < PH; iy++) {
      const out = scratch + <usize>((iy + ph) * PW + pw);
      const count = min(W, PW - pw);
      const from = src + <usize>(iy * W);
      let ix = 0;
      // Whole vectors only: a store past the row's end would overwrite the next row's padding.
      for (; ix + 16 <= count; ix += 16) v128.store(out + ix, v128.xor(v128.load(from + ix), vflip));
      for (; ix < count; ix++) store<u8>(out + ix, load<u8>(from + ix) ^ flip);
    }
    const dst = y + <usize>(c * OH * OW);
    for (let oy = 0; oy < OH; oy++) {
      const row = scratch + <usize>(oy * sh * PW);
      const yr = dst + <usize>(oy * OW);
      let ox = 0;
      if (sw == 1 || sw == 2) {
        for (; ox < OW; ox += 16) {
          let m = i8x16.splat(0);
          for (let ky = 0; ky < kh; ky++) {
            const r = row + <usize>(ky * dh * PW + ox * sw);
            for (let kx = 0; kx < kw; kx++) {
              const p = r + <usize>(kx * dw);
              const v = sw == 1 ? v128.load(p)
                : v128.shuffle<u8>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
              m = i8x16.max_u(m, v);
            }
          }
          m = v128.xor(m, vflip);
          if (ox + 16 <= OW) {
            v128.store(yr + <usize>ox, m);
          } else {
            v128.store(tmp, m);
            for (let q = 0; q < OW - ox; q++) store<u8>(yr + <usize>(ox + q), load<u8>(tmp + q));
          }
        }
        continue;
      }
      for (; ox < OW; ox++) {
        let m: u32 = 0;
        for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
          m = max(m, <u32>load<u8>(row + <usize>(ky * dh * PW + ox * sw + kx * dw)));
        }
        store<u8>(yr + <usize>ox, <u8>m ^ flip);
      }
    }
  }
}

/**
 * Max pooling whose windows all lie inside the input (no padding, no dilation; strides 1 and 2: the Fashion-MNIST
 * CNN's 2×2/2), read from the input itself: no padded copy. A step takes 16 outputs (stride 1) or 8 (stride 2, the
 * even lanes of one 16-byte load per tap); a step's lanes past its row read on (the next row, or past the plane while
 * inside memory) and are not stored, and a row's last outputs are a step ending at the row's end where the row has
 * that many, else stored through `tmp`.
 */
function maxpoolInPlace(
  x: usize, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, OH: i32, OW: i32, signed: bool, y: usize, c0: i32,
  c1: i32, tmp: usize,
): void {
  const step = sw == 1 ? 16 : 8;
  const end = <usize>memory.size() << 16;
  for (let c = c0; c < c1; c++) {
    const src = x + <usize>(c * H * W);
    const dst = y + <usize>(c * OH * OW);
    for (let oy = 0; oy < OH; oy++) {
      const row = src + <usize>(oy * sh * W);
      const yr = dst + <usize>(oy * OW);
      for (let ox = 0; ox < OW; ox += step) {
        // A short last step moves back to end at the row's end when the row has a whole step of outputs.
        const at = ox + step > OW && OW >= step ? OW - step : ox;
        const last = row + <usize>((kh - 1) * W + at * sw + kw - 1);
        if (last + 16 > end) {
          for (let o = at; o < OW; o++) store<u8>(yr + <usize>o, maxAt(row + <usize>(o * sw), W, kh, kw, signed));
          break;
        }
        let m = signed ? i8x16.splat(-128) : i8x16.splat(0);
        for (let ky = 0; ky < kh; ky++) {
          const r = row + <usize>(ky * W + at * sw);
          for (let kx = 0; kx < kw; kx++) {
            const p = r + <usize>kx;
            const v = sw == 1 ? v128.load(p) : evenLanes(v128.load(p));
            m = signed ? i8x16.max_s(m, v) : i8x16.max_u(m, v);
          }
        }
        const n = min(step, OW - at);
        if (n == 16) v128.store(yr + <usize>at, m);
        else if (n == 8) v128.store64_lane(yr + <usize>at, m, 0);
        else {
          v128.store(tmp, m);
          for (let q = 0; q < n; q++) store<u8>(yr + <usize>(at + q), load<u8>(tmp + q));
        }
        if (at != ox) break;
      }
    }
  }
}

/** The even bytes of v in lanes 0–7, for stride 2 (lanes 8–15 repeat them). */
// @ts-ignore: decorator
@inline function evenLanes(v: v128): v128 {
  return v128.shuffle<u8>(v, v, 0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14);
}

/** The largest code of the kh×kw window at p (rows W apart), scalar. */
// @ts-ignore: decorator
@inline function maxAt(p: usize, W: i32, kh: i32, kw: i32, signed: bool): u8 {
  let m: i32 = signed ? -128 : 0;
  for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
    const a = p + <usize>(ky * W + kx);
    m = max(m, signed ? <i32>load<i8>(a) : <i32>load<u8>(a));
  }
  return <u8>m;
}

/** Bytes of scratch qmaxpool2d needs for one padded plane. */
export function qmaxpool_scratch_bytes(kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, OH: i32, OW: i32): i32 {
  return ((OH - 1) * sh + (kh - 1) * dh + 1) * ((OW - 1) * sw + (kw - 1) * dw + 1 + 64) + 64;
}

/**
 * Σ of one byte plane of `size` codes (exact in i32): 16 codes per step widened by pairwise adds into four i32 lanes
 * (each lane gains at most 4·255 a step), the plane's last size mod 16 codes one by one.
 */
// @ts-ignore: decorator
@inline function planeSum(src: usize, size: i32, signed: bool): i32 {
  let acc = i32x4.splat(0);
  let i = 0;
  if (signed) {
    for (; i + 16 <= size; i += 16) acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(v128.load(src + i))));
  } else {
    for (; i + 16 <= size; i += 16) acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(v128.load(src + i))));
  }
  let s = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  if (signed) for (; i < size; i++) s += <i32>load<i8>(src + i);
  else for (; i < size; i++) s += <i32>load<u8>(src + i);
  return s;
}

/**
 * Global average pooling of `planes` byte planes of `size` codes: y[p] = clamp(round_half_even(Σ(x − zx)·sx / (size·sy))
 * + zy, qlo, qhi), the requantization in float64 (the same operations, in the same order, as the operator's own
 * documentation gives; a NaN stores 0, as a typed array does). flags: bit 0 signed input.
 */
export function qglobal_average(x: usize, planes: i32, size: i32, flags: i32, zx: i32, sx: f64, sy: f64, zy: i32, qlo: i32, qhi: i32, y: usize): void {
  const signed = (flags & 1) != 0;
  const divisor = <f64>size * sy;
  for (let p = 0; p < planes; p++) {
    const sum = planeSum(x + <usize>p * size, size, signed) - size * zx;
    const v = nearest((<f64>sum * sx) / divisor) + <f64>zy;
    store<u8>(y + p, v != v ? 0 : <u8><i32>min(max(v, <f64>qlo), <f64>qhi));
  }
}

/**
 * Average pooling of byte planes [p0, p1) (H×W each, no dilation): y = clamp(round_half_even(Σ(x − zx)·sx /
 * (count·sy)) + zy, qlo, qhi) per window, in float64 as the operator's host loop computed it. count is the taps inside
 * the input, or (flags bit 1, count_include_pad) inside the padded input, never past it (ceil_mode windows); both
 * factor by axis. flags: bit 0 signed input.
 */
export function qavgpool2d(x: usize, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, OH: i32, OW: i32,
  flags: i32, zx: i32, sx: f64, sy: f64, zy: i32, qlo: i32, qhi: i32, y: usize, p0: i32, p1: i32): void {
  const signed = (flags & 1) != 0;
  const includePad = (flags & 2) != 0;
  for (let p = p0; p < p1; p++) {
    const plane = x + <usize>p * <usize>(H * W);
    let out = y + <usize>p * <usize>(OH * OW);
    for (let oy = 0; oy < OH; oy++) {
      const top = oy * sh - ph;
      const y0 = max(0, top), y1 = min(H, top + kh);
      const cy = includePad ? min(top + kh, H + ph) - top : y1 - y0;
      for (let ox = 0; ox < OW; ox++) {
        const left = ox * sw - pw;
        const x0 = max(0, left), x1 = min(W, left + kw);
        const cx = includePad ? min(left + kw, W + pw) - left : x1 - x0;
        let sum = 0;
        for (let iy = y0; iy < y1; iy++) {
          const row = plane + <usize>(iy * W);
          if (signed) for (let ix = x0; ix < x1; ix++) sum += <i32>load<i8>(row + ix);
          else for (let ix = x0; ix < x1; ix++) sum += <i32>load<u8>(row + ix);
        }
        sum -= (y1 - y0) * (x1 - x0) * zx;
        const v = nearest((<f64>sum * sx) / (<f64>(cy * cx) * sy)) + <f64>zy;
        store<u8>(out, v != v ? 0 : <u8><i32>min(max(v, <f64>qlo), <f64>qhi));
        out++;
      }
    }
  }
}

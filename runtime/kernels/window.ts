// Sliding-window kernels on one NCHW plane at a time: depthwise convolution, max pooling, average pooling. Each
// plane is first copied into a padded scratch plane (zeros, or -inf for max), so the inner loops have no bounds
// checks and compute 4 outputs per step with plain (stride 1) or de-interleaved (stride 2) vector loads.
import { madd } from "./madd";
import { vclampOut, zeroFix } from "./vmath";

const MODE_DW = 0;
const MODE_AVG = 2;

/** Floats of scratch a window kernel needs: one padded plane, and one more row (max pooling's row maxima). */
export function window_scratch_floats(kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, OH: i32, OW: i32): i32 {
  return ((OH - 1) * sh + (kh - 1) * dh + 2) * ((OW - 1) * sw + (kw - 1) * dw + 1 + 16) + 16;
}

// @ts-ignore: decorator
@inline function fillRun(dst: usize, n: i32, fill: f32): void {
  const v = f32x4.splat(fill);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), fill);
}

// @ts-ignore: decorator
@inline function padPlane(src: usize, H: i32, W: i32, dst: usize, PH: i32, PW: i32, ph: i32, pw: i32, fill: f32): void {
  // Columns [lead, lead + count) of the padded row come from the input row; the rest is fill.
  const lead = min(max(pw, 0), PW);
  const skip = max(-pw, 0);
  const count = max(0, min(W - skip, PW - lead));
  for (let py = 0; py < PH; py++) {
    const iy = py - ph;
    const out = dst + ((<usize>py * PW) << 2);
    if (iy < 0 || iy >= H) {
      fillRun(out, PW, fill);
      continue;
    }
    fillRun(out, lead, fill);
    memory.copy(out + (<usize>lead << 2), src + ((<usize>(iy * W + skip)) << 2), <usize>count << 2);
    fillRun(out + (<usize>(lead + count) << 2), PW - lead - count, fill);
  }
}

/**
 * 3×3 depthwise convolution of one padded plane, stride 1 or 2: the 9 weights stay in registers, and 8 outputs per
 * step with one partial sum per kernel row give 6 independent multiply-add chains instead of one long one. A row's
 * last outputs are a vector too, partial when the width is not a multiple of 4 (7, 14).
 */
// @ts-ignore: decorator
@inline function dw3x3Plane(
  pad: usize, PW: i32, sh: i32, sw: i32, dh: i32, dw: i32, OH: i32, OW: i32,
  w: usize, b: f32, lo: f32, hi: f32, y: usize,
): void {
  const w0 = v128.load32_splat(w), w1 = v128.load32_splat(w, 4), w2 = v128.load32_splat(w, 8);
  const w3 = v128.load32_splat(w, 12), w4 = v128.load32_splat(w, 16), w5 = v128.load32_splat(w, 20);
  const w6 = v128.load32_splat(w, 24), w7 = v128.load32_splat(w, 28), w8 = v128.load32_splat(w, 32);
  const vb = f32x4.splat(b);
  const vlo = f32x4.splat(lo);
  const vfix = zeroFix(vlo);
  const vhi = f32x4.splat(hi);
  const zero = f32x4.splat(0);
  const d1 = <usize>dw << 2;
  const d2 = <usize>(2 * dw) << 2;
  for (let oy = 0; oy < OH; oy++) {
    const r0 = pad + ((<usize>(oy * sh * PW)) << 2);
    const r1 = r0 + ((<usize>(dh * PW)) << 2);
    const r2 = r1 + ((<usize>(dh * PW)) << 2);
    const out = y + ((<usize>oy * OW) << 2);
    let ox = 0;
    for (; ox + 8 <= OW; ox += 8) {
      const p = <usize>(ox * sw) << 2;
      const q = p + (<usize>(4 * sw) << 2);
      let a0 = vb, a1 = zero, a2 = zero, b0 = vb, b1 = zero, b2 = zero;
      if (sw == 1) {
        a0 = madd(w0, v128.load(r0 + p), a0); a0 = madd(w1, v128.load(r0 + p + d1), a0); a0 = madd(w2, v128.load(r0 + p + d2), a0);
        a1 = madd(w3, v128.load(r1 + p), a1); a1 = madd(w4, v128.load(r1 + p + d1), a1); a1 = madd(w5, v128.load(r1 + p + d2), a1);
        a2 = madd(w6, v128.load(r2 + p), a2); a2 = madd(w7, v128.load(r2 + p + d1), a2); a2 = madd(w8, v128.load(r2 + p + d2), a2);
        b0 = madd(w0, v128.load(r0 + q), b0); b0 = madd(w1, v128.load(r0 + q + d1), b0); b0 = madd(w2, v128.load(r0 + q + d2), b0);
        b1 = madd(w3, v128.load(r1 + q), b1); b1 = madd(w4, v128.load(r1 + q + d1), b1); b1 = madd(w5, v128.load(r1 + q + d2), b1);
        b2 = madd(w6, v128.load(r2 + q), b2); b2 = madd(w7, v128.load(r2 + q + d1), b2); b2 = madd(w8, v128.load(r2 + q + d2), b2);
      } else {
        a0 = madd(w0, even(r0 + p), a0); a0 = madd(w1, even(r0 + p + d1), a0); a0 = madd(w2, even(r0 + p + d2), a0);
        a1 = madd(w3, even(r1 + p), a1); a1 = madd(w4, even(r1 + p + d1), a1); a1 = madd(w5, even(r1 + p + d2), a1);
        a2 = madd(w6, even(r2 + p), a2); a2 = madd(w7, even(r2 + p + d1), a2); a2 = madd(w8, even(r2 + p + d2), a2);
        b0 = madd(w0, even(r0 + q), b0); b0 = madd(w1, even(r0 + q + d1), b0); b0 = madd(w2, even(r0 + q + d2), b0);
        b1 = madd(w3, even(r1 + q), b1); b1 = madd(w4, even(r1 + q + d1), b1); b1 = madd(w5, even(r1 + q + d2), b1);
        b2 = madd(w6, even(r2 + q), b2); b2 = madd(w7, even(r2 + q + d1), b2); b2 = madd(w8, even(r2 + q + d2), b2);
      }
      v128.store(out + (<usize>ox << 2), vclampOut(f32x4.add(f32x4.add(a0, a1), a2), vlo, vhi, vfix));
      v128.store(out + (<usize>ox << 2), vclampOut(f32x4.add(f32x4.add(b0, b1), b2), vlo, vhi, vfix), 16);
    }
    // Groups of 4, the last one partial: its extra lanes read the padded row's slack and are not stored.
    for (; ox < OW; ox += 4) {
      const p = <usize>(ox * sw) << 2;
      let a0 = vb, a1 = zero, a2 = zero;
      if (sw == 1) {
        a0 = madd(w0, v128.load(r0 + p), a0); a0 = madd(w1, v128.load(r0 + p + d1), a0); a0 = madd(w2, v128.load(r0 + p + d2), a0);
        a1 = madd(w3, v128.load(r1 + p), a1); a1 = madd(w4, v128.load(r1 + p + d1), a1); a1 = madd(w5, v128.load(r1 + p + d2), a1);
        a2 = madd(w6, v128.load(r2 + p), a2); a2 = madd(w7, v128.load(r2 + p + d1), a2); a2 = madd(w8, v128.load(r2 + p + d2), a2);
      } else {
        a0 = madd(w0, even(r0 + p), a0); a0 = madd(w1, even(r0 + p + d1), a0); a0 = madd(w2, even(r0 + p + d2), a0);
        a1 = madd(w3, even(r1 + p), a1); a1 = madd(w4, even(r1 + p + d1), a1); a1 = madd(w5, even(r1 + p + d2), a1);
        a2 = madd(w6, even(r2 + p), a2); a2 = madd(w7, even(r2 + p + d1), a2); a2 = madd(w8, even(r2 + p + d2), a2);
      }
      storeUpTo4(out + (<usize>ox << 2), vclampOut(f32x4.add(f32x4.add(a0, a1), a2), vlo, vhi, vfix), OW - ox);
    }
  }
}

/** The first min(n, 4) lanes of v at p. */
// @ts-ignore: decorator
@inline function storeUpTo4(p: usize, v: v128, n: i32): void {
  if (n >= 4) {
    v128.store(p, v);
    return;
  }
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** 4 samples from p, stride 1 or 2. */
// @ts-ignore: decorator
@inline function samples(p: usize, sw: i32): v128 {
  return sw == 1 ? v128.load(p) : even(p);
}

/**
 * Depthwise convolution of one padded plane by any kh×kw window, stride 1 or 2 (5×5 in MobileNet-V3 and EfficientNet):
 * 8 outputs per step, each kernel row summed in a chain of its own so the rows' multiply-adds overlap, and a last
 * partial group of 4 computed as a vector too (its extra lanes read the padded row's slack) with only the lanes inside
 * the row stored: a 7- or 14-wide output runs no scalar window.
 */
// @ts-ignore: decorator
@inline function dwPlane(
  pad: usize, PW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, OH: i32, OW: i32,
  w: usize, b: f32, lo: f32, hi: f32, y: usize,
): void {
  const vb = f32x4.splat(b);
  const vlo = f32x4.splat(lo);
  const vfix = zeroFix(vlo);
  const vhi = f32x4.splat(hi);
  const zero = f32x4.splat(0);
  const step = <usize>(4 * sw) << 2;
  for (let oy = 0; oy < OH; oy++) {
    const out = y + ((<usize>oy * OW) << 2);
    const top = pad + ((<usize>(oy * sh * PW)) << 2);
    let ox = 0;
    for (; ox + 8 <= OW; ox += 8) {
      let a = vb, c = vb;
      for (let ky = 0; ky < kh; ky++) {
        const row = top + ((<usize>(ky * dh * PW + ox * sw)) << 2);
        const wr = w + (<usize>(ky * kw) << 2);
        let ra = zero, rc = zero;
        for (let kx = 0; kx < kw; kx++) {
          const wv = v128.load32_splat(wr + (<usize>kx << 2));
          const p = row + (<usize>(kx * dw) << 2);
          ra = madd(wv, samples(p, sw), ra);
          rc = madd(wv, samples(p + step, sw), rc);
        }
        a = f32x4.add(a, ra);
        c = f32x4.add(c, rc);
      }
      v128.store(out + (<usize>ox << 2), vclampOut(a, vlo, vhi, vfix));
      v128.store(out + (<usize>ox << 2), vclampOut(c, vlo, vhi, vfix), 16);
    }
    for (; ox < OW; ox += 4) {
      let a = vb;
      for (let ky = 0; ky < kh; ky++) {
        const row = top + ((<usize>(ky * dh * PW + ox * sw)) << 2);
        const wr = w + (<usize>(ky * kw) << 2);
        let ra = zero;
        for (let kx = 0; kx < kw; kx++) ra = madd(v128.load32_splat(wr + (<usize>kx << 2)), samples(row + (<usize>(kx * dw) << 2), sw), ra);
        a = f32x4.add(a, ra);
      }
      storeUpTo4(out + (<usize>ox << 2), vclampOut(a, vlo, vhi, vfix), OW - ox);
    }
  }
}

/** Lanes 0, 2, 4, 6 of the 8 floats at p: 4 stride-2 samples. */
// @ts-ignore: decorator
@inline function even(p: usize): v128 {
  return v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
}

// @ts-ignore: decorator
@inline function windowPlane(
  mode: i32, pad: usize, PW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, OH: i32, OW: i32,
  w: usize, b: f32, lo: f32, hi: f32, recip: usize, y: usize,
): void {
  const vectorized = sw == 1 || sw == 2;
  const init: f32 = mode == MODE_DW ? b : 0;
  const vlo = f32x4.splat(lo);
  const vfix = zeroFix(vlo);
  const vhi = f32x4.splat(hi);
  for (let oy = 0; oy < OH; oy++) {
    const out = y + ((<usize>oy * OW) << 2);
    let ox = 0;
    if (vectorized) {
      for (; ox + 4 <= OW; ox += 4) {
        let acc = f32x4.splat(init);
        for (let ky = 0; ky < kh; ky++) {
          const row = pad + ((<usize>((oy * sh + ky * dh) * PW + ox * sw)) << 2);
          for (let kx = 0; kx < kw; kx++) {
            const p = row + (<usize>(kx * dw) << 2);
            const v = samples(p, sw);
            if (mode == MODE_DW) acc = madd(v128.load32_splat(w + (<usize>(ky * kw + kx) << 2)), v, acc);
            else acc = f32x4.add(acc, v);
          }
        }
        if (mode == MODE_DW) acc = vclampOut(acc, vlo, vhi, vfix);
        if (mode == MODE_AVG) acc = f32x4.mul(acc, v128.load(recip + ((<usize>(oy * OW + ox)) << 2)));
        v128.store(out + (<usize>ox << 2), acc);
      }
    }
    for (; ox < OW; ox++) {
      let acc = init;
      for (let ky = 0; ky < kh; ky++) {
        const row = pad + ((<usize>((oy * sh + ky * dh) * PW + ox * sw)) << 2);
        for (let kx = 0; kx < kw; kx++) {
          const v = load<f32>(row + (<usize>(kx * dw) << 2));
          if (mode == MODE_DW) acc += load<f32>(w + (<usize>(ky * kw + kx) << 2)) * v;
          else acc += v;
        }
      }
      if (mode == MODE_DW) acc = min(max(acc, lo), hi);
      if (mode == MODE_AVG) acc *= load<f32>(recip + ((<usize>(oy * OW + ox)) << 2));
      store<f32>(out + (<usize>ox << 2), acc);
    }
  }
}

/**
 * Depthwise convolution over output channels [c0, c1): output channel o reads input channel o / mult.
 * w: kh·kw weights per output channel; bias: one per output channel.
 */
export function dwconv2d(
  x: usize, H: i32, W: i32, mult: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32,
  OH: i32, OW: i32, w: usize, bias: usize, lo: f32, hi: f32, y: usize, c0: i32, c1: i32, scratch: usize,
): void {
  const PH = (OH - 1) * sh + (kh - 1) * dh + 1;
  const PW = (OW - 1) * sw + (kw - 1) * dw + 1 + 16;
  let padded = -1;
  for (let o = c0; o < c1; o++) {
    const ci = o / mult;
    if (ci != padded) {
      padPlane(x + ((<usize>ci * H * W) << 2), H, W, scratch, PH, PW, ph, pw, 0);
      padded = ci;
    }
    const wo = w + ((<usize>o * kh * kw) << 2);
    const bo = load<f32>(bias + (<usize>o << 2));
    const yo = y + ((<usize>o * OH * OW) << 2);
    if (kh == 3 && kw == 3 && (sw == 1 || sw == 2)) dw3x3Plane(scratch, PW, sh, sw, dh, dw, OH, OW, wo, bo, lo, hi, yo);
    else if (sw == 1 || sw == 2) dwPlane(scratch, PW, kh, kw, sh, sw, dh, dw, OH, OW, wo, bo, lo, hi, yo);
    else windowPlane(MODE_DW, scratch, PW, kh, kw, sh, sw, dh, dw, OH, OW, wo, bo, lo, hi, 0, yo);
  }
}

/**
 * Max pooling of one padded plane. The window is separable: each output row first takes the maximum over its kh
 * input rows, a contiguous vector at a time, into `rows`; then over kw taps of that (stride 1, or 2 de-interleaved),
 * kh + kw comparisons per output instead of kh·kw. pmax (a < b ? b : a) is one instruction where max, which orders
 * NaNs and signed zeros, is several; a NaN in a window is kept when it comes first and passed over after (ONNX
 * Runtime's pooling is no more definite about NaN).
 */
// @ts-ignore: decorator
@inline function maxPlane(pad: usize, PW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, OH: i32, OW: i32, rows: usize, y: usize): void {
  const width = (OW - 1) * sw + (kw - 1) * dw + 1;
  for (let oy = 0; oy < OH; oy++) {
    const top = pad + ((<usize>(oy * sh * PW)) << 2);
    for (let x = 0; x < width; x += 4) {
      let m = v128.load(top + (<usize>x << 2));
      for (let ky = 1; ky < kh; ky++) m = f32x4.pmax(m, v128.load(top + ((<usize>(ky * dh * PW + x)) << 2)));
      v128.store(rows + (<usize>x << 2), m);
    }
    const out = y + ((<usize>oy * OW) << 2);
    let ox = 0;
    if (sw == 1 || sw == 2) {
      for (; ox + 4 <= OW; ox += 4) {
        const p = rows + ((<usize>(ox * sw)) << 2);
        let acc = samples(p, sw);
        for (let kx = 1; kx < kw; kx++) {
          const q = p + ((<usize>(kx * dw)) << 2);
          acc = f32x4.pmax(acc, samples(q, sw));
        }
        v128.store(out + (<usize>ox << 2), acc);
      }
    }
    for (; ox < OW; ox++) {
      const p = rows + ((<usize>(ox * sw)) << 2);
      let acc = load<f32>(p);
      for (let kx = 1; kx < kw; kx++) {
        const v = load<f32>(p + ((<usize>(kx * dw)) << 2));
        acc = acc < v ? v : acc;
      }
      store<f32>(out + (<usize>ox << 2), acc);
    }
  }
}

/** Max pooling of planes [c0, c1) (batch and channels flattened). */
export function maxpool2d(
  x: usize, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32,
  OH: i32, OW: i32, y: usize, c0: i32, c1: i32, scratch: usize,
): void {
  const PH = (OH - 1) * sh + (kh - 1) * dh + 1;
  const PW = (OW - 1) * sw + (kw - 1) * dw + 1 + 16;
  const rows = scratch + ((<usize>(PH * PW)) << 2);
  for (let c = c0; c < c1; c++) {
    padPlane(x + ((<usize>c * H * W) << 2), H, W, scratch, PH, PW, ph, pw, -Infinity);
    maxPlane(scratch, PW, kh, kw, sh, sw, dh, dw, OH, OW, rows, y + ((<usize>c * OH * OW) << 2));
  }
}

/** Average pooling of planes [c0, c1): window sums times recip[oy·OW + ox] (the host computes the divisors). */
export function avgpool2d(
  x: usize, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
  OH: i32, OW: i32, recip: usize, y: usize, c0: i32, c1: i32, scratch: usize,
): void {
  const PH = (OH - 1) * sh + kh;
  const PW = (OW - 1) * sw + kw + 16;
  for (let c = c0; c < c1; c++) {
    padPlane(x + ((<usize>c * H * W) << 2), H, W, scratch, PH, PW, ph, pw, 0);
    windowPlane(MODE_AVG, scratch, PW, kh, kw, sh, sw, 1, 1, OH, OW, 0, 0, 0, 0, recip, y + ((<usize>c * OH * OW) << 2));
  }
}

/** Mean of each of `planes` contiguous runs of `size` floats. */
export function mean_planes(x: usize, planes: i32, size: i32, y: usize): void {
  for (let c = 0; c < planes; c++) {
    const p = x + ((<usize>c * size) << 2);
    let acc = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= size; i += 4) acc = f32x4.add(acc, v128.load(p + (<usize>i << 2)));
    let s: f32 = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
    for (; i < size; i++) s += load<f32>(p + (<usize>i << 2));
    store<f32>(y + (<usize>c << 2), s / <f32>size);
  }
}

/** Images [n0, n1) of a batch through dwconv2d, every output channel: threads split a batch by images. */
export function dwconv2d_images(
  x: usize, inImage: i32, y: usize, outImage: i32, n0: i32, n1: i32, channels: i32,
  H: i32, W: i32, mult: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32,
  OH: i32, OW: i32, w: usize, bias: usize, lo: f32, hi: f32, scratch: usize,
): void {
  for (let n = n0; n < n1; n++) {
    dwconv2d(x + <usize>n * inImage, H, W, mult, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, w, bias, lo, hi,
      y + <usize>n * outImage, 0, channels, scratch);
  }
}

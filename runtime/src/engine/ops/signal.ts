import type { OpDef, PrepareContext, ValueMeta } from "../op.js";
import { arrayFor } from "../tensor.js";
import { constNumbers, normAxis, outputDataType, requireInput, sizeOf, writer } from "./util.js";

/**
 * The signal operators of opset 17: DFT (opset 20's too), STFT and MelWeightMatrix. Transforms are computed in float64
 * from a table of the n-th roots of unity (the exponent j·k reduced mod n, so long transforms keep their precision).
 */

/** cos and sin of 2π·m/n for m in [0, n). */
function rootsOfUnity(n: number): { cos: Float64Array; sin: Float64Array } {
  const cos = new Float64Array(n);
  const sin = new Float64Array(n);
  for (let m = 0; m < n; m++) {
    cos[m] = Math.cos((2 * Math.PI * m) / n);
    sin[m] = Math.sin((2 * Math.PI * m) / n);
  }
  return { cos, sin };
}

/** An FFT's bit reversal of its size and its working buffers. */
interface FftTables {
  reversed: Int32Array;
  re: Float64Array;
  im: Float64Array;
}

/**
 * A transform's tables: the roots of unity; for a power-of-two length the FFT's, and those of the half-length FFT
 * that transforms a real signal (its even samples as the real parts, its odd ones as the imaginary).
 */
interface Plan {
  roots: { cos: Float64Array; sin: Float64Array };
  fft?: FftTables;
  half?: FftTables;
}

function fftTables(n: number): FftTables {
  const bits = Math.log2(n);
  const reversed = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    reversed[i] = r;
  }
  return { reversed, re: new Float64Array(n), im: new Float64Array(n) };
}

function planFor(n: number): Plan {
  const roots = rootsOfUnity(n);
  if (n < 8 || (n & (n - 1)) !== 0) return { roots };
  return { roots, fft: fftTables(n), half: fftTables(n / 2) };
}

/**
 * Radix-2 FFT in place of (fr, fi), given in bit-reversed order, of `size` points: the roots are the table's of
 * n = size · stride points, `stride` entries apart.
 */
function butterflies(fr: Float64Array, fi: Float64Array, size: number, roots: Plan["roots"], stride: number, sign: number): void {
  for (let len = 2; len <= size; len <<= 1) {
    const half = len >> 1;
    const step = (size / len) * stride;
    for (let i = 0; i < size; i += len) {
      for (let k = 0; k < half; k++) {
        const c = roots.cos[k * step]!;
        const s = sign * roots.sin[k * step]!;
        const a = i + k;
        const b = a + half;
        const tr = fr[b]! * c - fi[b]! * s;
        const ti = fr[b]! * s + fi[b]! * c;
        fr[b] = fr[a]! - tr;
        fi[b] = fi[a]! - ti;
        fr[a] = fr[a]! + tr;
        fi[a] = fi[a]! + ti;
      }
    }
  }
}

/**
 * Bins [0, bins) of the forward DFT of `count` real samples (zero-padded to n, a power of two), as `transform` writes
 * them, through one FFT of n/2 points: z = x[even] + i·x[odd] gives Z, whose even and odd halves E and O are
 * (Z[k] + conj Z[n/2 − k]) / 2 and (Z[k] − conj Z[n/2 − k]) / 2i, and X[k] = E[k] + e^(−2πik/n)·O[k]; bins past n/2
 * are the conjugates of their mirrors. Half the butterflies of the complex transform (an STFT's frames are real).
 */
function realTransform(
  re: Float64Array, count: number, n: number, bins: number, plan: Plan, out: Float32Array, outAt: number, outStride: number,
): void {
  const { reversed, re: zr, im: zi } = plan.half!;
  const h = n >> 1;
  const used = Math.min(count, n);
  for (let j = 0; j < h; j++) {
    const m = 2 * reversed[j]!;
    zr[j] = m < used ? re[m]! : 0;
    zi[j] = m + 1 < used ? re[m + 1]! : 0;
  }
  butterflies(zr, zi, h, plan.roots, 2, -1);
  const { cos, sin } = plan.roots;
  for (let k = 0; k < bins; k++) {
    const kk = k <= h ? k : n - k;
    const a = kk === h ? 0 : kk;
    const b = kk === 0 ? 0 : h - kk;
    const er = (zr[a]! + zr[b]!) / 2;
    const ei = (zi[a]! - zi[b]!) / 2;
    const or = (zi[a]! + zi[b]!) / 2;
    const oi = (zr[b]! - zr[a]!) / 2;
    const c = cos[kk]!;
    const s = -sin[kk]!;
    const at = (outAt + k * outStride) * 2;
    out[at] = er + (or * c - oi * s);
    const xi = ei + (or * s + oi * c);
    out[at + 1] = k <= h ? xi : -xi;
  }
}

/**
 * Bins [0, bins) of the length-n DFT of `count` complex samples (re, im; fewer than n are zero-padded), into out at
 * outAt with stride outStride (in complex values). Inverse: the conjugate roots, divided by n. A power-of-two length
 * runs as a radix-2 FFT (n·log n, where the sum over every sample per bin was n² — an STFT of 256-sample frames took
 * 2.5 ms), any other length as that sum.
 */
function transform(
  re: Float64Array, im: Float64Array, count: number, n: number, bins: number, inverse: boolean,
  plan: Plan, out: Float32Array, outAt: number, outStride: number,
): void {
  const roots = plan.roots;
  const sign = inverse ? 1 : -1;
  const scale = inverse ? 1 / n : 1;
  const used = Math.min(count, n);
  if (plan.fft) {
    const { reversed, re: fr, im: fi } = plan.fft;
    for (let j = 0; j < n; j++) {
      const from = reversed[j]!;
      fr[j] = from < used ? re[from]! : 0;
      fi[j] = from < used ? im[from]! : 0;
    }
    butterflies(fr, fi, n, roots, 1, sign);
    for (let k = 0; k < bins; k++) {
      const at = (outAt + k * outStride) * 2;
      out[at] = fr[k]! * scale;
      out[at + 1] = fi[k]! * scale;
    }
    return;
  }
  for (let k = 0; k < bins; k++) {
    let sr = 0;
    let si = 0;
    for (let j = 0, m = 0; j < used; j++, m = m + k >= n ? m + k - n : m + k) {
      const c = roots.cos[m]!;
      const s = sign * roots.sin[m]!;
      sr += re[j]! * c - im[j]! * s;
      si += re[j]! * s + im[j]! * c;
    }
    const at = (outAt + k * outStride) * 2;
    out[at] = sr * scale;
    out[at + 1] = si * scale;
  }
}

function complexSignal(x: ValueMeta, ctx: PrepareContext): boolean {
  const last = x.dims[x.dims.length - 1];
  if (x.dtype !== "float32") ctx.unsupported(`on ${x.dtype} (float32 only)`);
  if (x.dims.length < 2 || (last !== 1 && last !== 2)) ctx.fail(`the input's last axis must be 1 (real) or 2 (complex), got [${x.dims.join(", ")}]`);
  return last === 2;
}

const dft: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const complex = complexSignal(x, ctx);
    const rank = x.dims.length;
    const axisValue = ctx.opset >= 20 ? (inputs[2] ? constNumbers(inputs[2], "axis", ctx)[0]! : -2) : ctx.node.intAttribute("axis", 1);
    const axis = normAxis(axisValue, rank, ctx);
    if (axis === 0 || axis === rank - 1) ctx.fail(`axis ${axisValue} is the batch or the complex axis; the transform runs along a signal axis`);
    const length = x.dims[axis]!;
    const n = inputs[1] ? constNumbers(inputs[1], "dft_length", ctx)[0]! : length;
    if (!Number.isInteger(n) || n < 1) ctx.fail(`dft_length must be a whole number ≥ 1, got ${n}`);
    const inverse = ctx.node.intAttribute("inverse", 0) !== 0;
    const onesided = ctx.node.intAttribute("onesided", 0) !== 0;
    if (inverse && onesided) ctx.unsupported("with both inverse and onesided");
    const bins = onesided ? Math.floor(n / 2) + 1 : n;
    const outer = sizeOf(x.dims.slice(0, axis));
    const inner = sizeOf(x.dims.slice(axis + 1, -1));
    const outDims = [...x.dims.slice(0, axis), bins, ...x.dims.slice(axis + 1, -1), 2];
    const plan = planFor(n);
    const re = new Float64Array(length);
    const im = new Float64Array(length);
    const width = complex ? 2 : 1;
    return {
      outputs: [{ dtype: "float32", dims: outDims }],
      run(ins, outs) {
        const src = ins[0]!.data as Float32Array;
        const dst = outs[0]!.data as Float32Array;
        for (let o = 0; o < outer; o++) {
          for (let q = 0; q < inner; q++) {
            for (let j = 0; j < length; j++) {
              const at = ((o * length + j) * inner + q) * width;
              re[j] = src[at]!;
              im[j] = complex ? src[at + 1]! : 0;
            }
            if (plan.half && !complex && !inverse) realTransform(re, length, n, bins, plan, dst, o * bins * inner + q, inner);
            else transform(re, im, length, n, bins, inverse, plan, dst, o * bins * inner + q, inner);
          }
        }
      },
      runtimeInputs: [0],
    };
  },
};

const stft: OpDef = {
  prepare(inputs, ctx) {
    const signal = requireInput(inputs[0], 0, ctx);
    const complex = complexSignal(signal, ctx);
    if (signal.dims.length !== 3) ctx.fail(`the signal must be [batch, length, 1 or 2], got [${signal.dims.join(", ")}]`);
    const step = constNumbers(inputs[1], "frame_step", ctx)[0]!;
    const window = inputs[2];
    const frameLength = window ? window.dims[0]! : inputs[3] ? constNumbers(inputs[3], "frame_length", ctx)[0]! : ctx.fail("needs a window or a frame_length");
    if (window && (window.dims.length !== 1 || (inputs[3] && constNumbers(inputs[3], "frame_length", ctx)[0] !== frameLength))) {
      ctx.fail(`the window must be 1-D and as long as frame_length, got [${window.dims.join(", ")}]`);
    }
    const [batch, length] = signal.dims as [number, number];
    if (!(step >= 1) || frameLength < 1 || frameLength > length) ctx.fail(`frame_step ${step} and frame_length ${frameLength} do not fit a signal of ${length}`);
    const onesided = ctx.node.intAttribute("onesided", 1) !== 0;
    const bins = onesided ? Math.floor(frameLength / 2) + 1 : frameLength;
    const frames = Math.floor((length - frameLength) / step) + 1;
    const plan = planFor(frameLength);
    const re = new Float64Array(frameLength);
    const im = new Float64Array(frameLength);
    const width = complex ? 2 : 1;
    return {
      outputs: [{ dtype: "float32", dims: [batch, frames, bins, 2] }],
      run(ins, outs) {
        const src = ins[0]!.data as Float32Array;
        const w = ins[2]?.data as Float32Array | undefined;
        const dst = outs[0]!.data as Float32Array;
        for (let b = 0; b < batch; b++) {
          for (let f = 0; f < frames; f++) {
            for (let j = 0; j < frameLength; j++) {
              const at = (b * length + f * step + j) * width;
              const weight = w ? w[j]! : 1;
              re[j] = src[at]! * weight;
              im[j] = complex ? src[at + 1]! * weight : 0;
            }
            if (plan.half && !complex) realTransform(re, frameLength, frameLength, bins, plan, dst, (b * frames + f) * bins, 1);
            else transform(re, im, frameLength, frameLength, bins, false, plan, dst, (b * frames + f) * bins, 1);
          }
        }
      },
    };
  },
};

/** MelWeightMatrix: triangular filters, evenly spaced on the mel scale, over the one-sided DFT bins (as ONNX defines). */
const melWeightMatrix: OpDef = {
  prepare(inputs, ctx) {
    const [mels, dftLength, sampleRate, low, high] = [0, 1, 2, 3, 4].map((i) =>
      constNumbers(inputs[i], ["num_mel_bins", "dft_length", "sample_rate", "lower_edge_hertz", "upper_edge_hertz"][i]!, ctx)[0]!) as [number, number, number, number, number];
    const dtype = outputDataType(ctx);
    const spectrogramBins = Math.floor(dftLength / 2) + 1;
    const toMel = (hz: number) => 2595 * Math.log10(1 + hz / 700);
    const lowMel = toMel(low);
    const melStep = (toMel(high) - lowMel) / (mels + 2);
    // Each filter's edges and centre as DFT bins, rounded down.
    const edges = Array.from({ length: mels + 2 }, (_, i) => Math.floor(((dftLength + 1) * 700 * (10 ** ((i * melStep + lowMel) / 2595) - 1)) / sampleRate));
    const data = arrayFor(dtype, spectrogramBins * mels);
    const put = writer(data);
    const at = (bin: number, mel: number) => {
      if (bin < 0 || bin >= spectrogramBins) ctx.fail(`the filter band reaches bin ${bin}, outside the ${spectrogramBins} bins of a ${dftLength}-point DFT: lower upper_edge_hertz or raise dft_length`);
      return bin * mels + mel;
    };
    for (let i = 0; i < mels; i++) {
      const [left, centre, right] = [edges[i]!, edges[i + 1]!, edges[i + 2]!];
      if (centre === left) put(at(centre, i), 1);
      else for (let j = left; j <= centre; j++) put(at(j, i), (j - left) / (centre - left));
      for (let j = centre; j < right; j++) put(at(j, i), (right - j) / (right - centre));
    }
    return { outputs: [{ dtype, dims: [spectrogramBins, mels], value: data }] };
  },
};

export const signalOps: Record<string, OpDef> = { DFT: dft, STFT: stft, MelWeightMatrix: melWeightMatrix };

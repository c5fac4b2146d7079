import { floorDivF32, fround, torchSumF32 } from "./float32.js";

/**
 * PyTorch's HistogramObserver._non_linear_param_search: shrink [min, max] bin by bin from whichever side holds less
 * mass (quantile steps of 1e-5) while the L2 quantization error of the histogram keeps falling; return the range
 * that minimized it. Python-level scalars are doubles, tensor ops float32, exactly as torch mixes them: cumulative
 * sums accumulate in double and are stored as float32, and comparisons against a Python float happen in float32.
 */
export function nonLinearParamSearch(hist: Float32Array, min: number, max: number, dstBins: number): { min: number; max: number } {
  const bins = hist.length;
  const binWidth32 = fround(fround(max - min) / bins);
  const total = torchSumF32(hist);
  const cSum = new Float32Array(bins);
  let acc = 0;
  for (let i = 0; i < bins; i++) {
    acc += hist[i]!;
    cSum[i] = acc;
  }
  const error = new QuantizationError(hist, min, max, dstBins);

  const stepsize = 1e-5;
  let alpha = 0;
  let beta = 1;
  let startBin = 0;
  let endBin = bins - 1;
  let normMin = Infinity;
  // l and r only move inwards while start/end stay put and the quantiles grow, so each scan resumes where the
  // last one stopped (torch rescans from start_bin/end_bin, with the same result).
  let l = startBin;
  let r = endBin;
  while (alpha < beta) {
    const nextAlpha = alpha + stepsize;
    const nextBeta = beta - stepsize;
    const lo = fround(nextAlpha * total);
    const hi = fround(nextBeta * total);
    l = Math.max(Math.min(l, endBin), startBin);
    r = Math.min(Math.max(r, startBin), endBin);
    while (l < endBin && cSum[l]! < lo) l++;
    while (r > startBin && cSum[r]! > hi) r--;

    let nextStart = startBin;
    let nextEnd = endBin;
    if (l - startBin > endBin - r) {
      nextStart = l;
      alpha = nextAlpha;
    } else {
      nextEnd = r;
      beta = nextBeta;
    }
    if (nextStart === startBin && nextEnd === endBin) continue;

    const norm = error.at(nextStart, nextEnd);
    if (norm > normMin) break;
    normMin = norm;
    startBin = nextStart;
    endBin = nextEnd;
  }
  return {
    min: fround(min + fround(binWidth32 * startBin)),
    max: fround(min + fround(binWidth32 * (endBin + 1))),
  };
}

/** HistogramObserver._compute_quantization_error, with its scratch arrays allocated once per search. */
class QuantizationError {
  private readonly norm: Float32Array;
  private readonly density: Float32Array;
  private readonly binWidth: number;
  private readonly binWidth32: number;

  constructor(
    private readonly hist: Float32Array,
    min: number,
    max: number,
    private readonly dstBins: number,
  ) {
    const bins = hist.length;
    this.binWidth = (max - min) / bins;
    this.binWidth32 = fround(this.binWidth);
    this.norm = new Float32Array(bins);
    this.density = new Float32Array(bins);
    for (let i = 0; i < bins; i++) this.density[i] = fround(hist[i]! / this.binWidth32);
  }

  at(startBin: number, endBin: number): number {
    const bins = this.hist.length;
    const dstWidth = (this.binWidth * (endBin - startBin + 1)) / this.dstBins;
    if (dstWidth === 0) return 0;
    const w = fround(dstWidth);
    const half = fround(dstWidth / 2);
    const negHalf = fround(-dstWidth / 2);
    const last = this.dstBins - 1;
    // The middle term's norm of a whole destination bin is the same for every source bin.
    const whole = fround(fround(fround(fround(half * half) * half) - fround(fround(negHalf * negHalf) * negHalf)) / 3);
    const bw = this.binWidth32;
    const norm = this.norm;
    for (let i = 0; i < bins; i++) {
      const density = this.density[i]!;
      const begin = fround((i - startBin) * bw);
      const end = fround(begin + bw);
      const dstBegin = clamp(floorDivF32(begin, w), last);
      const dstEnd = clamp(floorDivF32(end, w), last);
      const beginCenter = fround(fround(dstBegin + 0.5) * w);
      let n = l2(fround(begin - beginCenter), half, density);
      n = fround(n + fround(fround(fround(dstEnd - dstBegin) - 1) * fround(density * whole)));
      const endCenter = fround(fround(dstEnd * w) + half);
      n = fround(n + l2(negHalf, fround(end - endCenter), density));
      norm[i] = n;
    }
    return torchSumF32(norm);
  }
}

/** _get_norm: density * (end³ - begin³) / 3 in float32. */
function l2(begin: number, end: number, density: number): number {
  const e3 = fround(fround(end * end) * end);
  const b3 = fround(fround(begin * begin) * begin);
  return fround(density * fround(fround(e3 - b3) / 3));
}

function clamp(x: number, last: number): number {
  return x < 0 ? 0 : x > last ? last : x;
}

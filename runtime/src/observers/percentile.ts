import { isSymmetric } from "../quant-types.js";
import type { OptionName } from "./base.js";
import type { ObserverOptions } from "./observer.js";
import { ObserverError } from "./observer-error.js";
import { OrtAbsHistogram, OrtRangeHistogram, type OrtHistogram } from "./ort-histogram.js";
import { OrtHistogramCalibrator } from "./ort-calibrator.js";
import { UNIFORM_OPTIONS } from "./uniform.js";

/**
 * ONNX Runtime's Percentile calibration (CalibrationMethod.Percentile) as an observer. Symmetric qschemes (the
 * default, like ORT's default symmetric=True) histogram |x| and clip at the edge where the cumulative share reaches
 * `percentile` (default 99.999), giving [-t, t]; affine qschemes histogram x over [-max|x|, max|x|] and cut
 * (100 - percentile) / 2 % from each side. The range is clipped to the observed min/max, then turned into qparams
 * with PyTorch's formula, like every qkit observer.
 *
 * merge: counts add bin by bin when both histograms have the same edges; otherwise the other's bins are moved onto
 * this one's (widened) edges by their midpoints, which can shift mass by up to one bin.
 */
export class PercentileObserver extends OrtHistogramCalibrator {
  static override readonly observerName: string = "PercentileObserver";
  static override readonly acceptedOptions: readonly OptionName[] = [...UNIFORM_OPTIONS, "bins", "percentile"];
  static override readonly defaultOptions: Readonly<ObserverOptions> = Object.freeze({
    dtype: "uint8",
    qscheme: "per_tensor_symmetric",
    reduceRange: false,
    bins: 2048,
    percentile: 99.999,
  });

  readonly percentile: number;
  readonly histogram: OrtAbsHistogram | OrtRangeHistogram;

  constructor(options?: ObserverOptions) {
    super(options, "per_tensor", false);
    const p = this.options.percentile ?? 99.999;
    if (!(p >= 0 && p <= 100)) throw new ObserverError("invalid-option", this.observerName, `percentile must be in [0, 100], got ${p}`);
    const bins = this.options.bins ?? 2048;
    if (!Number.isInteger(bins) || bins < 1) throw new ObserverError("invalid-option", this.observerName, `bins must be a positive integer, got ${bins}`);
    this.percentile = p;
    this.histogram = isSymmetric(this.qscheme) ? new OrtAbsHistogram(bins) : new OrtRangeHistogram(bins);
  }

  /** The clipping range ORT's compute_percentile picks, or undefined before any data. */
  calculateRange(): { min: number; max: number } | undefined {
    const h = this.histogram;
    if (h.empty) return undefined;
    const cdf = cumulativeShares(h);
    let lo: number;
    let hi: number;
    if (h instanceof OrtAbsHistogram) {
      const t = h.edges[searchSorted(cdf, this.percentile / 100)]!;
      lo = -t;
      hi = t;
    } else {
      const cut = (100 - this.percentile) / 200;
      lo = h.edges[searchSorted(cdf, cut)]!;
      hi = h.edges[searchSorted(cdf, 1 - cut)]!;
    }
    return { min: Math.max(lo, h.min), max: Math.min(hi, h.max) };
  }
}

/** np.cumsum(hist / hist.sum()). */
export function cumulativeShares(h: OrtHistogram): Float64Array {
  let total = 0;
  for (const c of h.counts) total += c;
  const cdf = new Float64Array(h.counts.length);
  let acc = 0;
  for (let i = 0; i < cdf.length; i++) {
    acc += h.counts[i]! / total;
    cdf[i] = acc;
  }
  return cdf;
}

/** np.searchsorted(a, v) (side "left"): the first index with a[i] >= v. */
export function searchSorted(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (a[m]! < v) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** ORT's histograms cannot hold NaN or ±inf (numpy refuses an infinite range); say so instead. */

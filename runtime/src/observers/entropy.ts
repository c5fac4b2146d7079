import type { OptionName } from "./base.js";
import type { ObserverOptions } from "./observer.js";
import { ObserverError } from "./observer-error.js";
import { OrtRangeHistogram } from "./ort-histogram.js";
import { OrtHistogramCalibrator } from "./ort-calibrator.js";
import { UNIFORM_OPTIONS } from "./uniform.js";
import { klThreshold } from "./kl-threshold.js";

/**
 * ONNX Runtime's Entropy calibration (CalibrationMethod.Entropy, TensorRT's KL method) as an observer: a `bins`-bin
 * histogram (default 2048) over [-max|x|, max|x|], then the symmetric window around the zero bin whose histogram,
 * squeezed into `numQuantizedBins` (default 128) bins and expanded back, is closest to the clipped original in KL
 * divergence. The window's edges, clipped to the observed min/max, go through PyTorch's qparams formula.
 *
 * merge: as PercentileObserver's (exact sum for equal edges, midpoint re-binning otherwise).
 */
export class EntropyObserver extends OrtHistogramCalibrator {
  static override readonly observerName: string = "EntropyObserver";
  static override readonly acceptedOptions: readonly OptionName[] = [...UNIFORM_OPTIONS, "bins", "numQuantizedBins"];
  static override readonly defaultOptions: Readonly<ObserverOptions> = Object.freeze({
    dtype: "uint8",
    qscheme: "per_tensor_affine",
    reduceRange: false,
    bins: 2048,
    numQuantizedBins: 128,
  });

  readonly numQuantizedBins: number;
  readonly histogram: OrtRangeHistogram;

  constructor(options?: ObserverOptions) {
    super(options, "per_tensor", false);
    const bins = this.options.bins ?? 2048;
    const q = this.options.numQuantizedBins ?? 128;
    if (!Number.isInteger(bins) || bins < 2) throw new ObserverError("invalid-option", this.observerName, `bins must be an integer >= 2, got ${bins}`);
    if (!Number.isInteger(q) || q < 2 || q > bins) {
      throw new ObserverError("invalid-option", this.observerName, `numQuantizedBins must be an integer in [2, bins], got ${q}`);
    }
    this.numQuantizedBins = q;
    this.histogram = new OrtRangeHistogram(bins);
  }

  /** The range the KL search picks, or undefined before any data. */
  calculateRange(): { min: number; max: number } | undefined {
    const h = this.histogram;
    if (h.empty) return undefined;
    const t = klThreshold(h.counts, h.edges, this.numQuantizedBins);
    return { min: Math.max(t.min, h.min), max: Math.min(t.max, h.max) };
  }
}

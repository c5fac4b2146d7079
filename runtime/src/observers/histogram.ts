import type { QParams } from "../quant-types.js";
import type { OptionName } from "./base.js";
import { combineHistograms } from "./histogram-combine.js";
import { nonLinearParamSearch } from "./histogram-search.js";
import { histc } from "./histc.js";
import { decodeFloat, decodeFloat32Array, encodeFloat, encodeFloats, stateObject } from "./json-codec.js";
import type { ObservedTensor, ObserverOptions } from "./observer.js";
import { ObserverError } from "./observer-error.js";
import { dtypeLimits } from "./qrange.js";
import { finiteMinMaxInto, histcInto } from "./scan.js";
import { checkTensor } from "./tensor.js";
import { UNIFORM_DEFAULTS, UNIFORM_OPTIONS, UniformObserver } from "./uniform.js";

/**
 * PyTorch's HistogramObserver as of the 2024 rewrite (pytorch#129387, PyTorch ≥ 2.5): a `bins`-bin histogram over
 * the running [min, max]; when a batch widens the range, the old histogram is re-binned onto the new range with a
 * fixed 16× upsample; calculateQparams searches the histogram for the range with the least L2 quantization error
 * (_non_linear_param_search) and applies PyTorch's scale/zero-point formula to it.
 *
 * ±inf values are ignored, as torch does (they would make the range infinite). NaN is refused at observe time:
 * torch fails there too (histc of a NaN range).
 *
 * merge(other) is not bit-exact with observing everything in one observer: the union range is exact and every bit
 * of mass is kept (both histograms are re-binned onto the union range by the same 16× midpoint rule torch uses when
 * a batch widens the range), but where a bin's mass lands can differ by one bin from what a single observer would
 * have built, and the qparams can differ accordingly. When both observers already share the same [min, max], merge
 * is an exact bin-by-bin sum.
 */
export class HistogramObserver extends UniformObserver {
  static override readonly observerName: string = "HistogramObserver";
  static override readonly acceptedOptions: readonly OptionName[] = [...UNIFORM_OPTIONS, "bins"];
  static override readonly defaultOptions: Readonly<ObserverOptions> = Object.freeze({ ...UNIFORM_DEFAULTS, bins: 2048 });

  readonly bins: number;
  /** 2^bits of the dtype: the number of destination bins the error search quantizes to. */
  readonly dstBins: number;
  /** float32 counts (fractional after re-binning). */
  histogram: Float32Array;
  /** float32; +inf/-inf until something is observed. */
  min = Infinity;
  max = -Infinity;
  private readonly scratch = new Float64Array(2);

  constructor(options?: ObserverOptions) {
    super(options, "per_tensor", false);
    const bins = this.options.bins ?? 2048;
    if (!Number.isInteger(bins) || bins < 1) throw new ObserverError("invalid-option", this.observerName, `bins must be a positive integer, got ${bins}`);
    this.bins = bins;
    this.dstBins = 2 ** dtypeLimits(this.dtype).bits;
    this.histogram = new Float32Array(bins);
  }

  get initialized(): boolean {
    return !(this.min === Infinity || this.max === -Infinity);
  }

  observe(tensor: ObservedTensor): void {
    if (checkTensor(this.observerName, tensor) === 0) return;
    const finite = finiteMinMaxInto(tensor.data, this.scratch);
    const xMin = this.scratch[0]!;
    const xMax = this.scratch[1]!;
    if (Number.isNaN(xMin)) {
      throw new ObserverError("non-finite", this.observerName, "the observed tensor contains NaN, which has no place in a histogram (torch fails too); remove NaN from the calibration data");
    }
    if (finite === 0) return;
    const data = tensor.data;
    if (!this.initialized) {
      this.min = xMin;
      this.max = xMax;
      this.histogram = histc(data, this.bins, xMin, xMax, xMin, xMax);
      return;
    }
    const newMin = Math.min(this.min, xMin);
    const newMax = Math.max(this.max, xMax);
    const update = histc(data, this.bins, newMin, newMax, xMin, xMax);
    if (newMin === this.min && newMax === this.max) {
      addInto(this.histogram, update);
      return;
    }
    this.histogram = combineHistograms(this.histogram, this.min, this.max, update, newMin, newMax);
    this.min = newMin;
    this.max = newMax;
  }

  calculateQparams(): QParams {
    if (!this.initialized) return this.qparamsFor([Infinity], [-Infinity]);
    const range = nonLinearParamSearch(this.histogram, this.min, this.max, this.dstBins);
    return this.qparamsFor([range.min], [range.max]);
  }

  /** The range the error search picked (what calculateQparams quantizes), or undefined before any data. */
  searchRange(): { min: number; max: number } | undefined {
    return this.initialized ? nonLinearParamSearch(this.histogram, this.min, this.max, this.dstBins) : undefined;
  }

  protected saveState(): unknown {
    return { min: encodeFloat(this.min), max: encodeFloat(this.max), histogram: encodeFloats(this.histogram) };
  }

  protected loadState(state: unknown): void {
    const s = stateObject(this.observerName, state);
    this.min = decodeFloat(this.observerName, s.min, "min");
    this.max = decodeFloat(this.observerName, s.max, "max");
    this.histogram = decodeFloat32Array(this.observerName, s.histogram, "histogram", this.bins);
  }

  protected mergeState(other: this): void {
    if (!other.initialized) return;
    if (!this.initialized) {
      this.min = other.min;
      this.max = other.max;
      this.histogram = other.histogram.slice();
      return;
    }
    const newMin = Math.min(this.min, other.min);
    const newMax = Math.max(this.max, other.max);
    // Each side moves onto the union range the way torch moves its running histogram; a side already on it stays.
    const zero = new Float32Array(this.bins);
    const theirs = combineHistograms(other.histogram, other.min, other.max, zero, newMin, newMax);
    this.histogram = combineHistograms(this.histogram, this.min, this.max, theirs, newMin, newMax);
    this.min = newMin;
    this.max = newMax;
  }
}

function addInto(acc: Float32Array, x: Float32Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + x[i]!;
}

/** Re-exported for kernels that bin into an existing histogram. */
export { histcInto };

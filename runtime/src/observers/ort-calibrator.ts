import type { QParams } from "../quant-types.js";
import type { ObservedTensor } from "./observer.js";
import { ObserverError } from "./observer-error.js";
import type { OrtCollector } from "./ort-histogram.js";
import { checkTensor } from "./tensor.js";
import { UniformObserver } from "./uniform.js";

/** ONNX Runtime's histogram calibrators refuse NaN and ±inf (numpy's histogram would fail on them). */
export function rejectNonFinite(observer: string, data: Float32Array): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      throw new ObserverError("non-finite", observer, `the observed tensor contains ${data[i]} at index ${i}; histogram calibration needs finite values`);
    }
  }
}

/**
 * What ONNX Runtime's histogram calibrators (Percentile, Entropy) share: one histogram of the finite values, a range
 * picked from it by the subclass, qparams from that range with PyTorch's formula, and the histogram as their state.
 */
export abstract class OrtHistogramCalibrator extends UniformObserver {
  abstract readonly histogram: OrtCollector;

  /** The clipping range the calibrator picks, or undefined before any data. */
  abstract calculateRange(): { min: number; max: number } | undefined;

  observe(tensor: ObservedTensor): void {
    if (checkTensor(this.observerName, tensor) === 0) return;
    rejectNonFinite(this.observerName, tensor.data);
    this.histogram.observe(tensor.data);
  }

  calculateQparams(): QParams {
    const r = this.calculateRange();
    return r ? this.qparamsFor([r.min], [r.max]) : this.qparamsFor([Infinity], [-Infinity]);
  }

  protected saveState(): unknown {
    return this.histogram.save();
  }

  protected loadState(state: unknown): void {
    this.histogram.load(this.observerName, state);
  }

  protected mergeState(other: this): void {
    this.histogram.mergeFrom(other.histogram);
  }
}

import type { QParams } from "../quant-types.js";
import type { OptionName } from "./base.js";
import { decodeFloat, encodeFloat, stateObject } from "./json-codec.js";
import type { ObservedTensor, ObserverOptions } from "./observer.js";
import { minMaxInto } from "./scan.js";
import { checkTensor } from "./tensor.js";
import { UNIFORM_DEFAULTS, UNIFORM_OPTIONS, UniformObserver } from "./uniform.js";

/**
 * PyTorch's MinMaxObserver: the running minimum and maximum of everything observed. NaN in the input propagates
 * into min/max (torch.aminmax does) and calculateQparams then refuses, as torch's does.
 *
 * merge: min of the minima and max of the maxima, so merging observers that saw two halves of the data gives
 * exactly what one observer of all of it gives.
 */
export class MinMaxObserver extends UniformObserver {
  static override readonly observerName: string = "MinMaxObserver";
  static override readonly acceptedOptions: readonly OptionName[] = UNIFORM_OPTIONS;
  static override readonly defaultOptions: Readonly<ObserverOptions> = UNIFORM_DEFAULTS;

  /** float32 values; +inf/-inf until something is observed. */
  min = Infinity;
  max = -Infinity;
  protected readonly scratch = new Float64Array(2);

  constructor(options?: ObserverOptions) {
    super(options, "per_tensor", true);
  }

  observe(tensor: ObservedTensor): void {
    if (checkTensor(this.observerName, tensor) === 0) return;
    minMaxInto(tensor.data, this.scratch);
    this.update(this.scratch[0]!, this.scratch[1]!);
  }

  /** Folds one batch's min and max into the running statistics. */
  protected update(batchMin: number, batchMax: number): void {
    this.min = Math.min(this.min, batchMin);
    this.max = Math.max(this.max, batchMax);
  }

  calculateQparams(): QParams {
    return this.qparamsFor([this.min], [this.max]);
  }

  protected saveState(): unknown {
    return { min: encodeFloat(this.min), max: encodeFloat(this.max) };
  }

  protected loadState(state: unknown): void {
    const s = stateObject(this.observerName, state);
    this.min = decodeFloat(this.observerName, s.min, "min");
    this.max = decodeFloat(this.observerName, s.max, "max");
  }

  protected mergeState(other: this): void {
    this.update(other.min, other.max);
  }
}

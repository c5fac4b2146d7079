import type { QParams } from "../quant-types.js";
import type { OptionName } from "./base.js";
import { decodeFloat32Array, encodeFloats, stateObject } from "./json-codec.js";
import type { ObservedTensor, ObserverOptions } from "./observer.js";
import { ObserverError } from "./observer-error.js";
import { perChannelMinMaxInto } from "./scan.js";
import { channelView, checkTensor } from "./tensor.js";
import { UNIFORM_OPTIONS, UniformObserver } from "./uniform.js";

export const PER_CHANNEL_OPTIONS: readonly OptionName[] = [...UNIFORM_OPTIONS, "chAxis"];

/**
 * PyTorch's PerChannelMinMaxObserver: running min/max per slice along `chAxis` (default 0), one scale and zero
 * point per channel. NaN in a channel makes that channel's range NaN and calculateQparams refuses, as torch does.
 *
 * merge: channel-wise min/max, so two halves merged equal one observer of the whole, exactly.
 */
export class PerChannelMinMaxObserver extends UniformObserver {
  static override readonly observerName: string = "PerChannelMinMaxObserver";
  static override readonly acceptedOptions: readonly OptionName[] = PER_CHANNEL_OPTIONS;
  static override readonly defaultOptions: Readonly<ObserverOptions> = Object.freeze({
    dtype: "uint8",
    qscheme: "per_channel_affine",
    reduceRange: false,
    chAxis: 0,
  });

  /** float32 per channel; empty until something is observed. */
  min: Float32Array = new Float32Array(0);
  max: Float32Array = new Float32Array(0);
  /** The channel axis, made non-negative once a tensor's rank is known. */
  axis: number;
  private batchMin: Float32Array = new Float32Array(0);
  private batchMax: Float32Array = new Float32Array(0);

  constructor(options?: ObserverOptions) {
    super(options, "per_channel", true);
    const axis = this.options.chAxis ?? 0;
    if (!Number.isInteger(axis)) throw new ObserverError("invalid-option", this.observerName, `chAxis must be an integer, got ${axis}`);
    this.axis = axis;
  }

  observe(tensor: ObservedTensor): void {
    if (checkTensor(this.observerName, tensor) === 0) return;
    const v = channelView(this.observerName, tensor, this.options.chAxis ?? 0);
    this.axis = v.axis;
    if (this.min.length !== 0 && this.min.length !== v.channels) {
      throw new ObserverError(
        "invalid-input",
        this.observerName,
        `saw ${this.min.length} channels before and ${v.channels} now along axis ${v.axis} (dims [${tensor.dims.join(", ")}])`,
      );
    }
    if (this.batchMin.length !== v.channels) {
      this.batchMin = new Float32Array(v.channels);
      this.batchMax = new Float32Array(v.channels);
    }
    perChannelMinMaxInto(tensor.data, v.outer, v.channels, v.inner, this.batchMin, this.batchMax);
    this.update(this.batchMin, this.batchMax);
  }

  /** Folds one batch's per-channel extremes into the running statistics. */
  protected update(batchMin: Float32Array, batchMax: Float32Array): void {
    if (this.min.length === 0) {
      this.min = batchMin.slice();
      this.max = batchMax.slice();
      return;
    }
    for (let c = 0; c < batchMin.length; c++) {
      this.min[c] = Math.min(this.min[c]!, batchMin[c]!);
      this.max[c] = Math.max(this.max[c]!, batchMax[c]!);
    }
  }

  calculateQparams(): QParams {
    return this.qparamsFor(this.min, this.max, this.axis);
  }

  protected saveState(): unknown {
    return { axis: this.axis, min: encodeFloats(this.min), max: encodeFloats(this.max) };
  }

  protected loadState(state: unknown): void {
    const s = stateObject(this.observerName, state);
    this.min = decodeFloat32Array(this.observerName, s.min, "min");
    this.max = decodeFloat32Array(this.observerName, s.max, "max", this.min.length);
    if (typeof s.axis === "number") this.axis = s.axis;
  }

  protected mergeState(other: this): void {
    if (other.min.length === 0) return;
    if (this.min.length !== 0 && this.min.length !== other.min.length) {
      throw new ObserverError("merge-mismatch", this.observerName, `cannot merge ${other.min.length} channels into ${this.min.length}`);
    }
    if (this.min.length === 0) this.axis = other.axis;
    this.update(other.min, other.max);
  }
}

import type { OptionName } from "./base.js";
import { fround } from "./float32.js";
import { decodeFloat32Array, encodeFloats, stateObject } from "./json-codec.js";
import { averagingConstantOf, BatchLog, movingAverageStep } from "./moving-average.js";
import type { ObserverOptions } from "./observer.js";
import { ObserverError } from "./observer-error.js";
import { PER_CHANNEL_OPTIONS, PerChannelMinMaxObserver } from "./per-channel-min-max.js";

/**
 * PyTorch's MovingAveragePerChannelMinMaxObserver: per-channel min/max as moving averages (constant
 * `averagingConstant`, default 0.01) after the first batch.
 *
 * merge(other) replays other's batches after this observer's (the state keeps each batch's per-channel extremes),
 * so consecutive parts merged in order equal one observer of the whole, exactly.
 */
export class MovingAveragePerChannelMinMaxObserver extends PerChannelMinMaxObserver {
  static override readonly observerName: string = "MovingAveragePerChannelMinMaxObserver";
  static override readonly acceptedOptions: readonly OptionName[] = [...PER_CHANNEL_OPTIONS, "averagingConstant"];
  static override readonly defaultOptions: Readonly<ObserverOptions> = Object.freeze({
    ...PerChannelMinMaxObserver.defaultOptions,
    averagingConstant: 0.01,
  });

  readonly averagingConstant: number;
  private readonly c32: number;
  private log = new BatchLog();

  constructor(options?: ObserverOptions) {
    super(options);
    this.averagingConstant = averagingConstantOf(this.observerName, this.options);
    this.c32 = fround(this.averagingConstant);
  }

  protected override update(batchMin: Float32Array, batchMax: Float32Array): void {
    this.log.push(batchMin, batchMax);
    if (this.min.length === 0) {
      this.min = batchMin.slice();
      this.max = batchMax.slice();
      return;
    }
    for (let c = 0; c < batchMin.length; c++) {
      this.min[c] = movingAverageStep(this.min[c]!, batchMin[c]!, this.c32, false);
      this.max[c] = movingAverageStep(this.max[c]!, batchMax[c]!, this.c32, false);
    }
  }

  protected override saveState(): unknown {
    return { ...(super.saveState() as object), batchMins: encodeFloats(this.log.mins), batchMaxs: encodeFloats(this.log.maxs) };
  }

  protected override loadState(state: unknown): void {
    super.loadState(state);
    const s = stateObject(this.observerName, state);
    this.log = new BatchLog();
    if (Array.isArray(s.batchMins)) {
      this.log.push(decodeFloat32Array(this.observerName, s.batchMins, "batchMins"), decodeFloat32Array(this.observerName, s.batchMaxs, "batchMaxs", s.batchMins.length));
    }
  }

  protected override mergeState(other: this): void {
    const channels = other.min.length;
    if (channels === 0) return;
    if (this.min.length !== 0 && this.min.length !== channels) {
      throw new ObserverError("merge-mismatch", this.observerName, `cannot merge ${channels} channels into ${this.min.length}`);
    }
    if (this.min.length === 0) this.axis = other.axis;
    const mins = other.log.mins;
    const maxs = other.log.maxs;
    for (let b = 0; b < mins.length; b += channels) {
      this.update(Float32Array.from(mins.slice(b, b + channels)), Float32Array.from(maxs.slice(b, b + channels)));
    }
  }
}

import type { OptionName } from "./base.js";
import { fround } from "./float32.js";
import { decodeFloat, encodeFloats, stateObject } from "./json-codec.js";
import { MinMaxObserver } from "./min-max.js";
import { averagingConstantOf, BatchLog, movingAverageStep } from "./moving-average.js";
import type { ObserverOptions } from "./observer.js";
import { UNIFORM_DEFAULTS, UNIFORM_OPTIONS } from "./uniform.js";

/**
 * PyTorch's MovingAverageMinMaxObserver: min/max follow min += c * (batch_min - min) after the first batch.
 *
 * merge(other) replays other's batches after this observer's, so for observers that saw consecutive parts of the
 * data (in order) the result is exactly one observer of all of it. The state therefore keeps each batch's min and
 * max (two numbers per batch).
 */
export class MovingAverageMinMaxObserver extends MinMaxObserver {
  static override readonly observerName: string = "MovingAverageMinMaxObserver";
  static override readonly acceptedOptions: readonly OptionName[] = [...UNIFORM_OPTIONS, "averagingConstant"];
  static override readonly defaultOptions: Readonly<ObserverOptions> = Object.freeze({ ...UNIFORM_DEFAULTS, averagingConstant: 0.01 });

  readonly averagingConstant: number;
  private readonly c32: number;
  private log = new BatchLog();

  constructor(options?: ObserverOptions) {
    super(options);
    this.averagingConstant = averagingConstantOf(this.observerName, this.options);
    this.c32 = fround(this.averagingConstant);
  }

  protected override update(batchMin: number, batchMax: number): void {
    const first = this.min === Infinity && this.max === -Infinity;
    this.min = movingAverageStep(this.min, batchMin, this.c32, first);
    this.max = movingAverageStep(this.max, batchMax, this.c32, first);
    this.log.push([batchMin], [batchMax]);
  }

  protected override saveState(): unknown {
    return { ...(super.saveState() as object), batchMins: encodeFloats(this.log.mins), batchMaxs: encodeFloats(this.log.maxs) };
  }

  protected override loadState(state: unknown): void {
    super.loadState(state);
    const s = stateObject(this.observerName, state);
    const mins = Array.isArray(s.batchMins) ? s.batchMins : [];
    const maxs = Array.isArray(s.batchMaxs) ? s.batchMaxs : [];
    this.log = new BatchLog();
    this.log.push(
      mins.map((v, i) => decodeFloat(this.observerName, v, `batchMins[${i}]`)),
      maxs.map((v, i) => decodeFloat(this.observerName, v, `batchMaxs[${i}]`)),
    );
  }

  protected override mergeState(other: this): void {
    for (let i = 0; i < other.log.mins.length; i++) this.update(other.log.mins[i]!, other.log.maxs[i]!);
  }
}

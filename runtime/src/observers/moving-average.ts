import { fround } from "./float32.js";
import { ObserverError } from "./observer-error.js";
import type { ObserverOptions } from "./observer.js";

/** The averaging constant of a moving-average observer (torch's default 0.01), refused outside (0, 1]. */
export function averagingConstantOf(observer: string, options: Readonly<ObserverOptions>): number {
  const c = options.averagingConstant ?? 0.01;
  if (!(c > 0 && c <= 1)) throw new ObserverError("invalid-option", observer, `averagingConstant must be in (0, 1], got ${c}`);
  return c;
}

/**
 * One step of torch's moving average on float32 state: state + c * (batch - state), rounded to float32 after each
 * op. The first batch (state still +inf/-inf) is taken as is.
 */
export function movingAverageStep(state: number, batch: number, c32: number, first: boolean): number {
  return first ? batch : fround(state + fround(c32 * fround(batch - state)));
}

/**
 * The per-batch minima/maxima a moving-average observer has folded in, in order. Moving averages do not commute,
 * so merging replays the other observer's batches after this one's: merge(a, b) equals one observer that saw a's
 * batches and then b's, exactly.
 */
export class BatchLog {
  mins: number[] = [];
  maxs: number[] = [];

  push(mins: ArrayLike<number>, maxs: ArrayLike<number>): void {
    for (let i = 0; i < mins.length; i++) {
      this.mins.push(mins[i]!);
      this.maxs.push(maxs[i]!);
    }
  }
}

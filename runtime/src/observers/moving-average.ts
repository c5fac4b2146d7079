import { fround } from "./float32.js";

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

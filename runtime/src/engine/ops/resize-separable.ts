import type { RtValue } from "../op.js";
import { sizeOf } from "./util.js";

/** The inputs an output coordinate reads along one axis, with weights; null: outside the crop (extrapolated). */
export type Taps = [number, number][] | null;

/** One axis resized: every output index reads `width` inputs (short tap lists padded with weight 0). */
interface AxisPass {
  readonly width: number;
  readonly index: Int32Array;
  readonly weight: Float64Array;
  /** Elements before the axis (the product of the dims before it), the axis' sizes in and out, elements after it. */
  readonly outer: number;
  readonly n: number;
  readonly m: number;
  readonly inner: number;
}

/** Output indices of one axis that lie outside the crop, and the blocks around them. */
interface Extrapolated {
  readonly outer: number;
  readonly m: number;
  readonly inner: number;
  readonly indices: Int32Array;
}

/** Whether output index i of an axis reads input i alone (weight 1, any other taps weightless). */
export function identityTap(t: Taps, i: number): boolean {
  return t !== null && t.some(([j, w]) => j === i && w === 1) && t.every(([j, w]) => j === i || w === 0);
}

/**
 * A resize of any rank, mode and tap count (cubic, a crop that leaves the input, resized leading axes, trilinear) as
 * one pass per resized axis, last axis first, each output reading its axis' few taps from the previous pass. Sums
 * run in float64, so an output is Σ wᵧ·(Σ wₓ·x) rounded once at the end: the product-of-taps sum, in a few
 * nanoseconds per output and tap where walking every output's taps recursively took close to a microsecond.
 * Returns the op's run function; its two float64 buffers are the plan's, so a run allocates nothing.
 */
export function separableResize(inDims: readonly number[], out: readonly number[], taps: Taps[][], extrapolation: number) {
  const rank = inDims.length;
  const dims = [...inDims];
  const passes: AxisPass[] = [];
  let largest = 0;
  for (let d = rank - 1; d >= 0; d--) {
    const axis = taps[d]!;
    if (out[d] === dims[d] && axis.every((t, i) => identityTap(t, i))) continue;
    const width = Math.max(1, ...axis.map((t) => t?.length ?? 0));
    const m = out[d]!;
    const index = new Int32Array(m * width);
    const weight = new Float64Array(m * width);
    axis.forEach((t, o) => t?.forEach(([j, w], k) => { index[o * width + k] = j; weight[o * width + k] = w; }));
    passes.push({ width, index, weight, outer: sizeOf(dims.slice(0, d)), n: dims[d]!, m, inner: sizeOf(dims.slice(d + 1)) });
    dims[d] = m;
    largest = Math.max(largest, sizeOf(dims));
  }
  const extrapolated: Extrapolated[] = [];
  taps.forEach((axis, d) => {
    const outside = axis.flatMap((t, o) => (t === null ? [o] : []));
    if (outside.length) extrapolated.push({ outer: sizeOf(out.slice(0, d)), m: out[d]!, inner: sizeOf(out.slice(d + 1)), indices: Int32Array.from(outside) });
  });
  const ping = new Float64Array(passes.length > 1 ? largest : 0);
  const pong = new Float64Array(passes.length > 2 ? largest : 0);
  const total = sizeOf(out);
  return (ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]): void => {
    const src = ins[0]!.data as unknown as ArrayLike<number>;
    const dst = outs[0]!.data as unknown as { [i: number]: number; length: number };
    if (passes.length === 0) {
      for (let i = 0; i < total; i++) dst[i] = src[i]!;
    }
    let from: ArrayLike<number> = src;
    for (let p = 0; p < passes.length; p++) {
      const to = p === passes.length - 1 ? dst : p % 2 === 0 ? ping : pong;
      runPass(passes[p]!, from, to);
      from = to;
    }
    for (const e of extrapolated) {
      for (let o = 0; o < e.outer; o++) {
        for (const j of e.indices) {
          const base = (o * e.m + j) * e.inner;
          for (let i = 0; i < e.inner; i++) dst[base + i] = extrapolation;
        }
      }
    }
  };
}

/** One axis: to[o][j][i] = Σₖ weight[j][k] · from[o][index[j][k]][i]. */
function runPass(p: AxisPass, from: ArrayLike<number>, to: { [i: number]: number }): void {
  const { width, index, weight, outer, n, m, inner } = p;
  if (inner === 1) {
    // The last axis: each output gathers its taps from one row.
    for (let o = 0; o < outer; o++) {
      const row = o * n;
      const at = o * m;
      for (let j = 0; j < m; j++) {
        let acc = 0;
        const t0 = j * width;
        for (let k = 0; k < width; k++) acc += weight[t0 + k]! * from[row + index[t0 + k]!]!;
        to[at + j] = acc;
      }
    }
    return;
  }
  // An outer axis: each output row is a weighted sum of whole input rows, walked in order.
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const t0 = j * width;
      const at = (o * m + j) * inner;
      const r0 = (o * n + index[t0]!) * inner;
      const w0 = weight[t0]!;
      if (width === 1) {
        for (let i = 0; i < inner; i++) to[at + i] = w0 * from[r0 + i]!;
        continue;
      }
      const r1 = (o * n + index[t0 + 1]!) * inner;
      const w1 = weight[t0 + 1]!;
      if (width === 2) {
        for (let i = 0; i < inner; i++) to[at + i] = w0 * from[r0 + i]! + w1 * from[r1 + i]!;
        continue;
      }
      for (let i = 0; i < inner; i++) {
        let acc = w0 * from[r0 + i]! + w1 * from[r1 + i]!;
        for (let k = 2; k < width; k++) acc += weight[t0 + k]! * from[(o * n + index[t0 + k]!) * inner + i]!;
        to[at + i] = acc;
      }
    }
  }
}

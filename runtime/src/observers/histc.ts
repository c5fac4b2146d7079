import { fround } from "./float32.js";
import { histcInto } from "./scan.js";

/**
 * The float32 outer edges torch.histc(x, bins, min, max) bins over: [min, max], or the data's own (finite) extremes
 * when min == max, widened by 1 on each side if those are equal too.
 */
export function histcEdges(lo: number, hi: number, dataMin: number, dataMax: number): [number, number] {
  let l = lo;
  let h = hi;
  if (l === h) {
    l = dataMin;
    h = dataMax;
  }
  if (l === h) {
    l -= 1;
    h += 1;
  }
  return [fround(l), fround(h)];
}

/** torch.histc over finite values (±inf fall outside every finite range): a fresh float32 histogram. */
export function histc(data: Float32Array, bins: number, lo: number, hi: number, dataMin: number, dataMax: number): Float32Array {
  const hist = new Float32Array(bins);
  const [l, h] = histcEdges(lo, hi, dataMin, dataMax);
  histcInto(data, l, h, hist);
  return hist;
}

import { fround, linspaceF32, torchSumF32 } from "./float32.js";
import { histc } from "./histc.js";

/** The fixed upsampling HistogramObserver uses when it re-bins (PyTorch ≥ 2.5, pytorch#129387). */
export const UPSAMPLE_RATE = 16;

/**
 * Re-bins a histogram over [origMin, origMax] onto `bins` bins over the wider [newMin, newMax], as PyTorch's
 * HistogramObserver._upscale_histogram: every source bin is split into 16 equal parts, each part's mass goes to the
 * new bin holding its midpoint. All in float32, in torch's order.
 */
export function upscaleHistogram(hist: Float32Array, origMin: number, origMax: number, newMin: number, newMax: number): Float32Array {
  const bins = hist.length;
  const fine = bins * UPSAMPLE_RATE;
  const binSize = fround(fround(origMax - origMin) / fine);
  const halfBin = fround(0.5 * binSize);
  const mids = linspaceF32(origMin, origMax, fine + 1, new Float32Array(fine + 1));
  const bounds = linspaceF32(newMin, newMax, bins + 1, new Float32Array(bins + 1));
  const out = new Float32Array(bins);
  let b = 0;
  for (let i = 0; i < fine; i++) {
    const mid = fround(mids[i]! + halfBin);
    // bucketize(right=True) - 1: the last boundary <= mid. Midpoints increase, so the search only moves forward,
    // except that rounding can make them equal; a fresh search from 0 is kept for the first one.
    if (i === 0 || mid < bounds[b]!) b = upperBound(bounds, mid) - 1;
    else while (b + 1 <= bins && bounds[b + 1]! <= mid) b++;
    const bucket = b < 0 ? 0 : b >= bins ? bins - 1 : b;
    const w = fround(hist[(i / UPSAMPLE_RATE) | 0]! / UPSAMPLE_RATE);
    out[bucket] = fround(out[bucket]! + w);
  }
  return out;
}

function upperBound(a: Float32Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (a[m]! <= x) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/**
 * PyTorch's HistogramObserver._combine_histograms: the running histogram (over origMin..origMax) moved onto the
 * update's wider range newMin..newMax and added to the update histogram (already over the new range).
 */
export function combineHistograms(
  orig: Float32Array,
  origMin: number,
  origMax: number,
  update: Float32Array,
  newMin: number,
  newMax: number,
): Float32Array {
  const bins = orig.length;
  let moved: Float32Array;
  if (newMin === origMin && newMax === origMax) {
    moved = orig;
  } else if (origMin === origMax) {
    // A histogram of one repeated value: all of its mass goes to the new bin of that value.
    const mass = torchSumF32(orig);
    const one = histc(Float32Array.of(origMin), bins, newMin, newMax, origMin, origMin);
    moved = new Float32Array(bins);
    for (let i = 0; i < bins; i++) moved[i] = fround(one[i]! * mass);
  } else {
    moved = upscaleHistogram(orig, origMin, origMax, newMin, newMax);
  }
  const out = new Float32Array(bins);
  for (let i = 0; i < bins; i++) out[i] = fround(update[i]! + moved[i]!);
  return out;
}

/**
 * The observers' hot loops: one pass over a tensor's values, no allocation, plain typed-array indexing. They sit
 * behind these small functions; tensors of some size go to the WebAssembly scans (kernels/observers/scans.ts), which
 * compute the same bits, and the TypeScript loops stay as the reference and the fallback.
 */
import { WASM_SCAN_MIN_ELEMENTS, wasmFiniteMinMaxInto, wasmHistcInto, wasmMinMaxInto } from "./scan-wasm.js";

/**
 * min and max of `data` into out[0], out[1], as torch.aminmax: any NaN makes both NaN. Empty input gives
 * (+Infinity, -Infinity).
 */
export function minMaxInto(data: Float32Array, out: Float64Array | Float32Array): void {
  if (data.length >= WASM_SCAN_MIN_ELEMENTS && wasmMinMaxInto(data, out)) return;
  minMaxIntoJs(data, out);
}

/** The TypeScript loop minMaxInto runs for small tensors, and the reference the WebAssembly scan is tested against. */
export function minMaxIntoJs(data: Float32Array, out: Float64Array | Float32Array): void {
  let mn = Infinity;
  let mx = -Infinity;
  let nan = false;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < mn) mn = v;
    if (v > mx) mx = v;
    if (v !== v) nan = true;
  }
  out[0] = nan ? NaN : mn;
  out[1] = nan ? NaN : mx;
}

/**
 * min and max over the finite values of `data` (HistogramObserver drops ±inf); any NaN makes both NaN. Returns how
 * many values are finite.
 */
export function finiteMinMaxInto(data: Float32Array, out: Float64Array | Float32Array): number {
  if (data.length >= WASM_SCAN_MIN_ELEMENTS) {
    const finite = wasmFiniteMinMaxInto(data, out);
    if (finite >= 0) return finite;
  }
  return finiteMinMaxIntoJs(data, out);
}

export function finiteMinMaxIntoJs(data: Float32Array, out: Float64Array | Float32Array): number {
  let mn = Infinity;
  let mx = -Infinity;
  let nan = false;
  let finite = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v === Infinity || v === -Infinity) continue;
    if (v !== v) nan = true;
    finite++;
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  out[0] = nan ? NaN : mn;
  out[1] = nan ? NaN : mx;
  return finite;
}

/**
 * Per-channel min and max: `data` seen as [outer, channels, inner] (the channel axis in the middle), one result per
 * channel into outMin/outMax. NaN in a channel makes both of its results NaN, as torch.aminmax(dim=1) does.
 */
export function perChannelMinMaxInto(
  data: Float32Array,
  outer: number,
  channels: number,
  inner: number,
  outMin: Float32Array,
  outMax: Float32Array,
): void {
  outMin.fill(Infinity, 0, channels);
  outMax.fill(-Infinity, 0, channels);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const start = (o * channels + c) * inner;
      let mn = outMin[c]!;
      let mx = outMax[c]!;
      for (let i = start; i < start + inner; i++) {
        const v = data[i]!;
        if (v < mn) mn = v;
        if (v > mx) mx = v;
        if (v !== v) {
          mn = NaN;
          mx = NaN;
          break;
        }
      }
      // A NaN stays: no comparison with it is ever true in later slices.
      outMin[c] = mn;
      outMax[c] = mx;
    }
  }
}

/**
 * torch.histc's binning on float32 values, adding counts into `hist`: bin = trunc((v - lo) * bins / (hi - lo)) with
 * a float32 rounding after each operation, values outside [lo, hi] (and NaN, ±inf) skipped, v == hi in the last
 * bin. `lo`/`hi` must be float32 values with lo < hi.
 */
export function histcInto(data: Float32Array, lo: number, hi: number, hist: Float32Array): void {
  if (data.length >= WASM_SCAN_MIN_ELEMENTS && wasmHistcInto(data, lo, hi, hist)) return;
  histcIntoJs(data, lo, hi, hist);
}

export function histcIntoJs(data: Float32Array, lo: number, hi: number, hist: Float32Array): void {
  const bins = hist.length;
  const fround = Math.fround;
  const width = fround(hi - lo);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!(v >= lo && v <= hi)) continue;
    let b = Math.trunc(fround(fround(fround(v - lo) * bins) / width));
    if (b === bins) b = bins - 1;
    hist[b] = hist[b]! + 1;
  }
}

/**
 * numpy.histogram's binning against explicit ascending `edges` (numpy's searchsorted rule: edges[b] <= v <
 * edges[b + 1], the last edge inclusive), counting |v| when `abs`. Values outside the edges (and NaN) are skipped.
 * The bin is guessed from the mean bin width and corrected by walking to the exact edge, so near-uniform edges cost
 * one or two comparisons.
 */
export function edgesHistogramInto(data: Float32Array, abs: boolean, edges: Float64Array, counts: Float64Array): void {
  const bins = edges.length - 1;
  const lo = edges[0]!;
  const hi = edges[bins]!;
  const scale = bins / (hi - lo);
  for (let i = 0; i < data.length; i++) {
    let v = data[i]!;
    if (abs && v < 0) v = -v;
    if (!(v >= lo && v <= hi)) continue;
    let b = Math.floor((v - lo) * scale);
    if (b > bins - 1) b = bins - 1;
    if (b < 0) b = 0;
    while (b > 0 && v < edges[b]!) b--;
    while (b < bins - 1 && v >= edges[b + 1]!) b++;
    counts[b] = counts[b]! + 1;
  }
}

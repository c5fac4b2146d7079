import { fround } from "./float32.js";
import { decodeFloat, encodeFloat, stateObject } from "./json-codec.js";
import { edgesHistogramInto, minMaxInto } from "./scan.js";

/**
 * The histograms ONNX Runtime's HistogramCalibrater collects (onnxruntime/quantization/calibrate.py), which its
 * Percentile and Entropy methods read. Counts and the running min/max of the raw values; bin edges are float32
 * values as ORT stores them, arithmetic between them in doubles.
 */
export interface OrtHistogram {
  counts: Float64Array;
  edges: Float64Array;
  min: number;
  max: number;
}

/** np.linspace(lo, hi, n + 1) cast to float32, numpy's edges for np.histogram(x, n, range=(lo, hi)). */
function uniformEdges(lo: number, hi: number, n: number): Float64Array {
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const e = new Float64Array(n + 1);
  const step = (hi - lo) / n;
  for (let i = 0; i <= n; i++) e[i] = fround(i === n ? hi : lo + i * step);
  return e;
}

export abstract class OrtCollector implements OrtHistogram {
  counts: Float64Array = new Float64Array(0);
  edges: Float64Array = new Float64Array(0);
  min = Infinity;
  max = -Infinity;
  protected readonly scratch = new Float64Array(2);

  constructor(readonly bins: number) {}

  get empty(): boolean {
    return this.counts.length === 0;
  }

  /** Running min/max of the raw values; returns the batch's. */
  protected track(data: Float32Array): [number, number] {
    minMaxInto(data, this.scratch);
    const lo = this.scratch[0]!;
    const hi = this.scratch[1]!;
    this.min = Math.min(this.min, lo);
    this.max = Math.max(this.max, hi);
    return [lo, hi];
  }

  save(): Record<string, unknown> {
    return { min: encodeFloat(this.min), max: encodeFloat(this.max), counts: Array.from(this.counts), edges: Array.from(this.edges) };
  }

  load(observer: string, state: unknown): void {
    const s = stateObject(observer, state);
    this.min = decodeFloat(observer, s.min, "min");
    this.max = decodeFloat(observer, s.max, "max");
    this.counts = Float64Array.from((s.counts as number[] | undefined) ?? []);
    this.edges = Float64Array.from((s.edges as number[] | undefined) ?? []);
  }

  /**
   * Adds another collector's counts: bin by bin where the edges agree, otherwise each of its bins goes to the bin
   * here that holds the bin's midpoint, after widening this histogram to cover it (ORT itself has no merge).
   */
  mergeFrom(other: OrtCollector): void {
    if (other.empty) return;
    if (this.empty) {
      this.counts = other.counts.slice();
      this.edges = other.edges.slice();
      this.min = other.min;
      this.max = other.max;
      return;
    }
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    if (sameEdges(this.edges, other.edges)) {
      for (let i = 0; i < this.counts.length; i++) this.counts[i] = this.counts[i]! + other.counts[i]!;
      return;
    }
    const mids = new Float32Array(other.counts.length);
    for (let i = 0; i < mids.length; i++) mids[i] = (other.edges[i]! + other.edges[i + 1]!) / 2;
    this.widen(mids[0]!, mids[mids.length - 1]!);
    for (let i = 0; i < mids.length; i++) {
      const b = binOf(this.edges, mids[i]!);
      if (b >= 0) this.counts[b] = this.counts[b]! + other.counts[i]!;
    }
  }

  /** Grows the edges (ORT's way for this kind of histogram) so that [lo, hi] is covered. */
  protected abstract widen(lo: number, hi: number): void;

  /** Add a tensor's values (finite: the calibrators check). */
  abstract observe(data: Float32Array): void;
}

/** The bin holding v (edges[b] <= v < edges[b + 1], last edge inclusive), or -1 outside. */
function binOf(edges: Float64Array, v: number): number {
  const last = edges.length - 1;
  if (!(v >= edges[0]! && v <= edges[last]!)) return -1;
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const m = (lo + hi) >>> 1;
    if (edges[m]! <= v) lo = m;
    else hi = m;
  }
  return lo;
}

function sameEdges(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * collect_absolute_value (Percentile, symmetric): a histogram of |x| whose first batch fixes the bin width; later
 * batches with a larger |x| append bins of the same width (np.arange). As in ORT, values below the first batch's
 * smallest |x| fall outside the edges and are not counted.
 */
export class OrtAbsHistogram extends OrtCollector {
  observe(data: Float32Array): void {
    if (data.length === 0) return;
    this.track(data);
    let absMin = Infinity;
    let absMax = 0;
    for (let i = 0; i < data.length; i++) {
      const a = Math.abs(data[i]!);
      if (a < absMin) absMin = a;
      if (a > absMax) absMax = a;
    }
    if (this.empty) {
      this.edges = uniformEdges(absMin, absMax, this.bins);
      this.counts = new Float64Array(this.bins);
    } else {
      this.widen(0, absMax);
    }
    edgesHistogramInto(data, true, this.edges, this.counts);
  }

  protected widen(_lo: number, hi: number): void {
    const last = this.edges[this.edges.length - 1]!;
    if (!(hi > last)) return;
    const width = fround(this.edges[1]! - this.edges[0]!);
    const start = fround(last + width);
    const stop = fround(hi + width);
    const extra = Math.max(0, Math.ceil((stop - start) / width));
    const edges = new Float64Array(this.edges.length + extra);
    edges.set(this.edges);
    for (let i = 0; i < extra; i++) edges[this.edges.length + i] = fround(start + i * width);
    const counts = new Float64Array(edges.length - 1);
    counts.set(this.counts);
    this.edges = edges;
    this.counts = counts;
  }
}

/**
 * collect_value (Entropy, and Percentile when asymmetric): a histogram over [-t, t], t the largest |x| so far. A
 * batch with a larger |x| adds whole bins of the current width on both sides, keeping the old bins aligned.
 */
export class OrtRangeHistogram extends OrtCollector {
  threshold = 0;

  observe(data: Float32Array): void {
    if (data.length === 0) return;
    const [lo, hi] = this.track(data);
    const t = fround(Math.max(Math.abs(lo), Math.abs(hi)));
    if (this.empty) {
      this.threshold = t;
      this.edges = uniformEdges(-t, t, this.bins);
      this.counts = new Float64Array(this.bins);
    } else {
      this.widen(-t, t);
    }
    edgesHistogramInto(data, false, this.edges, this.counts);
  }

  protected widen(lo: number, hi: number): void {
    const t = Math.max(Math.abs(lo), Math.abs(hi));
    if (t <= this.threshold) return;
    const oldBins = this.counts.length;
    if (this.threshold === 0) {
      // ORT re-bins onto the new range and adds the old counts bin by bin.
      this.threshold = t;
      this.edges = uniformEdges(-t, t, oldBins);
      return;
    }
    const stride = (2 * this.threshold) / oldBins;
    const half = Math.floor((t - this.threshold) / stride) + 1;
    const bins = oldBins + 2 * half;
    this.threshold = fround(half * stride + this.threshold);
    this.edges = uniformEdges(-this.threshold, this.threshold, bins);
    const counts = new Float64Array(bins);
    counts.set(this.counts, half);
    this.counts = counts;
  }

  override save(): Record<string, unknown> {
    return { ...super.save(), threshold: this.threshold };
  }

  override load(observer: string, state: unknown): void {
    super.load(observer, state);
    const s = stateObject(observer, state);
    this.threshold = typeof s.threshold === "number" ? s.threshold : 0;
  }
}

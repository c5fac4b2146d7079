/**
 * ONNX Runtime's get_entropy_threshold: for each window [zero - i, zero + i] (i from numQuantizedBins / 2 to the
 * zero bin index), p is the window's histogram with the outside mass folded into its end bins, q squeezes the
 * window into numQuantizedBins bins and spreads each back evenly (truncated to an integer, as ORT's int64 array
 * does) over its non-empty source bins; both are smoothed and the window with the smallest KL(p || q) wins (the
 * first one on ties). Computed in doubles; ORT uses float32 for the smoothed arrays, so a near-tie between two
 * windows may resolve differently.
 */
export function klThreshold(hist: Float64Array, edges: Float64Array, numQuantizedBins: number): { min: number; max: number } {
  const bins = hist.length;
  const zero = Math.floor(bins / 2);
  const halfQ = Math.floor(numQuantizedBins / 2);
  const prefix = new Float64Array(bins + 1);
  for (let i = 0; i < bins; i++) prefix[i + 1] = prefix[i]! + hist[i]!;
  let best = Infinity;
  let bestRange = { min: edges[0]!, max: edges[bins]! };
  const p = new Float64Array(bins);
  const q = new Float64Array(bins);
  for (let i = halfQ; i <= zero; i++) {
    const start = zero - i;
    const end = Math.min(zero + i + 1, bins);
    const n = end - start;
    for (let k = 0; k < n; k++) p[k] = hist[start + k]!;
    p[0] = p[0]! + prefix[start]!;
    p[n - 1] = p[n - 1]! + (prefix[bins]! - prefix[end]!);

    const merged = Math.floor(n / numQuantizedBins);
    q.fill(0, 0, n);
    for (let b = 0; b < numQuantizedBins; b++) {
      const s = b * merged;
      const e = s + merged;
      let sum = 0;
      for (let k = s; k < e; k++) sum += hist[start + k]!;
      if (b === numQuantizedBins - 1) for (let k = numQuantizedBins * merged; k < n; k++) sum += hist[start + k]!;
      let nonzero = 0;
      for (let k = s; k < e; k++) if (p[k] !== 0) nonzero++;
      if (nonzero !== 0) {
        const v = Math.trunc(sum / nonzero);
        for (let k = s; k < e; k++) q[k] = v;
      }
    }
    const kl = smoothedKl(p, q, n);
    if (kl < best) {
      best = kl;
      bestRange = { min: edges[start]!, max: edges[end]! };
    }
  }
  return bestRange;
}

/** scipy.stats.entropy(smooth(p), smooth(q)) over the first n entries; Infinity when either is all zeros. */
function smoothedKl(p: Float64Array, q: Float64Array, n: number): number {
  const eps = 0.0001;
  const ps = smooth(p, n, eps);
  const qs = smooth(q, n, eps);
  if (!ps || !qs) return Infinity;
  let kl = 0;
  for (let k = 0; k < n; k++) {
    const a = ps.values[k]! / ps.total;
    const b = qs.values[k]! / qs.total;
    if (a > 0) kl += a * Math.log(a / b);
  }
  return kl;
}

/** ORT's smooth_distribution: zeros become eps, the non-zeros give that mass back evenly. */
function smooth(x: Float64Array, n: number, eps: number): { values: Float64Array; total: number } | undefined {
  let zeros = 0;
  for (let k = 0; k < n; k++) if (x[k] === 0) zeros++;
  const nonzeros = n - zeros;
  if (nonzeros === 0) return undefined;
  const eps1 = (eps * zeros) / nonzeros;
  const values = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    const v = x[k] === 0 ? eps : x[k]! - eps1;
    values[k] = v;
    total += v;
  }
  return { values, total };
}

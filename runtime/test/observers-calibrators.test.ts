/**
 * ONNX Runtime's Percentile and Entropy calibrators, on distributions whose answer follows from how they are built
 * (which bin every value falls in), not from running the implementation.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EntropyObserver, PercentileObserver, quantizeValues } from "../src/observers/index.js";

/** Values at bin centres of [0, 10) with 10 bins of width 1, plus the range ends 0 and 10 (bins 0 and 9). */
function binned(counts: number[], sign: (k: number) => number = () => 1): Float32Array {
  const out: number[] = [0, 10];
  counts.forEach((c, b) => {
    for (let k = 0; k < c; k++) out.push(sign(k) * (b + 0.5));
  });
  return Float32Array.from(out);
}

test("percentile (symmetric, ORT's default): |x| threshold is the left edge of the bin where the share reaches p", () => {
  // |x| histogram over [0, 10], 10 bins of width 1. Counts per bin incl. the pinned 0 (bin 0) and 10 (bin 9):
  const counts = [50, 30, 10, 5, 2, 1, 0, 0, 0, 0];
  const x = binned(counts, (k) => (k % 2 ? -1 : 1));
  const perBin = counts.map((c, b) => c + (b === 0 || b === 9 ? 1 : 0));
  const total = perBin.reduce((a, b) => a + b, 0);
  for (const p of [50, 90, 99, 99.999]) {
    let acc = 0;
    let bin = 0;
    while ((acc += perBin[bin]!) / total < p / 100) bin++;
    const o = new PercentileObserver({ bins: 10, percentile: p, dtype: "int8" });
    o.observe({ data: x, dims: [x.length] });
    const min = Math.min(...x);
    assert.deepEqual(o.calculateRange(), { min: Math.max(-bin, min), max: bin }, `p=${p}`);
    const q = o.calculateQparams();
    assert.equal(q.zeroPoint[0], 0);
    assert.equal(q.scale[0], Math.fround(Math.max(bin, -Math.max(-bin, min)) / 127.5) || Math.fround(2 ** -23));
  }
});

test("percentile default (99.999 of 2048 bins) keeps a range that a rare outlier would otherwise stretch", () => {
  // 200000 values uniform in [-1, 1] and one at 1000: p = 99.999% leaves 2 values (0.001%) out, the outlier among them.
  const n = 200000;
  const x = new Float32Array(n + 1);
  for (let i = 0; i < n; i++) x[i] = -1 + (2 * i) / (n - 1);
  x[n] = 1000;
  const o = new PercentileObserver();
  o.observe({ data: x, dims: [x.length] });
  const r = o.calculateRange()!;
  // |x| bins have width 1000 / 2048 ≈ 0.49: all of [0, 1] lies in bins 0..2, so the threshold is edge 2 (≈ 0.98) at most.
  assert.ok(r.max <= 1000 / 1024 + 1e-4 && r.max > 0, JSON.stringify(r));
  assert.equal(r.min, -r.max);
});

test("percentile (affine): cuts (100 - p) / 2 % from each side of the histogram over [-max|x|, max|x|]", () => {
  // 20 bins over [-10, 10] of width 1: value v in bin floor(v) + 10. Put 100 values in each of bins 2..17.
  const vals: number[] = [-10, 10];
  for (let b = 2; b < 18; b++) for (let k = 0; k < 100; k++) vals.push(b - 10 + 0.5);
  const x = Float32Array.from(vals);
  const o = new PercentileObserver({ qscheme: "per_tensor_affine", bins: 20, percentile: 90 });
  o.observe({ data: x, dims: [x.length] });
  // total 1602; 5% cut per side = 80.1 values: reached inside bin 2 (left edge -8) and inside bin 17 (cdf ≥ 0.95 there).
  assert.deepEqual(o.calculateRange(), { min: -8, max: 7 });
});

test("entropy: evenly filled histogram keeps the full range (KL is 0 only without clipping)", () => {
  // 2048 bins over [-1, 1], 3 values at each bin centre: p is flat, and only the full window's q equals it.
  const bins = 2048;
  const vals: number[] = [-1, 1];
  for (let b = 0; b < bins; b++) for (let k = 0; k < 3; k++) vals.push(-1 + (2 * (b + 0.5)) / bins);
  const x = Float32Array.from(vals);
  const o = new EntropyObserver();
  o.observe({ data: x, dims: [x.length] });
  assert.deepEqual(o.calculateRange(), { min: -1, max: 1 });
});

test("entropy: a lone far outlier is clipped away", () => {
  const vals: number[] = [];
  for (let i = 0; i < 50000; i++) vals.push(Math.sin(i * 12.9898) * 0.999);
  vals.push(100);
  const x = Float32Array.from(vals);
  const o = new EntropyObserver();
  o.observe({ data: x, dims: [x.length] });
  const r = o.calculateRange()!;
  // The bulk spans [-1, 1] = 20 of the 2048 bins of width 200/2048; the smallest window (128 bins ≈ ±6.25) already
  // holds it, and KL never favours stretching to the outlier.
  assert.ok(r.max < 50 && r.max >= 0.9, JSON.stringify(r));
  assert.ok(r.min > -50 && r.min <= -0.9, JSON.stringify(r));
  const q = o.calculateQparams();
  const [v] = quantizeValues(Float32Array.of(100), q);
  assert.equal(v, 255, "the outlier saturates");
});

test("percentile/entropy refuse NaN and ±inf with a clear error", () => {
  for (const o of [new PercentileObserver(), new EntropyObserver()]) {
    assert.throws(() => o.observe({ data: Float32Array.of(1, NaN), dims: [2] }), /NaN/);
    assert.throws(() => o.observe({ data: Float32Array.of(1, Infinity), dims: [2] }), /Infinity/);
  }
});

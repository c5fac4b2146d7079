/** Merging observers that saw parts of the data, against one observer that saw all of it. */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  EntropyObserver,
  HistogramObserver,
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  ObserverError,
  PerChannelMinMaxObserver,
  PercentileObserver,
  type Observer,
  type ObserverConstructor,
  type ObserverOptions,
  type ObservedTensor,
} from "../src/observers/index.js";

/** mulberry32: a small seeded generator, so every run sees the same data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function batches(seed: number, count: number, dims: number[], spread: (i: number) => number): ObservedTensor[] {
  const r = rng(seed);
  const n = dims.reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, (_, i) => ({ dims, data: Float32Array.from({ length: n }, () => (r() * 2 - 1) * spread(i) + (r() - 0.5)) }));
}

function observeAll(o: Observer, xs: ObservedTensor[]): Observer {
  for (const x of xs) o.observe(x);
  return o;
}

function splitMergeEqualsWhole(Cls: ObserverConstructor, options: ObserverOptions, xs: ObservedTensor[], cut: number): void {
  const whole = observeAll(new Cls(options), xs);
  const a = observeAll(new Cls(options), xs.slice(0, cut));
  const b = observeAll(new Cls(options), xs.slice(cut));
  a.merge(b);
  assert.deepEqual(a.calculateQparams(), whole.calculateQparams());
  assert.deepEqual(a.toJSON(), whole.toJSON());
}

const perTensor: [ObserverConstructor, ObserverOptions][] = [
  [MinMaxObserver, {}],
  [MinMaxObserver, { dtype: "int8", qscheme: "per_tensor_symmetric" }],
  [MovingAverageMinMaxObserver, { averagingConstant: 0.1 }],
  [MovingAverageMinMaxObserver, { dtype: "int8", qscheme: "per_tensor_symmetric", reduceRange: true }],
];

test("merge: two halves equal the whole, exactly (MinMax, MovingAverage in order)", async (t) => {
  for (const [Cls, options] of perTensor) {
    for (const seed of [1, 2, 3]) {
      await t.test(`${Cls.observerName} ${JSON.stringify(options)} seed ${seed}`, () => {
        const xs = batches(seed, 9, [3, 17], (i) => 1 + i * 0.7 * (seed % 2 ? 1 : -1) + seed);
        for (const cut of [0, 1, 4, 9]) splitMergeEqualsWhole(Cls, options, xs, cut);
      });
    }
  }
});

const perChannel: [ObserverConstructor, ObserverOptions, number[]][] = [
  [PerChannelMinMaxObserver, { dtype: "int8", qscheme: "per_channel_symmetric" }, [6, 4, 3]],
  [PerChannelMinMaxObserver, { chAxis: 1 }, [2, 5, 7]],
  [MovingAveragePerChannelMinMaxObserver, { chAxis: -1, averagingConstant: 0.25 }, [4, 3, 8]],
  [MovingAveragePerChannelMinMaxObserver, { dtype: "int8", qscheme: "per_channel_affine" }, [5, 9]],
];

test("merge: two halves equal the whole, exactly (per-channel)", async (t) => {
  for (const [Cls, options, dims] of perChannel) {
    await t.test(`${Cls.observerName} ${JSON.stringify(options)} dims [${dims}]`, () => {
      const xs = batches(dims.length * 7, 7, dims, (i) => 0.5 + i);
      for (const cut of [0, 3, 7]) splitMergeEqualsWhole(Cls, options, xs, cut);
    });
  }
});

test("merge: many shards in any grouping give the same MinMax state (min/max commute)", () => {
  const xs = batches(11, 12, [64], (i) => (i % 5) + 0.1);
  const whole = observeAll(new MinMaxObserver(), xs);
  const shards = [0, 1, 2, 3].map((k) => observeAll(new MinMaxObserver(), xs.filter((_, i) => i % 4 === k)));
  const merged = new MinMaxObserver();
  for (const s of shards.reverse()) merged.merge(s);
  assert.deepEqual(merged.calculateQparams(), whole.calculateQparams());
});

test("merge: HistogramObserver halves that fix the same range first sum bin by bin", () => {
  // Both halves start with a batch holding the global extremes, as the whole does: no re-binning happens anywhere.
  const xs = batches(5, 8, [256], () => 1.5);
  const pin = (x: ObservedTensor): ObservedTensor => {
    const data = x.data.slice();
    data[0] = -4;
    data[1] = 4.5;
    return { dims: x.dims, data };
  };
  const first = pin(xs[0]!);
  const secondHalfFirst = pin(xs[4]!);
  const whole = observeAll(new HistogramObserver(), [first, ...xs.slice(1, 4), secondHalfFirst, ...xs.slice(5)]);
  const a = observeAll(new HistogramObserver(), [first, ...xs.slice(1, 4)]);
  const b = observeAll(new HistogramObserver(), [secondHalfFirst, ...xs.slice(5)]);
  a.merge(b);
  assert.deepEqual(a.toJSON(), whole.toJSON());
  assert.deepEqual(a.calculateQparams(), whole.calculateQparams());
});

test("merge: HistogramObserver with different ranges keeps the union range and all the mass", () => {
  const xs = batches(9, 6, [500], (i) => 0.5 + i);
  const whole = observeAll(new HistogramObserver(), xs) as HistogramObserver;
  const a = observeAll(new HistogramObserver(), xs.slice(0, 3)) as HistogramObserver;
  const b = observeAll(new HistogramObserver(), xs.slice(3)) as HistogramObserver;
  const rest = observeAll(new HistogramObserver(), xs.slice(3)) as HistogramObserver;
  b.merge(observeAll(new HistogramObserver(), xs.slice(0, 3)));
  a.merge(rest);
  for (const m of [a, b]) {
    assert.equal(m.min, whole.min);
    assert.equal(m.max, whole.max);
    const mass = m.histogram.reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(mass - 3000) < 1e-3, `mass ${mass}`);
    // Re-binning moves mass by at most a bin: the chosen range is close to the single observer's.
    const width = (whole.max - whole.min) / whole.bins;
    const mq = m.searchRange()!;
    const wq = whole.searchRange()!;
    assert.ok(Math.abs(mq.min - wq.min) < 40 * width && Math.abs(mq.max - wq.max) < 40 * width, `${JSON.stringify(mq)} vs ${JSON.stringify(wq)}`);
  }
});

test("merge: ORT histogram observers sum counts exactly when their edges agree", async (t) => {
  const xs = batches(21, 6, [300], () => 2);
  const pin = (x: ObservedTensor): ObservedTensor => {
    const data = x.data.slice();
    data[0] = -3;
    data[1] = 3;
    data[2] = 0;
    return { dims: x.dims, data };
  };
  const ordered = [pin(xs[0]!), ...xs.slice(1, 3), pin(xs[3]!), ...xs.slice(4)];
  for (const [Cls, options] of [
    [PercentileObserver, {}],
    [PercentileObserver, { qscheme: "per_tensor_affine", percentile: 99.9 }],
    [EntropyObserver, { bins: 512 }],
  ] as [ObserverConstructor, ObserverOptions][]) {
    await t.test(`${Cls.observerName} ${JSON.stringify(options)}`, () => splitMergeEqualsWhole(Cls, options, ordered, 3));
  }
});

test("merge: refuses observers of another kind or with other options", () => {
  const a = new MinMaxObserver();
  assert.throws(() => a.merge(new MovingAverageMinMaxObserver()), (e: unknown) => e instanceof ObserverError && e.code === "merge-mismatch");
  assert.throws(() => a.merge(new MinMaxObserver({ dtype: "int8" })), (e: unknown) => e instanceof ObserverError && e.code === "merge-mismatch");
  const p = new PerChannelMinMaxObserver();
  p.observe({ data: new Float32Array(6), dims: [3, 2] });
  const q = new PerChannelMinMaxObserver();
  q.observe({ data: new Float32Array(8), dims: [4, 2] });
  assert.throws(() => p.merge(q), (e: unknown) => e instanceof ObserverError && e.code === "merge-mismatch");
});

/** toJSON / observerFromJSON round trips: same qparams, and observing on after a restore equals never saving. */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  EntropyObserver,
  FixedQParamsObserver,
  HistogramObserver,
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  ObserverError,
  PerChannelMinMaxObserver,
  PercentileObserver,
  PlaceholderObserver,
  observerFromJSON,
  type ObserverConstructor,
  type ObserverOptions,
  type ObservedTensor,
} from "../src/observers/index.js";

function data(seed: number, n: number, dims: number[]): ObservedTensor {
  let s = seed;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  return { dims, data: Float32Array.from({ length: n }, (_, i) => (next() - 0.3) * (1 + (i % 7)) * seed) };
}

const cases: [ObserverConstructor, ObserverOptions][] = [
  [MinMaxObserver, {}],
  [MovingAverageMinMaxObserver, { dtype: "int8", qscheme: "per_tensor_symmetric" }],
  [PerChannelMinMaxObserver, { dtype: "int8", qscheme: "per_channel_symmetric", chAxis: 1 }],
  [MovingAveragePerChannelMinMaxObserver, { averagingConstant: 0.5 }],
  [HistogramObserver, { bins: 256 }],
  [HistogramObserver, {}],
  [PercentileObserver, {}],
  [PercentileObserver, { qscheme: "per_tensor_affine" }],
  [EntropyObserver, { bins: 256, numQuantizedBins: 32 }],
];

test("json: restore gives the same qparams, and observing on matches an observer never saved", async (t) => {
  for (const [Cls, options] of cases) {
    await t.test(`${Cls.observerName} ${JSON.stringify(options)}`, () => {
      const xs = [data(3, 120, [4, 6, 5]), data(7, 120, [4, 6, 5]), data(2, 120, [4, 6, 5])];
      const straight = new Cls(options);
      const saved = new Cls(options);
      straight.observe(xs[0]!);
      saved.observe(xs[0]!);
      const text = JSON.stringify(saved.toJSON());
      const restored = observerFromJSON(text);
      assert.equal(restored.constructor, Cls);
      assert.deepEqual(restored.options, saved.options);
      assert.deepEqual(restored.calculateQparams(), saved.calculateQparams());
      for (const x of xs.slice(1)) {
        straight.observe(x);
        restored.observe(x);
      }
      assert.deepEqual(restored.calculateQparams(), straight.calculateQparams());
      assert.deepEqual(restored.toJSON(), straight.toJSON());
      // The class's own fromJSON restores too.
      const again = (Cls as unknown as { fromJSON(j: unknown): { calculateQparams(): unknown } }).fromJSON(restored.toJSON());
      assert.deepEqual(again.calculateQparams(), straight.calculateQparams());
    });
  }
});

test("json: an observer that saw nothing round-trips (its infinite range survives JSON)", () => {
  for (const Cls of [MinMaxObserver, HistogramObserver, PerChannelMinMaxObserver, PercentileObserver] as ObserverConstructor[]) {
    const o = new Cls();
    const r = observerFromJSON(JSON.parse(JSON.stringify(o)));
    assert.deepEqual(r.toJSON(), o.toJSON());
    assert.deepEqual(r.calculateQparams(), o.calculateQparams());
  }
});

test("json: withArgs-bound and option-only observers keep their arguments", () => {
  const Fixed = FixedQParamsObserver.withArgs({ scale: 1 / 256, zeroPoint: 0 });
  const f = observerFromJSON(JSON.stringify(new Fixed()));
  assert.deepEqual(f.calculateQparams(), { scale: Float32Array.of(1 / 256), zeroPoint: Int32Array.of(0) });
  const p = observerFromJSON(new PlaceholderObserver({ dtype: "int8" }).toJSON());
  assert.equal(p.options.dtype, "int8");
  const Sym = MinMaxObserver.withArgs({ dtype: "int8", qscheme: "per_tensor_symmetric" });
  const m = new Sym({ eps: 2 ** -12 });
  m.observe(data(5, 10, [10]));
  const r = observerFromJSON(m.toJSON());
  assert.deepEqual(r.options, { dtype: "int8", qscheme: "per_tensor_symmetric", reduceRange: false, eps: 2 ** -12 });
  assert.deepEqual(r.calculateQparams(), m.calculateQparams());
});

test("json: malformed or foreign state is refused with an ObserverError", () => {
  const bad = (j: unknown, re: RegExp) => assert.throws(() => observerFromJSON(j), (e: unknown) => e instanceof ObserverError && e.code === "invalid-json" && re.test(e.message));
  bad({ observer: "NoSuchObserver", format: 1, options: {}, state: {} }, /unknown observer/);
  bad({ observer: "MinMaxObserver", format: 99, options: {}, state: {} }, /format/);
  bad({ observer: "MinMaxObserver", format: 1, options: {}, state: { min: "x", max: 1 } }, /min/);
  bad({ observer: "HistogramObserver", format: 1, options: { bins: 8 }, state: { min: 0, max: 1, histogram: [1, 2] } }, /histogram/);
  bad(42, /object/);
  assert.throws(() => MinMaxObserver.fromJSON(new HistogramObserver().toJSON()), ObserverError);
});

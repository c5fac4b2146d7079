/** Observer arguments, withArgs, refusals and edge inputs, and quantizeValues' ONNX semantics. */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  FixedQParamsObserver,
  HistogramObserver,
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  ObserverError,
  PerChannelMinMaxObserver,
  PlaceholderObserver,
  quantizeValues,
  type ObserverConstructor,
} from "../src/observers/index.js";

const isCode = (code: string) => (e: unknown) => e instanceof ObserverError && e.code === code;

test("defaults follow PyTorch's", () => {
  const m = new MinMaxObserver();
  assert.deepEqual(m.options, { dtype: "uint8", qscheme: "per_tensor_affine", reduceRange: false, eps: 2 ** -23 });
  assert.equal(new MovingAverageMinMaxObserver().options.averagingConstant, 0.01);
  assert.equal(new HistogramObserver().options.bins, 2048);
  assert.deepEqual([new PerChannelMinMaxObserver().options.chAxis, new PerChannelMinMaxObserver().options.qscheme], [0, "per_channel_affine"]);
  assert.deepEqual([m.quantMin, m.quantMax], [0, 255]);
  assert.deepEqual([new MinMaxObserver({ dtype: "int8", reduceRange: true }).quantMin, new MinMaxObserver({ dtype: "int8", reduceRange: true }).quantMax], [-64, 63]);
});

test("withArgs binds arguments; later ones (withArgs or constructor) override", () => {
  const A = MinMaxObserver.withArgs({ dtype: "int8", qscheme: "per_tensor_symmetric", eps: 2 ** -12 });
  const B = A.withArgs({ eps: 2 ** -10 });
  const ctor: ObserverConstructor = B;
  assert.equal(ctor.observerName, "MinMaxObserver");
  assert.deepEqual(B.boundArgs, { dtype: "int8", qscheme: "per_tensor_symmetric", eps: 2 ** -10 });
  assert.deepEqual(MinMaxObserver.boundArgs, {});
  const o = new B({ dtype: "uint8", qscheme: "per_tensor_affine" });
  assert.ok(o instanceof MinMaxObserver);
  assert.deepEqual(o.options, { dtype: "uint8", qscheme: "per_tensor_affine", reduceRange: false, eps: 2 ** -10 });
  assert.throws(() => MinMaxObserver.withArgs({ bins: 10 }), isCode("invalid-option"));
});

test("PyTorch's refusals become ObserverErrors", () => {
  assert.throws(() => new MinMaxObserver({ qscheme: "per_channel_affine" }), isCode("unsupported-qscheme"));
  assert.throws(() => new PerChannelMinMaxObserver({ qscheme: "per_tensor_affine" }), isCode("unsupported-qscheme"));
  assert.throws(() => new PerChannelMinMaxObserver({ qscheme: "per_channel_symmetric", reduceRange: true }), isCode("unsupported-config"));
  assert.throws(() => new MinMaxObserver({ quantMin: 1, quantMax: 255 }), isCode("invalid-range"));
  assert.throws(() => new MinMaxObserver({ dtype: "int8", quantMin: -200, quantMax: 127 }), isCode("invalid-range"));
  assert.throws(() => new FixedQParamsObserver(), isCode("invalid-option"));
  assert.throws(() => new PlaceholderObserver().calculateQparams(), isCode("no-qparams"));
  // HistogramObserver is not a MinMaxObserver in torch and accepts uint8 + symmetric + reduce_range.
  assert.equal(new HistogramObserver({ qscheme: "per_tensor_symmetric", reduceRange: true }).quantMax, 127);
});

test("NaN propagates into min/max like torch.aminmax and qparams are then refused; Histogram refuses it at once", () => {
  const m = new MinMaxObserver();
  m.observe({ data: Float32Array.of(1, NaN, 2), dims: [3] });
  m.observe({ data: Float32Array.of(1, 2), dims: [2] });
  assert.ok(Number.isNaN(m.min) && Number.isNaN(m.max));
  assert.throws(() => m.calculateQparams(), isCode("non-finite"));
  const p = new PerChannelMinMaxObserver();
  p.observe({ data: Float32Array.of(1, 2, NaN, 3), dims: [2, 2] });
  assert.throws(() => p.calculateQparams(), (e: unknown) => isCode("non-finite")(e) && /channel 1/.test((e as Error).message));
  assert.throws(() => new HistogramObserver().observe({ data: Float32Array.of(NaN), dims: [1] }), isCode("non-finite"));
});

test("HistogramObserver ignores ±inf (a tensor of only infinities changes nothing)", () => {
  const a = new HistogramObserver({ bins: 64 });
  const b = new HistogramObserver({ bins: 64 });
  a.observe({ data: Float32Array.of(-1, 0.5, Infinity, 3, -Infinity), dims: [5] });
  b.observe({ data: Float32Array.of(-1, 0.5, 3), dims: [3] });
  a.observe({ data: Float32Array.of(Infinity, -Infinity), dims: [2] });
  assert.deepEqual(a.toJSON(), b.toJSON());
});

test("empty tensors are skipped; unobserved observers give torch's defaults (scale 1, zero point 0)", () => {
  for (const o of [new MinMaxObserver(), new HistogramObserver(), new PerChannelMinMaxObserver()]) {
    o.observe({ data: new Float32Array(0), dims: [0, 3] });
    const q = o.calculateQparams();
    assert.deepEqual([Array.from(q.scale), Array.from(q.zeroPoint)], [[1], [0]]);
  }
});

test("observed tensors must match their dims; per-channel axes must exist", () => {
  assert.throws(() => new MinMaxObserver().observe({ data: new Float32Array(5), dims: [2, 3] }), isCode("invalid-input"));
  assert.throws(() => new PerChannelMinMaxObserver({ chAxis: 2 }).observe({ data: new Float32Array(6), dims: [2, 3] }), isCode("invalid-input"));
});

test("per-channel observer: one scale per slice along chAxis, reported with the axis", () => {
  const o = new PerChannelMinMaxObserver({ dtype: "int8", qscheme: "per_channel_symmetric", chAxis: 1 });
  // dims [2, 3]: channel c holds x[0][c] and x[1][c].
  o.observe({ data: Float32Array.of(1, -2, 0.5, -1, 4, 0.25), dims: [2, 3] });
  const q = o.calculateQparams();
  assert.equal(q.axis, 1);
  assert.deepEqual(Array.from(q.scale), [1, 4, 0.5].map((m) => Math.fround(m / 127.5)));
  assert.deepEqual(Array.from(q.zeroPoint), [0, 0, 0]);
});

test("quantizeValues: round half to even of x / scale, plus zero point, saturated to the dtype", () => {
  const q = { scale: Float32Array.of(1), zeroPoint: Int32Array.of(0) };
  assert.deepEqual(Array.from(quantizeValues(Float32Array.of(0.5, 1.5, 2.5, -0.5, -1.5, 300, -3), q, "uint8")), [0, 2, 2, 0, 0, 255, 0]);
  assert.deepEqual(Array.from(quantizeValues(Float32Array.of(0.5, 1.5, -2.5, -300), q, "int8")), [0, 2, -2, -128]);
  const pc = { scale: Float32Array.of(1, 0.5), zeroPoint: Int32Array.of(0, 10), axis: 1 };
  assert.deepEqual(Array.from(quantizeValues(Float32Array.of(1, 1, 2, 2), pc, { dtype: "int8", dims: [2, 2] })), [1, 12, 2, 14]);
  assert.deepEqual(Array.from(quantizeValues(Float32Array.of(-5, 5), q, { dtype: "int8", quantMin: -3, quantMax: 3 })), [-3, 3]);
});

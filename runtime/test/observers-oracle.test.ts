/**
 * Every case of the PyTorch observer oracle (inputs and results from real torch 1.13; HistogramObserver results
 * from a port of the current PyTorch algorithm): the same float32 scale, the same zero point, the same refusals,
 * and the quantized integers of the last batch.
 *
 * Quantized integers: torch computes zero_point + nearbyint(x * (1 / scale)), ONNX QuantizeLinear (and
 * quantizeValues) round(x / scale). The two differ only where x / scale sits on, or within float32 rounding of, a
 * .5 tie; those values are checked to be such ties, one apart, and to match torch's own formula exactly.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  HistogramObserver,
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  ObserverError,
  PerChannelMinMaxObserver,
  quantizeValues,
  quantizeValuesTorch,
  type ObserverConstructor,
  type ObserverOptions,
} from "../src/observers/index.js";
import type { QuantDType } from "../src/quant-types.js";
import { sharedFile, skipUnlessSharedFile } from "./helpers/data.js";

const ORACLE = "oracle/observers_torch113.json";

interface Batch {
  shape: number[];
  data: number[];
}
interface OracleResult {
  case: string;
  observer: string;
  config: { dtype: "quint8" | "qint8"; qscheme: ObserverOptions["qscheme"]; reduce_range?: boolean; quant_min?: number; quant_max?: number; ch_axis?: number };
  eps: string;
  eps_value?: number;
  averaging_constant?: number;
  bins?: number;
  scale?: number[];
  zero_point?: number[];
  quantized_last_batch?: number[];
  error?: string;
}
interface Oracle {
  inputs: Record<string, { batches: Batch[] }>;
  per_channel_inputs: Record<string, { ch_axis: number; batches: Batch[] }>;
  results: OracleResult[];
}

const skip = skipUnlessSharedFile(ORACLE);
const oracle: Oracle | undefined = skip ? undefined : (JSON.parse(readFileSync(sharedFile(ORACLE)!, "utf8")) as Oracle);

/** Oracle observer name → the qkit class that must reproduce it. */
const KINDS: Record<string, ObserverConstructor> = {
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  PerChannelMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  HistogramObserver_port_latest: HistogramObserver,
};

function optionsOf(r: OracleResult): ObserverOptions {
  const c = r.config;
  const o: ObserverOptions = { dtype: dtypeOf(r), qscheme: c.qscheme };
  if (c.reduce_range !== undefined) o.reduceRange = c.reduce_range;
  if (c.quant_min !== undefined) o.quantMin = c.quant_min;
  if (c.quant_max !== undefined) o.quantMax = c.quant_max;
  if (c.ch_axis !== undefined) o.chAxis = c.ch_axis;
  if (r.eps === "2**-12") o.eps = 2 ** -12;
  else assert.equal(r.eps, "default");
  if (r.averaging_constant !== undefined) o.averagingConstant = r.averaging_constant;
  if (r.bins !== undefined) o.bins = r.bins;
  return o;
}

function dtypeOf(r: OracleResult): QuantDType {
  return r.config.dtype === "quint8" ? "uint8" : "int8";
}

function batchesOf(r: OracleResult): Batch[] {
  const input = oracle!.inputs[r.case] ?? oracle!.per_channel_inputs[r.case];
  assert.ok(input, `no input ${r.case}`);
  return input.batches;
}

function caseName(r: OracleResult): string {
  const c = r.config;
  const range = c.quant_min !== undefined ? ` [${c.quant_min}, ${c.quant_max}]` : c.reduce_range ? " reduce_range" : "";
  const axis = c.ch_axis !== undefined ? ` axis ${c.ch_axis}` : "";
  return `${r.case} ${c.dtype} ${c.qscheme}${range}${axis} eps=${r.eps}`;
}

/** Checks the integers; returns how many differ from torch's only by its reciprocal rounding at a tie. */
function checkQuantized(r: OracleResult, scale: Float32Array, zeroPoint: Int32Array): number {
  const expected = r.quantized_last_batch!;
  const batches = batchesOf(r);
  const last = batches[batches.length - 1]!;
  const x = Float32Array.from(last.data);
  const q = { scale, zeroPoint, axis: r.config.ch_axis };
  const options = { dtype: dtypeOf(r), dims: last.shape };
  const onnx = quantizeValues(x, q, options);
  const torch = quantizeValuesTorch(x, q, options);
  assert.equal(onnx.length, expected.length);
  let ties = 0;
  const inner = last.shape.slice((r.config.ch_axis ?? 0) + 1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < x.length; i++) {
    if (onnx[i] === expected[i]) continue;
    const s = scale.length > 1 ? scale[Math.floor(i / inner) % scale.length]! : scale[0]!;
    const ratio = Math.abs(x[i]! / s);
    const offTie = Math.abs((ratio % 1) - 0.5);
    assert.ok(offTie < 1e-6 * Math.max(1, ratio), `value ${i} (${x[i]}) quantizes to ${onnx[i]}, torch ${expected[i]}, and x/scale=${ratio} is no tie`);
    assert.equal(Math.abs(onnx[i]! - expected[i]!), 1);
    assert.equal(torch[i], expected[i], `torch's formula must give torch's integer at value ${i}`);
    ties++;
  }
  return ties;
}

for (const [kind, Observer] of Object.entries(KINDS)) {
  test(`observer oracle: ${kind}`, { skip }, async (t) => {
    const results = oracle!.results.filter((r) => r.observer === kind);
    assert.ok(results.length > 0);
    let exact = 0;
    let refused = 0;
    let ties = 0;
    for (const r of results) {
      await t.test(caseName(r), () => {
        const run = () => {
          const o = new Observer(optionsOf(r));
          for (const b of batchesOf(r)) o.observe({ data: Float32Array.from(b.data), dims: b.shape });
          return o.calculateQparams();
        };
        if (r.error) {
          assert.throws(run, (e: unknown) => e instanceof ObserverError && /reduce range for symmetric/.test(e.message));
          refused++;
          return;
        }
        const q = run();
        assert.deepEqual(Array.from(q.scale), r.scale!.map(Math.fround), "scale");
        assert.deepEqual(Array.from(q.zeroPoint), r.zero_point, "zero point");
        if (r.config.ch_axis !== undefined) assert.equal(q.axis, r.config.ch_axis);
        ties += checkQuantized(r, q.scale, q.zeroPoint);
        exact++;
      });
    }
    t.diagnostic(`${kind}: ${exact} exact, ${refused} refused as torch does, ${ties} quantized values at .5 ties where torch's x * (1/scale) rounds the other way`);
    assert.equal(exact + refused, results.length);
  });
}

test("observer oracle: real torch 1.13 HistogramObserver where its algorithm coincides (one batch, values in (-1, 1))", { skip }, async (t) => {
  // 1.13 truncates min/max to integers before binning (harmless inside (-1, 1)) and merges batches with a 128x
  // upsample that stretches max (so only single-batch cases compare).
  const inside = (r: OracleResult) => batchesOf(r).length === 1 && batchesOf(r).every((b) => b.data.every((v) => v > -1 && v < 1));
  const results = oracle!.results.filter((r) => r.observer === "HistogramObserver" && inside(r));
  assert.ok(results.length > 0);
  for (const r of results) {
    await t.test(caseName(r), () => {
      const o = new HistogramObserver(optionsOf(r));
      for (const b of batchesOf(r)) o.observe({ data: Float32Array.from(b.data), dims: b.shape });
      const q = o.calculateQparams();
      assert.deepEqual(Array.from(q.scale), r.scale!.map(Math.fround));
      assert.deepEqual(Array.from(q.zeroPoint), r.zero_point);
    });
  }
});

test("observer oracle: histograms equal the port's bin for bin", { skip }, async (t) => {
  const hists = (oracle as unknown as { histograms: Record<string, { min_val: number; max_val: number; hist: number[] }> }).histograms;
  for (const [key, h] of Object.entries(hists)) {
    const [name, kind] = key.split("|");
    if (kind !== "HistogramObserver_port_latest") continue;
    await t.test(name!, () => {
      const o = new HistogramObserver();
      for (const b of oracle!.inputs[name!]!.batches) o.observe({ data: Float32Array.from(b.data), dims: b.shape });
      assert.equal(o.min, h.min_val);
      assert.equal(o.max, h.max_val);
      assert.deepEqual(Array.from(o.histogram), h.hist.map(Math.fround));
    });
  }
});

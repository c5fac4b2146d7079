import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import {
  loadModel, runCheck, prepare, calibrate, convert, exportOnnx, loadQuantizer, annotationOf, isSpec, BUILTIN_QUANTIZERS, makeTensor,
} from "../src/tooling.js";
import { intAttribute } from "../src/onnx/attributes.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";
import { withTempDir } from "./helpers/data.js";
import { qkitFeeds, runOrt, runQkit, sqnr, type Feeds } from "./helpers/ort-run.js";

const T = 5;
const B = 2;
const I = 8;
const H = 6;

function weights(count: number, seed: number, scale: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => scale * Math.sin(seed * 12.9898 + i * 78.233));
}

/** A keyword-spotting head with a GRU, as PyTorch exports it: a Linear, a one-layer GRU, a Linear on its outputs. */
function gruModel(): Uint8Array {
  const f = (name: string, dims: number[], seed: number, scale: number) => makeTensor(name, "float32", dims, weights(dims.reduce((a, b) => a * b, 1), seed, scale));
  return modelBytes({
    name: "gru",
    input: [valueInfo("x", "float32", [T, B, I])],
    output: [valueInfo("y", "float32", [T, B, 3])],
    initializer: [
      f("w0", [I, I], 1, 0.4), f("b0", [I], 2, 0.1),
      f("W", [1, 3 * H, I], 3, 0.4), f("R", [1, 3 * H, H], 4, 0.4), f("Bias", [1, 6 * H], 5, 0.1),
      f("w2", [H, 3], 6, 0.5), makeTensor("squeeze_axes", "int64", [1], BigInt64Array.of(1n)),
    ],
    node: [
      node("MatMul", ["x", "w0"], ["mm0"], [], "/fc0/MatMul"),
      node("Add", ["mm0", "b0"], ["h0"], [], "/fc0/Add"),
      node("GRU", ["h0", "W", "R", "Bias"], ["Y", "Y_h"], [intAttribute("hidden_size", H)], "/gru/GRU"),
      node("Squeeze", ["Y", "squeeze_axes"], ["seq"], [], "/gru/Squeeze"),
      node("MatMul", ["seq", "w2"], ["y"], [], "/head/MatMul"),
    ],
  });
}

const sample = (seed: number): Feeds => ({ x: { data: weights(T * B * I, 20 + seed, 1), dims: [T, B, I] } });

for (const name of Object.keys(BUILTIN_QUANTIZERS)) {
  test(`${name}: a GRU's weights are quantized (W and R, as ONNX Runtime does), and the export runs in onnxruntime-node as in qkit`, async () => {
    const model = await loadModel(gruModel(), { name: "gru.onnx" });
    const { findings, model: annotated } = runCheck(model, loadQuantizer(name).quantizer);
    assert.deepEqual(findings.filter((f) => f.severity !== "information"), []);
    const gru = annotated.graph.node("/gru/GRU")!;
    const edge = (i: number) => annotationOf(gru)?.inputQspecMap.get(gru.args[i]!);
    assert.ok(isSpec(edge(1)) && isSpec(edge(2)), "W and R are quantized");
    assert.equal(edge(0), undefined, "X stays float");
    assert.equal(annotationOf(gru)?.outputQspec, undefined, "the GRU's outputs stay float");

    await withTempDir(async (dir) => {
      const prepared = prepare(await loadModel(gruModel(), { name: "gru.onnx" }), loadQuantizer(name).quantizer);
      await calibrate(prepared, [1, 2, 3].map((seed) => qkitFeeds(sample(seed))));
      const converted = convert(prepared);
      assert.ok(converted.graph.calls("DequantizeLinear").some((dq) => gru && dq.users.size > 0 && [...dq.users].some((u) => u.opType === "GRU")),
        "the GRU reads dequantized weights");
      const file = path.join(dir, "gru.onnx");
      await exportOnnx(converted, file);
      const feeds = sample(9);
      const ort = await runOrt(file, feeds);
      const int8 = await runQkit(file, feeds);
      assert.ok(sqnr(ort, int8) >= 30, `qkit against onnxruntime-node on the same file: ${sqnr(ort, int8).toFixed(1)} dB`);
      const fp32 = await runQkit(model, feeds);
      assert.ok(sqnr(fp32, ort) >= 15, `int8 against fp32: ${sqnr(fp32, ort).toFixed(1)} dB`);
    });
  });
}

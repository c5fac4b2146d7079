import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { readFileSync } from "node:fs";
import {
  loadModel, runCheck, prepare, calibrate, convert, exportOnnx, openData, modelInputs, evaluateAccuracy, readLabels,
  loadQuantizer, annotationOf, XnnpackQuantizer, X86Quantizer, OrtQdqQuantizer, getSymmetricQuantizationConfig,
  BUILTIN_QUANTIZERS, QuantizationSpec, type Quantizer, type Model, type Tensor,
} from "../src/tooling.js";
import { runOrt, runQkit, sqnr } from "./helpers/ort-run.js";
import { EXAMPLES, sharedModel, skipUnlessShared, withTempDir } from "./helpers/data.js";
import { assertOrtMatchesReference } from "./helpers/ort-compare.js";

const MODEL = path.join(EXAMPLES, "fmnist_cnn_op13.onnx");
const FASHION = path.join(EXAMPLES, "fashion-mnist");
const NORMALIZE = { mean: [0.286], std: [0.353] };

for (const name of Object.keys(BUILTIN_QUANTIZERS)) {
  for (const file of ["fmnist_cnn_op13.onnx", "resnet18_op13.onnx", "mobilenet_v2_op13.onnx", "fmnist_cnn_op17.onnx"]) {
    const local = file === "fmnist_cnn_op13.onnx" ? MODEL : undefined;
    test(`${name} checks clean and annotates every operator of ${file}`, { skip: local ? false : skipUnlessShared(file) }, async () => {
      const model = await loadModel(local ?? sharedModel(file)!);
      const { findings, coverage } = runCheck(model, loadQuantizer(name).quantizer);
      assert.deepEqual(findings.filter((f) => f.severity !== "information"), []);
      assert.equal(coverage.annotated, coverage.total);
    });
  }
}

async function quantizeAndScore(quantizer: Quantizer): Promise<{ fp32: number; int8: number; converted: Model }> {
  const model = await loadModel(MODEL);
  const prepared = prepare(model, quantizer);
  await calibrate(prepared, openData(path.join(FASHION, "calibration-images-idx3-ubyte.gz"), modelInputs(model.graph), { batchSize: 64, normalize: NORMALIZE }));
  const converted = convert(prepared);
  const labels = await readLabels(path.join(FASHION, "test-labels-idx1-ubyte.gz"));
  const data = (m: Model) => openData(path.join(FASHION, "test-images-idx3-ubyte.gz"), modelInputs(m.graph), { batchSize: 100, normalize: NORMALIZE });
  return { fp32: (await evaluateAccuracy(model, data(model), labels)).accuracy, int8: (await evaluateAccuracy(converted, data(converted), labels)).accuracy, converted };
}

// KL-divergence calibration clips harder than min/max: a point of accuracy on 1000 images is its usual cost.
for (const [name, make, tolerance] of [
  ["xnnpack", () => new XnnpackQuantizer(), 0.006],
  ["x86", () => new X86Quantizer(), 0.006],
  ["ort-qdq", () => new OrtQdqQuantizer(), 0.006],
  ["ort-qdq uint8 per-channel entropy", () => new OrtQdqQuantizer({ activationType: "uint8", perChannel: true, calibrateMethod: "entropy" }), 0.01],
] as const) {
  test(`${name}: the quantized CNN keeps its accuracy and ONNX Runtime gives its export's values`, async () => {
    const { fp32, int8, converted } = await quantizeAndScore(make());
    assert.ok(Math.abs(fp32 - int8) <= tolerance, `fp32 ${fp32} int8 ${int8}`);
    await withTempDir(async (dir) => {
      await exportOnnx(converted, path.join(dir, "q.onnx"));
      for await (const batch of openData(path.join(FASHION, "test-images-idx3-ubyte.gz"), modelInputs(converted.graph), { batchSize: 32, limit: 32, normalize: NORMALIZE })) {
        await assertOrtMatchesReference(converted, path.join(dir, "q.onnx"), batch);
      }
    });
  });
}

test("config priority: module name > module type > op type > global; null leaves nodes float", async () => {
  const model = await loadModel(MODEL);
  const perTensor = getSymmetricQuantizationConfig({ isPerChannel: false });
  const quantizer = new XnnpackQuantizer()
    .setModuleName("conv2", null)
    .setModuleType("Conv2d", perTensor)
    .setOperatorType("Add", null)
    .setModuleName("conv1", getSymmetricQuantizationConfig({ isPerChannel: true }));
  const { model: annotated } = runCheck(model, quantizer);
  const g = annotated.graph;
  const weightScheme = (name: string) => {
    const conv = g.node(name)!;
    return (annotationOf(conv)!.inputQspecMap.get(conv.args[1]!) as QuantizationSpec).qscheme;
  };
  assert.equal(weightScheme("/conv1/Conv"), "per_channel_symmetric", "module name beats module type");
  assert.equal(weightScheme("/conv3/Conv"), "per_tensor_symmetric", "module type beats global");
  assert.equal(weightScheme("/fc/Gemm"), "per_channel_symmetric", "global");
  assert.equal(annotationOf(g.node("/conv2/Conv")!)!.inputQspecMap.size, 0, "conv2 is left float");
  assert.equal(annotationOf(g.node("/Add")!)!.inputQspecMap.size, 0, "Add is left float");
});

test("setModuleName naming a module the model lacks is a warning at that call, with the closest module paths", async () => {
  const model = await loadModel(MODEL);
  const quantizer = new XnnpackQuantizer()
    .setModuleName("conv1", null)
    .setModuleName("cnv2", null); // the line the finding points at
  const found = runCheck(model, quantizer).findings.filter((f) => f.code === "unknown-module");
  assert.equal(found.length, 1, "conv1 exists; only cnv2 is reported");
  assert.equal(found[0]!.severity, "warning");
  assert.match(found[0]!.message, /setModuleName\("cnv2", null\) matches no node: the model has no module path "cnv2".*did you mean "conv2"/);
  const { file, line } = found[0]!.location!;
  assert.match(readFileSync(file, "utf8").split("\n")[line - 1]!, /\.setModuleName\("cnv2", null\)/, `${file}:${line} is the call`);
});

test("OrtQdqQuantizer refuses int8 activations with uint8 weights, as ONNX Runtime does", () => {
  assert.throws(() => new OrtQdqQuantizer({ activationType: "int8", weightType: "uint8" }), /int8 activations with uint8 weights are not supported/);
});

for (const isPerChannel of [true, false]) {
  test(`dynamic quantization of the CNN (${isPerChannel ? "per-channel" : "per-tensor"} weights): ConvInteger and MatMulInteger, which onnxruntime-node and qkit compute alike`, async () => {
    const model = await loadModel(MODEL);
    const prepared = prepare(model, new XnnpackQuantizer(getSymmetricQuantizationConfig({ isPerChannel, isDynamic: true })));
    const batches = openData(path.join(FASHION, "test-images-idx3-ubyte.gz"), modelInputs(model.graph), { batchSize: 8, limit: 8, normalize: NORMALIZE });
    const samples: Record<string, Tensor>[] = [];
    for await (const batch of batches) samples.push(batch);
    await calibrate(prepared, samples);
    const converted = convert(prepared);
    const ops = converted.graph.calls().map((n) => n.opType);
    assert.equal(ops.filter((o) => o === "ConvInteger").length, 5);
    assert.equal(ops.filter((o) => o === "MatMulInteger").length, 1, "the classifier's Gemm");
    assert.ok(!ops.includes("Conv") && !ops.includes("Gemm") && !ops.includes("QuantizeLinear"));
    await withTempDir(async (dir) => {
      const file = path.join(dir, "dynamic.onnx");
      await exportOnnx(converted, file);
      const feeds = { [modelInputs(model.graph)[0]!.name]: { data: samples[0]![modelInputs(model.graph)[0]!.name]!.data as Float32Array, dims: [...samples[0]![modelInputs(model.graph)[0]!.name]!.dims] } };
      const ort = await runOrt(file, feeds);
      const mine = await runQkit(converted, feeds);
      const fp32 = await runQkit(model, feeds);
      assert.ok(sqnr(ort, mine) >= 60, `qkit against ORT: ${sqnr(ort, mine).toFixed(1)} dB`);
      assert.ok(sqnr(fp32, mine) >= 30, `dynamic int8 against fp32: ${sqnr(fp32, mine).toFixed(1)} dB`);
    });
  });
}

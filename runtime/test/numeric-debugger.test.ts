import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import {
  loadModel, prepare, calibrate, convert, compareNodes, openData, modelInputs, loadQuantizer, XnnpackQuantizer,
  getSymmetricQuantizationConfig, QuantizationSpec, MinMaxObserver, Tensor,
} from "../src/tooling.js";
import { EXAMPLES, sharedModel, skipUnlessShared } from "./helpers/data.js";

test("the numeric debugger ranks nodes by their own (local) error and points at the quantizer lines that annotated them", async () => {
  const model = await loadModel(path.join(EXAMPLES, "fmnist_cnn_op13.onnx"));
  const quantizer = path.join(EXAMPLES, "fashion-mnist", "tutorial-quantizer.ts");
  const prepared = prepare(model, loadQuantizer(quantizer).quantizer);
  const data = () => openData(path.join(EXAMPLES, "fashion-mnist", "test-images-idx3-ubyte.gz"), modelInputs(model.graph), { batchSize: 32, limit: 64, normalize: { mean: [0.286], std: [0.353] } });
  await calibrate(prepared, data());
  const results = await compareNodes(model, convert(prepared), data(), { annotated: prepared.model });
  assert.equal(results.length, 16);
  assert.ok(results.every((r) => r.local !== undefined), "every node's inputs are matched in the quantized model");
  for (let i = 1; i < results.length; i++) assert.ok(results[i - 1]!.local!.relativeMse >= results[i]!.local!.relativeMse, "worst local error first");
  assert.ok(results.every((r) => r.sqnr > 20 && r.sqnr < 80), results.map((r) => `${r.node} ${r.sqnr}`).join(", "));
  const conv = results.find((r) => r.node === "/conv1/Conv")!;
  assert.equal(conv.module, "conv1");
  assert.match(conv.site!.file, /tutorial-quantizer\.ts$/);
  // Batches are compared one item at a time: the batch size changes nothing.
  const single = await compareNodes(model, convert(prepared), openData(path.join(EXAMPLES, "fashion-mnist", "test-images-idx3-ubyte.gz"), modelInputs(model.graph), { batchSize: 1, limit: 64, normalize: { mean: [0.286], std: [0.353] } }));
  for (const r of results) assert.ok(Math.abs(single.find((s) => s.node === r.node)!.sqnr - r.sqnr) < 1e-6, r.node);
  // The numbers are real: comparing the float model with itself gives no error at all.
  const same = await compareNodes(model, model, data());
  assert.ok(same.every((r) => r.sqnr === Infinity && r.mse === 0 && r.local?.mse === 0));
});

test("the local error blames the op that was quantized badly, where the end-to-end SQNR blames the deepest layers", async () => {
  const model = await loadModel(path.join(EXAMPLES, "fmnist_cnn_op13.onnx"));
  const bad = getSymmetricQuantizationConfig({ isPerChannel: false });
  bad.weight = new QuantizationSpec({ dtype: "int8", quantMin: -3, quantMax: 3, qscheme: "per_tensor_symmetric", observer: MinMaxObserver });
  const prepared = prepare(model, new XnnpackQuantizer().setModuleName("conv2", bad));
  const data = () => openData(path.join(EXAMPLES, "fashion-mnist", "test-images-idx3-ubyte.gz"), modelInputs(model.graph), { batchSize: 32, limit: 64, normalize: { mean: [0.286], std: [0.353] } });
  await calibrate(prepared, data());
  const results = await compareNodes(model, convert(prepared), data(), { annotated: prepared.model });
  assert.equal(results[0]!.node, "/conv2/Conv", results.slice(0, 4).map((r) => `${r.node} local ${r.local?.sqnr.toFixed(1)} e2e ${r.sqnr.toFixed(1)}`).join("; "));
  // No user line made these annotations: the built-in's rule that did is named.
  assert.equal(results[0]!.rule, 'XnnpackQuantizer: setModuleName("conv2", …), Conv');
  assert.equal(results.find((r) => r.node === "/conv1/Conv")!.rule, "XnnpackQuantizer: the global config, Conv");
  // Downstream of conv2 every node inherits its error: by end-to-end SQNR it would not stand out.
  const byEndToEnd = [...results].sort((x, y) => x.sqnr - y.sqnr);
  assert.notEqual(byEndToEnd[0]!.node, "/conv2/Conv");
  const conv3 = results.find((r) => r.node === "/conv3/Conv")!;
  assert.ok(conv3.local!.sqnr > conv3.sqnr + 6, `conv3 adds little itself: local ${conv3.local!.sqnr} dB, end to end ${conv3.sqnr} dB`);
});

test("qkit debug on ResNet-18 with a deliberately bad weight config for layer3 names layer3's nodes as the worst", { skip: skipUnlessShared("resnet18_op13.onnx") }, async () => {
  const model = await loadModel(sharedModel("resnet18_op13.onnx")!);
  const bad = getSymmetricQuantizationConfig({ isPerChannel: false });
  bad.weight = new QuantizationSpec({ dtype: "int8", quantMin: -3, quantMax: 3, qscheme: "per_tensor_symmetric", observer: MinMaxObserver });
  const quantizer = new XnnpackQuantizer().setModuleName("layer3", bad);
  const prepared = prepare(model, quantizer);
  let seed = 3;
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const samples = [0, 1].map(() => ({ input: new Tensor("float32", Float32Array.from({ length: 3 * 224 * 224 }, random), [1, 3, 224, 224]) }));
  await calibrate(prepared, samples);
  const results = await compareNodes(model, convert(prepared), samples);
  // Error propagates downstream, so look at where SQNR drops: the biggest fall from a node's input to its output.
  const worstConvs = results.filter((r) => r.opType === "Conv").slice(0, 3);
  const layer3 = results.filter((r) => r.opType === "Conv" && r.module?.startsWith("layer3"));
  const before = results.filter((r) => r.opType === "Conv" && (r.module?.startsWith("layer1") || r.module?.startsWith("layer2")));
  assert.ok(Math.max(...layer3.map((r) => r.sqnr)) < Math.min(...before.map((r) => r.sqnr)), "every layer3 conv is worse than every conv before it");
  assert.ok(worstConvs.every((r) => /^layer[34]/.test(r.module ?? "")), worstConvs.map((r) => r.module).join(", "));
});

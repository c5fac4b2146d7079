import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { loadModel, loadQuantizer, prepare, calibrate, convert, createSession, lower, lowerWithReport, QKIT_DOMAIN, Tensor } from "../src/tooling.js";
import { EXAMPLES, sharedModel, skipUnlessShared } from "./helpers/data.js";
import { randomTensor } from "./int8-compare.js";

test("a third-party QDQ CNN lowers to integer operators but its float classifier, keeping tensor names", { skip: skipUnlessShared("fmnist_cnn_op13.qdq_u8s8.onnx") }, async () => {
  const model = await loadModel(sharedModel("fmnist_cnn_op13.qdq_u8s8.onnx")!);
  const { model: lowered, report } = lowerWithReport(model);
  lowered.graph.lint();
  const byName = new Map(report.nodes.map((n) => [n.name, n]));
  assert.equal(byName.get("/conv1/Conv")!.loweredAs, "com.qkit.QConv");
  assert.match(byName.get("/relu1/Relu")!.loweredAs!, /fused into \/conv1\/Conv/);
  assert.equal(byName.get("/Add")!.loweredAs, "com.qkit.QAdd");
  assert.match(byName.get("/fc/Gemm")!.reason!, /^its output is a float32 output of the model; quantize it/);
  // The residual: relu3s one QuantizeLinear feeds conv4 and the Add, both lowered, so no DequantizeLinear is left on it.
  const relu3 = lowered.graph.node("/conv3/Conv")!;
  assert.equal(relu3.domain, QKIT_DOMAIN);
  assert.deepEqual([...relu3.users].map((u) => u.opType).sort(), ["QAdd", "QConv"]);
  assert.ok(lowered.opsetImports.some((o) => o.domain === QKIT_DOMAIN));
  // The original is untouched.
  assert.equal(model.graph.calls("QuantizeLinear").length, 11);
});

test("createSession lowers Q/DQ models unless asked for the reference; lower() on a float model changes nothing", async () => {
  const model = await loadModel(path.join(EXAMPLES, "fmnist_cnn_op13.onnx"));
  assert.equal(lower(model).graph.calls().filter((n) => n.domain === QKIT_DOMAIN).length, 0);
  const prepared = prepare(model, loadQuantizer("xnnpack").quantizer);
  await calibrate(prepared, [{ input: randomTensor([2, 1, 28, 28]) }]);
  const converted = convert(prepared);
  const lowered = await createSession(converted);
  const reference = await createSession(converted, { lowering: false });
  try {
    assert.ok(lowered.model.graph.calls().some((n) => n.domain === QKIT_DOMAIN));
    assert.ok(!reference.model.graph.calls().some((n) => n.domain === QKIT_DOMAIN));
    const input = randomTensor([1, 1, 28, 28], 9);
    const a = (await lowered.run({ input })).logits!.data as Float32Array;
    const b = (await reference.run({ input })).logits!.data as Float32Array;
    assert.deepEqual([...a], [...b]);
  } finally {
    await lowered.release();
    await reference.release();
  }
});

test("what cannot lower stays float with a reason: x86's convolution fused with the residual Add", async () => {
  const model = await loadModel(path.join(EXAMPLES, "fmnist_cnn_op13.onnx"));
  const prepared = prepare(model, loadQuantizer("x86").quantizer);
  await calibrate(prepared, [{ input: randomTensor([2, 1, 28, 28]) }]);
  const { model: lowered, report } = lowerWithReport(convert(prepared));
  const conv5 = report.nodes.find((n) => n.name === "/conv5/Conv")!;
  assert.equal(conv5.loweredAs, undefined);
  assert.match(conv5.reason!, /goes to Add .*not a QuantizeLinear/);
  // Its inputs are still dequantized from the integers the lowered conv4 produces.
  const conv5Node = lowered.graph.node("/conv5/Conv")!;
  assert.equal(conv5Node.args[0]!.opType, "DequantizeLinear");
  const session = await createSession(lowered);
  const out = await session.run({ input: new Tensor("float32", new Float32Array(784).fill(0.5), [1, 1, 28, 28]) });
  assert.deepEqual(out.logits!.dims, [1, 10]);
  await session.release();
});

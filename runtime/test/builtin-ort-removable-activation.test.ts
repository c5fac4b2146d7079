import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { loadModel, prepare, calibrate, convert, lowerWithReport, OrtQdqQuantizer, Tensor, annotationOf } from "../src/tooling.js";
import { EXAMPLES } from "./helpers/data.js";

// ONNX Runtime's quantize_static removes a Relu/Clip that is the only consumer of a quantized Conv (its output range
// does the clamping). OrtQdqQuantizer quantizes only the activation's output, so no Q/DQ pair sits between the two and
// lowering folds the Relu into the QConv as an output clamp instead of a requantizing table after every Conv.

test("ort-qdq leaves no Q/DQ between a Conv (or Add) and its Relu: each Relu lowers into its producer's output clamp", async () => {
  const model = await loadModel(path.join(EXAMPLES, "fmnist_cnn_op13.onnx"));
  const prepared = prepare(model, new OrtQdqQuantizer({ activationType: "uint8", perChannel: true }));
  const relus = prepared.model.graph.calls().filter((n) => n.opType === "Relu");
  assert.equal(relus.length, 5);
  for (const relu of relus) {
    const producer = relu.args[0]!;
    assert.equal(annotationOf(producer)?.outputQspec, undefined, `${producer.name} output is quantized before its Relu`);
    assert.ok(annotationOf(relu)?.outputQspec, `${relu.name} output is not quantized`);
    assert.equal(annotationOf(relu)?.inputQspecMap.size ?? 0, 0, `${relu.name} input is quantized`);
  }
  const x = new Tensor("float32", Float32Array.from({ length: 784 }, (_, i) => Math.sin(i * 0.37)), [1, 1, 28, 28]);
  await calibrate(prepared, [{ input: x }]);
  const { report } = lowerWithReport(convert(prepared));
  for (const entry of report.nodes.filter((n) => n.opType === "Relu")) {
    assert.match(entry.loweredAs ?? entry.reason ?? "", /^fused into /, `${entry.name}: ${entry.loweredAs ?? entry.reason}`);
  }
  assert.equal(report.nodes.filter((n) => n.loweredAs === "com.qkit.QLut").length, 0);
});

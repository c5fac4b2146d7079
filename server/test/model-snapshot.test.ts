import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { checkTarget, loadModel, onnx, printGraph, type Model } from "qkit/tooling";
import { fileStamp, loadWithSnapshot, modelFromSnapshot } from "../src/check/model-snapshot.js";
import { ROOT } from "./helpers/lsp-client.js";

/**
 * A check sandbox rebuilds its model from the server's snapshot instead of decoding the file: the model it gets must
 * be the one loadModel gives, field by field, tensor bytes included, and check the same.
 */
const SHARED = path.join(ROOT, "..", "shared");
const MODELS = [
  path.join(ROOT, "examples", "fmnist_cnn_op13.onnx"),
  ...["resnet18_op13.onnx", "resnet18_op13.qdq_s8s8.onnx", "mobilenet_v2_op13.onnx"].map((m) => path.join(SHARED, "models", m)),
  ...["vit_tiny.onnx", "text_encoder.onnx", "lstm_kws.onnx", "unet_small.onnx", "mobilenet_v3_small.onnx"].map((m) => path.join(SHARED, "zoo", "models", m)),
];

const encodedTensor = (model: Model, i: number) => {
  const tensor = model.graph.nodes[i]!.tensor;
  return tensor ? Buffer.from(onnx.TensorProto.encode(tensor).finish()).toString("base64") : undefined;
};

function nodeFacts(model: Model) {
  return model.graph.nodes.map((n) => ({
    kind: n.kind,
    name: n.name,
    opType: n.opType,
    domain: n.domain,
    outputNames: n.outputNames,
    args: n.args.map((a) => a?.name ?? null),
    users: [...n.users].map((u) => u.name),
    attributes: [...n.attributes.values()].map((a) => Buffer.from(onnx.AttributeProto.encode(a).finish()).toString("base64")),
    docString: n.docString,
    meta: n.meta,
  }));
}

for (const file of MODELS) {
  test(`${path.basename(file)}: the snapshot rebuilds the model loadModel gives`, { skip: !existsSync(file) && `${file} not found` }, async () => {
    const { model: loaded, snapshot } = await loadWithSnapshot(file);
    assert.ok(snapshot, "a model whose tensors lie in its file has a snapshot");
    // No weights travel: the snapshot is a small fraction of the file.
    assert.ok(snapshot.byteLength < fileStamp(file).split(":").map(Number)[0]! / 4, `snapshot of ${snapshot.byteLength} bytes`);
    const reference = await loadModel(file);
    const rebuilt = modelFromSnapshot(snapshot, file, fileStamp(file));
    assert.ok(rebuilt);
    // Until something reads them, the large tensors stay in the file.
    const deferred = rebuilt.graph.nodes.filter((n) => n.tensor && Object.getOwnPropertyDescriptor(n.tensor, "rawData")?.get);
    assert.ok(deferred.length > 0, "large tensors are read on first use");
    assert.equal(printGraph(rebuilt.graph), printGraph(reference.graph));
    assert.deepEqual(nodeFacts(rebuilt), nodeFacts(reference));
    for (let i = 0; i < reference.graph.nodes.length; i++) assert.equal(encodedTensor(rebuilt, i), encodedTensor(reference, i), `tensor of ${reference.graph.nodes[i]!.name}`);
    assert.deepEqual(reference.graph.outputs.map((o) => o.name), rebuilt.graph.outputs.map((o) => o.name));
    const fields = (m: Model) => ({ ...m, graph: m.graph.name + m.graph.docString });
    assert.deepEqual(fields(rebuilt), fields(reference));
    assert.deepEqual(fields(loaded), fields(reference));
  });
}

test("a built-in quantizer checks a rebuilt model as it checks the decoded one", { skip: !existsSync(MODELS[1]!) && `${MODELS[1]} not found` }, async () => {
  const file = MODELS[1]!;
  const { snapshot } = await loadWithSnapshot(file);
  const rebuilt = modelFromSnapshot(snapshot!, file, fileStamp(file))!;
  const fromSnapshot = await checkTarget({ model: rebuilt, quantizer: "xnnpack" }, { inPlace: true });
  const fromFile = await checkTarget({ model: file, quantizer: "xnnpack" });
  assert.equal(fromSnapshot.kind, "checked");
  assert.equal(fromFile.kind, "checked");
  if (fromSnapshot.kind !== "checked" || fromFile.kind !== "checked") return;
  assert.deepEqual(JSON.parse(JSON.stringify(fromSnapshot.findings)), JSON.parse(JSON.stringify(fromFile.findings)));
  assert.deepEqual(fromSnapshot.coverage, fromFile.coverage);
  // The checker reads no weight: they are still in the file.
  assert.ok(rebuilt.graph.nodes.some((n) => n.tensor && Object.getOwnPropertyDescriptor(n.tensor, "rawData")?.get));
});

test("a snapshot of another version of the file is refused", async () => {
  const file = MODELS[0]!;
  const { snapshot } = await loadWithSnapshot(file);
  assert.ok(snapshot);
  assert.equal(modelFromSnapshot(snapshot, file, "1:2"), undefined);
});

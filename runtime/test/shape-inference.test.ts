import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { loadModel, saveModel, type Model } from "../src/tooling.js";
import { EXAMPLES, sharedFile, sharedModel, skipUnlessShared, skipUnlessSharedFile, withTempDir } from "./helpers/data.js";

/**
 * Checks inferred shapes against the shapes ONNX Runtime actually produces: every intermediate value becomes a graph
 * output, the model runs at batch 2, and each inferred dim must equal the real one (symbols stand for the batch).
 */
async function compareWithOrt(model: Model, dir: string): Promise<number> {
  const ort = await import("onnxruntime-node");
  const g = model.graph;
  const values = g.nodes.filter((n) => (n.kind === "call" && !n.isMultiOutput) || n.kind === "getitem");
  const file = path.join(dir, "all-outputs.onnx");
  g.outputs = values;
  g.outputNode.meta.outputValueInfos = [];
  await saveModel(model, file);
  const session = await ort.InferenceSession.create(file);
  const input = g.placeholders()[0]!;
  const dims = input.meta.shape!.map((d) => (typeof d === "number" ? d : 2));
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i));
  const result = await session.run({ [input.valueName]: new ort.Tensor("float32", data, dims) });
  let checked = 0;
  for (const node of values) {
    const real = result[node.valueName]!.dims;
    assert.ok(node.meta.shape, `${node.name} has an inferred shape`);
    const inferred = node.meta.shape!.map((d) => (typeof d === "number" ? d : d === "batch" ? 2 : NaN));
    assert.deepEqual(inferred, [...real], `${node.name}: inferred [${node.meta.shape}] vs ORT [${real}]`);
    assert.equal(node.meta.dtype, result[node.valueName]!.type === "float32" ? "float32" : node.meta.dtype);
    checked++;
  }
  return checked;
}

test("inferred shapes equal ONNX Runtime's on the example CNN", async () => {
  await withTempDir(async (dir) => {
    const checked = await compareWithOrt(await loadModel(path.join(EXAMPLES, "fmnist_cnn_op13.onnx")), dir);
    assert.equal(checked, 16);
  });
});

test("inferred shapes equal ONNX Runtime's on the zoo's LSTM keyword spotter (LSTM outputs included)", { skip: skipUnlessSharedFile("zoo/models/lstm_kws.onnx") }, async () => {
  await withTempDir(async (dir) => {
    const model = await loadModel(sharedFile("zoo/models/lstm_kws.onnx")!);
    assert.ok((await compareWithOrt(model, dir)) > 10);
  });
});

for (const file of ["resnet18_op13.onnx", "mobilenet_v2_op13.onnx", "resnet18_op13.qdq_s8s8.onnx"]) {
  test(`inferred shapes equal ONNX Runtime's on ${file}`, { skip: skipUnlessShared(file) }, async () => {
    await withTempDir(async (dir) => {
      const model = await loadModel(sharedModel(file)!);
      assert.ok((await compareWithOrt(model, dir)) > 40);
    });
  });
}

test("shape ops resolve through Shape → Gather → Unsqueeze → Concat → Reshape with a symbolic batch", async () => {
  const { modelBytes, node, valueInfo } = await import("./helpers/build.js");
  const { makeTensor, attributes } = await import("../src/tooling.js");
  await withTempDir(async (dir) => {
    const file = path.join(dir, "reshape.onnx");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(file, modelBytes({
      initializer: [
        makeTensor("zero", "int64", [], BigInt64Array.of(0n)),
        makeTensor("minus1", "int64", [1], BigInt64Array.of(-1n)),
        makeTensor("axes", "int64", [1], BigInt64Array.of(0n)),
      ],
      node: [
        node("Shape", ["x"], ["s"]),
        node("Gather", ["s", "zero"], ["n"], [attributes.intAttribute("axis", 0)]),
        node("Unsqueeze", ["n", "axes"], ["n1"]),
        node("Concat", ["n1", "minus1"], ["target"], [attributes.intAttribute("axis", 0)]),
        node("Reshape", ["x", "target"], ["y"]),
        node("Transpose", ["y"], ["z"], [attributes.intsAttribute("perm", [1, 0])]),
      ],
      input: [valueInfo("x", "float32", ["batch", 3, 4, 5])],
      output: [valueInfo("z", "float32", [60, "batch"])],
    }));
    const fixed = await loadModel(file);
    assert.deepEqual(fixed.graph.producerOf("target")!.meta.shape, [2]);
    assert.deepEqual(fixed.graph.producerOf("y")!.meta.shape, ["batch", 60]);
    assert.deepEqual(fixed.graph.producerOf("z")!.meta.shape, [60, "batch"]);
    assert.equal(await compareWithOrt(fixed, dir), 6);
  });
});

test("every operator the engine runs has a shape inference rule: a value of unknown element type would count as float", async () => {
  const { supportedOps } = await import("../src/tooling.js");
  const { SHAPE_RULES } = await import("../src/graph/shape-inference/rules.js");
  const ops = [...supportedOps()];
  // Constant becomes a parameter when the model loads; it never reaches inference as a call.
  const missing = ops.filter((op) => !(op in SHAPE_RULES) && op !== "Constant");
  assert.ok(ops.length > 150, `${ops.length} operators`);
  assert.deepEqual(missing, []);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { existsSync, readdirSync } from "node:fs";
import { loadModel, cloneModel, lowerWithReport, isQdqModel, loadQuantizer, prepare, calibrate, convert, compareNodes, openData, modelInputs, Tensor, type Model } from "../src/tooling.js";
import { EXAMPLES, REPO_ROOT, SHARED_ROOT } from "./helpers/data.js";

// ARCHITECTURE.md: graph.lint() holds after every pass. Passes lint their own result (a broken pass throws
// GraphLintError where it broke the graph); this runs each pass over every model qkit ships and the shared corpus.

const corpus = (folder: string) => (existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith(".onnx")).map((f) => path.join(folder, f)) : []);
const MODELS = [path.join(EXAMPLES, "fmnist_cnn_op13.onnx"), ...corpus(path.join(SHARED_ROOT, "models")), ...corpus(path.join(SHARED_ROOT, "zoo", "models"))];

function assertLints(model: Model, after: string): void {
  assert.deepEqual(model.graph.lintProblems(), [], `the graph lints after ${after}`);
}

for (const file of MODELS) {
  test(`every pass leaves ${path.relative(path.dirname(REPO_ROOT), file)} a graph that lints`, async () => {
    const model = await loadModel(file); // graphFromOnnx, normalizeGraph, inferShapes
    assertLints(model, "loading");
    assertLints(cloneModel(model), "cloning");
    if (isQdqModel(model)) assertLints(lowerWithReport(model).model, "lowering");
  });
}

test("prepare, convert, lower and the numeric debugger's copy keep the example CNN linted", async () => {
  const model = await loadModel(path.join(EXAMPLES, "fmnist_cnn_op13.onnx"));
  const prepared = prepare(model, loadQuantizer(path.join(EXAMPLES, "fashion-mnist", "tutorial-quantizer.ts")).quantizer);
  assertLints(prepared.model, "prepare");
  const sample = { input: new Tensor("float32", new Float32Array(28 * 28).fill(0.5), [1, 1, 28, 28]) };
  await calibrate(prepared, [sample]);
  const converted = convert(prepared);
  assertLints(converted, "convert");
  assertLints(lowerWithReport(converted).model, "lowering");
  const data = openData(path.join(EXAMPLES, "fashion-mnist", "calibration-images-idx3-ubyte.gz"), modelInputs(model.graph), { batchSize: 4, limit: 4, normalize: { scale: 1 / 255 } });
  const rows = await compareNodes(model, converted, data, { annotated: prepared.model });
  assert.ok(rows.length > 0);
});

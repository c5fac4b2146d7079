import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { annotationOf, loadModel, loadQuantizer, runCheck, scaffoldQuantizer, typeCheckQuantizer, onnx, loadTsMorph } from "../src/tooling.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";
import { withTempDir } from "./helpers/data.js";

/** x (float) → MatMul with a constant → Add with x → Softmax; ids (int64) → Add with itself: shapes, not values. */
function mixedModel(): Uint8Array {
  const weight = new onnx.TensorProto({ name: "W", dataType: onnx.TensorProto.DataType.FLOAT, dims: [4, 4], floatData: Array.from({ length: 16 }, (_, i) => (i % 5) / 4 - 0.5) });
  return modelBytes({
    name: "mixed",
    input: [valueInfo("x", "float32", [1, 4]), valueInfo("ids", "int64", [1, 4])],
    initializer: [weight],
    node: [
      node("MatMul", ["x", "W"], ["m"], [], "linear"),
      node("Add", ["m", "x"], ["a"], [], "residual"),
      node("Add", ["ids", "ids"], ["k"], [], "ids_add"),
      node("Softmax", ["a"], ["y"], [], "softmax"),
    ],
    output: [valueInfo("y", "float32", [1, 4]), valueInfo("k", "int64", [1, 4])],
  });
}

test("a scaffold quantizes the float patterns a model has, skips integer values, and its checker run is clean", () => withTempDir(async (dir) => {
  const modelFile = path.join(dir, "mixed.onnx");
  writeFileSync(modelFile, mixedModel());
  const result = await scaffoldQuantizer({ model: modelFile, configDir: dir });
  assert.deepEqual(result.patterns.weighted, ["MatMul"]);
  assert.deepEqual(result.patterns.binary, ["Add"]);
  assert.deepEqual(result.patterns.leftFloat, [["Softmax", 1]]);
  assert.deepEqual(typeCheckQuantizer(result.quantizer), []);

  const model = await loadModel(modelFile);
  const checked = runCheck(model, loadQuantizer(result.quantizer).quantizer);
  assert.deepEqual(checked.findings.filter((f) => f.severity !== "information").map((f) => f.message), []);
  const byName = (name: string) => checked.model.graph.nodes.find((n) => n.name === name)!;
  assert.ok(annotationOf(byName("linear"))?.outputQspec, "the MatMul with a constant weight is quantized");
  assert.equal(annotationOf(byName("residual"))?.inputQspecMap.size, 2, "the float Add quantizes both inputs");
  assert.equal(annotationOf(byName("ids_add")), undefined, "the int64 Add is left alone");
  assert.equal(annotationOf(byName("softmax")), undefined);
}));

test("the scaffold is built from structures: one QuantizationConfig per pattern, one loop per op type, the bias derived", () => withTempDir(async (dir) => {
  const modelFile = path.join(dir, "mixed.onnx");
  writeFileSync(modelFile, mixedModel());
  const { quantizer } = await scaffoldQuantizer({ model: modelFile, configDir: dir, like: "x86" });
  const { Project } = loadTsMorph();
  const file = new Project({ useInMemoryFileSystem: true }).createSourceFile("q.ts", readFileSync(quantizer, "utf8"));
  const configs = file.getVariableStatements().flatMap((s) => s.getDeclarations()).filter((d) => d.getTypeNode()?.getText() === "QuantizationConfig").map((d) => d.getName());
  assert.deepEqual(configs, ["matMulConfig", "addConfig"]);
  const cls = file.getClassOrThrow("MixedQuantizer");
  assert.equal(cls.isDefaultExport(), true);
  const body = cls.getMethodOrThrow("annotate").getBodyText()!;
  assert.match(body, /getSourcePartitions\(model\.graph, \["MatMul", "Add"\]\)/);
  assert.match(body, /for \(const partition of partitions\.MatMul\) annotateWeighted\(partition\.nodes\[0\]!, matMulConfig\);/);
  assert.match(file.getFunctionOrThrow("biasSpec").getText(), /new DerivedQuantizationSpec\(/);
  assert.match(file.getVariableDeclarationOrThrow("activation").getText(), /dtype: "uint8"/);
}));

test("a model with nothing to quantize gets a quantizer that leaves it float, and still type-checks", () => withTempDir(async (dir) => {
  const modelFile = path.join(dir, "softmax.onnx");
  writeFileSync(modelFile, modelBytes({
    name: "softmax",
    input: [valueInfo("x", "float32", [1, 4])],
    node: [node("Softmax", ["x"], ["y"])],
    output: [valueInfo("y", "float32", [1, 4])],
  }));
  const result = await scaffoldQuantizer({ model: modelFile, configDir: dir, like: "ort-qdq" });
  const text = readFileSync(result.quantizer, "utf8");
  assert.match(text, /it stays float/);
  assert.doesNotMatch(text, /partitions/);
  assert.deepEqual(typeCheckQuantizer(result.quantizer), []);
}));

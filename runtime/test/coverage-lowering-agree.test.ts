import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { loadModel, runCheck, prepare, calibrate, convert, lowerWithReport, XnnpackQuantizer, X86Quantizer, makeTensor, Tensor, annotationOf, type Node } from "../src/tooling.js";
import { SHARED_ROOT, skipUnlessSharedFile } from "./helpers/data.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";
import { compareLowered } from "./int8-compare.js";

/** Squeeze-and-excite in miniature: a conv's output scaled per channel by its own global average (Mul broadcasts). */
function squeezeExcite(): Uint8Array {
  const C = 4;
  return modelBytes({
    name: "se",
    input: [valueInfo("x", "float32", [1, 2, 6, 6])],
    output: [valueInfo("y", "float32", [1, C, 6, 6])],
    initializer: [
      makeTensor("w", "float32", [C, 2, 3, 3], Float32Array.from({ length: C * 2 * 9 }, (_, i) => Math.sin(i) / 4)),
      makeTensor("b", "float32", [C], Float32Array.of(0.1, -0.2, 0.3, 0)),
    ],
    node: [
      node("Conv", ["x", "w", "b"], ["c"], [{ name: "pads", type: 7, ints: [1, 1, 1, 1] }]),
      node("GlobalAveragePool", ["c"], ["g"]),
      node("Mul", ["c", "g"], ["y"]),
    ],
  });
}

test("a broadcasting Mul (squeeze-and-excite): check's coverage and lower() agree that it runs in int8, and it equals the reference", async () => {
  const model = await loadModel(squeezeExcite(), { name: "se.onnx" });
  const quantizer = () => new XnnpackQuantizer();
  const { coverage } = runCheck(model, quantizer());
  const mul = coverage.rows.find((r) => r.opType === "Mul")!;
  assert.deepEqual([mul.annotated, mul.notInt8, mul.notInt8Nodes], [1, 0, []]);

  const prepared = prepare(model, quantizer());
  const sample = { x: new Tensor("float32", Float32Array.from({ length: 72 }, (_, i) => Math.cos(i)), [1, 2, 6, 6]) };
  await calibrate(prepared, [sample]);
  const converted = convert(prepared);
  const { report } = lowerWithReport(converted);
  assert.equal(report.nodes.find((n) => n.name === "Mul_y")!.loweredAs, "com.qkit.QMul");
  // What coverage counts as int8 is what lowering lowers, and the other way round.
  for (const row of coverage.rows) {
    for (const n of report.nodes.filter((e) => e.opType === row.opType)) {
      const int8 = row.annotated > 0 && !row.notInt8Nodes.includes(n.name);
      if (int8) assert.ok(n.loweredAs, `${n.name} counted int8 but stays float: ${n.reason}`);
    }
  }
  const diffs = await compareLowered(converted, sample);
  const qmul = diffs.find((d) => d.opType === "QMul")!;
  assert.equal(qmul.mismatches, 0, `the broadcast QMul differs from the reference in ${qmul.mismatches} of ${qmul.elements}`);
});

test("mobilenet_v3_small quantized by x86 (convolutions fused with their Add, squeeze-and-excite): coverage's int8 is exactly what lowers",
  { skip: skipUnlessSharedFile("zoo/models/mobilenet_v3_small.onnx"), timeout: 10 * 60 * 1000 }, async () => {
    const model = await loadModel(path.join(SHARED_ROOT, "zoo", "models", "mobilenet_v3_small.onnx"));
    const { coverage } = runCheck(model, new X86Quantizer());
    const prepared = prepare(model, new X86Quantizer());
    const x = new Tensor("float32", Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.sin(i)), [1, 3, 224, 224]);
    await calibrate(prepared, [{ input: x }]);
    const { report } = lowerWithReport(convert(prepared));
    const notInt8 = new Set(coverage.rows.flatMap((r) => r.notInt8Nodes));
    const touched = new Set(coverage.rows.filter((r) => r.annotated > 0).map((r) => r.opType));
    const disagreements = report.nodes.filter((n) => touched.has(n.opType) && notInt8.has(n.name) === !!n.loweredAs);
    assert.deepEqual(disagreements.map((n) => `${n.name}: ${n.loweredAs ?? n.reason}`), []);
    assert.ok(report.float > 0 && report.lowered > 100, `${report.lowered} lowered, ${report.float} float`);
  });

// The trained Fashion-MNIST ViT: its Linear layers export as bias + x·W (the bias first), which lowering folds into
// one QGemm; coverage must count those Adds as int8 too.
for (const Quantizer of [XnnpackQuantizer, X86Quantizer]) {
  test(`fmnist_vit quantized by ${Quantizer.name}: coverage's int8 is exactly what lowers, the Linear bias Adds included`,
    { skip: skipUnlessSharedFile("zoo/models/fmnist_vit.onnx") }, async () => {
      const model = await loadModel(path.join(SHARED_ROOT, "zoo", "models", "fmnist_vit.onnx"));
      const { coverage, model: annotated } = runCheck(model, new Quantizer());
      const prepared = prepare(model, new Quantizer());
      const x = new Tensor("float32", Float32Array.from({ length: 28 * 28 }, (_, i) => Math.sin(i)), [1, 1, 28, 28]);
      await calibrate(prepared, [{ [prepared.model.graph.nodes.find((n) => n.kind === "placeholder")!.name]: x }]);
      const { report } = lowerWithReport(convert(prepared));
      const notInt8 = new Set(coverage.rows.flatMap((r) => r.notInt8Nodes));
      // Nodes the quantizer put specs on (an annotation without specs only keeps a node float).
      const withSpecs = (n: Node) => { const a = annotationOf(n); return !!a && (a.outputQspec !== undefined || a.inputQspecMap.size > 0); };
      const annotatedNames = new Set(annotated.graph.calls().filter(withSpecs).map((n) => n.name));
      const disagreements = report.nodes.filter((n) => annotatedNames.has(n.name) && notInt8.has(n.name) === !!n.loweredAs);
      assert.deepEqual(disagreements.map((n) => `${n.name}: ${n.loweredAs ?? n.reason}`), []);
      assert.ok(report.nodes.some((n) => n.opType === "Add" && /fused into .*MatMul \(bias\)/.test(n.loweredAs ?? "")), "a bias Add folds into its MatMul");
    });
}

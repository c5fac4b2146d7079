import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { existsSync } from "node:fs";
import {
  loadModel, runCheck, prepare, calibrate, convert, loadQuantizer, annotationOf, isSpec, BUILTIN_QUANTIZERS,
  Tensor, type Model,
} from "../src/tooling.js";
import { EXAMPLES, SHARED_ROOT } from "./helpers/data.js";

const TUTORIAL = path.join(EXAMPLES, "fashion-mnist", "tutorial-quantizer.ts");
/** The built-ins and the tutorial quantizer qkit ships. */
const QUANTIZERS = [...Object.keys(BUILTIN_QUANTIZERS), TUTORIAL];
const label = (q: string) => (q === TUTORIAL ? "the tutorial quantizer" : q);
import { shapeArithmeticModel } from "./helpers/shape-arithmetic.js";

/** Every value a quantizer annotated for quantization, with its dtype. */
function quantizedValues(model: Model): { name: string; dtype: string }[] {
  const values: { name: string; dtype: string }[] = [];
  for (const n of model.graph.nodes) {
    const a = annotationOf(n);
    if (!a) continue;
    for (const [input, spec] of a.inputQspecMap) if (isSpec(spec)) values.push({ name: `${input.name} → ${n.name}`, dtype: input.meta.dtype ?? "?" });
    if (isSpec(a.outputQspec)) values.push({ name: n.name, dtype: n.meta.dtype ?? "?" });
  }
  return values;
}

const floatish = (dtype: string) => dtype === "?" || dtype.startsWith("float") || dtype === "bfloat16";

for (const name of QUANTIZERS) {
  test(`${label(name)} quantizes the float values of a model with shape arithmetic and never its int64 shapes`, async () => {
    const model = await loadModel(shapeArithmeticModel(), { name: "shape-arithmetic.onnx" });
    const { findings, model: annotated } = runCheck(model, loadQuantizer(name).quantizer);
    assert.deepEqual(findings.filter((f) => f.severity === "error"), []);
    const values = quantizedValues(annotated);
    if (name !== TUTORIAL) assert.ok(values.some((v) => v.name.endsWith("→ MatMul_mm")), `the MatMul input is quantized: ${JSON.stringify(values)}`);
    assert.deepEqual(values.filter((v) => !floatish(v.dtype)), []);

    const prepared = prepare(model, loadQuantizer(name).quantizer);
    const sample = { x: new Tensor("float32", Float32Array.from({ length: 2 * 32 }, (_, i) => Math.sin(i)), [2, 4, 8]) };
    await calibrate(prepared, [sample, sample]);
    convert(prepared);
  });
}

const ZOO = path.join(SHARED_ROOT, "zoo", "models");
for (const file of ["vit_tiny.onnx", "fmnist_vit.onnx", "text_encoder.onnx"]) {
  for (const name of QUANTIZERS) {
    test(`${label(name)} annotates no integer or bool value of ${file}`, { skip: existsSync(path.join(ZOO, file)) ? false : `needs ${file} from the shared zoo` }, async () => {
      const model = await loadModel(path.join(ZOO, file));
      const { findings, model: annotated } = runCheck(model, loadQuantizer(name).quantizer);
      assert.deepEqual(findings.filter((f) => f.severity === "error"), []);
      const values = quantizedValues(annotated);
      assert.ok(values.length > 10);
      assert.deepEqual(values.filter((v) => !floatish(v.dtype)), []);
    });
  }
}


/**
 * A detector's post-processing: NonMaxSuppression's selected indices (int64) sliced, squeezed and used to gather the
 * kept boxes. The indices' element type comes from the op's rule, so no quantizer takes them for activations.
 */
async function nmsModel(): Promise<Model> {
  const { modelBytes, node, valueInfo } = await import("./helpers/build.js");
  const { makeTensor } = await import("../src/tooling.js");
  const ints = (name: string, v: number[]) => makeTensor(name, "int64", [v.length], BigInt64Array.from(v, BigInt));
  const bytes = modelBytes({
    name: "nms",
    input: [valueInfo("boxes", "float32", [1, 16, 4]), valueInfo("logits", "float32", [1, 1, 16])],
    output: [valueInfo("kept", "float32", [])],
    initializer: [
      ints("max", [5]), makeTensor("iou", "float32", [1], Float32Array.of(0.5)), makeTensor("score", "float32", [1], Float32Array.of(0.1)),
      ints("s0", [2]), ints("s1", [3]), ints("ax", [1]), ints("ax0", [0]), makeTensor("w", "float32", [4, 4], Float32Array.from({ length: 16 }, (_, i) => Math.cos(i))),
    ],
    node: [
      node("Sigmoid", ["logits"], ["scores"]),
      node("NonMaxSuppression", ["boxes", "scores", "max", "iou", "score"], ["selected"]),
      node("Slice", ["selected", "s0", "s1", "ax"], ["column"]),
      node("Squeeze", ["column", "ax"], ["keep"]),
      node("Squeeze", ["boxes", "ax0"], ["flat"]),
      node("Gather", ["flat", "keep"], ["picked"], [{ name: "axis", type: 2, i: 0 }]),
      node("MatMul", ["picked", "w"], ["kept"]),
    ],
  }, { opset: 13 });
  return loadModel(bytes, { name: "nms.onnx" });
}

for (const name of QUANTIZERS) {
  test(`${label(name)} never takes NonMaxSuppression's selected indices for activations, and the model calibrates`, async () => {
    const model = await nmsModel();
    const { findings, model: annotated } = runCheck(model, loadQuantizer(name).quantizer);
    assert.deepEqual(findings.filter((f) => f.severity === "error"), []);
    const values = quantizedValues(annotated);
    assert.deepEqual(values.filter((v) => !floatish(v.dtype) || v.dtype === "?"), [], "every quantized value has a known float type");
    const prepared = prepare(model, loadQuantizer(name).quantizer);
    const boxes = Float32Array.from({ length: 64 }, (_, i) => (i % 4 < 2 ? (i >> 2) * 3 : (i >> 2) * 3 + 5 + (i % 3)));
    const sample = { boxes: new Tensor("float32", boxes, [1, 16, 4]), logits: new Tensor("float32", Float32Array.from({ length: 16 }, (_, i) => Math.sin(i * 1.7) * 3), [1, 1, 16]) };
    await calibrate(prepared, [sample]);
    convert(prepared);
  });
}

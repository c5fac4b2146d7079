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


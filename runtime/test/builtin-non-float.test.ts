import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { existsSync } from "node:fs";
import {
  loadModel, runCheck, prepare, calibrate, convert, loadQuantizer, annotationOf, makeTensor, isSpec, BUILTIN_QUANTIZERS,
  Tensor, type Model,
} from "../src/tooling.js";
import { EXAMPLES, SHARED_ROOT } from "./helpers/data.js";

const TUTORIAL = path.join(EXAMPLES, "quantizers", "tutorial-quantizer.ts");
/** The built-ins and the tutorial quantizer qkit ships. */
const QUANTIZERS = [...Object.keys(BUILTIN_QUANTIZERS), TUTORIAL];
const label = (q: string) => (q === TUTORIAL ? "the tutorial quantizer" : q);
import { modelBytes, node, valueInfo } from "./helpers/build.js";

/**
 * A linear layer whose input is reshaped by shape arithmetic, as every PyTorch export of a transformer has it:
 * Shape → Gather → Unsqueeze → Concat (int64) → Reshape, an int64 Add on the way, then MatMul + bias Add.
 */
function shapeArithmeticModel(): Uint8Array {
  const int64 = (name: string, values: bigint[]) => makeTensor(name, "int64", [values.length], BigInt64Array.from(values));
  return modelBytes({
    name: "shape-arithmetic",
    input: [valueInfo("x", "float32", ["batch", 4, 8])],
    output: [valueInfo("y", "float32", ["batch", 32, 3])],
    initializer: [
      makeTensor("zero", "int64", [], BigInt64Array.of(0n)), int64("axes", [0n]), int64("rest", [32n]), int64("one", [1n]),
      makeTensor("scalar_one", "int64", [], BigInt64Array.of(1n)),
      makeTensor("w", "float32", [1, 3], Float32Array.of(0.5, -0.25, 1)),
      makeTensor("b", "float32", [3], Float32Array.of(0.1, 0.2, 0.3)),
    ],
    node: [
      node("Shape", ["x"], ["shape"]),
      node("Gather", ["shape", "zero"], ["batch_dim"], [{ name: "axis", type: 2, i: 0 }]),
      node("Add", ["batch_dim", "scalar_one"], ["batch_plus_one"]),
      node("Sub", ["batch_plus_one", "scalar_one"], ["batch_again"]),
      node("Unsqueeze", ["batch_again", "axes"], ["batch_1d"]),
      node("Concat", ["batch_1d", "rest", "one"], ["new_shape"], [{ name: "axis", type: 2, i: 0 }]),
      node("Reshape", ["x", "new_shape"], ["flat"]),
      node("MatMul", ["flat", "w"], ["mm"]),
      node("Add", ["mm", "b"], ["y"]),
    ],
  });
}

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


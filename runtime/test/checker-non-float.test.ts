import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { writeFileSync } from "node:fs";
import { loadModel, loadQuantizer, runCheck, prepare, PrepareError, type Finding } from "../src/tooling.js";
import { withTempDir } from "./helpers/data.js";
import { shapeArithmeticModel } from "./helpers/shape-arithmetic.js";
import { computedScalesModel } from "./helpers/computed-scales.js";
import { checkSource } from "./helpers/check-source.js";

// A quantizer that annotates every Add and Concat, as a CNN-minded one would: in a transformer export, two of the
// Adds and the Concat compute int64 shapes.
const QUANTIZER = `import { MinMaxObserver, Quantizer, QuantizationAnnotation, QuantizationSpec, type GraphModule } from "qkit";

const act = new QuantizationSpec({ dtype: "int8", quantMin: -128, quantMax: 127, observer: MinMaxObserver });

export default class EveryAdd extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    for (const node of model.graph.calls("Add", "Concat")) {
      node.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[node.args[0]!, act]], outputQspec: act });
    }
    return model;
  }
}
`;

/**
 * The quantizer `source` (written to a file, so findings have a line) checked against `modelBytes`: the errors, and
 * whether prepare refuses with `refusal`.
 */
async function errorsOf(source: string, modelBytes: Uint8Array, refusal: RegExp, expect: (errors: Finding[], file: string) => void): Promise<void> {
  await withTempDir(async (dir) => {
    const file = path.join(dir, "quantizer.ts");
    writeFileSync(file, source);
    const model = await loadModel(modelBytes, { name: "model.onnx" });
    expect(runCheck(model, loadQuantizer(file).quantizer).findings.filter((f) => f.severity === "error"), file);
    assert.throws(() => prepare(model, loadQuantizer(file).quantizer), (e: unknown) => e instanceof PrepareError && refusal.test(e.message));
  });
}

test("a spec put on int64 shape values is one error at the line that made it, naming how many values and their dtype", () =>
  errorsOf(QUANTIZER, shapeArithmeticModel(), /is put on 4 values that are not floating point/, (errors, file) => {
    assert.deepEqual(errors.map((f) => [f.code, f.location?.file, f.location?.line]), [["non-float-quantized", file, 3]]);
    const [error] = errors;
    // The int64 Add and the Concat: an input edge and the output of each (4 values); never the float bias Add.
    assert.match(error!.message, /^QuantizationSpec is put on 4 values that are not floating point, e\.g\. the .+, which holds int64; only float tensors are quantized/);
    assert.deepEqual([...error!.nodes].sort(), ["Add_batch_plus_one", "Concat_new_shape"]);
  }));

test("the same quantizer on a float-only model is clean: the rule looks at dtypes, not op types", async () => {
  const { findings } = await checkSource(QUANTIZER);
  assert.deepEqual(findings.filter((f) => f.code === "non-float-quantized"), []);
});

// The same quantizer on every Mul, as one written for squeeze-excite would be: here a Mul computes a Resize's scales
// from the input's shape, in float.
const EVERY_MUL = QUANTIZER.replace("EveryAdd", "EveryMul").replace('calls("Add", "Concat")', 'calls("Mul")');

test("a spec put on float values that only decide shapes (a Resize's scales) is one error at the line that made it", () =>
  errorsOf(EVERY_MUL, computedScalesModel(), /only decide shapes/, (errors, file) => {
    assert.deepEqual(errors.map((f) => [f.code, f.location?.file, f.location?.line]), [["shape-operand-quantized", file, 3]]);
    assert.match(errors[0]!.message, /^QuantizationSpec is put on 2 values that only decide shapes, e\.g\. the .+; quantizing it would round the shapes it sets: skip nodes whose isShapeOperand is true$/);
    assert.deepEqual([...errors[0]!.nodes], ["Mul_scales"]);
  }));

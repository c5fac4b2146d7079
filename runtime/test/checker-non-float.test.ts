import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { writeFileSync } from "node:fs";
import { loadModel, loadQuantizer, runCheck, prepare, PrepareError } from "../src/tooling.js";
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

test("a spec put on int64 shape values is one error at the line that made it, naming how many values and their dtype", async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, "every-add.ts");
    writeFileSync(file, QUANTIZER);
    const model = await loadModel(shapeArithmeticModel(), { name: "shape-arithmetic.onnx" });
    const { findings } = runCheck(model, loadQuantizer(file).quantizer);
    const errors = findings.filter((f) => f.severity === "error");
    assert.deepEqual(errors.map((f) => [f.code, f.location?.file, f.location?.line]), [["non-float-quantized", file, 3]]);
    const [error] = errors;
    // The int64 Add and the Concat: an input edge and the output of each (4 values); never the float bias Add.
    assert.match(error!.message, /^QuantizationSpec is put on 4 values that are not floating point, e\.g\. the .+, which holds int64; only float tensors are quantized/);
    assert.deepEqual([...error!.nodes].sort(), ["Add_batch_plus_one", "Concat_new_shape"]);

    assert.throws(() => prepare(model, loadQuantizer(file).quantizer), (e: unknown) => e instanceof PrepareError && /is put on 4 values that are not floating point/.test(e.message));
  });
});

test("the same quantizer on a float-only model is clean: the rule looks at dtypes, not op types", async () => {
  const { findings } = await checkSource(QUANTIZER);
  assert.deepEqual(findings.filter((f) => f.code === "non-float-quantized"), []);
});

// A quantizer that annotates every Mul, as one written for squeeze-excite would: here a Mul computes a Resize's
// scales from the input's shape, in float.
const EVERY_MUL = `import { MinMaxObserver, Quantizer, QuantizationAnnotation, QuantizationSpec, type GraphModule } from "qkit";

const act = new QuantizationSpec({ dtype: "int8", quantMin: -128, quantMax: 127, observer: MinMaxObserver });

export default class EveryMul extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    for (const node of model.graph.calls("Mul")) {
      node.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[node.args[0]!, act]], outputQspec: act });
    }
    return model;
  }
}
`;

test("a spec put on float values that only decide shapes (a Resize's scales) is one error at the line that made it", async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, "every-mul.ts");
    writeFileSync(file, EVERY_MUL);
    const model = await loadModel(computedScalesModel(), { name: "computed-scales.onnx" });
    const { findings } = runCheck(model, loadQuantizer(file).quantizer);
    const errors = findings.filter((f) => f.severity === "error");
    assert.deepEqual(errors.map((f) => [f.code, f.location?.file, f.location?.line]), [["shape-operand-quantized", file, 3]]);
    assert.match(errors[0]!.message, /^QuantizationSpec is put on 2 values that only decide shapes, e\.g\. the .+; quantizing it would round the shapes it sets: skip nodes whose isShapeOperand is true$/);
    assert.deepEqual([...errors[0]!.nodes], ["Mul_scales"]);
    assert.throws(() => prepare(model, loadQuantizer(file).quantizer), (e: unknown) => e instanceof PrepareError && /only decide shapes/.test(e.message));
  });
});

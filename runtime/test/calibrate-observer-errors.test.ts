import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { writeFileSync } from "node:fs";
import { loadModel, loadQuantizer, prepare, calibrate, Tensor, QkitError } from "../src/tooling.js";
import { EXAMPLES, withTempDir } from "./helpers/data.js";

// An observer that refuses what it is fed stands for any observer given a tensor it cannot take (integers whose
// dtype shape inference could not tell, a custom observer's own checks).
const QUANTIZER = `import { MinMaxObserver, Quantizer, QuantizationAnnotation, QuantizationSpec, type GraphModule, type ObservedTensor } from "qkit";

class Picky extends MinMaxObserver {
  override observe(_tensor: ObservedTensor): void {
    throw new Error("this observer takes no tensors");
  }
}

const spec = new QuantizationSpec({ dtype: "int8", quantMin: -128, quantMax: 127, observer: Picky });

export default class UsesPicky extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    model.graph.node("/relu1/Relu")!.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: spec });
    return model;
  }
}
`;

test("an observer that refuses its tensor fails calibration with the value, its dtype and the spec's line", async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, "picky.ts");
    writeFileSync(file, QUANTIZER);
    const model = await loadModel(path.join(EXAMPLES, "fmnist_cnn_op13.onnx"));
    const prepared = prepare(model, loadQuantizer(file).quantizer);
    const sample = { input: new Tensor("float32", new Float32Array(28 * 28).fill(0.5), [1, 1, 28, 28]) };
    await assert.rejects(calibrate(prepared, [sample]), (e: unknown) => {
      assert.ok(e instanceof QkitError);
      assert.equal(e.code, "observer-feed");
      assert.deepEqual([e.location?.file, e.location?.line], [file, 9]);
      assert.match(e.message, /picky\.ts:9:\d+: the Picky of this spec cannot observe %\/relu1\/Relu \(float32\): this observer takes no tensors$/);
      return true;
    });
  });
});

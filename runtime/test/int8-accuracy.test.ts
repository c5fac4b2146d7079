import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { existsSync } from "node:fs";
import { loadModel, loadQuantizer, prepare, calibrate, convert, openData, modelInputs, evaluateAccuracy, readLabels, type Model } from "../src/tooling.js";
import { EXAMPLES } from "./helpers/data.js";

const FASHION = path.join(EXAMPLES, "fashion-mnist");
const NORMALIZE = { mean: [0.286], std: [0.353] };
// Debian's dataset-fashion-mnist, when installed, gives the full 10k test set.
const DEBIAN = "/usr/share/datasets/fashion-mnist";
const FULL = existsSync(path.join(DEBIAN, "t10k-images-idx3-ubyte.gz"));

async function quantizedCnn(quantizer: string): Promise<Model> {
  const model = await loadModel(path.join(EXAMPLES, "fmnist_cnn_op13.onnx"));
  const prepared = prepare(model, loadQuantizer(quantizer).quantizer);
  await calibrate(prepared, openData(path.join(FASHION, "calibration-images-idx3-ubyte.gz"), modelInputs(model.graph), { batchSize: 64, normalize: NORMALIZE }));
  return convert(prepared);
}

for (const quantizer of ["xnnpack", "x86", "ort-qdq", path.join(EXAMPLES, "fashion-mnist", "tutorial-quantizer.ts")]) {
  test(`Fashion-MNIST, ${path.basename(quantizer)}: the int8 kernels score exactly what the Q/DQ reference scores`, async () => {
    const converted = await quantizedCnn(quantizer);
    const images = FULL ? path.join(DEBIAN, "t10k-images-idx3-ubyte.gz") : path.join(FASHION, "test-images-idx3-ubyte.gz");
    const labels = await readLabels(FULL ? path.join(DEBIAN, "t10k-labels-idx1-ubyte.gz") : path.join(FASHION, "test-labels-idx1-ubyte.gz"));
    const data = () => openData(images, modelInputs(converted.graph), { batchSize: 250, normalize: NORMALIZE });
    const reference = await evaluateAccuracy(converted, data(), labels, { session: { lowering: false } });
    const kernels = await evaluateAccuracy(converted, data(), labels, { session: { threads: 2 } });
    assert.equal(kernels.accuracy, reference.accuracy);
    if (FULL) assert.ok(kernels.accuracy >= 0.9165, `int8 accuracy ${kernels.accuracy} on the 10k test set`);
  });
}

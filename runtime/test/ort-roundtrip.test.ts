import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { loadModel, saveModel } from "../src/tooling.js";
import { sharedModel, skipUnlessShared, withTempDir } from "./helpers/data.js";
import { maxAbsDiff, referenceIO } from "./helpers/reference.js";

for (const name of ["resnet18_op13", "mobilenet_v2_op13", "fmnist_cnn_op13"]) {
  test(`ONNX Runtime gives the reference outputs on the re-saved ${name}`, { skip: skipUnlessShared(`${name}.onnx`, "manifest.json") }, async () => {
    const ort = await import("onnxruntime-node");
    const io = referenceIO(name);
    await withTempDir(async (dir) => {
      const saved = path.join(dir, `${name}.onnx`);
      await saveModel(await loadModel(sharedModel(`${name}.onnx`)!), saved);
      const run = async (file: string) => {
        const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
        const result = await session.run({ [session.inputNames[0]!]: new ort.Tensor("float32", io.input, io.inputShape) });
        return result[session.outputNames[0]!]!.data as Float32Array;
      };
      const resaved = await run(saved);
      assert.ok(maxAbsDiff(resaved, io.output) <= 1e-4, `max abs error ${maxAbsDiff(resaved, io.output)} against the PyTorch reference`);
      assert.deepEqual(Array.from(resaved), Array.from(await run(sharedModel(`${name}.onnx`)!)), "identical to ORT on the original file");
    });
  });
}

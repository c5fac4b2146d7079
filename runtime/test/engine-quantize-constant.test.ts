import { test } from "node:test";
import assert from "node:assert/strict";
import { createSession, loadModel, makeTensor, Tensor } from "../src/tooling.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

// Exporters compute some quantized values from constants alone (a ViT's class token expanded to the batch, then
// quantized for a Concat): the engine quantizes them once while planning.
test("QuantizeLinear of a value computed from constants runs while planning", async () => {
  const bytes = modelBytes({
    name: "quantize-constant",
    input: [valueInfo("x", "int8", [4])],
    output: [valueInfo("y", "int8", [4])],
    initializer: [
      makeTensor("token", "float32", [4], Float32Array.of(-1, 0.25, 0.5, 2)),
      makeTensor("shape", "int64", [1], BigInt64Array.of(4n)),
      makeTensor("scale", "float32", [], Float32Array.of(0.05)),
      makeTensor("zero_point", "int8", [], Int8Array.of(3)),
    ],
    node: [
      node("Expand", ["token", "shape"], ["expanded"]),
      node("QuantizeLinear", ["expanded", "scale", "zero_point"], ["quantized"]),
      node("Max", ["quantized", "x"], ["y"]),
    ],
  }, { opset: 13 });
  const session = await createSession(await loadModel(bytes, { name: "quantize-constant.onnx" }));
  try {
    const out = await session.run({ x: new Tensor("int8", Int8Array.of(-128, -128, -128, -128), [4]) });
    assert.deepEqual([...(out.y!.data as Int8Array)], [-17, 8, 13, 43]);
  } finally {
    await session.release();
  }
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { loadModel, makeTensor } from "../src/tooling.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

// A positional embedding sliced up to the sequence length (PyTorch's pos[:, :x.shape[1]]): the Slice's end is a
// symbolic dim. Its axis is unknown, never NaN (a NaN dim made lowering think a residual Add could not broadcast).
test("a Slice whose end is a symbolic dim gets an unknown dim on that axis, not NaN", async () => {
  const i64 = (name: string, v: number[]) => makeTensor(name, "int64", [v.length], BigInt64Array.from(v.map(BigInt)));
  const model = await loadModel(modelBytes({
    name: "pos_slice",
    input: [valueInfo("ids", "int64", ["batch", "seq"])],
    output: [valueInfo("y", "float32", [1, "seq", 8])],
    initializer: [
      makeTensor("pos", "float32", [1, 64, 8], new Float32Array(512)),
      makeTensor("one", "int64", [], BigInt64Array.of(1n)),
      i64("zero", [0]), i64("axis", [1]),
    ],
    node: [
      node("Shape", ["ids"], ["shape"]),
      node("Gather", ["shape", "one"], ["len"], [{ name: "axis", type: 2, i: 0 }]),
      node("Unsqueeze", ["len", "zero"], ["end"]),
      node("Slice", ["pos", "zero", "end", "axis"], ["y"], [], "slice"),
    ],
  }));
  const shape = model.graph.node("slice")!.meta.shape!;
  assert.equal(shape.length, 3);
  assert.deepEqual([shape[0], shape[2]], [1, 8]);
  assert.ok(typeof shape[1] === "string", `the sliced axis is symbolic or unknown, got ${String(shape[1])}`);
});

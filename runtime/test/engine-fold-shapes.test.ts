import { test } from "node:test";
import assert from "node:assert/strict";
import { makeTensor, onnx } from "../src/tooling.js";
import { Tensor } from "../src/engine/index.js";
import { createSession } from "../src/session/create-session.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

const ints = (name: string, values: number[]) => new onnx.AttributeProto({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
const int = (name: string, value: number) => new onnx.AttributeProto({ name, type: onnx.AttributeProto.AttributeType.INT, i: value });
const i64 = (name: string, values: number[], dims = [values.length]) => makeTensor(name, "int64", dims, BigInt64Array.from(values, BigInt));

// What exporters write around a dynamic batch (torch.onnx traces x.view(x.size(0), -1), attention masks, ones_like):
// Shape → Gather → Unsqueeze → Concat → Reshape, with Slice, Cast, Mul, Div, Equal, Where, ConstantOfShape, Range and
// Expand on the shape. With the input's shape known, all of it is constant: the plan computes it once.
const bytes = modelBytes({
  name: "shape-subgraphs",
  node: [
    node("Shape", ["x"], ["s"]),
    node("Gather", ["s", "zero"], ["batch"], [int("axis", 0)]),
    node("Unsqueeze", ["batch", "axes0"], ["batch1"]),
    node("Slice", ["s", "one", "three"], ["rest"]),
    node("Cast", ["rest"], ["rest_f"], [int("to", onnx.TensorProto.DataType.FLOAT)]),
    node("Mul", ["rest_f", "half"], ["rest_half"]),
    node("Div", ["rest_half", "half"], ["rest_back"]),
    node("Cast", ["rest_back"], ["rest_i"], [int("to", onnx.TensorProto.DataType.INT64)]),
    node("ReduceProd", ["rest_i"], ["features"], [int("keepdims", 1)]),
    node("Equal", ["features", "minus_one"], ["is_neg"]),
    node("Where", ["is_neg", "one", "features"], ["features_ok"]),
    node("Concat", ["batch1", "features_ok"], ["flat_shape"], [int("axis", 0)]),
    node("Reshape", ["x", "flat_shape"], ["flat"]),
    node("Range", ["zero_s", "batch", "one_s"], ["rows"]),
    node("Cast", ["rows"], ["rows_f"], [int("to", onnx.TensorProto.DataType.FLOAT)]),
    node("Unsqueeze", ["rows_f", "axes1"], ["rows_col"]),
    node("ConstantOfShape", ["flat_shape"], ["ones"], [new onnx.AttributeProto({ name: "value", type: onnx.AttributeProto.AttributeType.TENSOR, t: makeTensor("v", "float32", [1], Float32Array.of(1)) })]),
    node("Expand", ["rows_col", "flat_shape"], ["row_ids"]),
    node("Add", ["ones", "row_ids"], ["offset"]),
    node("Relu", ["flat"], ["r"]),
    node("Add", ["r", "offset"], ["y"]),
  ],
  initializer: [
    i64("zero", [0], []), i64("zero_s", [0], []), i64("one_s", [1], []), i64("axes0", [0]), i64("axes1", [1]), i64("one", [1]),
    i64("three", [3]), i64("minus_one", [-1]), makeTensor("half", "float32", [1], Float32Array.of(0.5)),
  ],
  input: [valueInfo("x", "float32", ["N", 4, 6])],
  output: [valueInfo("y", "float32", ["N", 24])],
}, { opset: 13 });

test("shape subgraphs (Shape, Gather, Slice, Cast, Equal, Where, Concat, Range, ConstantOfShape, Expand) fold while planning", async () => {
  const session = await createSession(bytes);
  try {
    for (const N of [1, 3]) {
      const x = new Float32Array(N * 24).map((_, i) => (i % 7) - 3);
      const feeds = { x: new Tensor("float32", x, [N, 4, 6]) };
      const plan = session.planFor(feeds);
      assert.deepEqual(plan.steps.map((s) => s.node.opType), ["Relu", "Add"], `batch ${N}: only the real work runs`);
      const y = (await session.run(feeds)).y!;
      assert.deepEqual(y.dims, [N, 24]);
      assert.deepEqual([...y.data as Float32Array], [...x].map((v, i) => Math.max(v, 0) + 1 + Math.floor(i / 24)));
    }
  } finally {
    await session.release();
  }
});

test("the attention heads' split (Shape → Gather → Unsqueeze → Concat → Reshape) leaves only the Transpose to run", async () => {
  // The same pattern as exported by torch for nn.MultiheadAttention: heads split with a shape computed from Shape.
  const attention = modelBytes({
    name: "heads",
    node: [
      node("Shape", ["x"], ["s"]),
      node("Gather", ["s", "zero"], ["b"], [int("axis", 0)]),
      node("Gather", ["s", "one_s"], ["t"], [int("axis", 0)]),
      node("Unsqueeze", ["b", "axes0"], ["b1"]),
      node("Unsqueeze", ["t", "axes0"], ["t1"]),
      node("Concat", ["b1", "t1", "heads", "minus_one"], ["split_shape"], [int("axis", 0)]),
      node("Reshape", ["x", "split_shape"], ["split"]),
      node("Transpose", ["split"], ["y"], [ints("perm", [0, 2, 1, 3])]),
    ],
    initializer: [i64("zero", [0], []), i64("one_s", [1], []), i64("axes0", [0]), i64("heads", [2]), i64("minus_one", [-1])],
    input: [valueInfo("x", "float32", ["B", "T", 8])],
    output: [valueInfo("y", "float32", ["B", 2, "T", 4])],
  }, { opset: 13 });
  const session = await createSession(attention);
  try {
    const feeds = { x: new Tensor("float32", new Float32Array(2 * 5 * 8).map((_, i) => i), [2, 5, 8]) };
    const plan = session.planFor(feeds);
    assert.deepEqual(plan.steps.map((s) => s.node.opType), ["Transpose"]);
    assert.deepEqual((await session.run(feeds)).y!.dims, [2, 2, 5, 4]);
  } finally {
    await session.release();
  }
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { createSession, onnx, Tensor } from "../src/tooling.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";
import { assertRunsAsOrt } from "./helpers/runs-as-ort.js";

const ort = createRequire(__filename)("onnxruntime-node") as typeof import("onnxruntime-node");
const A = onnx.AttributeProto.AttributeType;

function floats(name: string, data: number[], dims: number[]): onnx.TensorProto {
  return new onnx.TensorProto({ name, dataType: 1, dims, rawData: new Uint8Array(Float32Array.from(data).buffer) });
}

/**
 * Data-dependent operators in the middle of a graph: work before them (one output returned from there, a Tanh whose
 * Mul comes after them), NonZero → Transpose → GatherND of a computed tensor, Compress of rows feeding a MatMul, Unique
 * with its four outputs; every output's shape depends on the input's values.
 */
function middleGraph(): Uint8Array {
  return modelBytes({
    name: "data-dependent",
    node: [
      node("Relu", ["x"], ["r"]),
      node("Mul", ["r", "two"], ["b"]),
      node("Sigmoid", ["x"], ["early"]),
      node("Tanh", ["x"], ["e"]),
      node("Greater", ["x", "threshold"], ["mask"]),
      node("NonZero", ["mask"], ["nz"]),
      node("Transpose", ["nz"], ["coords"], [{ name: "perm", type: A.INTS, ints: [1, 0] }]),
      node("GatherND", ["b", "coords"], ["picked"]),
      node("Add", ["picked", "one"], ["y"]),
      node("ReduceMax", ["x"], ["rowMax"], [{ name: "axes", type: A.INTS, ints: [1] }, { name: "keepdims", type: A.INT, i: 0 }]),
      node("Greater", ["rowMax", "threshold"], ["rows"]),
      node("Compress", ["b", "rows"], ["kept"], [{ name: "axis", type: A.INT, i: 0 }]),
      node("MatMul", ["kept", "w"], ["projected"]),
      node("Mul", ["e", "three"], ["late"]),
      node("Mul", ["x", "three"], ["scaled"]),
      node("Floor", ["scaled"], ["bucketsF"]),
      node("Cast", ["bucketsF"], ["buckets"], [{ name: "to", type: A.INT, i: 7 }]),
      node("Unique", ["buckets"], ["u", "first", "inverse", "counts"], [{ name: "sorted", type: A.INT, i: 1 }]),
    ],
    initializer: [
      floats("two", [2], []), floats("one", [1], []), floats("three", [3], []), floats("threshold", [0.2], []),
      floats("w", Array.from(seededValues(6 * 4, 5)), [6, 4]),
    ],
    input: [valueInfo("x", "float32", [5, 6])],
    output: [
      valueInfo("y", "float32", ["n"]), valueInfo("early", "float32", [5, 6]), valueInfo("projected", "float32", ["k", 4]),
      valueInfo("late", "float32", [5, 6]), valueInfo("u", "int64", ["u"]), valueInfo("first", "int64", ["u"]),
      valueInfo("inverse", "int64", [30]), valueInfo("counts", "int64", ["u"]),
    ],
  }, { opset: 13 });
}


test("NonZero, Compress and Unique in the middle of a graph run as in onnxruntime, for inputs whose outputs differ in shape", async () => {
  const bytes = middleGraph();
  const inputs = [seededValues(30, 1, -1, 1), seededValues(30, 2, -0.5, 0.4), seededValues(30, 3, -1, 0.1)];
  await assertRunsAsOrt(bytes, inputs.map((data) => ({ x: { data, dims: [5, 6] } })));
});

test("NonMaxSuppression over two batches and three classes (corner and center boxes) selects what onnxruntime selects", async () => {
  for (const centered of [0, 1]) {
    const N = 40;
    const graph: onnx.IGraphProto = {
      name: "nms",
      node: [
        node("Sigmoid", ["logits"], ["scores"]),
        node("NonMaxSuppression", ["boxes", "scores", "maxPerClass", "iou", "minScore"], ["selected"], [{ name: "center_point_box", type: A.INT, i: centered }]),
        node("Gather", ["selected", "column"], ["boxIndex"], [{ name: "axis", type: A.INT, i: 1 }]),
      ],
      initializer: [
        new onnx.TensorProto({ name: "maxPerClass", dataType: 7, dims: [], rawData: new Uint8Array(BigInt64Array.of(7n).buffer) }),
        floats("iou", [0.4], []), floats("minScore", [0.3], []),
        new onnx.TensorProto({ name: "column", dataType: 7, dims: [], rawData: new Uint8Array(BigInt64Array.of(2n).buffer) }),
      ],
      input: [valueInfo("boxes", "float32", [2, N, 4]), valueInfo("logits", "float32", [2, 3, N])],
      output: [valueInfo("selected", "int64", ["s", 3]), valueInfo("boxIndex", "int64", ["s"])],
    };
    const bytes = modelBytes(graph, { opset: 13 });
    // Boxes on a small grid, so that many overlap; sizes positive (and, for corners, some with flipped corners).
    const boxes = seededValues(2 * N * 4, 11 + centered, 0, 1).map((v, i) => (i % 4 < 2 ? v * 4 : (centered ? 0.5 + v * 2 : v * 4)));
    const logits = seededValues(2 * 3 * N, 13, -3, 3);
    const reference = await ort.InferenceSession.create(bytes);
    const want = await reference.run({ boxes: new ort.Tensor("float32", boxes, [2, N, 4]), logits: new ort.Tensor("float32", logits, [2, 3, N]) });
    const session = await createSession(bytes);
    try {
      const got = await session.run({ boxes: new Tensor("float32", boxes, [2, N, 4]), logits: new Tensor("float32", logits, [2, 3, N]) });
      assert.ok(Number(want.selected!.dims[0]) > 6, "the case selects several boxes");
      for (const name of ["selected", "boxIndex"]) {
        assert.deepEqual(got[name]!.dims, want[name]!.dims, `${name} shape (center_point_box ${centered})`);
        assert.deepEqual(Array.from(got[name]!.data as BigInt64Array), Array.from(want[name]!.data as BigInt64Array), `${name} (center_point_box ${centered})`);
      }
    } finally {
      await session.release();
    }
  }
});

test("a profiled run of a graph with a data-dependent node times the node and the steps after it", async () => {
  const session = await createSession(middleGraph());
  try {
    await session.run({ x: new Tensor("float32", seededValues(30, 1, -1, 1), [5, 6]) }, { profile: true });
    const ops = new Set(session.endProfiling().events.map((e) => e.opType));
    for (const op of ["Relu", "NonZero", "GatherND", "Compress", "MatMul", "Unique"]) assert.ok(ops.has(op), `${op} in the profile (${[...ops].join(", ")})`);
  } finally {
    await session.release();
  }
});

/**
 * Shapes computed from data by ordinary operators: Range to a count of positive inputs, TopK of that many, a Reshape to
 * a shape built from it, Pad with a constant_value computed at run time. The rest of the graph is planned for each
 * value; inputs that give the same values reuse the plan.
 */
test("Range, TopK, Reshape and Pad that take sizes and values computed from the data run as in onnxruntime", async () => {
  const int64 = (name: string, values: bigint[], dims: number[]) => new onnx.TensorProto({ name, dataType: 7, dims, rawData: new Uint8Array(BigInt64Array.from(values).buffer) });
  const bytes = modelBytes({
    name: "value-shapes",
    node: [
      node("Greater", ["x", "zero"], ["positive"]),
      node("Cast", ["positive"], ["ones"], [{ name: "to", type: A.INT, i: 7 }]),
      node("ReduceSum", ["ones"], ["count"], [{ name: "keepdims", type: A.INT, i: 0 }]),
      node("Max", ["count", "oneI"], ["k"]),
      node("Range", ["zeroI", "k", "oneI"], ["steps"]),
      node("Reshape", ["x", "flatShape"], ["flat"]),
      node("Unsqueeze", ["k", "axis0"], ["k1"]),
      node("TopK", ["flat", "k1"], ["top", "topIndex"]),
      node("Concat", ["k1", "minusOne"], ["shape"], [{ name: "axis", type: A.INT, i: 0 }]),
      node("Reshape", ["top", "shape"], ["column"]),
      node("ReduceMax", ["x"], ["fill"], [{ name: "keepdims", type: A.INT, i: 0 }]),
      node("Pad", ["x", "pads", "fill"], ["padded"]),
    ],
    initializer: [
      floats("zero", [0], []), int64("zeroI", [0n], []), int64("oneI", [1n], []), int64("flatShape", [24n], [1]), int64("axis0", [0n], [1]),
      int64("minusOne", [-1n], [1]), int64("pads", [0n, 1n, 2n, 0n], [4]),
    ],
    input: [valueInfo("x", "float32", [4, 6])],
    output: [valueInfo("steps", "int64", ["k"]), valueInfo("column", "float32", ["k", 1]), valueInfo("topIndex", "int64", ["k"]), valueInfo("padded", "float32", [6, 7])],
  }, { opset: 13 });
  const inputs = [seededValues(24, 21, -1, 1), seededValues(24, 22, -1, 0.2), seededValues(24, 23, -0.1, 1)];
  await assertRunsAsOrt(bytes, inputs.map((data) => ({ x: { data, dims: [4, 6] } })));
});

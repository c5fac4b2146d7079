import { test } from "node:test";
import assert from "node:assert/strict";
import { loadModel, onnx } from "../src/tooling.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";
import { assertRunsAsOrt } from "./helpers/runs-as-ort.js";

const A = onnx.AttributeProto.AttributeType;
const graphAttr = (name: string, g: onnx.IGraphProto): onnx.IAttributeProto => ({ name, type: A.GRAPH, g });
const floats = (name: string, data: number[], dims: number[]) => new onnx.TensorProto({ name, dataType: 1, dims, rawData: new Uint8Array(Float32Array.from(data).buffer) });
const int64 = (name: string, values: number[], dims: number[]) => new onnx.TensorProto({ name, dataType: 7, dims, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) });


/**
 * An If whose condition comes from the data after a convolution and a NonZero: the then branch reads two values of the
 * main graph by name and returns a [2, 16] result, the else branch a [32] one; the main graph goes on after it.
 */
test("If on a condition computed from the data, with branches that read outer values and return different shapes, runs as in onnxruntime", async () => {
  const thenBranch: onnx.IGraphProto = {
    name: "then",
    node: [node("Mul", ["features", "scale"], ["t0"]), node("Reshape", ["t0", "thenShape"], ["out"])],
    initializer: [int64("thenShape", [2, 16], [2])],
    output: [valueInfo("out", "float32", [2, 16])],
  };
  const elseBranch: onnx.IGraphProto = {
    name: "else",
    node: [node("Neg", ["features"], ["e0"]), node("Flatten", ["e0"], ["e1"], [{ name: "axis", type: A.INT, i: 0 }]), node("Squeeze", ["e1", "zero"], ["out"])],
    initializer: [int64("zero", [0], [1])],
    output: [valueInfo("out", "float32", [32])],
  };
  const bytes = modelBytes({
    name: "if",
    node: [
      node("Conv", ["x", "w"], ["features"], [{ name: "kernel_shape", type: A.INTS, ints: [3, 3] }, { name: "pads", type: A.INTS, ints: [1, 1, 1, 1] }]),
      node("ReduceSum", ["x"], ["total"], [{ name: "keepdims", type: A.INT, i: 0 }]),
      node("Greater", ["total", "zeroF"], ["positive"]),
      // A data-dependent node first: the If then runs in the plan of the rest, which must be handed what it reads.
      node("NonZero", ["x"], ["nz"]),
      node("If", ["positive"], ["chosen"], [graphAttr("then_branch", thenBranch), graphAttr("else_branch", elseBranch)]),
      node("Relu", ["chosen"], ["y"]),
    ],
    initializer: [floats("w", Array.from(seededValues(2 * 1 * 9, 3)), [2, 1, 3, 3]), floats("scale", [1.5], []), floats("zeroF", [0], [])],
    input: [valueInfo("x", "float32", [1, 1, 4, 4])],
    // Rank 2 or 1, as the branch taken: no shape declared.
    output: [new onnx.ValueInfoProto({ name: "y", type: { tensorType: { elemType: 1 } } }), valueInfo("total", "float32", []), valueInfo("nz", "int64", [4, "n"])],
  }, { opset: 13 });
  const x = (lo: number, hi: number, seed: number) => ({ x: { data: seededValues(16, seed, lo, hi), dims: [1, 1, 4, 4] } });
  await assertRunsAsOrt(bytes, [x(-1, 0.5, 1), x(-0.5, 1, 2), x(-1, 0.1, 3)]);
});

/**
 * A Loop with a trip count given as input and a condition computed in the body: it carries a running sum and a
 * counter, reads a weight of the main graph by name, uses the iteration number, and stacks a scan output; nested in its
 * body, an If reads a value two scopes out.
 */
test("Loop with a trip count, an early exit, carried values, a scan output and a nested If runs as in onnxruntime", async () => {
  const inner: (sign: number) => onnx.IGraphProto = (sign) => ({
    name: sign > 0 ? "add" : "sub",
    node: [node(sign > 0 ? "Add" : "Sub", ["next", "bias"], ["out"])],
    output: [valueInfo("out", "float32", [3])],
  });
  const body: onnx.IGraphProto = {
    name: "body",
    node: [
      node("Cast", ["i"], ["iF"], [{ name: "to", type: A.INT, i: 1 }]),
      node("Mul", ["sum", "weight"], ["scaled"]),
      node("Add", ["scaled", "iF"], ["next"]),
      node("ReduceSum", ["next"], ["total"], [{ name: "keepdims", type: A.INT, i: 0 }]),
      node("Less", ["total", "limit"], ["goOn"]),
      node("Greater", ["total", "zeroF"], ["up"]),
      node("If", ["up"], ["adjusted"], [graphAttr("then_branch", inner(1)), graphAttr("else_branch", inner(-1))]),
      node("Identity", ["adjusted"], ["sumOut"]),
      node("Add", ["count", "oneI"], ["countOut"]),
      node("Identity", ["total"], ["scanOut"]),
    ],
    initializer: [int64("oneI", [1], [])],
    input: [valueInfo("i", "int64", []), valueInfo("cond", "bool", []), valueInfo("sum", "float32", [3]), valueInfo("count", "int64", [])],
    output: [valueInfo("goOn", "bool", []), valueInfo("sumOut", "float32", [3]), valueInfo("countOut", "int64", []), valueInfo("scanOut", "float32", [])],
  };
  const bytes = modelBytes({
    name: "loop",
    node: [
      node("Relu", ["x"], ["start"]),
      node("Loop", ["trips", "", "start", "zeroCount"], ["final", "iterations", "totals"], [graphAttr("body", body)]),
      node("Mul", ["final", "two"], ["y"]),
    ],
    initializer: [floats("weight", [1.1, 0.9, 1.3], [3]), floats("limit", [40], []), floats("zeroF", [0], []), floats("bias", [0.25, -0.5, 0.125], [3]),
      floats("two", [2], []), int64("zeroCount", [0], [])],
    input: [valueInfo("x", "float32", [3]), valueInfo("trips", "int64", [])],
    output: [valueInfo("y", "float32", [3]), valueInfo("iterations", "int64", []), valueInfo("totals", "float32", ["n"])],
  }, { opset: 13 });
  const feeds = (seed: number, trips: number, lo: number) => ({ x: { data: seededValues(3, seed, lo, 2), dims: [3] }, trips: { data: BigInt64Array.of(BigInt(trips)), dims: [] } });
  await assertRunsAsOrt(bytes, [feeds(1, 20, 0), feeds(2, 3, 0), feeds(3, 0, 0), feeds(4, 12, -3)]);
  const model = await loadModel(bytes, { name: "loop.onnx" });
  assert.ok(model.graph.calls().some((n) => n.opType === "Loop"));
});

/**
 * Scan over axis 1 of its input in reverse, carrying a running state, reading a weight of the main graph by name, with
 * one output stacked along axis 1 and one stacked in reverse along axis 0.
 */
test("Scan with input and output axes and directions, a carried state and an outer value runs as in onnxruntime", async () => {
  const body: onnx.IGraphProto = {
    name: "body",
    node: [node("Mul", ["xt", "weight"], ["wx"]), node("Add", ["s", "wx"], ["sOut"]), node("Mul", ["sOut", "two"], ["y1"]), node("Neg", ["xt"], ["y2"])],
    initializer: [floats("two", [2], [])],
    input: [valueInfo("s", "float32", [3]), valueInfo("xt", "float32", [3])],
    output: [valueInfo("sOut", "float32", [3]), valueInfo("y1", "float32", [3]), valueInfo("y2", "float32", [3])],
  };
  const ints = (name: string, v: number[]): onnx.IAttributeProto => ({ name, type: A.INTS, ints: v });
  const bytes = modelBytes({
    name: "scan",
    node: [
      node("Relu", ["x"], ["r"]),
      node("Scan", ["s0", "r"], ["final", "along1", "reversed"], [graphAttr("body", body), { name: "num_scan_inputs", type: A.INT, i: 1 },
        ints("scan_input_axes", [1]), ints("scan_input_directions", [1]), ints("scan_output_axes", [1, 0]), ints("scan_output_directions", [0, 1])]),
    ],
    initializer: [floats("weight", [0.5, -1, 2], [3]), floats("s0", [1, 0, -1], [3])],
    input: [valueInfo("x", "float32", [3, 5])],
    output: [valueInfo("final", "float32", [3]), valueInfo("along1", "float32", [3, 5]), valueInfo("reversed", "float32", [5, 3])],
  }, { opset: 16 });
  await assertRunsAsOrt(bytes, [{ x: { data: seededValues(15, 7, -1, 1), dims: [3, 5] } }]);
});

/** A value inside a pattern the engine fuses (SiLU's Sigmoid) that an If branch reads by name stays a value of its own. */
test("an If branch that reads the inner value of a fused SiLU gets it", async () => {
  const branch = (op: string): onnx.IGraphProto => ({ name: op, node: [node(op, ["gate"], ["out"])], output: [valueInfo("out", "float32", [2, 5])] });
  const bytes = modelBytes({
    name: "silu-if",
    node: [
      node("Sigmoid", ["x"], ["gate"]),
      node("Mul", ["x", "gate"], ["silu"]),
      node("ReduceSum", ["x"], ["total"], [{ name: "keepdims", type: A.INT, i: 0 }]),
      node("Greater", ["total", "zeroF"], ["positive"]),
      node("If", ["positive"], ["y"], [graphAttr("then_branch", branch("Neg")), graphAttr("else_branch", branch("Sqrt"))]),
    ],
    initializer: [floats("zeroF", [0], [])],
    input: [valueInfo("x", "float32", [2, 5])],
    output: [valueInfo("silu", "float32", [2, 5]), valueInfo("y", "float32", [2, 5])],
  }, { opset: 13 });
  await assertRunsAsOrt(bytes, [{ x: { data: seededValues(10, 1, -1, 1.5), dims: [2, 5] } }, { x: { data: seededValues(10, 2, -1.5, 1), dims: [2, 5] } }]);
});

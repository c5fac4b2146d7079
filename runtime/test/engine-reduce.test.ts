import { test } from "node:test";
import { makeTensor } from "../src/tooling.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";
import { assertRunsAsOrt } from "./helpers/runs-as-ort.js";

// The float32 reductions' kernel folds a row in four independent lanes of partial results (and columns in two),
// merged at the end: against onnxruntime-node on rows long enough for every part (the four-way loop, a vector tail, a
// scalar tail) and column runs of odd length, for each reduction.

const OPS = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp"];
const DIMS = [3, 37, 71];

for (const op of OPS) {
  for (const axis of [2, 1]) {
    test(`${op} over ${axis === 2 ? "the last axis (rows of 71)" : "a middle axis (37 rows of 71 columns)"} equals onnxruntime-node`, async () => {
      const out = DIMS.map((d, i) => (i === axis ? 1 : d));
      const bytes = modelBytes({
        name: "reduce",
        node: [node(op, ["x", "axes"], ["y"], [{ name: "keepdims", type: 2, i: 1 }])],
        initializer: [makeTensor("axes", "int64", [1], BigInt64Array.of(BigInt(axis)))],
        input: [valueInfo("x", "float32", DIMS)], output: [valueInfo("y", "float32", out)],
      }, { opset: 18 });
      const n = DIMS.reduce((a, b) => a * b, 1);
      // Products and logarithms want values near 1 and positive.
      const positive = op === "ReduceProd" || op === "ReduceLogSum";
      const feed = (seed: number) => ({ x: { data: seededValues(n, seed, positive ? 0.9 : -3, positive ? 1.1 : 3), dims: DIMS } });
      await assertRunsAsOrt(bytes, [feed(1), feed(2)]);
    });
  }
}

// CumSum walks the axis one contiguous row of the inner axes at a time, its running values rounded to float32 at each
// step as ONNX Runtime's float32 loop sums.
for (const [axis, exclusive, reverse] of [[1, 0, 0], [1, 1, 1], [2, 0, 1], [0, 1, 0]] as const) {
  test(`CumSum along axis ${axis}${exclusive ? ", exclusive" : ""}${reverse ? ", reversed" : ""} equals onnxruntime-node`, async () => {
    const bytes = modelBytes({
      name: "cumsum",
      node: [node("CumSum", ["x", "axis"], ["y"], [{ name: "exclusive", type: 2, i: exclusive }, { name: "reverse", type: 2, i: reverse }])],
      initializer: [makeTensor("axis", "int64", [], BigInt64Array.of(BigInt(axis)))],
      input: [valueInfo("x", "float32", DIMS)], output: [valueInfo("y", "float32", DIMS)],
    }, { opset: 14 });
    const n = DIMS.reduce((a, b) => a * b, 1);
    await assertRunsAsOrt(bytes, [{ x: { data: seededValues(n, 3, -3, 3), dims: DIMS } }]);
  });
}

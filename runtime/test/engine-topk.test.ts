import { test } from "node:test";
import { makeTensor } from "../src/tooling.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";
import { assertRunsAsOrt } from "./helpers/runs-as-ort.js";

// TopK keeps the k best of each row in a heap of k and orders them at the end: against onnxruntime-node on rows with
// many ties (values on a coarse grid: the lower index comes first), the largest and the smallest, along the last and
// a middle axis, k of 1, a few, and the whole axis.

const CASES: [string, number[], number, number, number][] = [
  ["largest along the last axis", [3, 40], -1, 5, 1],
  ["smallest along a middle axis, ties on a grid of 0.5", [4, 30, 3], 1, 7, 0],
  ["the whole axis, sorted", [2, 16], 1, 16, 1],
  ["k of 1 over a long row", [1, 5376], 1, 1, 1],
  ["50 of 5376, as a detector's post-processing takes them", [1, 5376], 1, 50, 1],
];

for (const [name, dims, axis, k, largest] of CASES) {
  test(`TopK ${name} equals onnxruntime-node`, async () => {
    const out = dims.map((d, i) => (i === (axis + dims.length) % dims.length ? k : d));
    const bytes = modelBytes({
      name: "topk",
      node: [node("TopK", ["x", "k"], ["values", "indices"], [{ name: "axis", type: 2, i: axis }, { name: "largest", type: 2, i: largest }])],
      initializer: [makeTensor("k", "int64", [1], BigInt64Array.of(BigInt(k)))],
      input: [valueInfo("x", "float32", dims)], output: [valueInfo("values", "float32", out), valueInfo("indices", "int64", out)],
    }, { opset: 13 });
    const n = dims.reduce((a, b) => a * b, 1);
    // Rounded to halves: most values tie with others.
    const feed = (seed: number) => ({ x: { data: Float32Array.from(seededValues(n, seed, -4, 4), (v) => Math.round(v * 2) / 2), dims } });
    await assertRunsAsOrt(bytes, [feed(1), feed(2)]);
  });
}

// NonMaxSuppression orders each class's candidates by the same native sort of keys as TopK: against onnxruntime-node
// on 300 overlapping boxes with scores on a coarse grid (many ties, the lower index first), two classes, a score
// threshold and a cap, corner and center box formats.
for (const center of [0, 1]) {
  test(`NonMaxSuppression over 300 boxes with tied scores (${center ? "center" : "corner"} format) equals onnxruntime-node`, async () => {
    const N = 300;
    const bytes = modelBytes({
      name: "nms",
      node: [node("NonMaxSuppression", ["boxes", "scores", "max", "iou", "threshold"], ["selected"], [{ name: "center_point_box", type: 2, i: center }])],
      initializer: [
        makeTensor("max", "int64", [1], BigInt64Array.of(40n)), makeTensor("iou", "float32", [1], Float32Array.of(0.45)),
        makeTensor("threshold", "float32", [1], Float32Array.of(0.2)),
      ],
      input: [valueInfo("boxes", "float32", [1, N, 4]), valueInfo("scores", "float32", [1, 2, N])],
      output: [valueInfo("selected", "int64", [])],
    }, { opset: 11 });
    const corners = seededValues(N * 4, 5, 0, 100);
    const boxes = Float32Array.from(corners, (v, i) => (i % 4 >= 2 && center ? 5 + (v % 30) : v));
    const scores = Float32Array.from(seededValues(2 * N, 6, 0, 1), (v) => Math.round(v * 10) / 10);
    await assertRunsAsOrt(bytes, [{ boxes: { data: boxes, dims: [1, N, 4] }, scores: { data: scores, dims: [1, 2, N] } }]);
  });
}

import assert from "node:assert/strict";
import { test } from "node:test";
import { createSession, makeTensor, Tensor } from "../src/tooling.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";
import { assertRunsAsOrt } from "./helpers/runs-as-ort.js";

// TopK keeps the k best of each row in a heap of k and orders them at the end, or, when k is a large part of a row of
// the last axis, merge-sorts the row in the kernel module: against onnxruntime-node on rows with many ties (values on
// a coarse grid: the lower index comes first), the largest and the smallest, along the last and a middle axis, k of 1,
// a few, and the whole axis; rows of odd length and of one element.

const CASES: [string, number[], number, number, number][] = [
  ["largest along the last axis", [3, 40], -1, 5, 1],
  ["smallest along a middle axis, ties on a grid of 0.5", [4, 30, 3], 1, 7, 0],
  ["the whole axis, sorted", [2, 16], 1, 16, 1],
  ["k of 1 over a long row", [1, 5376], 1, 1, 1],
  ["50 of 5376, as a detector's post-processing takes them", [1, 5376], 1, 50, 1],
  ["sparsemax's whole rows of 64, largest first", [256, 64], -1, 64, 1],
  ["9 of 33, smallest first (rows of odd length)", [7, 33], 1, 9, 0],
  ["rows of one element", [5, 1], 1, 1, 1],
  ["3 of 3 along a middle axis", [2, 3, 4], 1, 3, 0],
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

// The kernel's order on the values a grid never has: NaN above +Inf, −0 and +0 equal (so the lower index first), the
// infinities at the ends. onnxruntime leaves NaN's place unspecified; the definition here is qkit's, documented in
// kernels/order.ts. The row's shape is sorted by the kernel (k·8 > n, last axis), and the test checks that it was.
test("TopK over NaN, signed zeros and infinities orders them as documented, in the kernel", async () => {
  const row = [0, -0, NaN, Infinity, -Infinity, 1, -1, NaN, -0, 0, 2.5, -Infinity, 3.4e38, -1.2e-38];
  const dims = [3, row.length];
  const data = Float32Array.from({ length: 3 * row.length }, (_, i) => row[(i * 5 + Math.floor(i / row.length)) % row.length]!);
  for (const largest of [1, 0]) {
    const k = row.length - 2;
    const bytes = modelBytes({
      name: "topk",
      node: [node("TopK", ["x", "k"], ["values", "indices"], [{ name: "axis", type: 2, i: -1 }, { name: "largest", type: 2, i: largest }])],
      initializer: [makeTensor("k", "int64", [1], BigInt64Array.of(BigInt(k)))],
      input: [valueInfo("x", "float32", dims)], output: [valueInfo("values", "float32", [3, k]), valueInfo("indices", "int64", [3, k])],
    }, { opset: 13 });
    const session = await createSession(bytes);
    try {
      const out = await session.run({ x: new Tensor("float32", data, dims) });
      assert.deepEqual(session.kernelRuns(), { "topk-rows": 1 });
      // The definition: NaN ranks above +Inf, −0 as +0, ties to the lower index.
      const ascending = (x: number, y: number) => {
        if (Number.isNaN(x) || Number.isNaN(y)) return Number(Number.isNaN(x)) - Number(Number.isNaN(y));
        return x === y ? 0 : x < y ? -1 : 1;
      };
      for (let r = 0; r < 3; r++) {
        const values = Array.from(data.subarray(r * row.length, (r + 1) * row.length));
        const order = values.map((_, i) => i).sort((a, b) => (largest ? -1 : 1) * ascending(values[a]!, values[b]!) || a - b).slice(0, k);
        assert.deepEqual(Array.from((out.indices!.data as BigInt64Array).subarray(r * k, (r + 1) * k), Number), order, `row ${r}, largest ${largest}`);
        assert.deepEqual(Array.from((out.values!.data as Float32Array).subarray(r * k, (r + 1) * k)), order.map((i) => values[i]), `row ${r} values`);
      }
    } finally {
      await session.release();
    }
  }
});

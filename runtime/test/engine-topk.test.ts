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

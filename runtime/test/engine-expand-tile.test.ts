import { test } from "node:test";
import { makeTensor } from "../src/tooling.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";
import { assertRunsAsOrt } from "./helpers/runs-as-ort.js";

// Expand and Tile are strided copies: Expand reads its broadcast axes with stride 0, Tile walks each axis as (repeat,
// element) with the repeat at stride 0. Against onnxruntime-node: rows copied as blocks (a class token expanded to the
// batch), a broadcast innermost axis (one element repeated), int64 through the offset map, and repeats on every axis.

const CASES: [string, "Expand" | "Tile", "float32" | "int64", number[], number[]][] = [
  ["Expand of whole rows over a middle axis", "Expand", "float32", [8, 1, 64], [8, 16, 64]],
  ["Expand of a broadcast innermost axis", "Expand", "float32", [5, 1], [3, 5, 7]],
  ["Expand of int64 to a larger rank", "Expand", "int64", [1, 4], [2, 3, 4]],
  ["Tile of every axis", "Tile", "float32", [3, 4], [2, 3]],
  ["Tile of a 3-D tensor, whole rows repeated", "Tile", "float32", [2, 1, 16], [1, 4, 2]],
  ["Tile of int64", "Tile", "int64", [2, 3], [3, 1]],
];

for (const [name, op, dtype, dims, shape] of CASES) {
  test(`${name} equals onnxruntime-node`, async () => {
    const n = dims.reduce((a, b) => a * b, 1);
    const bytes = modelBytes({
      name: "expand-tile",
      node: [node(op, ["x", "s"], ["y"])],
      initializer: [makeTensor("s", "int64", [shape.length], BigInt64Array.from(shape, BigInt))],
      input: [valueInfo("x", dtype, dims)], output: [valueInfo("y", dtype, [])],
    }, { opset: 13 });
    const data = dtype === "float32" ? seededValues(n, 7, -2, 2) : BigInt64Array.from({ length: n }, (_, i) => BigInt(i * 37 - 50));
    await assertRunsAsOrt(bytes, [{ x: { data, dims } }]);
  });
}

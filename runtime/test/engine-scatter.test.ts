import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { createSession, makeTensor, Tensor } from "../src/tooling.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";
import { assertRunsAsOrt } from "./helpers/runs-as-ort.js";

// ScatterElements, ScatterND and GatherElements against onnxruntime-node: indices as a constant (a graph network's
// edges, offsets computed once) and as an input, with duplicates (a reduction sums them in index order, in float32 as
// ONNX Runtime does), negative indices, every reduction, and int64 data past 2^53, which must not pass through a double.

const ort = createRequire(__filename)("onnxruntime-node") as typeof import("onnxruntime-node");

/** Indices in [-size, size) with repeats, as int64. */
function indices(n: number, size: number, seed: number): BigInt64Array {
  return BigInt64Array.from({ length: n }, (_, i) => BigInt(((i * 7 + seed * 13) % (2 * size)) - size));
}

interface Case {
  op: "ScatterElements" | "ScatterND" | "GatherElements";
  data: number[];
  idx: number[];
  updates?: number[];
  attrs: { name: string; type: number; i?: number; s?: Uint8Array }[];
  opset: number;
  constIndices: boolean;
  idxValues: BigInt64Array;
}

const reduction = (r: string) => ({ name: "reduction", type: 3, s: new TextEncoder().encode(r) });
const axis = (a: number) => ({ name: "axis", type: 2, i: a });
/** ScatterND tuples over the first axis of a [size, …] tensor, with repeats. */
const rows = (n: number, size: number) => BigInt64Array.from({ length: n }, (_, i) => BigInt((i * 5) % size - (i % 2 ? size : 0)));

/** Row indices (the same along each row of `cols`), with repeats and negative ones: a graph network's targets. */
const rowIndices = (rows: number, cols: number, size: number) =>
  BigInt64Array.from({ length: rows * cols }, (_, k) => BigInt(((Math.floor(k / cols) * 7) % size) - (Math.floor(k / cols) % 3 === 0 ? size : 0)));

const CASES: [string, Case][] = [
  ["ScatterElements add of whole rows along axis 0, constant indices (the row kernel: messages summed into nodes)",
    { op: "ScatterElements", data: [20, 8], idx: [50, 8], updates: [50, 8], attrs: [axis(0), reduction("add")], opset: 16, constIndices: true, idxValues: rowIndices(50, 8, 20) }],
  ["ScatterElements of whole rows without reduction, distinct rows (the row kernel's copy)",
    { op: "ScatterElements", data: [12, 5], idx: [4, 5], updates: [4, 5], attrs: [axis(0)], opset: 13, constIndices: true,
      idxValues: BigInt64Array.from({ length: 20 }, (_, k) => [3n, -1n, 0n, 7n][Math.floor(k / 5)]!) }],
  ["ScatterElements add along axis 0, constant edges with repeats (a GCN's aggregation)",
    { op: "ScatterElements", data: [20, 6], idx: [50, 6], updates: [50, 6], attrs: [axis(0), reduction("add")], opset: 16, constIndices: true, idxValues: indices(300, 20, 1) }],
  ["ScatterElements mul along axis 1, indices as an input", { op: "ScatterElements", data: [4, 9], idx: [4, 12], updates: [4, 12], attrs: [axis(1), reduction("mul")], opset: 16, constIndices: false, idxValues: indices(48, 9, 2) }],
  ["ScatterElements max along the last axis of a 3-D tensor", { op: "ScatterElements", data: [2, 3, 8], idx: [2, 3, 5], updates: [2, 3, 5], attrs: [axis(-1), reduction("max")], opset: 18, constIndices: false, idxValues: indices(30, 8, 3) }],
  ["ScatterElements min along a middle axis", { op: "ScatterElements", data: [3, 7, 2], idx: [3, 4, 2], updates: [3, 4, 2], attrs: [axis(1), reduction("min")], opset: 18, constIndices: true, idxValues: indices(24, 7, 4) }],
  ["ScatterElements without reduction, distinct targets", { op: "ScatterElements", data: [5, 5], idx: [1, 5], updates: [1, 5], attrs: [axis(0)], opset: 13, constIndices: false, idxValues: BigInt64Array.of(4n, -1n, 0n, 2n, -5n) }],
  ["ScatterND add of rows, constant tuples with repeats", { op: "ScatterND", data: [10, 4], idx: [16, 1], updates: [16, 4], attrs: [reduction("add")], opset: 16, constIndices: true, idxValues: rows(16, 10) }],
  ["ScatterND mul of rows, tuples as an input", { op: "ScatterND", data: [6, 3], idx: [8, 1], updates: [8, 3], attrs: [reduction("mul")], opset: 16, constIndices: false, idxValues: rows(8, 6) }],
  ["GatherElements along axis 1, constant indices", { op: "GatherElements", data: [4, 10], idx: [4, 6], attrs: [axis(1)], opset: 13, constIndices: true, idxValues: indices(24, 10, 5) }],
  ["GatherElements along axis 0, indices as an input", { op: "GatherElements", data: [6, 3], idx: [9, 3], attrs: [axis(0)], opset: 13, constIndices: false, idxValues: indices(27, 6, 6) }],
];

for (const [name, c] of CASES) {
  test(`${name} equals onnxruntime-node`, async () => {
    const inputs = ["x", "i", ...(c.updates ? ["u"] : [])];
    const outDims = c.op === "GatherElements" ? c.idx : c.data;
    const bytes = modelBytes({
      name: "scatter",
      node: [node(c.op, inputs, ["y"], c.attrs)],
      initializer: c.constIndices ? [makeTensor("i", "int64", c.idx, c.idxValues)] : [],
      input: [valueInfo("x", "float32", c.data), ...(c.constIndices ? [] : [valueInfo("i", "int64", c.idx)]), ...(c.updates ? [valueInfo("u", "float32", c.updates)] : [])],
      output: [valueInfo("y", "float32", outDims)],
    }, { opset: c.opset });
    const size = (d: number[]) => d.reduce((a, b) => a * b, 1);
    const feed = (seed: number) => ({
      x: { data: seededValues(size(c.data), seed, -2, 2), dims: c.data },
      ...(c.constIndices ? {} : { i: { data: c.idxValues, dims: c.idx } }),
      ...(c.updates ? { u: { data: seededValues(size(c.updates), seed + 50, -2, 2), dims: c.updates } } : {}),
    });
    await assertRunsAsOrt(bytes, [feed(1), feed(2)]);
  });
}

test("ScatterElements add on int64 data sums past 2^53 exactly, as onnxruntime-node", async () => {
  const bytes = modelBytes({
    name: "scatter-int64",
    node: [node("ScatterElements", ["x", "i", "u"], ["y"], [axis(0), reduction("add")])],
    initializer: [makeTensor("i", "int64", [6], BigInt64Array.of(0n, 1n, 0n, -1n, 2n, 0n))],
    input: [valueInfo("x", "int64", [3]), valueInfo("u", "int64", [6])],
    output: [valueInfo("y", "int64", [3])],
  }, { opset: 16 });
  const x = BigInt64Array.of(2n ** 60n + 1n, -(2n ** 55n) - 3n, 7n);
  const u = BigInt64Array.of(3n, 2n ** 53n + 1n, 5n, 11n, -(2n ** 62n), 2n ** 62n + 2n ** 62n - 1n);
  const want = (await (await ort.InferenceSession.create(bytes)).run({ x: new ort.Tensor("int64", x, [3]), u: new ort.Tensor("int64", u, [6]) })).y!.data as BigInt64Array;
  const session = await createSession(bytes);
  try {
    const got = (await session.run({ x: new Tensor("int64", x, [3]), u: new Tensor("int64", u, [6]) })).y!.data as BigInt64Array;
    assert.deepEqual(Array.from(got), Array.from(want));
  } finally {
    await session.release();
  }
});

// Gather of rows of 16 floats and up copies each row as a block from a table of source rows (filled once for
// constant indices); narrower rows take the loop. Against onnxruntime-node, outer rows included, negative indices.
const GATHERS: [string, number[], number, number[], boolean][] = [
  ["an embedding's rows by constant ids", [50, 32], 0, [3, 7], true],
  ["rows along axis 1 with outer rows, ids as an input", [4, 20, 16], 1, [5], false],
  ["rows narrower than 16 floats (the loop)", [30, 6], 0, [9], false],
];
for (const [name, dims, gatherAxis, idxDims, constant] of GATHERS) {
  test(`Gather of ${name} equals onnxruntime-node`, async () => {
    const size = dims[gatherAxis]!;
    const count = idxDims.reduce((a, b) => a * b, 1);
    const ids = BigInt64Array.from({ length: count }, (_, i) => BigInt(((i * 11) % size) - (i % 4 === 1 ? size : 0)));
    const outDims = [...dims.slice(0, gatherAxis), ...idxDims, ...dims.slice(gatherAxis + 1)];
    const bytes = modelBytes({
      name: "gather",
      node: [node("Gather", ["x", "i"], ["y"], [axis(gatherAxis)])],
      initializer: constant ? [makeTensor("i", "int64", idxDims, ids)] : [],
      input: [valueInfo("x", "float32", dims), ...(constant ? [] : [valueInfo("i", "int64", idxDims)])],
      output: [valueInfo("y", "float32", outDims)],
    }, { opset: 13 });
    const n = dims.reduce((a, b) => a * b, 1);
    const feed = (seed: number) => ({ x: { data: seededValues(n, seed, -2, 2), dims }, ...(constant ? {} : { i: { data: ids, dims: idxDims } }) });
    await assertRunsAsOrt(bytes, [feed(1), feed(2)]);
  });
}

import assert from "node:assert/strict";
import { test } from "node:test";
import { createSession, makeTensor, Tensor } from "../src/tooling.js";
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

// Rows shorter than a vector (a complex pair's magnitude, a 3-D point) fold four rows at a time, lane by lane: rows of
// 1, 2 and 3 over 23 rows (five groups of four and a tail of three), for every reduction.
for (const op of OPS) {
  test(`${op} over last axes of 1, 2 and 3 (four rows at a time) equals onnxruntime-node`, async () => {
    for (const last of [1, 2, 3]) {
      const dims = [23, last];
      const bytes = modelBytes({
        name: "reduce",
        node: [node(op, ["x", "axes"], ["y"], [{ name: "keepdims", type: 2, i: 0 }])],
        initializer: [makeTensor("axes", "int64", [1], BigInt64Array.of(1n))],
        input: [valueInfo("x", "float32", dims)], output: [valueInfo("y", "float32", [23])],
      }, { opset: 18 });
      const positive = op === "ReduceProd" || op === "ReduceLogSum";
      const feed = (seed: number) => ({ x: { data: seededValues(23 * last, seed, positive ? 0.9 : -3, positive ? 1.1 : 3), dims } });
      await assertRunsAsOrt(bytes, [feed(3), feed(4)]);
    }
  });
}

// ReduceMax and ReduceMin fold rows with pmax/pmin, which drop a NaN operand, and note NaN apart: a NaN anywhere in a
// row (in the four-way loop, the vector tail or the scalar tail) still makes that row's result NaN, and only that row's.
for (const op of ["ReduceMax", "ReduceMin"]) {
  test(`${op} of rows of 71 is NaN exactly where a row holds a NaN, wherever in the row`, async () => {
    const dims = [6, 71];
    const bytes = modelBytes({
      name: "extreme",
      node: [node(op, ["x", "axes"], ["y"], [{ name: "keepdims", type: 2, i: 0 }])],
      initializer: [makeTensor("axes", "int64", [1], BigInt64Array.of(1n))],
      input: [valueInfo("x", "float32", dims)], output: [valueInfo("y", "float32", [6])],
    }, { opset: 18 });
    const x = seededValues(6 * 71, 3, -3, 3);
    // Rows 1, 3 and 5 hold a NaN in the four-way loop, the vector tail and the scalar tail; the others none.
    for (const [row, at] of [[1, 5], [3, 66], [5, 70]] as const) x[row * 71 + at] = NaN;
    for (const threads of [1, 2]) {
      const session = await createSession(bytes, { threads });
      try {
        const y = (await session.run({ x: new Tensor("float32", x, dims) })).y!.data as Float32Array;
        for (let r = 0; r < 6; r++) {
          const row = Array.from(x.subarray(r * 71, (r + 1) * 71));
          const want = op === "ReduceMax" ? Math.max(...row) : Math.min(...row);
          if (Number.isNaN(want)) assert.ok(Number.isNaN(y[r]), `row ${r}: ${y[r]}, want NaN (${threads} threads)`);
          else assert.equal(y[r], want, `row ${r} (${threads} threads)`);
        }
      } finally {
        await session.release();
      }
    }
  });
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
    // Four columns at a time where the axis has inner ones, one at a time along the last: both in the kernel module.
    const session = await createSession(bytes);
    try {
      await session.run({ x: new Tensor("float32", seededValues(n, 3, -3, 3), DIMS) });
      assert.deepEqual(session.kernelRuns(), { cumulate: 1 });
    } finally {
      await session.release();
    }
  });
}

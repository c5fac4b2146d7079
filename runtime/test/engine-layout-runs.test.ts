import { test } from "node:test";
import assert from "node:assert/strict";
import { attributes, makeTensor, onnx } from "../src/tooling.js";
import { Tensor } from "../src/engine/index.js";
import { createSession } from "../src/session/create-session.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

// Transpose and Slice copy contiguous runs (or nothing: a transpose that moves only size-1 axes is a view); every
// case is checked element by element against the definition, after a ReLU so the result is an operator's output.

function iota(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => i - 7);
}

function strides(dims: readonly number[]): number[] {
  const s = dims.map(() => 1);
  for (let d = dims.length - 2; d >= 0; d--) s[d] = s[d + 1]! * dims[d + 1]!;
  return s;
}

/** out[idx] = x[Σ idx[d]·step[d] + base], the definition both operators reduce to. */
function expected(x: Float32Array, out: readonly number[], inStrides: readonly number[], base: number): Float32Array {
  const total = out.reduce((a, b) => a * b, 1);
  const y = new Float32Array(total);
  const os = strides(out);
  for (let i = 0; i < total; i++) {
    let off = base;
    for (let d = 0; d < out.length; d++) off += Math.floor(i / os[d]!) % out[d]! * inStrides[d]!;
    y[i] = Math.max(0, x[off]!);
  }
  return y;
}

async function runOne(op: onnx.NodeProto, dims: number[], inits: onnx.ITensorProto[]): Promise<Tensor> {
  const bytes = modelBytes({
    name: "layout", node: [node("Relu", ["x"], ["r"]), op], input: [valueInfo("x", "float32", dims)],
    output: [valueInfo("y", "float32", [])], initializer: inits,
  });
  const session = await createSession(bytes);
  try {
    const x = iota(dims.reduce((a, b) => a * b, 1));
    const out = (await session.run({ x: new Tensor("float32", x, dims) })).y!;
    return new Tensor("float32", (out.data as Float32Array).slice(), out.dims);
  } finally {
    await session.release();
  }
}

const TRANSPOSES: [string, number[], number[]][] = [
  ["only size-1 axes move (a view)", [1, 5, 6], [1, 0, 2]],
  ["size-1 axes move around a kept order (a view)", [3, 1, 4, 1], [1, 0, 3, 2]],
  ["the last axis stays (rows of 8)", [5, 3, 8], [1, 0, 2]],
  ["two inner axes stay together (runs of 12)", [2, 5, 3, 4], [1, 0, 2, 3]],
  ["the last axis moves (element by element)", [4, 6, 5], [0, 2, 1]],
  ["attention's K^T: the last axis moves over a run of 4-element vectors and a tail", [1, 11, 3, 16], [0, 2, 3, 1]],
  ["channels last: rows of 9 gathered with stride 63", [2, 7, 3, 3], [0, 2, 3, 1]],
  ["five axes that stay five after merging (the offset map)", [2, 3, 2, 3, 2], [4, 2, 0, 3, 1]],
];

for (const [name, dims, perm] of TRANSPOSES) {
  test(`Transpose: ${name}`, async () => {
    const y = await runOne(node("Transpose", ["r"], ["y"], [attributes.intsAttribute("perm", perm)]), dims, []);
    const inS = strides(dims);
    const out = perm.map((p) => dims[p]!);
    assert.deepEqual(y.dims, out);
    assert.deepEqual(y.data, expected(iota(dims.reduce((a, b) => a * b, 1)), out, perm.map((p) => inS[p]!), 0));
  });
}

const SLICES: [string, number[], { starts: number[]; ends: number[]; axes: number[]; steps: number[] }][] = [
  ["whole rows of the last axis's third (runs)", [7, 1, 24], { starts: [8], ends: [16], axes: [2], steps: [1] }],
  ["rows of two axes", [4, 5, 6], { starts: [1, 2], ends: [3, 5], axes: [0, 1], steps: [1, 1] }],
  ["a strided last axis (element by element)", [3, 16], { starts: [1], ends: [15], axes: [1], steps: [2] }],
  ["backwards along the last axis, from an offset", [4, 13], { starts: [11], ends: [0], axes: [1], steps: [-3] }],
  ["backwards along the first axis, rows kept", [6, 10], { starts: [-1], ends: [-7], axes: [0], steps: [-2] }],
];

for (const [name, dims, s] of SLICES) {
  test(`Slice: ${name}`, async () => {
    const ints = (n: string, v: number[]) => makeTensor(n, "int64", [v.length], BigInt64Array.from(v, BigInt)) as onnx.ITensorProto;
    const y = await runOne(node("Slice", ["r", "st", "en", "ax", "sp"], ["y"]), dims,
      [ints("st", s.starts), ints("en", s.ends), ints("ax", s.axes), ints("sp", s.steps)]);
    const inS = strides(dims);
    const out = [...dims];
    const step = dims.map(() => 1);
    let base = 0;
    s.axes.forEach((a, i) => {
      const d = dims[a]!;
      const st = s.steps[i]!;
      let b = s.starts[i]! < 0 ? s.starts[i]! + d : s.starts[i]!;
      let e = s.ends[i]! < 0 ? s.ends[i]! + d : s.ends[i]!;
      b = st > 0 ? Math.min(Math.max(b, 0), d) : Math.min(Math.max(b, 0), d - 1);
      e = st > 0 ? Math.min(Math.max(e, 0), d) : Math.min(Math.max(e, -1), d - 1);
      out[a] = Math.max(0, Math.ceil((e - b) / st));
      step[a] = st;
      base += b * inS[a]!;
    });
    assert.deepEqual(y.dims, out);
    assert.deepEqual(y.data, expected(iota(dims.reduce((a, b) => a * b, 1)), out, step.map((st, d) => st * inS[d]!), base));
  });
}

test("Transpose of a constant (folded while planning) copies its runs too", async () => {
  const dims = [5, 3, 8];
  const c = iota(120);
  const bytes = modelBytes({
    name: "fold", node: [node("Transpose", ["c"], ["t"], [attributes.intsAttribute("perm", [1, 0, 2])]), node("Add", ["x", "t"], ["y"])],
    input: [valueInfo("x", "float32", [3, 5, 8])], output: [valueInfo("y", "float32", [])],
    initializer: [makeTensor("c", "float32", dims, c) as onnx.ITensorProto],
  });
  const session = await createSession(bytes);
  try {
    const y = (await session.run({ x: new Tensor("float32", new Float32Array(120).fill(0.5), [3, 5, 8]) })).y!;
    const plain = Float32Array.from({ length: 120 }, (_, i) => {
      const a = Math.floor(i / 40), b = Math.floor(i / 8) % 5, e = i % 8;
      return c[b * 24 + a * 8 + e]! + 0.5;
    });
    assert.deepEqual(y.data, plain);
  } finally {
    await session.release();
  }
});

test("Transpose of integers copies runs outside kernel memory", async () => {
  const bytes = modelBytes({
    name: "ints", node: [node("Transpose", ["x"], ["y"], [attributes.intsAttribute("perm", [1, 0, 2])])],
    input: [valueInfo("x", "int32", [5, 3, 8])], output: [valueInfo("y", "int32", [])],
  });
  const session = await createSession(bytes);
  try {
    const x = Int32Array.from({ length: 120 }, (_, i) => i * 3 - 50);
    const y = (await session.run({ x: new Tensor("int32", x, [5, 3, 8]) })).y!;
    assert.deepEqual(y.dims, [3, 5, 8]);
    assert.deepEqual(y.data, Int32Array.from({ length: 120 }, (_, i) => x[(Math.floor(i / 8) % 5) * 24 + Math.floor(i / 40) * 8 + (i % 8)]!));
  } finally {
    await session.release();
  }
});

test("Concat along a last axis of short rows (a detector's boxes) copies each part in one call, as onnxruntime-node concatenates", async () => {
  const { assertRunsAsOrt } = await import("./helpers/runs-as-ort.js");
  const { seededValues } = await import("./helpers/build.js");
  const bytes = modelBytes({
    name: "concat-rows",
    node: [
      node("Relu", ["x"], ["r"]), node("Neg", ["x"], ["n"]),
      node("Slice", ["r", "s0", "s2", "axis"], ["a"]), node("Slice", ["n", "s0", "s3", "axis"], ["b"]),
      node("Concat", ["a", "b", "r"], ["y"], [attributes.intAttribute("axis", -1)]),
    ],
    initializer: [makeTensor("s0", "int64", [1], BigInt64Array.of(0n)), makeTensor("s2", "int64", [1], BigInt64Array.of(2n)),
      makeTensor("s3", "int64", [1], BigInt64Array.of(3n)), makeTensor("axis", "int64", [1], BigInt64Array.of(-1n))],
    input: [valueInfo("x", "float32", [2, 300, 5])], output: [valueInfo("y", "float32", [2, 300, 10])],
  }, { opset: 13 });
  await assertRunsAsOrt(bytes, [{ x: { data: seededValues(3000, 4, -2, 2), dims: [2, 300, 5] } }]);
});

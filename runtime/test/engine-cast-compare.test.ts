import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { createSession, Tensor, type DataType, type TensorType } from "../src/tooling.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

// Cast between the common element types and the comparisons and logic ops that build masks, against onnxruntime-node
// bit for bit: each runs as one typed loop (float16 through a table, int64 through its words), so every edge of those
// loops is here: int64 past ±2^31 and 2^53, negative truncation, every float16 bit pattern, NaN to bool, broadcasting.

const ort = createRequire(__filename)("onnxruntime-node") as typeof import("onnxruntime-node");

type Data = Float32Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array;
interface Input { name: string; type: DataType; dims: number[]; data: Data }

const CODES: Partial<Record<DataType, number>> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float16: 10 };

async function assertSameAsOrt(op: string, inputs: Input[], outType: DataType, attrs: { name: string; type: number; i?: number }[] = []): Promise<void> {
  const bytes = modelBytes({
    name: "op",
    node: [node(op, inputs.map((i) => i.name), ["y"], attrs)],
    input: inputs.map((i) => valueInfo(i.name, i.type, i.dims)),
    output: [valueInfo("y", outType, [])],
  }, { opset: 17 });
  const ortType = (t: DataType) => (t === "bool" ? "bool" : t) as "float32";
  const want = (await (await ort.InferenceSession.create(bytes)).run(Object.fromEntries(inputs.map((i) => [i.name, new ort.Tensor(ortType(i.type), i.data as Float32Array, i.dims)])))).y!;
  const session = await createSession(bytes);
  try {
    const got = (await session.run(Object.fromEntries(inputs.map((i) => [i.name, new Tensor(i.type as TensorType, i.data, i.dims)])))).y!;
    assert.deepEqual(got.dims, [...want.dims]);
    const g = Array.from(got.data as ArrayLike<number | bigint>, (v) => String(v));
    const w = Array.from(want.data as ArrayLike<number | bigint>, (v) => String(v));
    for (let i = 0; i < w.length; i++) assert.equal(g[i], w[i], `${op} element ${i}: ${g[i]} vs ${w[i]}`);
  } finally {
    await session.release();
  }
}

// Values an int64 holds (past its range a cast is undefined in C, and runtimes differ), then float16's edges.
const floats = Float32Array.of(0, -0, 1.5, -1.5, 2.5, -2.7, 2147483520, -2147483648, 3e9, -3e9, 9.1e15, -1e18, 65504, 65520, 1e-8, -6.1e-5, 5.9e-8, 3.3e-8,
  0.333333343, 1e30, Infinity, -Infinity);
const inInt64Range = floats.subarray(0, 19);
const int64s = BigInt64Array.of(0n, -1n, 1n, 2147483647n, 2147483648n, -2147483648n, -2147483649n, 9007199254740993n, -(2n ** 62n), 2n ** 63n - 1n, 123456789n, -7n);

test("Cast float32 → int64 truncates, exact past 2^31 and 2^53, as onnxruntime-node", async () => {
  await assertSameAsOrt("Cast", [{ name: "x", type: "float32", dims: [inInt64Range.length], data: inInt64Range }], "int64", [{ name: "to", type: 2, i: CODES.int64 }]);
});

test("Cast int64 → float32 and int64 → int32 and → bool, as onnxruntime-node", async () => {
  for (const to of ["float32", "int32", "bool"] as const) {
    await assertSameAsOrt("Cast", [{ name: "x", type: "int64", dims: [int64s.length], data: int64s }], to, [{ name: "to", type: 2, i: CODES[to] }]);
  }
});

test("Cast of every float16 bit pattern to float32 and back, as onnxruntime-node", async () => {
  const bits = Uint16Array.from({ length: 65536 }, (_, i) => i);
  await assertSameAsOrt("Cast", [{ name: "x", type: "float16", dims: [65536], data: bits }], "float32", [{ name: "to", type: 2, i: CODES.float32 }]);
  await assertSameAsOrt("Cast", [{ name: "x", type: "float32", dims: [floats.length], data: floats }], "float16", [{ name: "to", type: 2, i: CODES.float16 }]);
});

test("Cast float32 → bool (NaN is true) and → int32, uint8; bool → float32, as onnxruntime-node", async () => {
  const small = Float32Array.of(0, -0, NaN, 0.5, -3.7, 200.9, 17);
  await assertSameAsOrt("Cast", [{ name: "x", type: "float32", dims: [small.length], data: small }], "bool", [{ name: "to", type: 2, i: CODES.bool }]);
  await assertSameAsOrt("Cast", [{ name: "x", type: "float32", dims: [small.length - 3], data: Float32Array.of(0, 0.5, -3.7, 17) }], "int32", [{ name: "to", type: 2, i: CODES.int32 }]);
  await assertSameAsOrt("Cast", [{ name: "x", type: "float32", dims: [4], data: Float32Array.of(0, 0.5, 3.7, 200.9) }], "uint8", [{ name: "to", type: 2, i: CODES.uint8 }]);
  await assertSameAsOrt("Cast", [{ name: "x", type: "bool", dims: [4], data: Uint8Array.of(0, 1, 1, 0) }], "float32", [{ name: "to", type: 2, i: CODES.float32 }]);
});

test("comparisons and logic ops building an attention mask broadcast as onnxruntime-node, on floats, int64 and bools", async () => {
  const a = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => (i % 5) - 2 + (i === 7 ? NaN : 0));
  const b = Float32Array.of(0, -1, 1, NaN);
  for (const op of ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"]) {
    await assertSameAsOrt(op, [{ name: "a", type: "float32", dims: [2, 3, 4], data: a }, { name: "b", type: "float32", dims: [4], data: b }], "bool");
    await assertSameAsOrt(op, [{ name: "a", type: "int64", dims: [3, 1], data: int64s.subarray(3, 6) }, { name: "b", type: "int64", dims: [1, 4], data: int64s.subarray(4, 8) }], "bool");
  }
  const p = Uint8Array.from({ length: 12 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
  const q = Uint8Array.of(1, 0, 1);
  for (const op of ["And", "Or", "Xor"]) {
    await assertSameAsOrt(op, [{ name: "a", type: "bool", dims: [4, 3], data: p }, { name: "b", type: "bool", dims: [3], data: q }], "bool");
  }
  await assertSameAsOrt("Not", [{ name: "a", type: "bool", dims: [12], data: p }], "bool");
  await assertSameAsOrt("IsNaN", [{ name: "a", type: "float32", dims: [24], data: a }], "bool");
});

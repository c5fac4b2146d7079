import { test } from "node:test";
import assert from "node:assert/strict";
import { Tensor } from "../src/engine/index.js";
import { onnx } from "../src/tooling.js";
import { createSession } from "../src/session/create-session.js";
import { broadcastGeometry } from "../src/engine/kernels/broadcast.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

/** Deterministic floats in [-3, 3), with some exact zeros and negative zeros. */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, (_, i) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    if (i % 17 === 3) return i % 2 ? -0 : 0;
    return (s / 2 ** 32) * 6 - 3;
  });
}

const size = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);

/** The broadcast by index arithmetic, in double precision rounded to float32 once. */
function reference(op: string, a: Float32Array, ad: number[], b: Float32Array, bd: number[], clamp?: [number, number]): { out: number[]; data: Float32Array } {
  const rank = Math.max(ad.length, bd.length);
  const pa = [...new Array<number>(rank - ad.length).fill(1), ...ad];
  const pb = [...new Array<number>(rank - bd.length).fill(1), ...bd];
  const out = pa.map((d, i) => (d === 1 ? pb[i]! : d));
  const data = new Float32Array(size(out));
  const idx = new Array<number>(rank).fill(0);
  const at = (dims: number[]) => dims.reduce((acc, d, i) => acc * d + (d === 1 ? 0 : idx[i]!), 0);
  const fn: Record<string, (x: number, y: number) => number> = {
    Add: (x, y) => x + y, Sub: (x, y) => x - y, Mul: (x, y) => x * y, Div: (x, y) => x / y,
    Min: (x, y) => Math.min(x, y), Max: (x, y) => Math.max(x, y), PRelu: (x, y) => (x < 0 ? x * y : x), Pow: Math.pow,
  };
  for (let i = 0; i < data.length; i++) {
    let v = Math.fround(fn[op]!(a[at(pa)]!, b[at(pb)]!));
    if (clamp) v = Math.min(Math.max(v, clamp[0]), clamp[1]);
    data[i] = v;
    for (let d = rank - 1; d >= 0; d--) if (++idx[d]! < out[d]!) break; else idx[d] = 0;
  }
  return { out, data };
}

async function runBinary(op: string, ad: number[], bd: number[], threads: number, relu = false): Promise<{ got: Float32Array; want: Float32Array }> {
  const a = values(size(ad), 7 + ad.length);
  const b = op === "Pow" ? Float32Array.from(values(size(bd), 11), (v) => Math.round(v)) : values(size(bd), 11);
  const want = reference(op, a, ad, b, bd, relu ? [0, Infinity] : undefined);
  const bytes = modelBytes({
    name: "g",
    node: relu ? [node(op, ["a", "b"], ["t"]), node("Relu", ["t"], ["y"])] : [node(op, ["a", "b"], ["y"])],
    input: [valueInfo("a", "float32", ad), valueInfo("b", "float32", bd)],
    output: [valueInfo("y", "float32", want.out)],
  });
  const session = await createSession(bytes, { threads });
  try {
    const result = await session.run({ a: new Tensor("float32", a, ad), b: new Tensor("float32", b, bd) });
    const y = result.y!;
    assert.deepEqual([...y.dims], want.out, `${op} [${ad}] × [${bd}]: output shape`);
    return { got: y.data as Float32Array, want: want.data };
  } finally {
    await session.release();
  }
}

const SHAPES: [number[], number[]][] = [
  [[2, 3, 5, 7], [2, 3, 5, 7]], // same shape
  [[2, 8, 6, 5], [2, 8, 1, 1]], // squeeze-excite: N,C,H,W × N,C,1,1
  [[4, 9, 7], [7]], // a row repeated
  [[4, 9, 7], [9, 1]], // a column repeated
  [[3, 1, 5], [1, 4, 1]], // both operands repeat
  [[1], [6, 5]], // the first operand is the scalar
  [[2, 3, 4, 5, 6], [3, 1, 5, 1]], // alternating repeats: more than four axes after collapsing
  [[2, 1, 3, 1, 4, 1], [1, 5, 1, 6, 1, 7]], // six axes that never merge
  [[3, 0, 4], [1, 4]], // empty
];

test("broadcasting binary operators on float32 match index arithmetic exactly, for every op and broadcast pattern", async () => {
  for (const op of ["Add", "Sub", "Mul", "Div", "Min", "Max", "PRelu", "Pow"]) {
    for (const [ad, bd] of SHAPES) {
      if (op === "PRelu" && size(bd) > size(ad)) continue; // PRelu's slope broadcasts to X only
      const { got, want } = await runBinary(op, ad, bd, 1);
      for (let i = 0; i < want.length; i++) {
        assert.ok(Object.is(got[i], want[i]) || (Number.isNaN(got[i]!) && Number.isNaN(want[i]!)),
          `${op} [${ad}] × [${bd}] element ${i}: ${got[i]} vs ${want[i]}`);
      }
    }
  }
});

test("a fused Relu clamps the broadcast, and two threads split a large broadcast into the same result", async () => {
  for (const threads of [1, 2]) {
    const { got, want } = await runBinary("Add", [2, 64, 32, 40], [2, 64, 1, 1], threads, true);
    assert.deepEqual(got, want, `${threads} thread(s)`);
    const same = await runBinary("Mul", [2, 64, 32, 40], [2, 64, 32, 40], threads);
    assert.deepEqual(same.got, same.want, `${threads} thread(s), same shapes`);
  }
});

test("the broadcast geometry merges axes the operands step through alike and drops axes of size 1", () => {
  const se = broadcastGeometry([2, 8, 6, 5], [2, 8, 1, 1], [2, 8, 6, 5])!;
  assert.deepEqual([...se.dims], [1, 1, 16, 30]);
  assert.deepEqual([...se.a], [0, 0, 30, 1]);
  assert.deepEqual([...se.b], [0, 0, 1, 0]);
  const same = broadcastGeometry([2, 3, 4], [2, 3, 4], [2, 3, 4])!;
  assert.deepEqual([...same.dims], [1, 1, 1, 24]);
  assert.equal(broadcastGeometry([2, 1, 3, 1, 4, 1], [1, 5, 1, 6, 1, 7], [2, 5, 3, 6, 4, 7]), undefined);
});

test("Sum, Min and Max of three broadcast float32 inputs fold left to right as index arithmetic does", async () => {
  const dims = [[2, 3, 4], [4], [3, 1]];
  const data = dims.map((d, i) => values(size(d), 3 + i));
  for (const op of ["Sum", "Min", "Max"]) {
    const bytes = modelBytes({
      name: "g",
      node: [node(op, ["a", "b", "c"], ["y"])],
      input: dims.map((d, i) => valueInfo("abc"[i]!, "float32", d)),
      output: [valueInfo("y", "float32", [2, 3, 4])],
    });
    const session = await createSession(bytes);
    try {
      const out = await session.run(Object.fromEntries(dims.map((d, i) => ["abc"[i]!, new Tensor("float32", data[i]!, d)])));
      const ab = reference(op === "Sum" ? "Add" : op, data[0]!, dims[0]!, data[1]!, dims[1]!);
      const want = reference(op === "Sum" ? "Add" : op, ab.data, ab.out, data[2]!, dims[2]!);
      assert.deepEqual(out.y!.data, want.data, op);
      assert.equal(session.kernelRuns()["broadcast"], 2, `${op}: two kernel calls`);
    } finally {
      await session.release();
    }
  }
});

test("Where broadcasts its condition and both branches in any pattern (causal mask, padding mask, column, scalar, int64 branches) as index arithmetic does", async () => {
  const cases: { c: number[]; x: number[]; y: number[] }[] = [
    { c: [1, 1, 5, 5], x: [1, 3, 5, 5], y: [] }, // a causal mask over heads, a scalar fill
    { c: [2, 1, 1, 5], x: [2, 3, 4, 5], y: [1] }, // a padding mask per sample
    { c: [4, 1], x: [1, 5], y: [4, 5] }, // a column condition; x repeats along rows
    { c: [3, 4], x: [3, 4], y: [3, 4] }, // no broadcast
    { c: [2, 3, 1], x: [1, 1, 4], y: [2, 1, 4] }, // every operand repeats along some axis
  ];
  for (const type of ["float32", "int64"] as const) {
    for (const { c, x, y } of cases) {
      const out = [c, x, y].reduce((acc, d) => {
        const rank = Math.max(acc.length, d.length);
        const pa = [...new Array<number>(rank - acc.length).fill(1), ...acc];
        const pd = [...new Array<number>(rank - d.length).fill(1), ...d];
        return pa.map((v, i) => (v === 1 ? pd[i]! : v));
      }, [] as number[]);
      const cond = Uint8Array.from({ length: size(c) }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0));
      const make = (dims: number[], seed: number) => {
        const v = values(size(dims), seed);
        return type === "float32" ? v : BigInt64Array.from(v, (f) => BigInt(Math.round(f * 100)));
      };
      const xs = make(x, 5);
      const ys = make(y, 9);
      const rank = out.length;
      const at = (dims: number[], idx: number[]) => {
        const pd = [...new Array<number>(rank - dims.length).fill(1), ...dims];
        return pd.reduce((acc, d, i) => acc * d + (d === 1 ? 0 : idx[i]!), 0);
      };
      const want: (number | bigint)[] = [];
      const idx = new Array<number>(rank).fill(0);
      for (let i = 0; i < size(out); i++) {
        want.push(cond[at(c, idx)] ? xs[at(x, idx)]! : ys[at(y, idx)]!);
        for (let d = rank - 1; d >= 0; d--) if (++idx[d]! < out[d]!) break; else idx[d] = 0;
      }
      const bytes = modelBytes({
        name: "g",
        node: [node("Where", ["c", "x", "y"], ["out"])],
        input: [valueInfo("c", "bool", c), valueInfo("x", type, x), valueInfo("y", type, y)],
        output: [valueInfo("out", type, out)],
      });
      const session = await createSession(bytes);
      try {
        const got = await session.run({ c: new Tensor("bool", cond, c), x: new Tensor(type, xs, x), y: new Tensor(type, ys, y) });
        assert.deepEqual(Array.from(got.out!.data as ArrayLike<number | bigint>), want, `${type} ${JSON.stringify({ c, x, y })}`);
      } finally {
        await session.release();
      }
    }
  }
});

test("Where with a constant causal mask selects bits (NaN, ±Infinity and -0 pass as they are) on every run", async () => {
  const S = 6;
  const mask = Uint8Array.from({ length: S * S }, (_, i) => (i % S <= Math.floor(i / S) ? 1 : 0));
  const bytes = modelBytes({
    name: "g",
    node: [node("Where", ["mask", "x", "fill"], ["out"])],
    input: [valueInfo("x", "float32", [2, S, S])],
    output: [valueInfo("out", "float32", [2, S, S])],
    initializer: [
      new onnx.TensorProto({ name: "mask", dataType: 9, dims: [1, S, S], rawData: mask }),
      new onnx.TensorProto({ name: "fill", dataType: 1, dims: [], rawData: new Uint8Array(Float32Array.of(-Infinity).buffer) }),
    ],
  });
  const session = await createSession(bytes);
  try {
    for (let run = 0; run < 2; run++) {
      const x = values(2 * S * S, 21 + run);
      x[0] = NaN;
      x[7] = Infinity;
      x[S * S + 14] = -0;
      const got = (await session.run({ x: new Tensor("float32", x, [2, S, S]) })).out!.data as Float32Array;
      const want = Float32Array.from(x, (v, i) => (mask[i % (S * S)] ? v : -Infinity));
      assert.deepEqual(new Uint32Array(got.buffer, got.byteOffset, got.length), new Uint32Array(want.buffer), `run ${run}`);
    }
  } finally {
    await session.release();
  }
});

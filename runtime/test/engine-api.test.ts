import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { attributes, loadModel, makeTensor, onnx } from "../src/tooling.js";
import {
  InputMismatchError, NodeShapeError, Tensor, UnsupportedOperatorError, type InferenceSession,
} from "../src/engine/index.js";
import { createSession } from "../src/session/create-session.js";
import { EXAMPLES } from "./helpers/data.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

const example = () => path.join(EXAMPLES, "fmnist_cnn_op13.onnx");

async function withSession<T>(model: string | Uint8Array, fn: (s: InferenceSession) => Promise<T>, threads = 1): Promise<T> {
  const session = await createSession(model, { threads });
  try {
    return await fn(session);
  } finally {
    await session.release();
  }
}

test("Tensor checks its data against type and dims", () => {
  const t = new Tensor("float32", new Float32Array(6), [2, 3]);
  assert.equal(t.size, 6);
  assert.deepEqual(t.dims, [2, 3]);
  assert.throws(() => new Tensor("float32", new Float32Array(5), [2, 3]), /need 6 elements, data has 5/);
  assert.throws(() => new Tensor("int64", new Int32Array(2), [2]), /int64 data must be a BigInt64Array/);
});

test("an unsupported operator is refused when the session is created, naming the node", async () => {
  const bytes = modelBytes({
    name: "g",
    node: [node("Relu", ["x"], ["r"], [], "relu"), node("Bernoulli", ["r"], ["y"], [], "the_coin")],
    input: [valueInfo("x", "float32", [2, 2])],
    output: [valueInfo("y", "float32", [2, 2])],
  });
  await assert.rejects(createSession(bytes), (e: unknown) => {
    assert.ok(e instanceof UnsupportedOperatorError);
    assert.match(e.message, /node 'the_coin': Bernoulli is not supported/);
    assert.equal(e.message.includes("\n"), false);
    return true;
  });
});

test("wrong, missing or unknown inputs are refused before anything runs, with expected and got", async () => {
  await withSession(example(), async (s) => {
    const good = new Float32Array(28 * 28);
    await assert.rejects(s.run({ input: new Tensor("float32", good, [1, 28, 28]) }),
      (e: unknown) => e instanceof InputMismatchError && /input 'input': expected shape \[.+\] \(rank 4\), got \[1, 28, 28\]/.test(e.message));
    await assert.rejects(s.run({ input: new Tensor("float32", good, [1, 1, 14, 56]) }),
      (e: unknown) => e instanceof InputMismatchError && /dimension 2 must be 28/.test(e.message));
    await assert.rejects(s.run({ input: new Tensor("int32", new Int32Array(28 * 28), [1, 1, 28, 28]) }),
      (e: unknown) => e instanceof InputMismatchError && /expected element type float32, got int32/.test(e.message));
    await assert.rejects(s.run({}), (e: unknown) => e instanceof InputMismatchError && /missing/.test(e.message));
    await assert.rejects(s.run({ input: new Tensor("float32", good, [1, 1, 28, 28]), extra: new Tensor("float32", new Float32Array(1), [1]) }),
      (e: unknown) => e instanceof InputMismatchError && /no such input/.test(e.message));
  });
});

test("a node whose inputs do not fit is refused while planning, naming it", async () => {
  const bytes = modelBytes({
    name: "g",
    node: [node("Add", ["a", "b"], ["y"], [], "the_add")],
    input: [valueInfo("a", "float32", ["n", 3]), valueInfo("b", "float32", ["m", 4])],
    output: [valueInfo("y", "float32", [])],
  });
  await withSession(bytes, async (s) => {
    await assert.rejects(s.run({ a: new Tensor("float32", new Float32Array(6), [2, 3]), b: new Tensor("float32", new Float32Array(8), [2, 4]) }),
      (e: unknown) => e instanceof NodeShapeError && /node 'the_add' \(Add\): shapes \[2, 3\] and \[2, 4\] do not broadcast/.test(e.message));
  });
});

test("an output declared with another element type than its node computes is refused, naming both, as ONNX Runtime refuses it", async () => {
  const bytes = modelBytes({
    name: "mistyped",
    node: [node("Cast", ["x"], ["y"], [attributes.intAttribute("to", onnx.TensorProto.DataType.FLOAT16)], "to_half")],
    input: [valueInfo("x", "float32", [2, 3])],
    output: [valueInfo("y", "float32", [2, 3])],
  });
  const ort = await import("onnxruntime-node");
  await assert.rejects(ort.InferenceSession.create(bytes));
  const run = async () => withSession(bytes, (s) => s.run({ x: new Tensor("float32", new Float32Array(6), [2, 3]) }));
  await assert.rejects(run(), (e: unknown) => {
    assert.ok(e instanceof Error);
    assert.match(e.message, /graph output 'y' is declared float32, but node 'to_half' \(Cast\) computes float16/);
    assert.equal(e.message.includes("\n"), false);
    return true;
  });
  const indices = modelBytes({
    name: "mistyped",
    node: [node("ArgMax", ["x"], ["i"], [attributes.intAttribute("axis", 1)], "best")],
    input: [valueInfo("x", "float32", [2, 3])],
    output: [valueInfo("i", "int32", [2, 1])],
  });
  await assert.rejects(ort.InferenceSession.create(indices));
  await assert.rejects(withSession(indices, (s) => s.run({ x: new Tensor("float32", new Float32Array(6), [2, 3]) })),
    /graph output 'i' is declared int32, but node 'best' \(ArgMax\) computes int64/);
});

test("the plan reuses activation buffers: its arena is far smaller than all activations together", async () => {
  await withSession(example(), async (s) => {
    const plan = s.planFor({ input: new Tensor("float32", new Float32Array(4 * 28 * 28), [4, 1, 28, 28]) });
    assert.ok(plan.arenaBytes > 0);
    assert.ok(plan.arenaBytes < plan.activationBytes / 2, `arena ${plan.arenaBytes} B, activations ${plan.activationBytes} B`);
  });
});

test("results do not depend on the thread count or on batch composition", async () => {
  const input = new Float32Array(5 * 28 * 28).map((_, i) => Math.sin(i * 0.37));
  const run = (threads: number, batch: Float32Array, n: number) => withSession(example(), async (s) => {
    const out = await s.run({ input: new Tensor("float32", batch, [n, 1, 28, 28]) });
    return out[s.outputNames[0]!]!.data as Float32Array;
  }, threads);
  const one = await run(1, input, 5);
  const two = await run(2, input, 5);
  for (let i = 0; i < one.length; i++) assert.ok(Math.abs(one[i]! - two[i]!) <= 1e-5);
  const single = await run(1, input.slice(2 * 784, 3 * 784), 1);
  for (let i = 0; i < 10; i++) assert.ok(Math.abs(single[i]! - one[20 + i]!) <= 1e-5);
});

function qdqModel(q: { type: "int8" | "uint8" | "int16" | "uint16" | "int32"; scale: number[]; zp: number[]; axis?: number; dims: number[] }): Uint8Array {
  const arrays = { int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array };
  const sdims = q.scale.length === 1 ? [] : [q.scale.length];
  const attrs = q.axis === undefined ? [] : [attributes.intAttribute("axis", q.axis)];
  return modelBytes({
    name: "qdq",
    node: [node("QuantizeLinear", ["x", "s", "z"], ["q"], attrs, "quant"), node("DequantizeLinear", ["q", "s", "z"], ["y"], attrs, "dequant")],
    input: [valueInfo("x", "float32", q.dims)],
    output: [valueInfo("q", q.type, q.dims), valueInfo("y", "float32", q.dims)],
    initializer: [
      makeTensor("s", "float32", sdims, Float32Array.from(q.scale)),
      makeTensor("z", q.type, sdims, arrays[q.type].from(q.zp)),
    ] as onnx.ITensorProto[],
  }, { opset: 13 });
}

test("QuantizeLinear rounds half to even and saturates; DequantizeLinear inverts it", async () => {
  const x = Float32Array.of(0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 300, -300);
  const cases = [
    { type: "int8" as const, zp: 0, q: [0, 2, 2, 0, -2, -2, 127, -128] },
    { type: "uint8" as const, zp: 128, q: [128, 130, 130, 128, 126, 126, 255, 0] },
    { type: "int16" as const, zp: 0, q: [0, 2, 2, 0, -2, -2, 300, -300] },
    { type: "uint16" as const, zp: 10, q: [10, 12, 12, 10, 8, 8, 310, 0] },
    { type: "int32" as const, zp: 0, q: [0, 2, 2, 0, -2, -2, 300, -300] },
  ];
  for (const c of cases) {
    await withSession(qdqModel({ type: c.type, scale: [1], zp: [c.zp], dims: [8] }), async (s) => {
      const out = await s.run({ x: new Tensor("float32", x, [8]) });
      assert.deepEqual(Array.from(out.q!.data as ArrayLike<number>), c.q, c.type);
      assert.deepEqual(Array.from(out.y!.data as Float32Array), c.q.map((v) => v - c.zp), c.type);
    });
  }
});

test("per-axis Q/DQ uses one scale and zero point per channel", async () => {
  const bytes = qdqModel({ type: "int8", scale: [0.5, 2], zp: [1, -1], axis: 1, dims: [2, 2, 2] });
  await withSession(bytes, async (s) => {
    const x = Float32Array.of(1, 2, 1, 2, -1, 0.25, 5, 6);
    const out = await s.run({ x: new Tensor("float32", x, [2, 2, 2]) });
    // channel 0: round(x / 0.5) + 1; channel 1: round(x / 2) - 1, ties to even (0.5 → 0, 2.5 → 2)
    assert.deepEqual(Array.from(out.q!.data as Int8Array), [3, 5, -1, 0, -1, 1, 1, 2]);
    assert.deepEqual(Array.from(out.y!.data as Float32Array), [1, 2, 0, 2, -1, 0, 4, 6]);
  });
});

test("models load from a Model as well as from a path", async () => {
  const model = await loadModel(example());
  await withSession(example(), async (fromPath) => {
    const session = await createSession(model);
    try {
      const x = new Tensor("float32", new Float32Array(784).fill(0.1), [1, 1, 28, 28]);
      assert.deepEqual((await session.run({ input: x })).logits!.data, (await fromPath.run({ input: x })).logits!.data);
    } finally {
      await session.release();
    }
  });
});

test("a Q→DQ pair runs as one float kernel that agrees with QuantizeLinear's integers exactly", async () => {
  const bytes = qdqModel({ type: "uint8", scale: [0.0173], zp: [117], dims: [4099] });
  await withSession(bytes, async (s) => {
    // Values on and around rounding ties of the scale, plus saturating ones.
    const x = new Float32Array(4099).map((_, i) => (i - 2000) * 0.0173 * 0.5 + (i % 3 === 0 ? 0 : (i % 7) * 1e-4));
    x[0] = 100;
    x[1] = -100;
    const out = await s.run({ x: new Tensor("float32", x, [4099]) });
    const q = out.q!.data as Uint8Array;
    const y = out.y!.data as Float32Array;
    for (let i = 0; i < x.length; i++) assert.equal(y[i], Math.fround((q[i]! - 117) * Math.fround(0.0173)), `element ${i}`);
    assert.equal(q[0], 255);
    assert.equal(q[1], 0);
  });
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { onnx, createSession, Tensor, type TensorType } from "../src/tooling.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";

const ort = createRequire(__filename)("onnxruntime-node") as typeof import("onnxruntime-node");
const A = onnx.AttributeProto.AttributeType;
const int = (name: string, i: number): onnx.IAttributeProto => ({ name, type: A.INT, i });
const float = (name: string, f: number): onnx.IAttributeProto => ({ name, type: A.FLOAT, f });
const str = (name: string, s: string): onnx.IAttributeProto => ({ name, type: A.STRING, s: Buffer.from(s) });

type Feed = { type: TensorType; data: Float32Array | BigInt64Array | Uint8Array | Int32Array | Uint16Array; dims: number[] };
const f32 = (dims: number[], seed: number, lo = -1, hi = 1): Feed => ({ type: "float32", data: seededValues(dims.reduce((a, b) => a * b, 1), seed, lo, hi), dims });
const i64 = (values: number[], dims = [values.length]): Feed => ({ type: "int64", data: BigInt64Array.from(values, BigInt), dims });
const bools = (dims: number[], keep: (i: number) => boolean): Feed => ({ type: "bool", data: Uint8Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => (keep(i) ? 1 : 0)), dims });

/** One node of the newest opsets, on qkit (1 and 2 threads) against onnxruntime-node: every output, shape and values. */
async function assertAsOrt(op: string, attributes: onnx.IAttributeProto[], feeds: Record<string, Feed | undefined>, outputs: string[], opset: number): Promise<void> {
  const names = Object.keys(feeds);
  const present = Object.entries(feeds).filter(([, f]) => f) as [string, Feed][];
  const bytes = modelBytes({
    name: op,
    node: [node(op, names.map((n) => (feeds[n] ? n : "")), outputs, attributes)],
    input: present.map(([n, f]) => valueInfo(n, f.type, f.dims)),
    output: outputs.filter(Boolean).map((n) => new onnx.ValueInfoProto({ name: n })),
  }, { opset, irVersion: 10 });
  const reference = await ort.InferenceSession.create(bytes);
  const want = await reference.run(Object.fromEntries(present.map(([n, f]) => [n, new ort.Tensor(f.type as "float32", f.data as Float32Array, f.dims)])));
  for (const threads of [1, 2]) {
    const session = await createSession(bytes, { threads });
    try {
      const got = await session.run(Object.fromEntries(present.map(([n, f]) => [n, new Tensor(f.type, f.data, f.dims)])));
      for (const name of outputs.filter(Boolean)) {
        assert.deepEqual([...got[name]!.dims], [...want[name]!.dims], `${op} ${name}: shape`);
        const g = Array.from(got[name]!.data as ArrayLike<number | bigint>, Number);
        const w = Array.from(want[name]!.data as ArrayLike<number | bigint>, Number);
        g.forEach((v, i) => assert.ok(Object.is(v, w[i]) || Math.abs(v - w[i]!) <= 2e-5 * Math.max(1, Math.abs(w[i]!)), `${op} ${name}[${i}]: ${v} vs ${w[i]} (${threads} threads)`));
      }
    } finally {
      await session.release();
    }
  }
}

const QKV = ["Q", "K", "V"];

test("Attention (opset 23), 4-D multi-head: default scale, then a scale, a soft cap and every qk_matmul_output mode", async () => {
  const feeds = { Q: f32([2, 3, 4, 8], 1), K: f32([2, 3, 6, 8], 2), V: f32([2, 3, 6, 5], 3) };
  await assertAsOrt("Attention", [], feeds, ["Y"], 23);
  for (const mode of [0, 1, 2, 3]) {
    await assertAsOrt("Attention", [float("scale", 0.7), float("softcap", 1.5), int("qk_matmul_output_mode", mode)],
      { ...feeds, attn_mask: f32([4, 6], 4, -0.5, 0.5) }, ["Y", "", "", "qk"], 23);
  }
});

test("Attention (opset 23), 3-D grouped-query heads with a causal mask and a broadcast boolean mask", async () => {
  const feeds = { Q: f32([2, 5, 4 * 6], 5), K: f32([2, 5, 2 * 6], 6), V: f32([2, 5, 2 * 3], 7) };
  const heads = [int("q_num_heads", 4), int("kv_num_heads", 2)];
  await assertAsOrt("Attention", [...heads, int("is_causal", 1)], feeds, ["Y"], 23);
  await assertAsOrt("Attention", heads, { ...feeds, attn_mask: bools([2, 1, 5, 5], (i) => i % 3 !== 1) }, ["Y"], 23);
});

test("Attention (opset 23) with a past key/value cache: present outputs and causal masking offset by the past", async () => {
  const feeds = {
    Q: f32([1, 2, 3, 4], 8), K: f32([1, 2, 3, 4], 9), V: f32([1, 2, 3, 4], 10),
    attn_mask: undefined, past_key: f32([1, 2, 5, 4], 11), past_value: f32([1, 2, 5, 4], 12),
  };
  await assertAsOrt("Attention", [int("is_causal", 1)], feeds, ["Y", "present_key", "present_value"], 23);
  await assertAsOrt("Attention", [], { ...feeds, attn_mask: f32([3, 8], 13) }, ["Y", "present_key", "present_value"], 23);
  // Present outputs without a past are the keys and values as [B, H, S, D]; each is written when it alone is asked for.
  const fresh = { Q: f32([1, 5, 2 * 4], 8), K: f32([1, 5, 2 * 4], 9), V: f32([1, 5, 2 * 4], 10) };
  const heads = [int("q_num_heads", 2), int("kv_num_heads", 2)];
  await assertAsOrt("Attention", heads, fresh, ["Y", "present_key", "present_value"], 23);
  await assertAsOrt("Attention", heads, fresh, ["Y", "", "present_value"], 23);
});

test("Attention (opset 24) with per-sample valid key counts (nonpad_kv_seqlen), a mask and causal alignment by them", async () => {
  const feeds = {
    Q: f32([2, 2, 3, 4], 14), K: f32([2, 2, 6, 4], 15), V: f32([2, 2, 6, 4], 16),
    attn_mask: f32([3, 6], 17), past_key: undefined, past_value: undefined, nonpad_kv_seqlen: i64([4, 6]),
  };
  await assertAsOrt("Attention", [], feeds, ["Y"], 24);
  await assertAsOrt("Attention", [int("is_causal", 1)], { ...feeds, attn_mask: undefined }, ["Y"], 24);
});

test("Attention: a query row no key may attend gives zeros (opset 23 and 24), and sliding windows (opset 25)", async () => {
  const feeds = { Q: f32([1, 2, 4, 4], 18), K: f32([1, 2, 6, 4], 19), V: f32([1, 2, 6, 4], 20) };
  const mask = bools([4, 6], (i) => i >= 6 && i % 4 !== 0);
  await assertAsOrt("Attention", [], { ...feeds, attn_mask: mask }, ["Y"], 23);
  await assertAsOrt("Attention", [int("qk_matmul_output_mode", 3)], { ...feeds, attn_mask: mask }, ["Y", "", "", "qk"], 24);
});

test("Attention (opset 25) sliding windows compute what ONNX Runtime computes with the same window as a boolean mask", async () => {
  // ONNX Runtime's Attention stops at opset 24: the window is given to it as the mask it stands for.
  const feeds = { Q: f32([1, 2, 4, 4], 21), K: f32([1, 2, 6, 4], 22), V: f32([1, 2, 6, 4], 23) };
  const q = (f: Feed) => new Tensor(f.type, f.data, f.dims);
  for (const [left, right, causal] of [[1, 0, 0], [2, 1, 0], [-1, 1, 0], [1, -1, 1]] as const) {
    const windowed = modelBytes({
      name: "window", node: [node("Attention", QKV, ["Y"], [int("left_window_size", left), int("right_window_size", right), int("is_causal", causal)])],
      input: QKV.map((n) => valueInfo(n, "float32", feeds[n as "Q"].dims)), output: [new onnx.ValueInfoProto({ name: "Y" })],
    }, { opset: 25, irVersion: 10 });
    const allowed = (i: number, j: number) => (left < 0 || j >= i - left) && (right < 0 || j <= i + right) && (!causal || j <= i);
    const mask = bools([4, 6], (k) => allowed(Math.floor(k / 6), k % 6));
    const masked = modelBytes({
      name: "mask", node: [node("Attention", [...QKV, "attn_mask"], ["Y"], [])],
      input: [...QKV.map((n) => valueInfo(n, "float32", feeds[n as "Q"].dims)), valueInfo("attn_mask", "bool", [4, 6])], output: [new onnx.ValueInfoProto({ name: "Y" })],
    }, { opset: 24, irVersion: 10 });
    const want = (await (await ort.InferenceSession.create(masked)).run({
      ...Object.fromEntries(QKV.map((n) => [n, new ort.Tensor("float32", feeds[n as "Q"].data as Float32Array, feeds[n as "Q"].dims)])),
      attn_mask: new ort.Tensor("bool", mask.data as Uint8Array, mask.dims),
    })).Y!.data as Float32Array;
    const session = await createSession(windowed);
    const got = (await session.run(Object.fromEntries(QKV.map((n) => [n, q(feeds[n as "Q"])])))).Y!.data as Float32Array;
    await session.release();
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 2e-5, `window (${left}, ${right}, causal ${causal}) [${i}]: ${v} vs ${want[i]}`));
  }
});

test("RMSNormalization (opset 23) over the last axes, with a scale broadcast onto them", async () => {
  await assertAsOrt("RMSNormalization", [], { X: f32([2, 3, 8], 1, -3, 3), scale: f32([8], 2) }, ["Y"], 23);
  await assertAsOrt("RMSNormalization", [int("axis", -2), float("epsilon", 1e-3)], { X: f32([2, 3, 4, 5], 3), scale: f32([4, 1], 4) }, ["Y"], 23);
});

test("RotaryEmbedding (opset 23): 4-D and 3-D inputs, halves and interleaved pairs, a partial rotation, caches by position id or per token", async () => {
  const cos = f32([10, 4], 1);
  const sin = f32([10, 4], 2);
  await assertAsOrt("RotaryEmbedding", [], { X: f32([2, 3, 5, 8], 3), cos_cache: cos, sin_cache: sin, position_ids: i64([0, 1, 2, 3, 4, 9, 8, 7, 6, 5], [2, 5]) }, ["Y"], 23);
  await assertAsOrt("RotaryEmbedding", [int("interleaved", 1), int("num_heads", 2)], { X: f32([2, 5, 16], 4), cos_cache: cos, sin_cache: sin, position_ids: i64([3, 3, 1, 0, 2, 5, 6, 7, 8, 9], [2, 5]) }, ["Y"], 23);
  await assertAsOrt("RotaryEmbedding", [int("rotary_embedding_dim", 4), int("num_heads", 2)], { X: f32([2, 5, 20], 5), cos_cache: f32([2, 5, 2], 6), sin_cache: f32([2, 5, 2], 7) }, ["Y"], 23);
});

test("Swish (opset 24) with the default alpha and another", async () => {
  await assertAsOrt("Swish", [], { X: f32([3, 7], 1, -6, 6) }, ["Y"], 24);
  await assertAsOrt("Swish", [float("alpha", 0.6)], { X: f32([3, 7], 2, -6, 6) }, ["Y"], 24);
});

test("TensorScatter (opset 24): linear writes at each sample's index, and circular ones that wrap", async () => {
  const feeds = { past_cache: f32([2, 3, 6, 4], 1), update: f32([2, 3, 2, 4], 2) };
  await assertAsOrt("TensorScatter", [], feeds, ["present_cache"], 24);
  await assertAsOrt("TensorScatter", [], { ...feeds, write_indices: i64([1, 4]) }, ["present_cache"], 24);
  await assertAsOrt("TensorScatter", [str("mode", "circular")], { ...feeds, write_indices: i64([5, 11]) }, ["present_cache"], 24);
});

test("CumProd and BitCast (opset 26)", async () => {
  for (const attrs of [[], [int("exclusive", 1)], [int("reverse", 1)], [int("exclusive", 1), int("reverse", 1)]]) {
    await assertAsOrt("CumProd", attrs, { x: f32([3, 4], 1, 0.5, 1.5), axis: i64([1], []) }, ["y"], 26);
  }
  await assertAsOrt("BitCast", [int("to", 6)], { X: f32([2, 5], 3, -100, 100) }, ["Y"], 26);
  await assertAsOrt("BitCast", [int("to", 1)], { X: { type: "int32", data: Int32Array.from({ length: 6 }, (_, i) => 0x3f800000 + i * 12345), dims: [6] } }, ["Y"], 26);
});

/** A pre-norm decoder block as opset-24 exporters write it: RMSNorm, Q/K/V projections, RoPE, causal Attention, Swish MLP. */
function decoderBlock(): Uint8Array {
  const D = 16;
  const w = (name: string, rows: number, cols: number, seed: number) => onnx.TensorProto.create({ name, dataType: 1, dims: [rows, cols], rawData: new Uint8Array(seededValues(rows * cols, seed, -0.4, 0.4).buffer) });
  const vec = (name: string, n: number, seed: number, lo: number, hi: number) => onnx.TensorProto.create({ name, dataType: 1, dims: [n], rawData: new Uint8Array(seededValues(n, seed, lo, hi).buffer) });
  const angles = (fn: (a: number) => number) => Float32Array.from({ length: 8 * 4 }, (_, i) => fn(Math.floor(i / 4) / 10000 ** ((i % 4) / 4)));
  return modelBytes({
    name: "decoder",
    node: [
      node("RMSNormalization", ["x", "g1"], ["n1"]),
      node("MatMul", ["n1", "wq"], ["q"]), node("MatMul", ["n1", "wk"], ["k"]), node("MatMul", ["n1", "wv"], ["v"]),
      node("RotaryEmbedding", ["q", "cos", "sin", "pos"], ["qr"], [int("num_heads", 2)]),
      node("RotaryEmbedding", ["k", "cos", "sin", "pos"], ["kr"], [int("num_heads", 2)]),
      node("Attention", ["qr", "kr", "v"], ["att"], [int("q_num_heads", 2), int("kv_num_heads", 2), int("is_causal", 1)]),
      node("MatMul", ["att", "wo"], ["o"]), node("Add", ["x", "o"], ["h"]),
      node("RMSNormalization", ["h", "g2"], ["n2"]),
      node("MatMul", ["n2", "wu"], ["u"]), node("Swish", ["u"], ["s"]), node("MatMul", ["s", "wd"], ["d"]), node("Add", ["h", "d"], ["y"]),
    ],
    initializer: [
      vec("g1", D, 1, 0.8, 1.2), vec("g2", D, 2, 0.8, 1.2), w("wq", D, D, 3), w("wk", D, D, 4), w("wv", D, D, 5), w("wo", D, D, 6),
      w("wu", D, 32, 7), w("wd", 32, D, 8),
      onnx.TensorProto.create({ name: "cos", dataType: 1, dims: [8, 4], rawData: new Uint8Array(angles(Math.cos).buffer) }),
      onnx.TensorProto.create({ name: "sin", dataType: 1, dims: [8, 4], rawData: new Uint8Array(angles(Math.sin).buffer) }),
      onnx.TensorProto.create({ name: "pos", dataType: 7, dims: [1, 6], rawData: new Uint8Array(BigInt64Array.of(0n, 1n, 2n, 3n, 4n, 5n).buffer) }),
    ],
    input: [valueInfo("x", "float32", [1, 6, D])],
    output: [valueInfo("y", "float32", [1, 6, D])],
  }, { opset: 24, irVersion: 10 });
}

test("an opset-24 decoder block (RMSNorm, RoPE, Attention, Swish) runs as ONNX Runtime runs it, and each built-in quantizes it into an export ONNX Runtime runs", async () => {
  const { loadModel, loadQuantizer, runCheck, prepare, calibrate, convert, serializeModel } = await import("../src/tooling.js");
  const bytes = decoderBlock();
  const x = seededValues(6 * 16, 9, -2, 2);
  const ortRun = async (b: Uint8Array) => (await (await ort.InferenceSession.create(b)).run({ x: new ort.Tensor("float32", x, [1, 6, 16]) })).y!.data as Float32Array;
  const qkitRun = async (b: Uint8Array) => {
    const session = await createSession(b);
    try { return (await session.run({ x: new Tensor("float32", x, [1, 6, 16]) })).y!.data as Float32Array; } finally { await session.release(); }
  };
  const float = await ortRun(bytes);
  const ours = await qkitRun(bytes);
  ours.forEach((v, i) => assert.ok(Math.abs(v - float[i]!) <= 1e-4 * Math.max(1, Math.abs(float[i]!)), `float y[${i}]: ${v} vs ${float[i]}`));
  for (const builtin of ["xnnpack", "x86", "ort-qdq"]) {
    const model = await loadModel(bytes);
    const { quantizer } = loadQuantizer(builtin);
    assert.deepEqual(runCheck(model, quantizer).findings.filter((f) => f.severity === "error").map((f) => f.message), [], builtin);
    const prepared = prepare(model, quantizer);
    await calibrate(prepared, [{ x: new Tensor("float32", x, [1, 6, 16]) }]);
    const exported = serializeModel(convert(prepared));
    const fromOrt = await ortRun(exported);
    const int8 = await qkitRun(exported);
    const scale = Math.max(...Array.from(float, Math.abs));
    const worst = Math.max(...Array.from(int8, (v, i) => Math.abs(v - fromOrt[i]!)));
    assert.ok(worst <= 0.05 * scale, `${builtin}: qkit's int8 run of the export within a few steps of ONNX Runtime's (${worst} of ${scale})`);
  }
});

test("an operator in a model older than its opset is a load error naming it, as ONNX Runtime refuses it", async () => {
  const { loadModel, ModelLoadError } = await import("../src/tooling.js");
  const bytes = modelBytes({ name: "early", node: [node("Swish", ["x"], ["y"], [], "swish")], input: [valueInfo("x", "float32", [2])], output: [valueInfo("y", "float32", [2])] }, { opset: 23, irVersion: 10 });
  await assert.rejects(ort.InferenceSession.create(bytes), /No Op registered for Swish/);
  await assert.rejects(loadModel(bytes, { name: "early.onnx" }), (e: unknown) => e instanceof ModelLoadError && /^early\.onnx: .*node 'swish' is Swish, which ONNX has only from opset 24 on \(the model imports opset 23\)$/.test(e.message));
  // LayerNormalization before opset 17, as older transformer exports wrote it, is one ONNX Runtime runs: so does qkit.
  await assertAsOrt("LayerNormalization", [int("axis", -1)], { X: f32([2, 3, 8], 1), Scale: f32([8], 2), B: f32([8], 3) }, ["Y"], 11);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import {
  loadModel, runCheck, prepare, calibrate, convert, createSession, serializeModel, lowerWithReport, makeTensor, loadQuantizer, Tensor,
  MinMaxObserver, Quantizer, QuantizationAnnotation, QuantizationSpec, type GraphModule, type Model,
} from "../src/tooling.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

const ort = createRequire(__filename)("onnxruntime-node") as typeof import("onnxruntime-node");

/** Conv → Relu → Conv at a given opset: every opset qkit reads has these ops with the same meaning. */
function convNet(opset: number): Uint8Array {
  const weights = (name: string, n: number, seed: number) => makeTensor(name, "float32", [4, n, 3, 3], Float32Array.from({ length: 4 * n * 9 }, (_, i) => Math.sin(seed + i) / 3));
  return modelBytes({
    name: `conv-net-${opset}`,
    input: [valueInfo("x", "float32", [1, 2, 6, 6])],
    output: [valueInfo("y", "float32", [1, 4, 6, 6])],
    initializer: [weights("w1", 2, 1), makeTensor("b1", "float32", [4], Float32Array.of(0.1, -0.2, 0.3, 0)), weights("w2", 4, 7)],
    node: [
      node("Conv", ["x", "w1", "b1"], ["c1"], [{ name: "kernel_shape", type: 7, ints: [3, 3] }, { name: "pads", type: 7, ints: [1, 1, 1, 1] }]),
      node("Relu", ["c1"], ["r"]),
      node("Conv", ["r", "w2"], ["y"], [{ name: "kernel_shape", type: 7, ints: [3, 3] }, { name: "pads", type: 7, ints: [1, 1, 1, 1] }]),
    ],
  }, { opset });
}

const x = new Tensor("float32", Float32Array.from({ length: 72 }, (_, i) => Math.cos(i * 0.7)), [1, 2, 6, 6]);

async function quantized(model: Model, quantizer: Quantizer): Promise<Uint8Array> {
  const prepared = prepare(model, quantizer);
  await calibrate(prepared, [{ x }]);
  return serializeModel(convert(prepared));
}

/** The Q/DQ model's output in qkit (float reference and int8 kernels) and in ONNX Runtime. */
async function runEverywhere(bytes: Uint8Array): Promise<{ reference: Float32Array; int8: Float32Array; ort: Float32Array }> {
  const out: Float32Array[] = [];
  for (const lowering of [false, true]) {
    const session = await createSession(bytes, { lowering });
    try {
      out.push((await session.run({ x })).y!.data as Float32Array);
    } finally {
      await session.release();
    }
  }
  const ortSession = await ort.InferenceSession.create(bytes);
  const ortOut = await ortSession.run({ x: new ort.Tensor("float32", x.data as Float32Array, [...x.dims]) });
  return { reference: out[0]!, int8: out[1]!, ort: ortOut.y!.data as Float32Array };
}

const maxDiff = (a: Float32Array, b: Float32Array) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));

/** convNet with a BatchNormalization of opsets 7–8 that normalizes per element (spatial=0), which opset 9 dropped. */
function perElementNormNet(): Uint8Array {
  const params = (name: string, v: number) => makeTensor(name, "float32", [4, 6, 6], new Float32Array(144).fill(v));
  return modelBytes({
    name: "bn-spatial-0",
    input: [valueInfo("x", "float32", [1, 2, 6, 6])],
    output: [valueInfo("y", "float32", [1, 4, 6, 6])],
    initializer: [makeTensor("w1", "float32", [4, 2, 3, 3], new Float32Array(72).fill(0.1)), params("s", 1), params("b", 0), params("m", 0), params("v", 1)],
    node: [
      node("Conv", ["x", "w1"], ["c1"], [{ name: "kernel_shape", type: 7, ints: [3, 3] }, { name: "pads", type: 7, ints: [1, 1, 1, 1] }]),
      node("BatchNormalization", ["c1", "s", "b", "m", "v"], ["y"], [{ name: "spatial", type: 2, i: 0 }], "bn"),
    ],
  }, { opset: 8 });
}

test("a model of opset 7–9 with a node opset 10 cannot express keeps its opset, and quantizing it is refused at check time saying which node", async () => {
  const model = await loadModel(perElementNormNet(), { name: "bn-spatial-0.onnx" });
  assert.equal(model.opset(), 8, "read as it is");
  const { findings } = runCheck(model, loadQuantizer("xnnpack").quantizer);
  const errors = findings.filter((f) => f.severity === "error");
  assert.deepEqual(errors.map((f) => f.code), ["opset-before-qdq"]);
  assert.match(errors[0]!.message, /^the model imports opset 8, and QuantizeLinear and DequantizeLinear need opset 10 or later; qkit reads older models as opset 10, but not this one: BatchNormalization 'bn' normalizes per element \(spatial=0\), which opset 9 dropped: re-export the model at opset 10 or later/);
  assert.ok(errors[0]!.location, "at the line that made the first annotation");
  assert.throws(() => prepare(model, loadQuantizer("xnnpack").quantizer), /need opset 10 or later/);
});

for (const source of [7, 8, 9, 10, 11, 13]) {
  test(`xnnpack (per-channel weights) on an opset-${source} model: the export keeps its opset (10 for older ones), ONNX Runtime runs it, and it runs on int8 kernels`, async () => {
    const bytes = await quantized(await loadModel(convNet(source), { name: `conv-net-${source}.onnx` }), loadQuantizer("xnnpack").quantizer);
    const exported = await loadModel(bytes);
    const opset = Math.max(source, 10);
    assert.equal(exported.opset(), opset, "the model's own ops keep their meaning");
    // Per-axis Q/DQ entered ai.onnx in opset 13 (per-tensor ones in opset 10): before, ONNX Runtime's com.microsoft ops.
    for (const qdq of exported.graph.calls("QuantizeLinear", "DequantizeLinear")) {
      const perAxis = qdq.attributes.has("axis");
      assert.equal(qdq.domain || "ai.onnx", perAxis && opset < 13 ? "com.microsoft" : "ai.onnx", `${qdq.name}${perAxis ? " (per axis)" : ""}`);
    }
    assert.equal(exported.opsetImports.some((o) => o.domain === "com.microsoft"), opset < 13, "the domain is imported where it is used");
    const { report } = lowerWithReport(exported);
    assert.equal(report.nodes.filter((n) => n.opType === "Conv" && n.loweredAs).length, 2, "both convolutions lower to integer kernels");
    const { reference, int8, ort: fromOrt } = await runEverywhere(bytes);
    assert.ok(maxDiff(reference, fromOrt) < 1e-4, `ONNX Runtime computes what qkit's reference does (${maxDiff(reference, fromOrt)})`);
    assert.ok(maxDiff(reference, int8) < 0.05, `int8 kernels within a step of the reference (${maxDiff(reference, int8)})`);
  });
}

class Int16Activations extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const act = new QuantizationSpec({ dtype: "int16", qscheme: "per_tensor_symmetric", observer: MinMaxObserver });
    const weight = new QuantizationSpec({ dtype: "int8", quantMin: -127, quantMax: 127, qscheme: "per_tensor_symmetric", observer: MinMaxObserver });
    for (const conv of model.graph.calls("Conv")) {
      conv.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[conv.args[0]!, act], [conv.args[1]!, weight]], outputQspec: act });
    }
    return model;
  }
}

test("int16 activations before opset 21 export as com.microsoft Q/DQ, which qkit runs as ONNX Runtime does", async () => {
  const bytes = await quantized(await loadModel(convNet(17), { name: "conv-net-17.onnx" }), new Int16Activations());
  const exported = await loadModel(bytes);
  assert.ok(exported.graph.calls("QuantizeLinear").every((n) => n.domain === "com.microsoft"));
  const { reference, int8, ort: fromOrt } = await runEverywhere(bytes);
  assert.ok(maxDiff(reference, fromOrt) < 1e-4, `ONNX Runtime computes what qkit does (${maxDiff(reference, fromOrt)})`);
  assert.ok(maxDiff(reference, int8) < 1e-6, "16-bit islands stay float: the lowered model computes the reference");
});

/** Two biased Linear layers on a 3-D activation with static shapes, as an opset-21+ transformer's MLP. */
function linearNet(opset: number): Uint8Array {
  const f = (name: string, dims: number[], seed: number, scale: number) =>
    makeTensor(name, "float32", dims, Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => scale * Math.sin(seed * 12.9898 + i * 78.233)));
  return modelBytes({
    name: `linear-net-${opset}`,
    input: [valueInfo("x", "float32", [1, 6, 16])],
    output: [valueInfo("y", "float32", [1, 6, 16])],
    initializer: [f("w1", [16, 32], 2, 0.3), f("b1", [32], 3, 0.1), f("w2", [32, 16], 4, 0.3), f("b2", [16], 5, 0.1)],
    node: [
      node("MatMul", ["x", "w1"], ["mm1"]), node("Add", ["mm1", "b1"], ["lin1"]), node("Relu", ["lin1"], ["r"]),
      node("MatMul", ["r", "w2"], ["mm2"]), node("Add", ["mm2", "b2"], ["y"]),
    ],
  }, { opset });
}

for (const opset of [20, 21, 24]) {
  for (const builtin of ["xnnpack", "ort-qdq", "x86"]) {
    test(`${builtin}'s export of biased Linears on a 3-D activation at opset ${opset} loads in ONNX Runtime with its default optimizations, and qkit runs it on QGemm as ONNX Runtime does`, async () => {
      const model = await loadModel(linearNet(opset), { name: "linear-net.onnx" });
      const prepared = prepare(model, loadQuantizer(builtin).quantizer);
      const input = new Tensor("float32", Float32Array.from({ length: 96 }, (_, i) => Math.cos(i * 0.37) * 2), [1, 6, 16]);
      await calibrate(prepared, [{ x: input }]);
      const converted = convert(prepared);
      const moved = converted.graph.calls("DequantizeLinear").filter((n) => n.domain === "com.microsoft").length;
      // From opset 21 the activations' DequantizeLinear feeding a biased MatMul are com.microsoft's (see ort-reshaped-linear.ts).
      if (opset < 21) assert.equal(moved, 0);
      const bytes = serializeModel(converted);
      const session = await ort.InferenceSession.create(bytes);
      const want = (await session.run({ x: new ort.Tensor("float32", input.data as Float32Array, [1, 6, 16]) })).y!.data as Float32Array;
      const { report } = lowerWithReport(converted);
      assert.ok(report.nodes.filter((n) => n.opType === "MatMul").every((n) => n.loweredAs !== undefined), JSON.stringify(report.nodes.map((n) => [n.opType, n.loweredAs, n.reason])));
      const qkit = await createSession(bytes);
      try {
        const got = (await qkit.run({ x: input })).y!.data as Float32Array;
        const step = Math.max(...want.map(Math.abs)) / 100;
        for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= step, `element ${i}: qkit ${got[i]}, ONNX Runtime ${want[i]}`);
      } finally {
        await qkit.release();
      }
    });
  }
}

test("a quantized Linear of constant learned queries (DETR's object queries) is computed while planning, by the integer kernels, as ONNX Runtime computes it", async () => {
  const f = (name: string, dims: number[], seed: number, scale: number) =>
    makeTensor(name, "float32", dims, Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => scale * Math.sin(seed * 3.1 + i * 0.77)));
  const bytes0 = modelBytes({
    name: "queries",
    input: [valueInfo("x", "float32", [1, 4, 16])],
    output: [valueInfo("y", "float32", [1, 4, 16])],
    initializer: [f("queries", [1, 4, 16], 1, 1), f("w", [16, 16], 2, 0.3), f("b", [16], 3, 0.1)],
    node: [node("MatMul", ["queries", "w"], ["mm"]), node("Add", ["mm", "b"], ["lin"]), node("Add", ["lin", "x"], ["y"])],
  }, { opset: 17 });
  for (const builtin of ["xnnpack", "x86", "ort-qdq"]) {
    const prepared = prepare(await loadModel(bytes0, { name: "queries.onnx" }), loadQuantizer(builtin).quantizer);
    const input = new Tensor("float32", Float32Array.from({ length: 64 }, (_, i) => Math.cos(i)), [1, 4, 16]);
    await calibrate(prepared, [{ x: input }]);
    const bytes = serializeModel(convert(prepared));
    const session = await ort.InferenceSession.create(bytes);
    const want = (await session.run({ x: new ort.Tensor("float32", input.data as Float32Array, [1, 4, 16]) })).y!.data as Float32Array;
    const qkit = await createSession(bytes);
    try {
      const got = (await qkit.run({ x: input })).y!.data as Float32Array;
      const step = Math.max(...want.map(Math.abs)) / 100;
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= step, `${builtin}, element ${i}: qkit ${got[i]}, ONNX Runtime ${want[i]}`);
    } finally {
      await qkit.release();
    }
  }
});

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

import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import {
  loadModel, runCheck, prepare, calibrate, convert, exportOnnx, loadQuantizer, annotationOf, isSpec, BUILTIN_QUANTIZERS,
  XnnpackQuantizer, X86Quantizer, observedActivations, OrtQdqQuantizer, ORT_QDQ_OP_TYPES, getSymmetricQuantizationConfig, QuantizationSpec, lowerWithReport,
  makeTensor, type Model, type Quantizer, type QuantizationAnnotation,
} from "../src/tooling.js";
import { withTempDir } from "./helpers/data.js";
import { tinyTransformerModel, tinyTransformerSample } from "./helpers/tiny-transformer.js";
import { exportedSqnr, qkitFeeds, runOrt, runQkit, sqnr, type Feeds } from "./helpers/ort-run.js";

const load = () => loadModel(tinyTransformerModel(), { name: "tiny-transformer.onnx" });

function annotationAt(model: Model, name: string): QuantizationAnnotation {
  const node = model.graph.node(name);
  assert.ok(node, `node ${name}`);
  const annotation = annotationOf(node);
  assert.ok(annotation, `${name} is annotated`);
  return annotation;
}

/** The spec of the edge from the value named `input` into node `name`, if any. */
function edgeSpec(model: Model, name: string, input: string): unknown {
  for (const [arg, spec] of annotationAt(model, name).inputQspecMap) if (arg.valueName === input) return spec;
  return undefined;
}

const annotationIfAny = (model: Model, name: string) => annotationOf(model.graph.node(name)!);
const quantizedOutput = (model: Model, name: string) => isSpec(annotationIfAny(model, name)?.outputQspec);
/** Unannotated, or claimed by a pattern that quantizes nothing of it. */
const leftFloat = (model: Model, name: string) => (annotationIfAny(model, name)?.inputQspecMap.size ?? 0) === 0 && !quantizedOutput(model, name);

async function quantizeAndExport(quantizer: Quantizer, dir: string): Promise<{ file: string; converted: Model; feeds: Feeds; fp32: Float32Array }> {
  const model = await load();
  const prepared = prepare(model, quantizer);
  await calibrate(prepared, [1, 2, 3].map((seed) => qkitFeeds(tinyTransformerSample(4, seed))));
  const converted = convert(prepared);
  const file = path.join(dir, "q.onnx");
  await exportOnnx(converted, file);
  const feeds = tinyTransformerSample(3, 9);
  return { file, converted, feeds, fp32: await runQkit(model, feeds) };
}

for (const name of Object.keys(BUILTIN_QUANTIZERS)) {
  test(`${name}: a linear is MatMul + bias Add with an int32 bias, attention's MatMuls are quantized, embeddings weight-only, LayerNorm/Softmax/GELU float`, async () => {
    const model = await load();
    const { findings, model: annotated } = runCheck(model, loadQuantizer(name).quantizer);
    assert.deepEqual(findings.filter((f) => f.severity !== "information"), []);
    for (const fc of ["fc1", "fc2"]) {
      assert.ok(isSpec(edgeSpec(annotated, `/${fc}/MatMul`, fc === "fc1" ? "h0" : "gelu")), `${fc}: input quantized`);
      assert.ok(!quantizedOutput(annotated, `/${fc}/MatMul`), `${fc}: the MatMul's output is inside the linear`);
      const bias = edgeSpec(annotated, `/${fc}/Add`, fc === "fc1" ? "b1" : "b2") as { kind?: string; dtype?: string } | undefined;
      assert.equal(bias?.kind, "derived", `${fc}: the bias is derived from the input's and the weight's scales`);
      assert.equal(bias?.dtype, "int32");
      assert.ok(quantizedOutput(annotated, `/${fc}/Add`), `${fc}: the linear's output is quantized after the bias`);
    }
    assert.ok(isSpec(edgeSpec(annotated, "/attn/MatMul", "normed")) && isSpec(edgeSpec(annotated, "/attn/MatMul", "keys")), "Q·Kᵀ: both activations quantized");
    assert.ok(isSpec(edgeSpec(annotated, "/embed/Gather", "embedding")), "the embedding table is quantized");
    assert.equal(edgeSpec(annotated, "/embed/Gather", "ids"), undefined, "the token ids are not");
    assert.ok(!quantizedOutput(annotated, "/embed/Gather"), "the embedding's output stays float (weight-only)");
    for (const n of ["/act/Div", "/act/Erf", "/act/Add", "/act/Mul", "/act/Mul_1", "/norm/LayerNormalization", "/attn/Softmax"]) {
      assert.ok(leftFloat(annotated, n), `${n} is left float`);
    }
  });

  test(`${name}: the quantized transformer runs in onnxruntime-node as in qkit`, async () => {
    await withTempDir(async (dir) => {
      const { file, converted, feeds, fp32 } = await quantizeAndExport(loadQuantizer(name).quantizer, dir);
      const ort = await runOrt(file, feeds);
      const reference = await runQkit(converted, feeds, { lowering: false });
      assert.ok(sqnr(reference, ort) >= 30, `ORT against qkit's Q/DQ reference: ${sqnr(reference, ort).toFixed(1)} dB`);
      assert.ok(sqnr(fp32, ort) >= 15, `int8 against fp32: ${sqnr(fp32, ort).toFixed(1)} dB`);
    });
  });
}

const ALSO = { quantizeLayerNorm: true, quantizeSoftmax: true, quantizeGelu: true };
for (const [name, make] of [
  ["xnnpack", () => new XnnpackQuantizer(undefined, ALSO)],
  ["x86", () => new X86Quantizer(undefined, ALSO)],
  ["ort-qdq", () => new OrtQdqQuantizer({ opTypesToQuantize: [...ORT_QDQ_OP_TYPES, "LayerNormalization", "Softmax", "Gelu"] })],
] as const) {
  test(`${name}: LayerNorm, Softmax and GELU are quantized when asked, and the export runs in onnxruntime-node`, async () => {
    const model = await load();
    const { findings, model: annotated } = runCheck(model, make());
    assert.deepEqual(findings.filter((f) => f.severity !== "information"), []);
    assert.ok(isSpec(edgeSpec(annotated, "/norm/LayerNormalization", "residual")) || quantizedOutput(annotated, "/residual/Add"), "LayerNorm's input is quantized");
    for (const n of ["/norm/LayerNormalization", "/attn/Softmax", "/act/Mul_1"]) assert.ok(quantizedOutput(annotated, n), `${n}'s output is quantized`);
    for (const n of ["/act/Erf", "/act/Add"]) assert.ok(!quantizedOutput(annotated, n), `${n} stays float inside GELU`);
    // PyTorch's (and quantize_static's) fixed [0, 1] range: ONNX Runtime's QLinearSoftmax overflows under 1/256.
    const spec = annotationAt(annotated, "/attn/Softmax").outputQspec as { kind?: string; dtype?: string; scale?: number; zeroPoint?: number };
    assert.deepEqual([spec.kind, spec.scale, spec.zeroPoint], ["fixed", 1 / 256, spec.dtype === "int8" ? -128 : 0]);
    await withTempDir(async (dir) => {
      const { file, converted, feeds } = await quantizeAndExport(make(), dir);
      const ort = await runOrt(file, feeds);
      assert.ok(sqnr(await runQkit(converted, feeds, { lowering: false }), ort) >= 30);
    });
  });
}

function opCounts(model: Model): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of model.graph.calls()) counts[n.opType] = (counts[n.opType] ?? 0) + 1;
  return counts;
}

for (const isPerChannel of [false, true]) {
  test(`dynamic quantization (${isPerChannel ? "per-channel" : "per-tensor"} weights): linears export as DynamicQuantizeLinear + MatMulInteger, which onnxruntime-node and qkit run alike`, async () => {
    const quantizer = new XnnpackQuantizer(getSymmetricQuantizationConfig({ isPerChannel, isDynamic: true }));
    const { findings } = runCheck(await load(), quantizer);
    assert.deepEqual(findings.filter((f) => f.severity !== "information"), []);
    await withTempDir(async (dir) => {
      const { file, converted, feeds, fp32 } = await quantizeAndExport(quantizer, dir);
      const ops = opCounts(converted);
      assert.equal(ops.DynamicQuantizeLinear, 2, JSON.stringify(ops));
      assert.equal(ops.MatMulInteger, 2, JSON.stringify(ops));
      assert.equal(ops.QuantizeLinear, undefined, "nothing is quantized with calibrated qparams");
      assert.equal(ops.MatMul, 2, "attention's MatMuls stay float, as PT2E's dynamic linear leaves them");
      const ort = await runOrt(file, feeds);
      const mine = await runQkit(converted, feeds);
      assert.ok(sqnr(ort, mine) >= 40, `qkit against ORT: ${sqnr(ort, mine).toFixed(1)} dB`);
      assert.ok(sqnr(fp32, mine) >= 25, `dynamic int8 against fp32: ${sqnr(fp32, mine).toFixed(1)} dB`);
    });
  });
}

test("dynamic inputs are not captured in calibration: their qparams are computed per batch when the model runs", async () => {
  const prepared = prepare(await load(), new XnnpackQuantizer(getSymmetricQuantizationConfig({ isDynamic: true })));
  assert.ok(prepared.groups.some((g) => g.spec.isDynamic));
  assert.deepEqual(observedActivations(prepared), []);
});

test("a dynamic spec DynamicQuantizeLinear cannot compute is refused at convert, naming the spec's line", async () => {
  const symmetric = new QuantizationSpec({ dtype: "int8", quantMin: -127, quantMax: 127, qscheme: "per_tensor_symmetric", isDynamic: true, observer: getSymmetricQuantizationConfig({ isDynamic: true }).inputActivation!.observer });
  const config = { ...getSymmetricQuantizationConfig({ isDynamic: true }), inputActivation: symmetric };
  const prepared = prepare(await load(), new XnnpackQuantizer(config));
  await calibrate(prepared, [qkitFeeds(tinyTransformerSample(2, 1))]);
  assert.throws(() => convert(prepared), (error: Error & { location?: { file: string } }) => {
    assert.match(error.message, /dynamic quantization exports as DynamicQuantizeLinear, which is 8-bit per-tensor affine/);
    assert.match(error.message, /builtin-transformer\.test\.(ts|js):\d+/);
    return true;
  });
});

// GELU's tanh form (approximate="tanh"): one op like the Erf form, float inside; its ends quantized when asked.
const TANH_GELU = ["/act/Pow", "/act/Mul", "/act/Add", "/act/Mul_1", "/act/Tanh", "/act/Add_1", "/act/Mul_2", "/act/Mul_3"];
const loadTanh = () => loadModel(tinyTransformerModel({ gelu: "tanh" }), { name: "tiny-transformer-tanh.onnx" });
for (const [name, plain, asked] of [
  ["xnnpack", () => new XnnpackQuantizer(), () => new XnnpackQuantizer(undefined, ALSO)],
  ["x86", () => new X86Quantizer(), () => new X86Quantizer(undefined, ALSO)],
  ["ort-qdq", () => new OrtQdqQuantizer(), () => new OrtQdqQuantizer({ opTypesToQuantize: [...ORT_QDQ_OP_TYPES, "Gelu"] })],
] as const) {
  test(`${name}: GELU's tanh form is one op, float by default, quantized at its ends when asked, and the export runs in onnxruntime-node`, async () => {
    const model = await loadTanh();
    const { findings, model: floatGelu } = runCheck(model, plain());
    assert.deepEqual(findings.filter((f) => f.severity !== "information"), []);
    for (const n of TANH_GELU) assert.ok(leftFloat(floatGelu, n), `${n} is left float`);
    const { model: quantizedGelu } = runCheck(model, asked());
    assert.ok(quantizedOutput(quantizedGelu, "/act/Mul_3"), "the GELU's output is quantized");
    for (const n of TANH_GELU.slice(0, -1)) assert.ok(!quantizedOutput(quantizedGelu, n), `${n} stays float inside GELU`);
    await withTempDir(async (dir) => {
      const prepared = prepare(await loadTanh(), asked());
      await calibrate(prepared, [1, 2, 3].map((seed) => qkitFeeds(tinyTransformerSample(4, seed))));
      const converted = convert(prepared);
      const file = path.join(dir, "q.onnx");
      await exportOnnx(converted, file);
      const feeds = tinyTransformerSample(3, 9);
      const ort = await runOrt(file, feeds);
      assert.ok(sqnr(await runQkit(converted, feeds, { lowering: false }), ort) >= 30);
      assert.ok(sqnr(await runQkit(model, feeds), ort) >= 15, "int8 against fp32");
    });
  });
}

/** A float32 initializer of seeded sines: the attention models' weights. */
function sineWeights(name: string, dims: number[], seed: number, scale: number) {
  return makeTensor(name, "float32", dims, Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => scale * Math.sin(seed * 7.1 + i * 0.91)));
}

/**
 * Causal self-attention with an additive mask of -inf above the diagonal, made at run time as CLIP's text encoder makes
 * it, scores scaled by a Mul, and a classifier head whose Linear (MatMul + bias Add) feeds a Softmax.
 */
async function maskedAttention(): Promise<Model> {
  const { modelBytes, node, valueInfo } = await import("./helpers/build.js");
  const [S, D] = [8, 16];
  const bytes = modelBytes({
    name: "masked-attention",
    input: [valueInfo("x", "float32", [1, S, D])],
    output: [valueInfo("y", "float32", [1, S, 4])],
    initializer: [
      sineWeights("wq", [D, D], 1, 0.4), sineWeights("wk", [D, D], 2, 0.4), sineWeights("wv", [D, D], 3, 0.4), sineWeights("wh", [D, 4], 4, 0.5), sineWeights("bh", [4], 5, 0.1),
      makeTensor("maskShape", "int64", [2], BigInt64Array.of(BigInt(S), BigInt(S))), makeTensor("one", "int64", [], BigInt64Array.of(1n)),
      makeTensor("scale", "float32", [], Float32Array.of(0.25)),
    ],
    node: [
      node("MatMul", ["x", "wq"], ["q"]), node("MatMul", ["x", "wk"], ["k"]), node("MatMul", ["x", "wv"], ["v"]),
      node("Transpose", ["k"], ["kt"], [{ name: "perm", type: 7, ints: [0, 2, 1] }]),
      // The mask made at run time, as CLIP's text encoder makes it: -inf everywhere, then its upper triangle.
      node("ConstantOfShape", ["maskShape"], ["full"], [{ name: "value", type: 4, t: makeTensor("", "float32", [1], Float32Array.of(-Infinity)) }]),
      node("Trilu", ["full", "one"], ["mask"], [{ name: "upper", type: 2, i: 1 }]),
      node("MatMul", ["q", "kt"], ["scores"]), node("Mul", ["scores", "scale"], ["scaled"], [], "/attn/Mul"),
      node("Add", ["scaled", "mask"], ["masked"], [], "/attn/MaskAdd"),
      node("Softmax", ["masked"], ["p"], [{ name: "axis", type: 2, i: -1 }]),
      node("MatMul", ["p", "v"], ["ctx"]),
      node("MatMul", ["ctx", "wh"], ["logits"]), node("Add", ["logits", "bh"], ["biased"], [], "/head/Add"),
      node("Softmax", ["biased"], ["y"], [{ name: "axis", type: 2, i: -1 }]),
    ],
  }, { opset: 17 });
  return loadModel(bytes, { name: "masked-attention.onnx" });
}

for (const builtin of ["xnnpack", "x86", "ort-qdq"] as const) {
  test(`${builtin} leaves a float Softmax's mask Add float with it (-inf in int8 would let every token see the future), and quantizes a classifier's bias Add as its Linear's`, async () => {
    const model = await maskedAttention();
    const quantizer = loadQuantizer(builtin).quantizer;
    const annotated = runCheck(model, quantizer).model;
    assert.ok(leftFloat(annotated, "/attn/MaskAdd"), "the mask Add stays float");
    if (builtin !== "x86") assert.ok(quantizedOutput(annotated, "/head/Add"), "the head's bias Add ends its quantized Linear");
    const feeds: Feeds = { x: { data: Float32Array.from({ length: 128 }, (_, i) => Math.cos(i * 0.53) * 1.5), dims: [1, 8, 16] } };
    const db = await exportedSqnr(model, quantizer, feeds);
    assert.ok(db.ort > 25, `ONNX Runtime's int8 SQNR ${db.ort.toFixed(1)} dB`);
    assert.ok(Math.abs(db.qkit - db.ort) < 0.3, "qkit's int8 run agrees");
  });
}

/**
 * Whisper-style attention: queries and keys each scaled by a Mul, their product read by the Softmax directly, over
 * 64 positions, so attention probabilities are small (an output scale far under 1/256).
 */
async function directScoresAttention(): Promise<Model> {
  const { modelBytes, node, valueInfo } = await import("./helpers/build.js");
  const [S, D] = [64, 32];
  const bytes = modelBytes({
    name: "direct-scores",
    input: [valueInfo("x", "float32", [1, S, D])],
    output: [valueInfo("y", "float32", [1, S, D])],
    initializer: [sineWeights("wq", [D, D], 1, 0.3), sineWeights("wk", [D, D], 2, 0.3), sineWeights("wv", [D, D], 3, 0.3), makeTensor("scale", "float32", [], Float32Array.of(D ** -0.25))],
    node: [
      node("MatMul", ["x", "wq"], ["q0"]), node("Mul", ["q0", "scale"], ["q"]),
      node("MatMul", ["x", "wk"], ["k0"]), node("Mul", ["k0", "scale"], ["k"]),
      node("MatMul", ["x", "wv"], ["v"]),
      node("Transpose", ["k"], ["kt"], [{ name: "perm", type: 7, ints: [0, 2, 1] }]),
      node("MatMul", ["q", "kt"], ["scores"], [], "/attn/Scores"),
      node("Softmax", ["scores"], ["p"], [{ name: "axis", type: 2, i: -1 }]),
      node("MatMul", ["p", "v"], ["y"]),
    ],
  }, { opset: 17 });
  return loadModel(bytes, { name: "direct-scores.onnx" });
}

for (const builtin of ["xnnpack", "x86", "ort-qdq"] as const) {
  test(`${builtin}: attention scores a float Softmax reads directly export so that ONNX Runtime's optimized run agrees with qkit's (no QLinearSoftmax overflow)`, async () => {
    const model = await directScoresAttention();
    const quantizer = loadQuantizer(builtin).quantizer;
    const annotated = runCheck(model, quantizer).model;
    // ort-qdq quantizes every MatMul's output, but this one: ONNX Runtime would fuse the Softmax between Q/DQ pairs.
    if (builtin === "ort-qdq") assert.ok(!quantizedOutput(annotated, "/attn/Scores"), "the scores MatMul's output is float");
    const feeds: Feeds = { x: { data: Float32Array.from({ length: 64 * 32 }, (_, i) => Math.cos(i * 0.37) * 1.2), dims: [1, 64, 32] } };
    const db = await exportedSqnr(model, quantizer, feeds);
    assert.ok(db.ort > 25, `ONNX Runtime's int8 SQNR ${db.ort.toFixed(1)} dB`);
    assert.ok(Math.abs(db.qkit - db.ort) < 0.3, `qkit's int8 run agrees (${db.qkit.toFixed(1)} vs ${db.ort.toFixed(1)} dB)`);
  });
}

test("a MatMul of two quantized activations whose output a float op reads lowers to QMatMul with a float32 output, equal to the float product", async () => {
  const model = await directScoresAttention();
  const prepared = prepare(model, new OrtQdqQuantizer());
  const feeds: Feeds = { x: { data: Float32Array.from({ length: 64 * 32 }, (_, i) => Math.sin(i * 0.29)), dims: [1, 64, 32] } };
  await calibrate(prepared, [qkitFeeds(feeds)]);
  const converted = convert(prepared);
  const { report } = lowerWithReport(converted);
  assert.equal(report.nodes.find((n) => n.name === "/attn/Scores")?.loweredAs, "com.qkit.QMatMul (float32 output)");
  // Lowered (integer GEMM, float output) against the Q/DQ model run as written, at 1 and 2 threads.
  const reference = await runQkit(converted, feeds, { lowering: false });
  for (const threads of [1, 2]) {
    const got = await runQkit(converted, feeds, { threads });
    assert.ok(sqnr(reference, got) > 60, `lowered vs Q/DQ at ${threads} threads: ${sqnr(reference, got).toFixed(1)} dB`);
  }
});

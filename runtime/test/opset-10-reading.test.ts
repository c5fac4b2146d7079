import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import {
  onnx, loadModel, loadQuantizer, runCheck, prepare, calibrate, convert, serializeModel, createSession, lowerWithReport, Tensor,
} from "../src/tooling.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";

const ort = createRequire(__filename)("onnxruntime-node") as typeof import("onnxruntime-node");

const A = onnx.AttributeProto.AttributeType;
const ints = (name: string, v: (number | string)[]): onnx.IAttributeProto => ({ name, type: A.INTS, ints: v as number[] });
const int = (name: string, i: number): onnx.IAttributeProto => ({ name, type: A.INT, i });
const floatList = (name: string, v: number[]): onnx.IAttributeProto => ({ name, type: A.FLOATS, floats: v });
const str = (name: string, s: string): onnx.IAttributeProto => ({ name, type: A.STRING, s: Buffer.from(s) });
const floats = (name: string, data: Float32Array, dims: number[]) =>
  new onnx.TensorProto({ name, dataType: 1, dims, rawData: new Uint8Array(data.buffer.slice(0)) });

/**
 * A network as opset 7–9 exporters wrote it: BatchNormalization with `spatial`, Upsample (scales as an attribute up
 * to opset 8, as an input in opset 9), Slice and TopK with attributes (an `ends` of INT64_MAX, as PyTorch writes
 * "to the end"), every one a node whose spelling opset 10 changed.
 */
function oldNetwork(opset: 7 | 8 | 9, mode: "nearest" | "linear"): Uint8Array {
  const C = 4;
  const bn = ["gamma", "beta", "mean", "var"].map((n, i) => floats(n, seededValues(C, 11 + i, i === 3 ? 0.5 : -1, i === 3 ? 2 : 1), [C]));
  const upsample = opset === 9
    ? node("Upsample", ["r", "scales"], ["up"], [str("mode", mode)])
    : node("Upsample", ["r"], ["up"], [str("mode", mode), floatList("scales", [1, 1, 2, 2])]);
  return modelBytes({
    name: `opset-${opset}-net`,
    node: [
      node("Conv", ["x", "w"], ["conv"], [ints("kernel_shape", [3, 3]), ints("pads", [1, 1, 1, 1])]),
      node("BatchNormalization", ["conv", "gamma", "beta", "mean", "var"], ["bn"], opset < 9 ? [int("spatial", 1)] : []),
      node("Relu", ["bn"], ["r"]),
      upsample,
      node("Slice", ["up"], ["sliced"], [ints("starts", [1, 2]), ints("ends", [3, "9223372036854775807"]), ints("axes", [1, 3])]),
      node("MaxPool", ["sliced"], ["pool"], [ints("kernel_shape", [2, 2]), ints("strides", [2, 2])]),
      node("Flatten", ["pool"], ["flat"]),
      node("Gemm", ["flat", "fcW", "fcB"], ["y"], [int("transB", 1)]),
      node("TopK", ["y"], ["top", "topIndex"], [int("k", 3)]),
    ],
    initializer: [
      floats("w", seededValues(C * 3 * 9, 7), [C, 3, 3, 3]), ...bn,
      floats("fcW", seededValues(5 * 2 * 8 * 7, 17), [5, 2 * 8 * 7]), floats("fcB", seededValues(5, 19), [5]),
      ...(opset === 9 ? [floats("scales", Float32Array.of(1, 1, 2, 2), [4])] : []),
    ],
    input: [valueInfo("x", "float32", [1, 3, 8, 8])],
    output: [valueInfo("y", "float32", [1, 5]), valueInfo("top", "float32", [1, 3]), valueInfo("topIndex", "int64", [1, 3])],
  }, { opset, irVersion: 3 });
}

const x = new Tensor("float32", seededValues(3 * 64, 3, -2, 2), [1, 3, 8, 8]);

async function ortOutputs(bytes: Uint8Array): Promise<number[][]> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const out = await session.run({ x: new ort.Tensor("float32", x.data as Float32Array, [...x.dims]) });
  return session.outputNames.map((name) => Array.from(out[name]!.data as ArrayLike<number | bigint>, Number));
}

async function qkitOutputs(bytes: Uint8Array, lowering = true): Promise<number[][]> {
  const session = await createSession(bytes, { lowering });
  try {
    const out = await session.run({ x });
    return session.outputNames.map((name) => Array.from(out[name]!.data as ArrayLike<number | bigint>, Number));
  } finally {
    await session.release();
  }
}

const worst = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

for (const [opset, mode] of [[7, "nearest"], [8, "linear"], [9, "nearest"], [9, "linear"]] as const) {
  test(`an opset-${opset} network (${mode} Upsample, Slice and TopK attributes, BatchNormalization) is read as opset 10 and computes what ONNX Runtime computes from the file`, async () => {
    const bytes = oldNetwork(opset, mode);
    const model = await loadModel(bytes, { name: `opset-${opset}.onnx` });
    assert.equal(model.opset(), 10, "read as opset 10");
    assert.equal(model.sourceOpset, opset);
    assert.deepEqual(model.graph.calls("Upsample"), [], "Upsample is Resize in opset 10");
    assert.equal(model.graph.calls("Resize").length, 1);
    assert.equal(model.graph.calls("Slice")[0]!.args.length, 4, "Slice takes starts, ends and axes as inputs");
    const expected = await ortOutputs(bytes);
    const got = await qkitOutputs(serializeModel(model));
    for (let k = 0; k < expected.length; k++) {
      assert.ok(worst(got[k]!, expected[k]!) < 1e-4, `output ${k}: ${got[k]} vs ${expected[k]}`);
    }
  });
}

for (const builtin of ["xnnpack", "x86", "ort-qdq"]) {
  test(`${builtin} quantizes an opset-8 network: check is clean, the opset-10 export runs in ONNX Runtime and on int8 kernels as qkit's reference does`, async () => {
    const model = await loadModel(oldNetwork(8, "linear"), { name: "opset-8.onnx" });
    const { quantizer } = loadQuantizer(builtin);
    const errors = runCheck(model, quantizer).findings.filter((f) => f.severity === "error");
    assert.deepEqual(errors.map((f) => f.message), []);
    const prepared = prepare(model, quantizer);
    await calibrate(prepared, [{ x }]);
    const bytes = serializeModel(convert(prepared));
    const exported = await loadModel(bytes);
    assert.equal(exported.opset(), 10);
    assert.ok(exported.graph.calls("QuantizeLinear").length > 0, "quantized");
    assert.ok(lowerWithReport(exported).report.nodes.some((n) => n.opType === "Conv" && n.loweredAs), "the convolution lowers to an integer kernel");
    const reference = (await qkitOutputs(bytes, false))[0]!;
    const fromOrt = (await ortOutputs(bytes))[0]!;
    const int8 = (await qkitOutputs(bytes, true))[0]!;
    const scale = Math.max(...reference.map(Math.abs));
    assert.ok(worst(reference, fromOrt) <= 0.02 * scale, `ONNX Runtime runs the export as qkit's reference does (${worst(reference, fromOrt)})`);
    assert.ok(worst(reference, int8) <= 0.05 * scale, `int8 kernels within a step or two of the reference (${worst(reference, int8)})`);
  });
}

test("ort-qdq on a Gemm of two inputs with a bias, at opset 10: the bias is derived int32, so ONNX Runtime loads the export", async () => {
  // ONNX Runtime's optimizer quantizes a float bias between quantized operands itself, with a Round: not in opset 10.
  const bytes = modelBytes({
    name: "gemm-of-two-inputs",
    node: [node("Gemm", ["a", "b", "c"], ["y"])],
    initializer: [floats("c", Float32Array.of(0.5, -0.25, 0, 1), [4])],
    input: [valueInfo("a", "float32", [2, 3]), valueInfo("b", "float32", [3, 4])],
    output: [valueInfo("y", "float32", [2, 4])],
  }, { opset: 10 });
  const a = new Tensor("float32", seededValues(6, 1), [2, 3]);
  const b = new Tensor("float32", seededValues(12, 2), [3, 4]);
  const prepared = prepare(await loadModel(bytes), loadQuantizer("ort-qdq").quantizer);
  await calibrate(prepared, [{ a, b }]);
  const exported = serializeModel(convert(prepared));
  const session = await ort.InferenceSession.create(exported);
  const out = await session.run({ a: new ort.Tensor("float32", a.data as Float32Array, [2, 3]), b: new ort.Tensor("float32", b.data as Float32Array, [3, 4]) });
  const qkitSession = await createSession(exported, { lowering: false });
  const reference = Array.from((await qkitSession.run({ a, b })).y!.data as Float32Array);
  await qkitSession.release();
  assert.ok(worst(Array.from(out.y!.data as Float32Array), reference) <= 0.02 * Math.max(...reference.map(Math.abs)));
});

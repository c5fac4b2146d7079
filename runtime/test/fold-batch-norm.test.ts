import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import {
  onnx, loadModel, loadQuantizer, prepare, calibrate, convert, serializeModel, createSession, Tensor,
} from "../src/tooling.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";

const ort = createRequire(__filename)("onnxruntime-node") as typeof import("onnxruntime-node");

const A = onnx.AttributeProto.AttributeType;
const ints = (name: string, v: number[]): onnx.IAttributeProto => ({ name, type: A.INTS, ints: v });
const int = (name: string, i: number): onnx.IAttributeProto => ({ name, type: A.INT, i });
const floats = (name: string, data: Float32Array, dims: number[]) =>
  new onnx.TensorProto({ name, dataType: 1, dims, rawData: new Uint8Array(data.buffer.slice(0)) });

/** Statistics of a BatchNormalization over `c` channels, named `prefix.*`: variances in [0.2, 3), scales of both signs. */
function statistics(prefix: string, c: number, seed: number): onnx.TensorProto[] {
  return [
    floats(`${prefix}.gamma`, seededValues(c, seed, -2, 2), [c]), floats(`${prefix}.beta`, seededValues(c, seed + 1), [c]),
    floats(`${prefix}.mean`, seededValues(c, seed + 2), [c]), floats(`${prefix}.var`, seededValues(c, seed + 3, 0.2, 3), [c]),
  ];
}
const bn = (prefix: string, x: string, y: string, extra: onnx.IAttributeProto[] = []) =>
  node("BatchNormalization", [x, `${prefix}.gamma`, `${prefix}.beta`, `${prefix}.mean`, `${prefix}.var`], [y], [{ name: "epsilon", type: A.FLOAT, f: 1e-3 }, ...extra]);

/**
 * Convolutions and Gemms followed by BatchNormalization, as exporters that keep it write them: a 2-D Conv without
 * bias, a grouped ConvTranspose with a bias (its weight's channel axis is 1, per group), a 3-D Conv, a Gemm with transB,
 * α and a [1, N] bias, one without either (an embedding head's BatchNorm1d); and one BatchNormalization that must stay,
 * because the convolution's output is read twice.
 */
function network(): Uint8Array {
  return modelBytes({
    name: "conv-bn",
    node: [
      node("Conv", ["x", "w1"], ["c1"], [ints("kernel_shape", [3, 3]), ints("pads", [1, 1, 1, 1])]),
      bn("bn1", "c1", "b1"),
      node("Relu", ["b1"], ["r1"]),
      node("ConvTranspose", ["r1", "w2", "bias2"], ["c2"], [ints("kernel_shape", [2, 2]), ints("strides", [2, 2]), int("group", 2)]),
      bn("bn2", "c2", "b2"),
      node("Conv", ["b2", "w3"], ["c3"], [ints("kernel_shape", [3, 3]), ints("pads", [1, 1, 1, 1])]),
      bn("bn3", "c3", "b3"),
      node("Add", ["b3", "c3"], ["sum"]),
      node("Unsqueeze", ["sum", "axis2"], ["vol"]),
      node("Conv", ["vol", "w4", "bias4"], ["c4"], [ints("kernel_shape", [1, 3, 3]), ints("pads", [0, 1, 1, 0, 1, 1])]),
      bn("bn4", "c4", "v4"),
      node("Flatten", ["v4"], ["flat"]),
      node("Gemm", ["flat", "w5", "bias5"], ["g5"], [int("transB", 1), { name: "alpha", type: A.FLOAT, f: 0.5 }]),
      bn("bn5", "g5", "e5"),
      node("Gemm", ["e5", "w6"], ["g6"]),
      bn("bn6", "g6", "y"),
    ],
    initializer: [
      floats("w1", seededValues(8 * 3 * 9, 5, -0.5, 0.5), [8, 3, 3, 3]), ...statistics("bn1", 8, 10),
      floats("w2", seededValues(8 * 3 * 4, 6, -0.5, 0.5), [8, 3, 2, 2]), floats("bias2", seededValues(6, 7), [6]), ...statistics("bn2", 6, 20),
      floats("w3", seededValues(4 * 6 * 9, 8, -0.5, 0.5), [4, 6, 3, 3]), ...statistics("bn3", 4, 30),
      new onnx.TensorProto({ name: "axis2", dataType: 7, dims: [1], int64Data: [2] }),
      floats("w4", seededValues(5 * 4 * 9, 9, -0.5, 0.5), [5, 4, 1, 3, 3]), floats("bias4", seededValues(5, 11), [5]), ...statistics("bn4", 5, 40),
      floats("w5", seededValues(16 * 720, 12, -0.05, 0.05), [16, 720]), floats("bias5", seededValues(16, 13), [1, 16]), ...statistics("bn5", 16, 50),
      floats("w6", seededValues(16 * 10, 14, -0.5, 0.5), [16, 10]), ...statistics("bn6", 10, 60),
    ],
    input: [valueInfo("x", "float32", [1, 3, 6, 6])],
    output: [valueInfo("y", "float32", [1, 10])],
  }, { opset: 17 });
}

const x = new Tensor("float32", seededValues(3 * 36, 3, -2, 2), [1, 3, 6, 6]);

async function ortOutput(bytes: Uint8Array, graphOptimizationLevel: "disabled" | "all" = "disabled"): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, graphOptimizationLevel });
  const out = await session.run({ x: new ort.Tensor("float32", x.data as Float32Array, [...x.dims]) });
  return out[session.outputNames[0]!]!.data as Float32Array;
}

test("a BatchNormalization after a Conv, ConvTranspose or Gemm (2-D, grouped, 3-D, transposed B) is folded into its weights when the graph loads; one whose input is read twice stays", async () => {
  const model = await loadModel(network(), { name: "conv-bn.onnx" });
  assert.equal(model.normalization.batchNormsFolded, 5);
  const left = model.graph.calls("BatchNormalization");
  assert.deepEqual(left.map((n) => n.outputNames[0]), ["b3"], "bn3's input is also read by the Add");
  assert.deepEqual(model.graph.calls().map((n) => n.opType),
    ["Conv", "Relu", "ConvTranspose", "Conv", "BatchNormalization", "Add", "Unsqueeze", "Conv", "Flatten", "Gemm", "Gemm"]);
  // The folded convolutions write the tensors the normalisations wrote, and the statistics are gone.
  assert.equal(model.graph.producerOf("b1")?.opType, "Conv");
  assert.equal(model.graph.producerOf("v4")?.opType, "Conv");
  assert.equal(model.graph.producerOf("y")?.opType, "Gemm");
  assert.equal(model.graph.parameters().some((p) => /^bn[12456]\./.test(p.valueName)), false);
  model.graph.lint();
});

test("the folded graph computes what ONNX Runtime computes from the unfolded file", async () => {
  const bytes = network();
  const expected = await ortOutput(bytes);
  const session = await createSession(bytes);
  try {
    const got = (await session.run({ x }))[session.outputNames[0]!]!.data as Float32Array;
    assert.equal(got.length, expected.length);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
    assert.ok(worst < 1e-5, `largest relative difference ${worst}`);
  } finally {
    await session.release();
  }
});

test("a quantized export of the network has no BatchNormalization left after a quantized convolution, the grouped ConvTranspose's bias has a scale per output channel of every group, and ONNX Runtime and qkit run it alike", async () => {
  const model = await loadModel(network(), { name: "conv-bn.onnx" });
  const prepared = prepare(model, loadQuantizer("xnnpack").quantizer);
  await calibrate(prepared, [{ x }]);
  const bytes = serializeModel(convert(prepared));
  const saved = onnx.ModelProto.decode(bytes);
  assert.deepEqual((saved.graph?.node ?? []).filter((n) => n.opType === "BatchNormalization").map((n) => n.output?.[0]), ["b3"]);
  const float = await ortOutput(network());
  const quantized = await ortOutput(bytes, "all");
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < float.length; i++) {
    signal += float[i]! ** 2;
    noise += (float[i]! - quantized[i]!) ** 2;
  }
  assert.ok(10 * Math.log10(signal / noise) > 25, `SQNR ${10 * Math.log10(signal / noise)} dB`);
  const session = await createSession(bytes);
  try {
    const got = (await session.run({ x }))[session.outputNames[0]!]!.data as Float32Array;
    const scale = Math.max(...quantized.map(Math.abs));
    const worst = Math.max(...got.map((v, i) => Math.abs(v - quantized[i]!)));
    assert.ok(worst <= scale / 50, `qkit differs from ONNX Runtime by ${worst} on outputs up to ${scale}`);
  } finally {
    await session.release();
  }
});

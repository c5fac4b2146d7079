import { test } from "node:test";
import { onnx } from "../src/tooling.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";
import { assertRunsAsOrt } from "./helpers/runs-as-ort.js";

const A = onnx.AttributeProto.AttributeType;
const int64 = (name: string, values: number[], dims: number[]) => new onnx.TensorProto({ name, dataType: 7, dims, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) });
const floats = (name: string, values: number[], dims: number[]) => new onnx.TensorProto({ name, dataType: 1, dims, rawData: new Uint8Array(Float32Array.from(values).buffer) });

/**
 * An audio front-end as exporters write it: a Hann-windowed STFT, the power spectrum, a mel filter bank from
 * MelWeightMatrix, and its log; against onnxruntime-node.
 */
test("STFT → power → MelWeightMatrix → Log (a log-mel front-end) runs as in onnxruntime", async () => {
  const bytes = modelBytes({
    name: "log-mel",
    node: [
      node("HannWindow", ["frameLength"], ["window"]),
      node("STFT", ["audio", "step", "window"], ["spectrum"]),
      node("Mul", ["spectrum", "spectrum"], ["squares"]),
      node("ReduceSum", ["squares", "last"], ["power"], [{ name: "keepdims", type: A.INT, i: 0 }]),
      node("MelWeightMatrix", ["mels", "frameLength", "rate", "low", "high"], ["filters"]),
      node("MatMul", ["power", "filters"], ["mel"]),
      node("Add", ["mel", "floor"], ["safe"]),
      node("Log", ["safe"], ["y"]),
    ],
    initializer: [int64("frameLength", [64], []), int64("step", [16], []), int64("last", [-1], [1]), int64("mels", [10], []),
      int64("rate", [8000], []), floats("low", [20], []), floats("high", [3800], []), floats("floor", [1e-6], [])],
    input: [valueInfo("audio", "float32", [2, 400, 1])],
    output: [valueInfo("y", "float32", [2, 22, 10])],
  }, { opset: 17 });
  const audio = seededValues(800, 3, -1, 1).map((v, i) => v * 0.3 + Math.sin(i * 0.21));
  await assertRunsAsOrt(bytes, [{ audio: { data: audio, dims: [2, 400, 1] } }]);
});

/** DFT at opset 20 (axis as an input), forward on a complex signal along axis 1 with padding, and inverse. */
test("DFT forward (padded, complex) and inverse along a chosen axis runs as in onnxruntime", async () => {
  const bytes = modelBytes({
    name: "dft",
    node: [
      node("DFT", ["x", "length", "axis"], ["spectrum"]),
      node("DFT", ["spectrum", "", "axis"], ["back"], [{ name: "inverse", type: A.INT, i: 1 }]),
    ],
    initializer: [int64("length", [12], []), int64("axis", [1], [])],
    input: [valueInfo("x", "float32", [2, 9, 3, 2])],
    output: [valueInfo("spectrum", "float32", [2, 12, 3, 2]), valueInfo("back", "float32", [2, 12, 3, 2])],
  }, { opset: 20 });
  await assertRunsAsOrt(bytes, [{ x: { data: seededValues(2 * 9 * 3 * 2, 9, -1, 1), dims: [2, 9, 3, 2] } }]);
});

// Power-of-two lengths run as a radix-2 FFT (real signals as one of half the length): against onnxruntime-node, a DFT
// of 64 complex samples (forward and inverse), real DFTs one-sided and two-sided (the bins past n/2 mirrored), and an
// STFT of 256-sample Hann-windowed frames.
const FFT_CASES: [string, string, number[], Record<string, number>, number | undefined][] = [
  ["DFT of 64 complex samples", "DFT", [2, 64, 2], { axis: 1 }, undefined],
  ["inverse DFT of 64 complex samples", "DFT", [2, 64, 2], { axis: 1, inverse: 1 }, undefined],
  ["one-sided DFT of 100 real samples zero-padded to 128", "DFT", [1, 100, 1], { axis: 1, onesided: 1 }, 128],
  ["two-sided DFT of 32 real samples, three signals", "DFT", [3, 32, 1], { axis: 1 }, undefined],
  ["two-sided DFT of 16 real samples along a middle axis", "DFT", [2, 16, 3, 1], { axis: 1 }, undefined],
];
for (const [name, op, dims, attrs, length] of FFT_CASES) {
  test(`${name} equals onnxruntime-node`, async () => {
    const bytes = modelBytes({
      name: "fft",
      node: [node(op, length ? ["x", "n"] : ["x"], ["y"], Object.entries(attrs).map(([n, i]) => ({ name: n, type: 2, i })))],
      initializer: length ? [int64("n", [length], [])] : [],
      input: [valueInfo("x", "float32", dims)], output: [valueInfo("y", "float32", [])],
    }, { opset: 17 });
    await assertRunsAsOrt(bytes, [{ x: { data: seededValues(dims.reduce((a, b) => a * b, 1), 3, -1, 1), dims } }]);
  });
}

test("STFT of 256-sample Hann-windowed frames (an FFT per frame) equals onnxruntime-node", async () => {
  const bytes = modelBytes({
    name: "stft",
    node: [node("HannWindow", ["size"], ["window"], [{ name: "periodic", type: 2, i: 1 }]), node("STFT", ["x", "step", "window"], ["y"], [{ name: "onesided", type: 2, i: 1 }])],
    initializer: [int64("size", [256], []), int64("step", [128], [])],
    input: [valueInfo("x", "float32", [1, 2048, 1])], output: [valueInfo("y", "float32", [])],
  }, { opset: 17 });
  await assertRunsAsOrt(bytes, [{ x: { data: seededValues(2048, 4, -1, 1), dims: [1, 2048, 1] } }]);
});

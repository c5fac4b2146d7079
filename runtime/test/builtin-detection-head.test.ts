import { test } from "node:test";
import assert from "node:assert/strict";
import { loadModel, loadQuantizer, makeTensor, runCheck, annotationOf } from "../src/tooling.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";
import { exportedSqnr, type Feeds } from "./helpers/ort-run.js";

/**
 * A YOLOv8 head's box decoding (distribution focal loss): box logits as 4 sides × 16 bins, a Softmax over the bins
 * (axis 1 after a Transpose), and a fixed 1×1 convolution by the bin indices that takes each distribution's mean.
 */
function dflHead(): Uint8Array {
  const [C, S, R] = [32, 10, 16];
  const f = (name: string, dims: number[], seed: number, scale: number) =>
    makeTensor(name, "float32", dims, Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => scale * Math.sin(seed * 5.3 + i * 0.61)));
  return modelBytes({
    name: "dfl-head",
    input: [valueInfo("x", "float32", [1, C, S, S])],
    output: [valueInfo("y", "float32", [1, 4, S * S])],
    initializer: [
      f("w1", [C, C, 3, 3], 1, 0.1), f("b1", [C], 2, 0.1), f("w2", [4 * R, C, 1, 1], 3, 0.3), f("b2", [4 * R], 4, 0.1),
      makeTensor("bins", "float32", [1, R, 1, 1], Float32Array.from({ length: R }, (_, i) => i)),
      makeTensor("split", "int64", [4], BigInt64Array.of(1n, 4n, BigInt(R), BigInt(S * S))),
      makeTensor("sides", "int64", [3], BigInt64Array.of(1n, 4n, BigInt(S * S))),
    ],
    node: [
      node("Conv", ["x", "w1", "b1"], ["c1"], [{ name: "pads", type: 7, ints: [1, 1, 1, 1] }]),
      node("Sigmoid", ["c1"], ["g1"]), node("Mul", ["c1", "g1"], ["s1"]),
      node("Conv", ["s1", "w2", "b2"], ["box"]),
      node("Reshape", ["box", "split"], ["bins4"]),
      node("Transpose", ["bins4"], ["binsFirst"], [{ name: "perm", type: 7, ints: [0, 2, 1, 3] }]),
      node("Softmax", ["binsFirst"], ["p"], [{ name: "axis", type: 2, i: 1 }], "/dfl/Softmax"),
      node("Conv", ["p", "bins"], ["mean"], [], "/dfl/Conv"),
      node("Reshape", ["mean", "sides"], ["y"]),
    ],
  }, { opset: 17 });
}

for (const builtin of ["xnnpack", "x86", "ort-qdq"] as const) {
  test(`${builtin} leaves a float Softmax that no MatMul reads float for its readers too, so ONNX Runtime's optimized run of a YOLOv8 box decoding matches the float model`, async () => {
    const model = await loadModel(dflHead(), { name: "dfl-head.onnx" });
    const quantizer = loadQuantizer(builtin).quantizer;
    const annotated = runCheck(model, quantizer).model;
    const conv = annotated.graph.node("/dfl/Conv")!;
    assert.equal([...(annotationOf(conv)?.inputQspecMap.keys() ?? [])].some((arg) => arg.opType === "Softmax"), false, "the decoding convolution reads the Softmax in float");
    const feeds: Feeds = { x: { data: Float32Array.from({ length: 3200 }, (_, i) => Math.sin(i * 0.37) * 2), dims: [1, 32, 10, 10] } };
    const db = await exportedSqnr(model, quantizer, feeds);
    assert.ok(db.ort > 30, `ONNX Runtime's int8 SQNR ${db.ort.toFixed(1)} dB`);
    assert.ok(Math.abs(db.qkit - db.ort) < 0.3, "qkit's int8 run agrees");
  });
}

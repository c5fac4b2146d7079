import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createSession, onnx, Tensor } from "../src/tooling.js";
import { float16BitsToNumber, numberToFloat16Bits } from "../src/onnx/float16.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";

const values = (n: number, seed: number): number[] => Array.from(seededValues(n, seed));

const half = (v: number[]) => Uint16Array.from(v, numberToFloat16Bits);

function tensor(name: string, data: number[], dims: number[], type: "float16" | "float32"): onnx.ITensorProto {
  const bytes = type === "float16" ? new Uint8Array(half(data).buffer) : new Uint8Array(Float32Array.from(data).buffer);
  return { name, dataType: type === "float16" ? 10 : 1, dims, rawData: bytes };
}

/**
 * A float16 network (weights, bias, constants, a Cast to float32 and back, a float16 and a float32 output) against
 * onnxruntime-node, which runs it in float16: qkit computes it in float32 and returns each output in its declared type.
 */
test("a float16 model runs: float16 in, float16 and float32 out, within float16's precision of onnxruntime", async () => {
  const graph: onnx.IGraphProto = {
    name: "half",
    node: [
      node("Conv", ["x", "w", "b"], ["c"], [{ name: "pads", type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 1, 1, 1] }]),
      node("Relu", ["c"], ["r"]),
      node("Add", ["r", "shift"], ["a"]),
      node("GlobalAveragePool", ["a"], ["g"]),
      node("Flatten", ["g"], ["f"]),
      node("Gemm", ["f", "fc", "fcb"], ["logits"], [{ name: "transB", type: onnx.AttributeProto.AttributeType.INT, i: 1 }]),
      node("Cast", ["logits"], ["wide"], [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: 1 }]),
      node("Mul", ["wide", "scale"], ["scaled"]),
      node("Cast", ["scaled"], ["narrow"], [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: 10 }]),
      node("Softmax", ["narrow"], ["probs"]),
    ],
    initializer: [
      tensor("w", values(8 * 3 * 3 * 3, 7).map((v) => v * 0.4), [8, 3, 3, 3], "float16"),
      tensor("b", values(8, 9), [8], "float16"),
      tensor("shift", [0.25], [], "float16"),
      tensor("fc", values(5 * 8, 13), [5, 8], "float16"),
      tensor("fcb", values(5, 15), [5], "float16"),
      tensor("scale", [3], [], "float32"),
    ],
    input: [valueInfo("x", "float16", [1, 3, 9, 9])],
    output: [valueInfo("probs", "float16", [1, 5]), valueInfo("scaled", "float32", [1, 5])],
  };
  const dir = mkdtempSync(path.join(tmpdir(), "qkit-float16-"));
  try {
    const file = path.join(dir, "half.onnx");
    writeFileSync(file, modelBytes(graph, { opset: 17 }));
    const x = half(values(3 * 9 * 9, 3).map((v) => v * 2));
    const ort = await import("onnxruntime-node");
    const reference = await ort.InferenceSession.create(file);
    const want = await reference.run({ x: new ort.Tensor("float16", x, [1, 3, 9, 9]) });
    const session = await createSession(file);
    try {
      const got = await session.run({ x: new Tensor("float16", x, [1, 3, 9, 9]) });
      assert.equal(got.probs!.type, "float16");
      assert.equal(got.scaled!.type, "float32");
      const probs = Array.from(got.probs!.data as Uint16Array, float16BitsToNumber);
      const ortProbs = Array.from(want.probs!.data as Uint16Array, float16BitsToNumber);
      probs.forEach((p, i) => assert.ok(Math.abs(p - ortProbs[i]!) <= 4e-3, `probs[${i}]: ${p} vs ${ortProbs[i]}`));
      const scaled = got.scaled!.data as Float32Array;
      const ortScaled = want.scaled!.data as Float32Array;
      const range = Math.max(...Array.from(ortScaled, Math.abs));
      scaled.forEach((v, i) => assert.ok(Math.abs(v - ortScaled[i]!) <= 4e-3 * Math.max(1, range), `scaled[${i}]: ${v} vs ${ortScaled[i]}`));
      // The model was not changed: it still declares float16.
      assert.equal(session.inputNames[0], "x");
    } finally {
      await session.release();
      await reference.release?.();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("quantizing a float16 model is a check-time error at the quantizer's line, and prepare refuses with it", async () => {
  const { loadModel, runCheck, prepare, XnnpackQuantizer, PrepareError } = await import("../src/tooling.js");
  const graph: onnx.IGraphProto = {
    name: "half-conv",
    node: [node("Conv", ["x", "w"], ["c"]), node("Relu", ["c"], ["y"])],
    initializer: [tensor("w", values(2 * 3 * 3 * 3, 7), [2, 3, 3, 3], "float16")],
    input: [valueInfo("x", "float16", [1, 3, 8, 8])],
    output: [valueInfo("y", "float16", [1, 2, 6, 6])],
  };
  const model = await loadModel(modelBytes(graph, { opset: 17 }), { name: "half-conv.onnx" });
  const errors = runCheck(model, new XnnpackQuantizer()).findings.filter((f) => f.severity === "error");
  assert.deepEqual(errors.map((f) => f.code), ["float16-model"]);
  assert.match(errors[0]!.message, /'x' is float16.*export the model in float32/);
  assert.throws(() => prepare(model, new XnnpackQuantizer()), (e: unknown) => e instanceof PrepareError && /float16-model/.test((e as Error).message));
});

test("running a float16 model leaves the caller's model as it was: calibrating one with nothing to quantize exports float16 still", async () => {
  const { loadModel, prepare, calibrate, convert, XnnpackQuantizer } = await import("../src/tooling.js");
  // A Cast of a float16 input: nothing the built-ins quantize, so check passes (with a warning) and calibration runs.
  const graph: onnx.IGraphProto = {
    name: "half-cast",
    node: [node("Cast", ["x"], ["y"], [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: 1 }])],
    input: [valueInfo("x", "float16", [2, 3])],
    output: [valueInfo("y", "float32", [2, 3])],
  };
  const model = await loadModel(modelBytes(graph, { opset: 17 }), { name: "half-cast.onnx" });
  const x = new Tensor("float16", half(values(6, 3)), [2, 3]);
  const session = await createSession(model);
  await session.run({ x });
  await session.release();
  assert.equal(model.graph.placeholders()[0]!.meta.dtype, "float16", "the session's widening did not reach the caller's model");
  const prepared = prepare(model, new XnnpackQuantizer());
  await calibrate(prepared, [{ x }]);
  const exported = convert(prepared);
  assert.equal(exported.graph.placeholders()[0]!.meta.dtype, "float16");
  const again = await createSession(exported);
  try {
    const y = (await again.run({ x })).y!;
    assert.deepEqual(Array.from(y.data as Float32Array), Array.from(x.data as Uint16Array, float16BitsToNumber));
  } finally {
    await again.release();
  }
});

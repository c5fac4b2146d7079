import { test } from "node:test";
import assert from "node:assert/strict";
import { loadModel, prepare, calibrate, convert, lowerWithReport, OrtQdqQuantizer, makeTensor, Tensor } from "../src/tooling.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";
import { compareLowered } from "./int8-compare.js";

/**
 * Attention's q, k and v slices as PyTorch exports them: a Slice read by the next op (which quantizes its input) and
 * by a Shape for a later Reshape. The Shape reads only the shape, so the Slice still runs on the integers.
 */
function sliceWithShapeReader(): Uint8Array {
  const i64 = (name: string, v: number[]) => makeTensor(name, "int64", [v.length], BigInt64Array.from(v.map(BigInt)));
  return modelBytes({
    name: "slice_shape",
    input: [valueInfo("x", "float32", [1, 6, 8])],
    output: [valueInfo("y", "float32", [1, 6, 4])],
    initializer: [
      makeTensor("w", "float32", [8, 12], Float32Array.from({ length: 96 }, (_, i) => Math.sin(i * 0.7) / 3)),
      makeTensor("w2", "float32", [4, 4], Float32Array.from({ length: 16 }, (_, i) => Math.cos(i * 1.3) / 2)),
      i64("starts", [4]), i64("ends", [8]), i64("axes", [2]),
    ],
    node: [
      node("MatMul", ["x", "w"], ["h"]),
      node("Slice", ["h", "starts", "ends", "axes"], ["s"], [], "slice"),
      node("Shape", ["s"], ["shape"]),
      node("MatMul", ["s", "w2"], ["m"]),
      node("Reshape", ["m", "shape"], ["y"]),
    ],
  });
}

test("a Slice whose float output a Shape also reads lowers: the Shape reads the integer slice, which equals the reference", async () => {
  const model = await loadModel(sliceWithShapeReader(), { name: "slice_shape.onnx" });
  const prepared = prepare(model, new OrtQdqQuantizer({ activationType: "uint8", perChannel: true }));
  const sample = { x: new Tensor("float32", Float32Array.from({ length: 48 }, (_, i) => Math.sin(i * 0.37) * 2), [1, 6, 8]) };
  await calibrate(prepared, [sample]);
  const converted = convert(prepared);
  const floatSlice = converted.graph.node("slice")!;
  assert.ok([...floatSlice.users].some((u) => u.opType === "Shape"), "the Shape reads the float Slice in the Q/DQ model");
  const { report, model: lowered } = lowerWithReport(converted);
  const entry = report.nodes.find((n) => n.name === "slice")!;
  assert.match(entry.loweredAs ?? "", /^Slice on uint8/, entry.reason);
  assert.equal(lowered.graph.calls("Shape")[0]!.args[0]!.meta.dtype, "uint8", "the Shape reads the integer slice");
  const diffs = await compareLowered(converted, sample);
  const slices = diffs.filter((d) => d.opType === "Slice" || d.name.startsWith("slice"));
  assert.ok(slices.length > 0, diffs.map((d) => `${d.name} ${d.opType}`).join(", "));
  for (const d of slices) assert.equal(d.mismatches, 0, `${d.name}: ${d.mismatches} of ${d.elements} differ`);
});

/** A Linear's output read by the next Linear and by a Shape: the quantizer routes both through its DequantizeLinear. */
function dequantizedWithShapeReader(): Uint8Array {
  return modelBytes({
    name: "dq_shape",
    input: [valueInfo("x", "float32", [1, 6, 8])],
    output: [valueInfo("y", "float32", [1, 6, 12])],
    initializer: [
      makeTensor("w", "float32", [8, 12], Float32Array.from({ length: 96 }, (_, i) => Math.sin(i * 0.7) / 3)),
      makeTensor("w2", "float32", [12, 12], Float32Array.from({ length: 144 }, (_, i) => Math.cos(i * 1.3) / 2)),
    ],
    node: [
      node("MatMul", ["x", "w"], ["h"], [], "linear"),
      node("Shape", ["h"], ["shape"]),
      node("MatMul", ["h", "w2"], ["m"]),
      node("Reshape", ["m", "shape"], ["y"]),
    ],
  });
}

test("a Shape reading a DequantizeLinear reads its integers instead, so the dequantization does not run for the shape alone", async () => {
  const model = await loadModel(dequantizedWithShapeReader(), { name: "dq_shape.onnx" });
  const prepared = prepare(model, new OrtQdqQuantizer({ activationType: "uint8", perChannel: true }));
  const sample = { x: new Tensor("float32", Float32Array.from({ length: 48 }, (_, i) => Math.sin(i * 0.37) * 2), [1, 6, 8]) };
  await calibrate(prepared, [sample]);
  const converted = convert(prepared);
  const shapeOf = (m: typeof converted) => m.graph.calls("Shape")[0]!.args[0]!;
  assert.equal(shapeOf(converted).opType, "DequantizeLinear", "the Shape reads a DequantizeLinear in the Q/DQ model");
  const { model: lowered } = lowerWithReport(converted);
  assert.equal(shapeOf(lowered).meta.dtype, "uint8", "the Shape reads the integer tensor");
  const dequantized = lowered.graph.calls("DequantizeLinear").map((n) => n.args[0]!.name);
  assert.ok(!dequantized.includes(shapeOf(lowered).name), `nothing dequantizes the Linear's output: ${dequantized.join(", ")}`);
  const run = async (m: typeof converted, lowering: boolean) => {
    const { createSession } = await import("../src/session/create-session.js");
    const s = await createSession(m, { lowering });
    try {
      return (await s.run(sample)).y!;
    } finally {
      await s.release();
    }
  };
  assert.deepEqual((await run(lowered, false)).dims, (await run(converted, false)).dims);
});

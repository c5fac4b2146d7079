import { test } from "node:test";
import assert from "node:assert/strict";
import { loadModel, prepare, calibrate, convert, lowerWithReport, OrtQdqQuantizer, makeTensor, Tensor, createSession } from "../src/tooling.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";
import { compareLowered } from "./int8-compare.js";

/**
 * Convolutions each followed by a Relu or Clip, one per kernel path: 3×3 im2col (8 input channels), 3×3 Winograd,
 * 1×1, depthwise 3×3. The ort-qdq quantizer leaves a Q/DQ pair on both sides of each Relu/Clip.
 */
function convClamps(): Uint8Array {
  const f32 = (name: string, dims: number[], f: (i: number) => number) =>
    makeTensor(name, "float32", dims, Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => f(i)));
  const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v });
  const pads = ints("pads", [1, 1, 1, 1]);
  return modelBytes({
    name: "conv_clamps",
    input: [valueInfo("x", "float32", [1, 8, 10, 10])],
    output: [valueInfo("y", "float32", [1, 16, 10, 10])],
    initializer: [
      f32("w1", [16, 8, 3, 3], (i) => Math.sin(i * 0.71) * 0.3), f32("b1", [16], (i) => Math.cos(i) * 0.1),
      f32("w2", [16, 16, 3, 3], (i) => Math.sin(i * 1.37) * 0.15), f32("b2", [16], (i) => Math.sin(i) * 0.2),
      f32("w3", [16, 16, 1, 1], (i) => Math.cos(i * 0.53) * 0.4), f32("b3", [16], () => 0.05),
      f32("w4", [16, 1, 3, 3], (i) => Math.sin(i * 0.29) * 0.5), f32("b4", [16], (i) => -0.02 * i),
      f32("lo", [], () => 0), f32("hi", [], () => 0.8),
    ],
    node: [
      node("Conv", ["x", "w1", "b1"], ["c1"], [pads], "conv1"),
      node("Relu", ["c1"], ["r1"], [], "relu1"),
      node("Conv", ["r1", "w2", "b2"], ["c2"], [pads], "conv2"),
      node("Clip", ["c2", "lo", "hi"], ["r2"], [], "clip2"),
      node("Conv", ["r2", "w3", "b3"], ["c3"], [], "conv3"),
      node("Relu", ["c3"], ["r3"], [], "relu3"),
      node("Conv", ["r3", "w4", "b4"], ["c4"], [pads, { name: "group", type: 2, i: 16 }], "conv4"),
      node("Relu", ["c4"], ["y"], [], "relu4"),
    ],
  });
}

test("a Relu/Clip between two Q/DQ pairs after a convolution folds into its store: no table, the reference's codes", async () => {
  const model = await loadModel(convClamps(), { name: "conv_clamps.onnx" });
  const prepared = prepare(model, new OrtQdqQuantizer({ activationType: "uint8", perChannel: true }));
  const sample = { x: new Tensor("float32", Float32Array.from({ length: 800 }, (_, i) => Math.sin(i * 0.37) * 1.5 + Math.cos(i * 0.013)), [1, 8, 10, 10]) };
  await calibrate(prepared, [sample]);
  const converted = convert(prepared);
  const { report, model: lowered } = lowerWithReport(converted);
  for (const [clamp, conv] of [["relu1", "conv1"], ["clip2", "conv2"], ["relu3", "conv3"], ["relu4", "conv4"]]) {
    const entry = report.nodes.find((n) => n.name === clamp)!;
    assert.equal(entry.loweredAs, `fused into ${conv} (a second quantization in its store)`, entry.loweredAs ?? entry.reason);
  }
  assert.deepEqual(lowered.graph.calls().filter((n) => n.opType === "QLut").map((n) => n.name), []);
  assert.equal(lowered.graph.calls().filter((n) => n.opType === "QConv" && n.attributes.has("mid_clamp_min")).length, 4);
  const diffs = await compareLowered(converted, sample);
  assert.equal(diffs.filter((d) => d.opType === "QConv").length, 4, diffs.map((d) => d.name).join(", "));
  for (const d of diffs) {
    // Codes can differ only where the reference's float32 sum lands within rounding of a tie in the first quantization.
    assert.ok(d.maxSteps <= 1 && d.mismatches <= 2, `${d.name}: ${d.mismatches} of ${d.elements} codes differ, by up to ${d.maxSteps}`);
  }
  const run = async (lowering: boolean) => {
    const s = await createSession(converted, { lowering });
    try {
      return Array.from((await s.run(sample)).y!.data as Float32Array);
    } finally {
      await s.release();
    }
  };
  const [mine, reference] = [await run(true), await run(false)];
  const differing = mine.filter((v, i) => v !== reference[i]).length;
  assert.ok(differing <= 4, `${differing} of ${mine.length} outputs differ from the reference`);
});

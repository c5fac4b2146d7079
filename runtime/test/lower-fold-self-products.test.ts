import { test } from "node:test";
import assert from "node:assert/strict";
import { loadModel, prepare, calibrate, convert, lowerWithReport, OrtQdqQuantizer, makeTensor, Tensor, createSession } from "../src/tooling.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";
import { compareLowered } from "./int8-compare.js";

/**
 * Hardswish and SiLU as exporters write them, x · HardSigmoid(x) and x · Sigmoid(x), after convolutions; the ort-qdq
 * quantizer leaves the gate quantized between the table and the multiply. A third gate is also read by another
 * node, so its multiply must stay.
 */
function gatedActivations(): Uint8Array {
  const f32 = (name: string, dims: number[], f: (i: number) => number) =>
    makeTensor(name, "float32", dims, Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => f(i)));
  const pads = { name: "pads", type: 7, ints: [1, 1, 1, 1] };
  return modelBytes({
    name: "gated_activations",
    input: [valueInfo("x", "float32", [1, 8, 6, 6])],
    output: [valueInfo("y", "float32", [1, 8, 6, 6]), valueInfo("g3", "float32", [1, 8, 6, 6])],
    initializer: [
      f32("w1", [8, 8, 3, 3], (i) => Math.sin(i * 0.71) * 0.4), f32("b1", [8], (i) => Math.cos(i) * 0.2),
      f32("w2", [8, 8, 3, 3], (i) => Math.sin(i * 1.37) * 0.3), f32("b2", [8], (i) => Math.sin(i) * 0.2),
      f32("w3", [8, 8, 1, 1], (i) => Math.cos(i * 0.53) * 0.5), f32("b3", [8], () => 0.05),
    ],
    node: [
      node("Conv", ["x", "w1", "b1"], ["c1"], [pads], "conv1"),
      node("HardSigmoid", ["c1"], ["g1"], [{ name: "alpha", type: 1, f: 1 / 6 }], "hardsigmoid1"),
      node("Mul", ["c1", "g1"], ["h1"], [], "hardswish1"),
      node("Conv", ["h1", "w2", "b2"], ["c2"], [pads], "conv2"),
      node("Sigmoid", ["c2"], ["g2"], [], "sigmoid2"),
      node("Mul", ["g2", "c2"], ["h2"], [], "silu2"),
      node("Conv", ["h2", "w3", "b3"], ["c3"], [], "conv3"),
      node("Sigmoid", ["c3"], ["g3"], [], "sigmoid3"),
      node("Mul", ["c3", "g3"], ["y"], [], "silu3"),
    ],
  });
}

for (const activationType of ["uint8", "int8"] as const) {
  test(`x · f(x) with the gate quantized folds into one table (${activationType}): the reference's codes exactly`, async () => {
    const model = await loadModel(gatedActivations(), { name: "gated_activations.onnx" });
    const prepared = prepare(model, new OrtQdqQuantizer({ activationType, perChannel: true }));
    const sample = { x: new Tensor("float32", Float32Array.from({ length: 288 }, (_, i) => Math.sin(i * 0.37) * 3 + Math.cos(i * 0.013)), [1, 8, 6, 6]) };
    await calibrate(prepared, [sample]);
    const converted = convert(prepared);
    const { report, model: lowered } = lowerWithReport(converted);
    const loweredAs = (name: string) => report.nodes.find((n) => n.name === name)?.loweredAs;
    assert.equal(loweredAs("hardswish1"), "fused into hardsigmoid1 (x times its gate, one table)");
    assert.equal(loweredAs("silu2"), "fused into sigmoid2 (x times its gate, one table)", "the gate on either side");
    assert.equal(loweredAs("silu3"), "com.qkit.QMul", "a gate that is also an output keeps its multiply");
    assert.deepEqual(lowered.graph.calls("QMul").map((n) => n.name), ["silu3"]);
    const diffs = await compareLowered(converted, sample);
    for (const name of ["hardsigmoid1", "sigmoid2"]) {
      const diff = diffs.find((d) => d.name === name);
      assert.ok(diff, `${name} compared (${diffs.map((d) => d.name).join(", ")})`);
      assert.equal(diff.mismatches, 0, `${name}: ${diff.mismatches} of ${diff.elements} codes differ`);
    }
    const run = async (lowering: boolean) => {
      const s = await createSession(converted, { lowering });
      try {
        const out = await s.run(sample);
        return [Array.from(out.y!.data as Float32Array), Array.from(out.g3!.data as Float32Array)];
      } finally {
        await s.release();
      }
    };
    assert.deepEqual(await run(true), await run(false), "end to end, the lowered model's outputs are the reference's");
  });
}

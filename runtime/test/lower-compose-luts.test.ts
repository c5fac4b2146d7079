import { test } from "node:test";
import assert from "node:assert/strict";
import { loadModel, prepare, calibrate, convert, lowerWithReport, OrtQdqQuantizer, makeTensor, Tensor, createSession } from "../src/tooling.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";
import { compareLowered } from "./int8-compare.js";

/**
 * A slice of a projection (requantized to the slice's own parameters, as attention's q is), reshaped and transposed,
 * then a table (Tanh; attention's division by √d is one too). The requantization folds into the table.
 */
function sliceThenScale(): Uint8Array {
  const i64 = (name: string, v: number[]) => makeTensor(name, "int64", [v.length], BigInt64Array.from(v.map(BigInt)));
  return modelBytes({
    name: "attention_q",
    input: [valueInfo("x", "float32", [64, 8])],
    output: [valueInfo("y", "float32", [2, 64, 4])],
    initializer: [
      makeTensor("w", "float32", [8, 24], Float32Array.from({ length: 192 }, (_, i) => Math.sin(i * 0.7) * (i % 24 < 8 ? 0.4 : 1.5))),
      i64("starts", [0]), i64("ends", [8]), i64("axes", [1]), i64("heads", [64, 2, 4]),
      makeTensor("w2", "float32", [4, 4], Float32Array.from({ length: 16 }, (_, i) => Math.cos(i * 1.3) / 2)),
    ],
    node: [
      node("MatMul", ["x", "w"], ["h"], [], "in_proj"),
      node("Slice", ["h", "starts", "ends", "axes"], ["q"], [], "q_slice"),
      node("Reshape", ["q", "heads"], ["q3"], [], "q_heads"),
      node("Transpose", ["q3"], ["qt"], [{ name: "perm", type: 7, ints: [1, 0, 2] }], "q_transpose"),
      node("Tanh", ["qt"], ["qs"], [], "q_tanh"),
      node("MatMul", ["qs", "w2"], ["y"], [], "out"),
    ],
  });
}

test("a requantizing QLut whose codes only move into another QLut folds into it: one table, the reference's codes exactly", async () => {
  const model = await loadModel(sliceThenScale(), { name: "attention_q.onnx" });
  const prepared = prepare(model, new OrtQdqQuantizer({ activationType: "uint8", perChannel: true }));
  const sample = { x: new Tensor("float32", Float32Array.from({ length: 512 }, (_, i) => Math.sin(i * 0.37) * 2 + Math.cos(i * 0.013)), [64, 8]) };
  await calibrate(prepared, [sample]);
  const converted = convert(prepared);
  const { report, model: lowered } = lowerWithReport(converted);
  const slice = report.nodes.find((n) => n.name === "q_slice")!;
  assert.equal(slice.loweredAs, "Slice on uint8 (its requantization folded into the next table)", slice.loweredAs ?? slice.reason);
  assert.equal(report.nodes.find((n) => n.name === "q_tanh")!.loweredAs, "com.qkit.QLut");
  const luts = lowered.graph.calls().filter((n) => n.opType === "QLut");
  assert.deepEqual(luts.map((n) => n.name), ["q_tanh"], "one table between the slice and the second Linear");
  const diffs = await compareLowered(converted, sample);
  const scale = diffs.find((d) => d.name === "q_tanh")!;
  assert.ok(scale, diffs.map((d) => d.name).join(", "));
  assert.equal(scale.mismatches, 0, `${scale.mismatches} of ${scale.elements} codes differ`);
  // And end to end, the lowered model's output equals the reference's.
  const run = async (lowering: boolean) => {
    const s = await createSession(converted, { lowering });
    try {
      return Array.from((await s.run(sample)).y!.data as Float32Array);
    } finally {
      await s.release();
    }
  };
  assert.deepEqual(await run(true), await run(false));
});

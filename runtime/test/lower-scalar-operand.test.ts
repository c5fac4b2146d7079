import { test } from "node:test";
import assert from "node:assert/strict";
import { loadModel, runCheck, prepare, calibrate, convert, lowerWithReport, OrtQdqQuantizer, makeTensor, Tensor } from "../src/tooling.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";
import { compareLowered } from "./int8-compare.js";

/** Attention scores scaled by a float constant (Mul by 1/√d, as timm and hand-written ViTs export it), then shifted. */
function scaledScores(): Uint8Array {
  return modelBytes({
    name: "scaled",
    input: [valueInfo("x", "float32", [1, 5, 8])],
    output: [valueInfo("y", "float32", [1, 5, 6])],
    initializer: [
      makeTensor("w", "float32", [8, 6], Float32Array.from({ length: 48 }, (_, i) => Math.sin(i * 0.9) / 2)),
      makeTensor("scale", "float32", [], Float32Array.of(0.35355339)),
      makeTensor("shift", "float32", [1], Float32Array.of(-0.75)),
      makeTensor("w2", "float32", [6, 6], Float32Array.from({ length: 36 }, (_, i) => Math.cos(i * 0.4) / 2)),
    ],
    node: [
      node("MatMul", ["x", "w"], ["s"], [], "scores"),
      node("Mul", ["s", "scale"], ["m"], [], "scale_mul"),
      node("Add", ["shift", "m"], ["a"], [], "shift_add"),
      node("MatMul", ["a", "w2"], ["y"], [], "out"),
    ],
  });
}

test("Mul and Add by a float32 scalar constant lower as tables, equal the reference, and coverage agrees", async () => {
  const model = await loadModel(scaledScores(), { name: "scaled.onnx" });
  const quantizer = () => new OrtQdqQuantizer({ activationType: "uint8", perChannel: true });
  const { coverage } = runCheck(model, quantizer());
  const prepared = prepare(model, quantizer());
  const sample = { x: new Tensor("float32", Float32Array.from({ length: 40 }, (_, i) => Math.sin(i * 0.61) * 3), [1, 5, 8]) };
  await calibrate(prepared, [sample]);
  const converted = convert(prepared);
  const { report } = lowerWithReport(converted);
  for (const name of ["scale_mul", "shift_add"]) {
    const entry = report.nodes.find((n) => n.name === name)!;
    assert.equal(entry.loweredAs, "com.qkit.QLut", `${name}: ${entry.reason}`);
    const row = coverage.rows.find((r) => r.opType === entry.opType)!;
    assert.ok(row.annotated > 0 && !row.notInt8Nodes.includes(name), `coverage counts ${name} int8`);
  }
  const diffs = await compareLowered(converted, sample);
  for (const name of ["scale_mul", "shift_add"]) {
    const d = diffs.find((x) => x.name === name)!;
    assert.ok(d, diffs.map((x) => x.name).join(", "));
    assert.equal(d.mismatches, 0, `${name}: ${d.mismatches} of ${d.elements} differ`);
  }
});

/**
 * Quantizes the model with ort-qdq (uint8, per channel) calibrated on `sample`, lowers it, and asserts that its
 * "pos_add" node lowered to QAdd and that check's coverage counts it int8; answers the Q/DQ model.
 */
async function lowerPositionAdd(bytes: Uint8Array, name: string, sample: { x: Tensor }) {
  const model = await loadModel(bytes, { name });
  const quantizer = () => new OrtQdqQuantizer({ activationType: "uint8", perChannel: true });
  const { coverage } = runCheck(model, quantizer());
  const prepared = prepare(model, quantizer());
  await calibrate(prepared, [sample]);
  const converted = convert(prepared);
  const { report } = lowerWithReport(converted);
  const entry = report.nodes.find((n) => n.name === "pos_add")!;
  assert.equal(entry.loweredAs, "com.qkit.QAdd", entry.reason);
  const row = coverage.rows.find((r) => r.opType === "Add")!;
  assert.ok(row.annotated > 0 && !row.notInt8Nodes.includes("pos_add"), "coverage counts the Add int8");
  return converted;
}

/**
 * Tokens (x·w, `width` features per position) plus a positional embedding (a float32 constant [1, 5, 8] that
 * broadcasts over the batch), then a Linear.
 */
function tokensPlusPosition(name: string, input: ReturnType<typeof valueInfo>, width: number): Uint8Array {
  return modelBytes({
    name,
    input: [input],
    output: [valueInfo("y", "float32", [2, 5, 4])],
    initializer: [
      makeTensor("w", "float32", [8, width], Float32Array.from({ length: 8 * width }, (_, i) => Math.sin(i * 0.9) / 2)),
      makeTensor("pos", "float32", [1, 5, 8], Float32Array.from({ length: 40 }, (_, i) => Math.cos(i * 0.45) * 1.7)),
      makeTensor("w2", "float32", [8, 4], Float32Array.from({ length: 32 }, (_, i) => Math.cos(i * 0.4) / 2)),
    ],
    node: [
      node("MatMul", ["x", "w"], ["t"], [], "tokens"),
      node("Add", ["t", "pos"], ["a"], [], "pos_add"),
      node("MatMul", ["a", "w2"], ["y"], [], "out"),
    ],
  });
}

/** Eight features per position: the embedding broadcasts into the tokens' shape. */
function positionalEmbedding(): Uint8Array {
  return tokensPlusPosition("pos", valueInfo("x", "float32", [2, 5, 8]), 8);
}

test("Add of a float32 constant tensor that broadcasts into a quantized input lowers to QAdd with a float b, the reference's codes exactly", async () => {
  const sample = { x: new Tensor("float32", Float32Array.from({ length: 80 }, (_, i) => Math.sin(i * 0.61) * 3), [2, 5, 8]) };
  const converted = await lowerPositionAdd(positionalEmbedding(), "pos.onnx", sample);
  assert.equal(converted.graph.node("pos_add")!.args[1]!.kind, "parameter", "the embedding stays a float32 constant in the Q/DQ model");
  for (const threads of [1, 2]) {
    const d = (await compareLowered(converted, sample, threads)).find((x) => x.name === "pos_add")!;
    assert.equal(d.mismatches, 0, `${d.mismatches} of ${d.elements} differ on ${threads} thread(s)`);
  }
});

/**
 * One feature per position plus a float32 constant of 8 per position, from an input of no declared shape: while
 * lowering, the Add's quantized input has no shape; at run time the constant is the larger.
 */
function unshapedTokens(): Uint8Array {
  return tokensPlusPosition("pos_unshaped", { name: "x", type: { tensorType: { elemType: 1 } } } as never, 1);
}

test("Add of a float32 constant to a quantized input of unknown shape lowers to QAdd, and equals the reference when the constant is the larger (the input spread to the output's shape)", async () => {
  const calibration = { x: new Tensor("float32", Float32Array.from({ length: 80 }, (_, i) => Math.sin(i * 0.61) * 3), [2, 5, 8]) };
  const converted = await lowerPositionAdd(unshapedTokens(), "pos_unshaped.onnx", calibration);
  // [n, 5, 1] + [1, 5, 8]: a repeats along the innermost axis, where the float constant steps.
  const one = { x: new Tensor("float32", Float32Array.from({ length: 40 }, (_, i) => Math.cos(i * 1.3) * 2), [1, 5, 8]) };
  for (const sample of [one, calibration]) for (const threads of [1, 2]) {
    const d = (await compareLowered(converted, sample, threads)).find((x) => x.name === "pos_add")!;
    assert.equal(d.elements, 40 * sample.x.dims[0]!, "the output has the broadcast shape");
    assert.equal(d.mismatches, 0, `${d.mismatches} of ${d.elements} differ on ${threads} thread(s), x [${sample.x.dims.join(", ")}]`);
  }
});

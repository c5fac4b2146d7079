import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { onnx, loadModel, loadQuantizer, runCheck, prepare, calibrate, convert, serializeModel, Tensor, ModelLoadError } from "../src/tooling.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";
import { runOrt, runQkit, type Feeds } from "./helpers/ort-run.js";

const A = onnx.AttributeProto.AttributeType;
const int = (name: string, i: number): onnx.IAttributeProto => ({ name, type: A.INT, i });
const ints = (name: string, v: number[]): onnx.IAttributeProto => ({ name, type: A.INTS, ints: v });
const float = (name: string, f: number): onnx.IAttributeProto => ({ name, type: A.FLOAT, f });
const str = (name: string, s: string): onnx.IAttributeProto => ({ name, type: A.STRING, s: Buffer.from(s) });

function floats(name: string, data: Float32Array, dims: number[]): onnx.TensorProto {
  return new onnx.TensorProto({ name, dataType: 1, dims, rawData: new Uint8Array(data.buffer.slice(0)) });
}
function int64s(name: string, values: number[], dims = [values.length]): onnx.TensorProto {
  return new onnx.TensorProto({ name, dataType: 7, dims, rawData: new Uint8Array(BigInt64Array.from(values, BigInt).buffer) });
}

/**
 * One network of the kind opset-6 exporters wrote (Conv, then a bias Add broadcast from axis 1, BatchNormalization
 * with is_test, per-channel PRelu, Dropout with is_test, a Mul by a run-time per-channel vector broadcast from axis 1,
 * Flatten, Gemm with broadcast) and the same network written for opset 13, which onnxruntime-node runs: qkit must read
 * the first as the second means it.
 */
function convNetwork(legacy: boolean): Uint8Array {
  const C = 4;
  const bias = floats("bias", seededValues(C, 3), [C]);
  const slope = floats("slope", seededValues(C, 5, 0.05, 0.4), [C]);
  const bn = ["gamma", "beta", "mean", "var"].map((n, i) => floats(n, seededValues(C, 11 + i, i === 3 ? 0.5 : -1, i === 3 ? 2 : 1), [C]));
  const w = floats("w", seededValues(C * 3 * 9, 7), [C, 3, 3, 3]);
  const fcW = floats("fcW", seededValues(5 * C * 36, 17), [5, C * 36]);
  const fcB = floats("fcB", seededValues(5, 19), [5]);
  const perChannel = legacy ? [] : [int64s("trail", [1, 2])];
  const nodes = legacy
    ? [
      node("Conv", ["x", "w"], ["conv"], [ints("kernel_shape", [3, 3]), ints("pads", [1, 1, 1, 1]), ints("strides", [1, 1])]),
      node("Add", ["conv", "bias"], ["biased"], [int("broadcast", 1), int("axis", 1)]),
      node("BatchNormalization", ["biased", ...bn.map((t) => t.name)], ["bn"], [float("epsilon", 1e-5), int("is_test", 1), float("momentum", 0.9)]),
      node("PRelu", ["bn", "slope"], ["prelu"]),
      node("Dropout", ["prelu"], ["dropped"], [int("is_test", 1), float("ratio", 0.5)]),
      node("Mul", ["dropped", "gate"], ["gated"], [int("broadcast", 1), int("axis", 1)]),
      node("Flatten", ["gated"], ["flat"], [int("axis", 1)]),
      node("Gemm", ["flat", "fcW", "fcB"], ["y"], [float("alpha", 1), float("beta", 1), int("broadcast", 1), int("transB", 1)]),
    ]
    : [
      node("Conv", ["x", "w"], ["conv"], [ints("kernel_shape", [3, 3]), ints("pads", [1, 1, 1, 1]), ints("strides", [1, 1])]),
      node("Unsqueeze", ["bias", "trail"], ["bias3"]),
      node("Add", ["conv", "bias3"], ["biased"]),
      node("BatchNormalization", ["biased", ...bn.map((t) => t.name)], ["bn"], [float("epsilon", 1e-5)]),
      node("Unsqueeze", ["slope", "trail"], ["slope3"]),
      node("PRelu", ["bn", "slope3"], ["prelu"]),
      node("Dropout", ["prelu"], ["dropped"]),
      node("Unsqueeze", ["gate", "trail"], ["gate3"]),
      node("Mul", ["dropped", "gate3"], ["gated"]),
      node("Flatten", ["gated"], ["flat"], [int("axis", 1)]),
      node("Gemm", ["flat", "fcW", "fcB"], ["y"], [float("alpha", 1), float("beta", 1), int("transB", 1)]),
    ];
  return modelBytes({
    name: "legacy-conv",
    node: nodes,
    initializer: [w, bias, slope, ...bn, fcW, fcB, ...perChannel],
    input: [valueInfo("x", "float32", [2, 3, 6, 6]), valueInfo("gate", "float32", [C])],
    output: [valueInfo("y", "float32", [2, 5])],
  }, { opset: legacy ? 6 : 13 });
}

/**
 * Opset 1's spellings: Cast to a type named by a string, Reshape's shape as an attribute, Concat without an axis
 * (1 then), Pad's `paddings`, Tile of one axis by `tiles` and `axis` inputs, Split sizes as an input, and the
 * `consumed_inputs` hints; beside the same graph for opset 13.
 */
function opsetOneNetwork(legacy: boolean): Uint8Array {
  const nodes = legacy
    ? [
      node("Relu", ["x"], ["r"], [ints("consumed_inputs", [0])]),
      node("Cast", ["r"], ["c"], [str("to", "FLOAT")]),
      node("Reshape", ["c"], ["flat"], [ints("shape", [2, 12])]),
      node("Concat", ["flat", "flat"], ["cat"]),
      node("Pad", ["cat"], ["padded"], [ints("paddings", [0, 1, 0, 2]), str("mode", "constant"), float("value", 0.5)]),
      node("Tile", ["padded", "tiles", "axis"], ["tiled"]),
      node("Split", ["tiled", "sizes"], ["y", "rest"], [int("axis", 1)]),
    ]
    : [
      node("Relu", ["x"], ["r"]),
      node("Cast", ["r"], ["c"], [int("to", 1)]),
      node("Reshape", ["c", "shape"], ["flat"]),
      node("Concat", ["flat", "flat"], ["cat"], [int("axis", 1)]),
      node("Pad", ["cat", "pads", "padValue"], ["padded"], [str("mode", "constant")]),
      node("Tile", ["padded", "repeats"], ["tiled"]),
      node("Split", ["tiled", "sizes"], ["y", "rest"], [int("axis", 1)]),
    ];
  const initializer = legacy
    ? [int64s("tiles", [3], []), int64s("axis", [0], []), int64s("sizes", [20, 7])]
    : [int64s("shape", [2, 12]), int64s("pads", [0, 1, 0, 2]), floats("padValue", new Float32Array([0.5]), []), int64s("repeats", [3, 1]), int64s("sizes", [20, 7])];
  return modelBytes({
    name: "legacy-one",
    node: nodes,
    initializer,
    input: [valueInfo("x", "float32", [2, 3, 4])],
    output: [valueInfo("y", "float32", [6, 20]), valueInfo("rest", "float32", [6, 7])],
  }, { opset: legacy ? 1 : 13 });
}

async function assertReadsAsModern(legacy: Uint8Array, modern: Uint8Array, feeds: Feeds): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "qkit-legacy-"));
  try {
    const file = path.join(dir, "modern.onnx");
    writeFileSync(file, modern);
    const expected = await runOrt(file, feeds);
    const model = await loadModel(legacy, { name: "legacy.onnx" });
    assert.equal(model.opset(), 10, "read as opset 10");
    const got = await runQkit(model, feeds);
    assert.equal(got.length, expected.length);
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i]! - expected[i]!) <= 1e-5 * Math.max(1, Math.abs(expected[i]!)), `output ${i}: ${got[i]} vs ${expected[i]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("an opset-6 network (axis broadcasting, is_test, per-channel PRelu, Gemm broadcast) runs as its opset-13 twin does in onnxruntime", async () => {
  const feeds: Feeds = { x: { data: seededValues(2 * 3 * 36, 1, -2, 2), dims: [2, 3, 6, 6] }, gate: { data: seededValues(4, 2, 0.5, 1.5), dims: [4] } };
  await assertReadsAsModern(convNetwork(true), convNetwork(false), feeds);
  const model = await loadModel(convNetwork(true), { name: "legacy.onnx" });
  assert.equal(model.sourceOpset, 6);
  assert.ok(model.graph.calls().some((n) => n.opType === "Unsqueeze"), "the run-time gate is aligned by an Unsqueeze");
});

test("opset 1's spellings (string Cast, Reshape and Pad attributes, Concat's default axis, Tile by axis, Split input) run as their opset-13 twin", async () => {
  await assertReadsAsModern(opsetOneNetwork(true), opsetOneNetwork(false), { x: { data: seededValues(24, 4, -1, 1), dims: [2, 3, 4] } });
});

test("a legacy node opset 7 cannot express is a one-line load error naming it", async () => {
  const bn = ["s", "b", "m", "v"].map((n) => floats(n, new Float32Array([1, 1]), [2]));
  const training = modelBytes({
    name: "bn-train",
    node: [node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y", "mean", "var", "sm", "sv"], [int("is_test", 0)], "bn1")],
    initializer: bn,
    input: [valueInfo("x", "float32", [1, 2, 3, 3])],
    output: [valueInfo("y", "float32", [1, 2, 3, 3])],
  }, { opset: 6 });
  await assert.rejects(loadModel(training, { name: "bn.onnx" }), (e: unknown) => e instanceof ModelLoadError && e.code === "unsupported-opset" &&
    /^bn\.onnx: imports opset 6, and BatchNormalization 'bn1' is in training mode \(is_test=0, 5 outputs\); export the model in eval mode$/.test(e.message));

  const unknownRank = modelBytes({
    name: "unknown-rank",
    node: [node("Relu", ["x"], ["r"]), node("Reshape", ["r", "shape"], ["h"]), node("Add", ["h", "b"], ["y"], [int("broadcast", 1), int("axis", 1)], "add1")],
    initializer: [floats("b", new Float32Array([1, 2]), [2])],
    input: [valueInfo("x", "float32", [1, 2, 3, 3]), valueInfo("shape", "int64", [4])],
    output: [valueInfo("y", "float32", [1, 2, 3, 3])],
  }, { opset: 6 });
  await assert.rejects(loadModel(unknownRank, { name: "add.onnx" }), (e: unknown) => e instanceof ModelLoadError &&
    /^add\.onnx: imports opset 6, and Add 'add1' broadcasts its second input from axis 1 over an input of unknown rank/.test(e.message));
});

test("an opset-6 model quantizes: check is clean and the export imports opset 10", async () => {
  const model = await loadModel(convNetwork(true), { name: "legacy.onnx" });
  const { quantizer } = loadQuantizer("xnnpack");
  assert.deepEqual(runCheck(model, quantizer).findings.filter((f) => f.severity === "error").map((f) => f.message), []);
  const prepared = prepare(model, quantizer);
  await calibrate(prepared, [{ x: new Tensor("float32", seededValues(2 * 3 * 36, 1, -2, 2), [2, 3, 6, 6]), gate: new Tensor("float32", seededValues(4, 2, 0.5, 1.5), [4]) }]);
  const exported = await loadModel(serializeModel(convert(prepared)));
  assert.equal(exported.opset(), 10);
  assert.ok(exported.graph.calls("QuantizeLinear").length > 0);
});

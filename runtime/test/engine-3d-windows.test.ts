import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { onnx } from "../src/tooling.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";
import { assertCoverageAgreesWithLowering } from "./helpers/coverage-lowering.js";
import { runOrt, runQkit } from "./helpers/ort-run.js";

const values = (n: number, seed: number) => seededValues(n, seed);

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
const ints = (name: string, v: number[]): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
const int = (name: string, v: number): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: v });

/** Runs a one-node model (then a Relu when asked) in onnxruntime-node and in qkit (1 and 2 threads), and compares. */
async function compare(op: string, xDims: number[], attributes: onnx.IAttributeProto[], weights?: { dims: number[]; bias: boolean }, relu = false): Promise<void> {
  const initializer: onnx.ITensorProto[] = [];
  const inputs = ["x"];
  if (weights) {
    const w = values(size(weights.dims), 17).map((v) => v * 0.5);
    initializer.push({ name: "w", dataType: 1, dims: weights.dims, rawData: new Uint8Array(w.buffer) });
    inputs.push("w");
    if (weights.bias) {
      const b = values(weights.dims[0]!, 23);
      initializer.push({ name: "b", dataType: 1, dims: [weights.dims[0]!], rawData: new Uint8Array(b.buffer) });
      inputs.push("b");
    }
  }
  const graph: onnx.IGraphProto = {
    name: "window-3d",
    node: [node(op, inputs, [relu ? "pre" : "y"], attributes), ...(relu ? [node("Relu", ["pre"], ["y"])] : [])],
    initializer,
    input: [valueInfo("x", "float32", xDims)],
    output: [valueInfo("y", "float32", ["?", "?", "?", "?", "?"])],
  };
  const dir = mkdtempSync(path.join(tmpdir(), "qkit-3d-"));
  try {
    const file = path.join(dir, "model.onnx");
    writeFileSync(file, modelBytes(graph, { opset: 17 }));
    const feeds = { x: { data: values(size(xDims), 5).map((v) => v * 3), dims: xDims } };
    const want = await runOrt(file, feeds);
    for (const threads of [1, 2]) {
      const got = await runQkit(file, feeds, { threads });
      assert.equal(got.length, want.length, `${op} ${JSON.stringify(attributes)}: output size`);
      for (let i = 0; i < want.length; i++) {
        assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-4 * Math.max(1, Math.abs(want[i]!)), `${op} ${JSON.stringify(attributes)}, ${threads} threads, element ${i}: ${got[i]} vs ${want[i]}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("3-D Conv as onnxruntime: padding, strides, dilations, groups, bias, a fused Relu", async () => {
  await compare("Conv", [2, 4, 6, 7, 8], [ints("pads", [1, 1, 1, 1, 1, 1])], { dims: [5, 4, 3, 3, 3], bias: true });
  await compare("Conv", [1, 4, 7, 9, 6], [ints("strides", [2, 1, 2]), ints("pads", [0, 1, 2, 1, 0, 1])], { dims: [6, 4, 3, 2, 3], bias: false }, true);
  await compare("Conv", [1, 6, 8, 8, 8], [ints("dilations", [2, 1, 2]), int("group", 2)], { dims: [4, 3, 2, 3, 3], bias: true });
  await compare("Conv", [1, 4, 5, 6, 7], [int("group", 4), ints("pads", [1, 1, 1, 1, 1, 1])], { dims: [4, 1, 3, 3, 3], bias: true }, true);
  await compare("Conv", [1, 8, 3, 5, 5], [], { dims: [16, 8, 1, 1, 1], bias: true });
  await compare("Conv", [1, 3, 5, 9, 9], [{ name: "auto_pad", type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode("SAME_UPPER") }, ints("strides", [2, 2, 2])], { dims: [8, 3, 3, 3, 3], bias: true });
});

test("3-D MaxPool and AveragePool as onnxruntime: padding, strides, ceil mode, dilations, counted padding", async () => {
  await compare("MaxPool", [2, 3, 6, 7, 8], [ints("kernel_shape", [2, 2, 2]), ints("strides", [2, 2, 2])]);
  await compare("MaxPool", [1, 2, 7, 7, 7], [ints("kernel_shape", [3, 3, 3]), ints("pads", [1, 1, 1, 1, 1, 1]), ints("strides", [2, 2, 2]), int("ceil_mode", 1)]);
  await compare("MaxPool", [1, 2, 9, 8, 9], [ints("kernel_shape", [3, 2, 3]), ints("dilations", [2, 1, 2])]);
  await compare("AveragePool", [2, 3, 6, 7, 8], [ints("kernel_shape", [3, 3, 3]), ints("pads", [1, 1, 1, 1, 1, 1])]);
  await compare("AveragePool", [1, 2, 7, 6, 7], [ints("kernel_shape", [3, 3, 3]), ints("pads", [1, 0, 1, 1, 0, 1]), ints("strides", [2, 2, 2]), int("count_include_pad", 1)]);
  await compare("AveragePool", [1, 2, 8, 8, 8], [ints("kernel_shape", [3, 3, 3]), ints("strides", [2, 2, 2]), int("ceil_mode", 1)]);
});

for (const builtin of ["xnnpack", "x86", "ort-qdq"] as const) {
  test(`a 3-D convolution network quantized by ${builtin} runs its convolutions on the integer kernels (depth padding read as the zero point, groups, strides, dilations), as check's coverage says, and as onnxruntime runs the export`, async () => {
    const { loadModel, runCheck, prepare, calibrate, convert, exportOnnx, lowerWithReport, loadQuantizer, Tensor } = await import("../src/tooling.js");
    const w1 = values(8 * 3 * 3 * 3 * 3, 17).map((v) => v * 0.3);
    const w2 = values(8 * 2 * 3 * 2 * 3, 19).map((v) => v * 0.3);
    const graph: onnx.IGraphProto = {
      name: "conv3d-net",
      node: [
        node("Conv", ["x", "w1", "b1"], ["c1"], [ints("pads", [1, 1, 1, 1, 1, 1])]),
        node("Relu", ["c1"], ["r1"]),
        node("Conv", ["r1", "w2", "b2"], ["c2"], [int("group", 4), ints("strides", [2, 1, 2]), ints("dilations", [1, 2, 1]), ints("pads", [2, 1, 0, 0, 2, 1])]),
        node("MaxPool", ["c2"], ["y"], [ints("kernel_shape", [2, 2, 2]), ints("strides", [2, 2, 2])]),
      ],
      initializer: [
        { name: "w1", dataType: 1, dims: [8, 3, 3, 3, 3], rawData: new Uint8Array(w1.buffer) },
        { name: "b1", dataType: 1, dims: [8], rawData: new Uint8Array(values(8, 3).buffer) },
        { name: "w2", dataType: 1, dims: [8, 2, 3, 2, 3], rawData: new Uint8Array(w2.buffer) },
        { name: "b2", dataType: 1, dims: [8], rawData: new Uint8Array(values(8, 4).buffer) },
      ],
      input: [valueInfo("x", "float32", [1, 3, 5, 8, 9])],
      output: [valueInfo("y", "float32", ["?", "?", "?", "?", "?"])],
    };
    const model = await loadModel(modelBytes(graph, { opset: 17 }), { name: "conv3d.onnx" });
    const quantizer = loadQuantizer(builtin).quantizer;
    const { coverage } = runCheck(model, quantizer);
    const conv = coverage.rows.find((r) => r.opType === "Conv")!;
    assert.deepEqual([conv.annotated, conv.notInt8], [2, 0], JSON.stringify(conv));
    const prepared = prepare(model, quantizer);
    const x = values(3 * 5 * 8 * 9, 9).map((v) => v * 2 + 0.5);
    await calibrate(prepared, [{ x: new Tensor("float32", x, [1, 3, 5, 8, 9]) }]);
    const converted = convert(prepared);
    const { report } = lowerWithReport(converted);
    assertCoverageAgreesWithLowering(coverage, report);
    assert.deepEqual(report.nodes.filter((n) => n.opType === "Conv").map((n) => n.loweredAs), ["com.qkit.QConv", "com.qkit.QConv"]);
    const dir = mkdtempSync(path.join(tmpdir(), "qkit-3d-q-"));
    try {
      const file = path.join(dir, "conv3d.qdq.onnx");
      await exportOnnx(converted, file);
      const feeds = { x: { data: x, dims: [1, 3, 5, 8, 9] } };
      const want = await runOrt(file, feeds);
      for (const threads of [1, 2]) {
        const got = await runQkit(file, feeds, { threads });
        assert.equal(got.length, want.length);
        const step = Math.max(...want.map(Math.abs)) / 127;
        for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1.01 * step, `${threads} threads, element ${i}: ${got[i]} vs ${want[i]} (a step is ${step})`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

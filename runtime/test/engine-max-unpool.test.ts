import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createSession, onnx, Tensor } from "../src/tooling.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";
import { assertCoverageAgreesWithLowering } from "./helpers/coverage-lowering.js";

const values = (n: number, seed: number) => seededValues(n, seed);

const ints = (name: string, v: number[]): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
const int = (name: string, v: number): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: v });

/** Every output of a model with one float input, in onnxruntime-node and in qkit, by name. */
async function both(graph: onnx.IGraphProto, dims: number[]): Promise<{ ort: Record<string, ArrayLike<number | bigint>>; qkit: Record<string, ArrayLike<number | bigint>> }> {
  const dir = mkdtempSync(path.join(tmpdir(), "qkit-unpool-"));
  try {
    const file = path.join(dir, "model.onnx");
    writeFileSync(file, modelBytes(graph, { opset: 12 }));
    const x = values(dims.reduce((a, b) => a * b, 1), 5);
    const ort = await import("onnxruntime-node");
    const reference = await ort.InferenceSession.create(file);
    const want = await reference.run({ x: new ort.Tensor("float32", x, dims) });
    const session = await createSession(file);
    try {
      const got = await session.run({ x: new Tensor("float32", x, dims) });
      return {
        ort: Object.fromEntries(Object.entries(want).map(([k, v]) => [k, v.data as ArrayLike<number | bigint>])),
        qkit: Object.fromEntries(Object.entries(got).map(([k, v]) => [k, v.data as ArrayLike<number | bigint>])),
      };
    } finally {
      await session.release();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("MaxPool's Indices output as onnxruntime: row- and column-major, padding, strides, ceil mode, dilations, 1-D to 3-D", async () => {
  const cases: [number[], onnx.IAttributeProto[]][] = [
    [[2, 3, 7, 8], [ints("kernel_shape", [2, 2]), ints("strides", [2, 2])]],
    [[1, 2, 7, 7], [ints("kernel_shape", [3, 3]), ints("pads", [1, 1, 1, 1]), ints("strides", [2, 2]), int("ceil_mode", 1)]],
    [[1, 2, 9, 8], [ints("kernel_shape", [3, 2]), ints("dilations", [2, 1]), int("storage_order", 1)]],
    [[1, 3, 11], [ints("kernel_shape", [3]), ints("strides", [2])]],
    [[1, 2, 4, 5, 6], [ints("kernel_shape", [2, 2, 2]), ints("strides", [2, 2, 2])]],
  ];
  for (const [dims, attributes] of cases) {
    const graph: onnx.IGraphProto = {
      name: "argmax-pool",
      node: [node("MaxPool", ["x"], ["y", "i"], attributes)],
      input: [valueInfo("x", "float32", dims)],
      output: [valueInfo("y", "float32", dims.map(() => "?")), valueInfo("i", "int64", dims.map(() => "?"))],
    };
    const { ort, qkit } = await both(graph, dims);
    const what = JSON.stringify(attributes);
    assert.deepEqual(Array.from(qkit.y!), Array.from(ort.y!), `${what}: values`);
    assert.deepEqual(Array.from(qkit.i!), Array.from(ort.i!), `${what}: indices`);
  }
});

test("MaxPool → Relu → MaxUnpool to the input's shape (a SegNet decoder step) as onnxruntime", async () => {
  for (const dims of [[1, 2, 8, 8], [2, 3, 7, 9]]) {
    const graph: onnx.IGraphProto = {
      name: "unpool",
      node: [
        node("MaxPool", ["x"], ["p", "i"], [ints("kernel_shape", [2, 2]), ints("strides", [2, 2])]),
        node("Relu", ["p"], ["r"]),
        node("Shape", ["x"], ["s"]),
        node("MaxUnpool", ["r", "i", "s"], ["y"], [ints("kernel_shape", [2, 2]), ints("strides", [2, 2])]),
      ],
      input: [valueInfo("x", "float32", dims)],
      output: [valueInfo("y", "float32", dims)],
    };
    const { ort, qkit } = await both(graph, dims);
    assert.deepEqual(Array.from(qkit.y!), Array.from(ort.y!), `input [${dims.join(", ")}]`);
  }
});

test("a quantized MaxPool with Indices: check's coverage and lower() agree it stays float32, and the export runs as in onnxruntime", async () => {
  const { loadModel, runCheck, prepare, calibrate, convert, exportOnnx, lowerWithReport, XnnpackQuantizer } = await import("../src/tooling.js");
  const w = values(4 * 2 * 3 * 3, 3).map((v) => v * 0.5);
  const graph: onnx.IGraphProto = {
    name: "segnet-step",
    node: [
      node("Conv", ["x", "w"], ["c"], [ints("pads", [1, 1, 1, 1])]),
      node("Relu", ["c"], ["r"]),
      node("MaxPool", ["r"], ["p", "i"], [ints("kernel_shape", [2, 2]), ints("strides", [2, 2])]),
      node("Shape", ["r"], ["s"]),
      node("MaxUnpool", ["p", "i", "s"], ["y"], [ints("kernel_shape", [2, 2]), ints("strides", [2, 2])]),
    ],
    initializer: [{ name: "w", dataType: 1, dims: [4, 2, 3, 3], rawData: new Uint8Array(w.buffer) }],
    input: [valueInfo("x", "float32", [1, 2, 7, 9])],
    output: [valueInfo("y", "float32", [1, 4, 7, 9])],
  };
  const model = await loadModel(modelBytes(graph, { opset: 13 }), { name: "segnet-step.onnx" });
  const { coverage } = runCheck(model, new XnnpackQuantizer());
  const prepared = prepare(model, new XnnpackQuantizer());
  const x = values(2 * 7 * 9, 5);
  await calibrate(prepared, [{ x: new Tensor("float32", x, [1, 2, 7, 9]) }]);
  const converted = convert(prepared);
  const { report } = lowerWithReport(converted);
  assertCoverageAgreesWithLowering(coverage, report);
  const dir = mkdtempSync(path.join(tmpdir(), "qkit-unpool-q-"));
  try {
    const file = path.join(dir, "segnet-step.qdq.onnx");
    await exportOnnx(converted, file);
    const ort = await import("onnxruntime-node");
    const reference = await ort.InferenceSession.create(file);
    const want = (await reference.run({ x: new ort.Tensor("float32", x, [1, 2, 7, 9]) })).y!.data as Float32Array;
    const session = await createSession(file);
    try {
      const got = (await session.run({ x: new Tensor("float32", x, [1, 2, 7, 9]) })).y!.data as Float32Array;
      const step = Math.max(...Array.from(want, Math.abs)) / 127;
      got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 1.01 * step, `element ${i}: ${v} vs ${want[i]} (a step is ${step})`));
    } finally {
      await session.release();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a spec on an operator with several outputs is a check error naming the getitem to use", async () => {
  const { loadModel, runCheck, Quantizer, QuantizationSpec, QuantizationAnnotation, MinMaxObserver } = await import("../src/tooling.js");
  const graph: onnx.IGraphProto = {
    name: "argmax",
    node: [node("MaxPool", ["x"], ["p", "i"], [ints("kernel_shape", [2, 2]), ints("strides", [2, 2])]), node("Relu", ["p"], ["y"])],
    input: [valueInfo("x", "float32", [1, 2, 6, 6])],
    output: [valueInfo("y", "float32", [1, 2, 3, 3]), valueInfo("i", "int64", [1, 2, 3, 3])],
  };
  const model = await loadModel(modelBytes(graph, { opset: 13 }), { name: "argmax.onnx" });
  class OnTheCall extends Quantizer {
    override annotate(m: typeof model): typeof model {
      const spec = new QuantizationSpec({ dtype: "int8", observer: MinMaxObserver });
      for (const n of m.graph.calls()) if (n.opType === "MaxPool") n.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: spec, annotated: true });
      return m;
    }
  }
  const errors = runCheck(model, new OnTheCall()).findings.filter((f) => f.severity === "error");
  assert.deepEqual(errors.map((f) => f.code), ["multi-output-quantized"]);
  assert.match(errors[0]!.message, /several outputs \(p, i\).*getitem/);
});

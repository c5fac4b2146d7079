import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { calibrate, convert, createSession, loadModel, loadQuantizer, lowerWithReport, onnx, prepare, runCheck, serializeModel, Tensor } from "../src/tooling.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";
import { assertCoverageAgreesWithLowering } from "./helpers/coverage-lowering.js";

const ort = createRequire(__filename)("onnxruntime-node") as typeof import("onnxruntime-node");
const A = onnx.AttributeProto.AttributeType;
const floats = (name: string, data: Float32Array | number[], dims: number[]) => new onnx.TensorProto({ name, dataType: 1, dims, rawData: new Uint8Array(Float32Array.from(data).buffer) });
const conv = (x: string, w: string, y: string) => node("Conv", [x, w], [y], [{ name: "kernel_shape", type: A.INTS, ints: [3, 3] }, { name: "pads", type: A.INTS, ints: [1, 1, 1, 1] }]);

/**
 * A convolution whose output only an If's branches read (by name), the If's result convolved again, and a NonZero
 * beside: quantized by each built-in, the export runs in onnxruntime and on qkit's int8 kernels, which keep the value
 * the branches read (lowering must not fold it into an integer convolution).
 */
function model(): Uint8Array {
  const thenBranch: onnx.IGraphProto = { name: "then", node: [node("Mul", ["features", "scale"], ["t0"]), node("Relu", ["t0"], ["out"])], output: [valueInfo("out", "float32", [1, 8, 8, 8])] };
  const elseBranch: onnx.IGraphProto = { name: "else", node: [node("Neg", ["features"], ["out"])], output: [valueInfo("out", "float32", [1, 8, 8, 8])] };
  return modelBytes({
    name: "quantized-if",
    node: [
      conv("x", "w", "features"),
      node("ReduceSum", ["x"], ["total"], [{ name: "keepdims", type: A.INT, i: 0 }]),
      node("Greater", ["total", "zero"], ["positive"]),
      node("If", ["positive"], ["chosen"], [{ name: "then_branch", type: A.GRAPH, g: thenBranch }, { name: "else_branch", type: A.GRAPH, g: elseBranch }]),
      conv("chosen", "w2", "c2"),
      node("NonZero", ["c2"], ["nz"]),
      node("Relu", ["c2"], ["y"]),
    ],
    initializer: [floats("w", seededValues(8 * 3 * 9, 3), [8, 3, 3, 3]), floats("w2", seededValues(8 * 8 * 9, 4), [8, 8, 3, 3]), floats("scale", [1.5], []), floats("zero", [0], [])],
    input: [valueInfo("x", "float32", [1, 3, 8, 8])],
    output: [valueInfo("y", "float32", [1, 8, 8, 8]), new onnx.ValueInfoProto({ name: "nz", type: { tensorType: { elemType: 7 } } })],
  }, { opset: 13 });
}

for (const builtin of ["xnnpack", "x86", "ort-qdq"]) {
  test(`${builtin}: a model whose If branches read a convolution's output by name quantizes, and its export runs in onnxruntime and on int8 kernels`, async () => {
    const loaded = await loadModel(model(), { name: "quantized-if.onnx" });
    const { quantizer } = loadQuantizer(builtin);
    assert.deepEqual(runCheck(loaded, quantizer).findings.filter((f) => f.severity === "error"), []);
    const prepared = prepare(loaded, quantizer);
    // Inputs that take each branch.
    const samples = [0, 1, 2, 3].map((seed) => ({ x: new Tensor("float32", seededValues(192, seed, seed % 2 ? -1.2 : -1, seed % 2 ? 1 : 1.2), [1, 3, 8, 8]) }));
    await calibrate(prepared, samples);
    const bytes = serializeModel(convert(prepared));
    const reference = await ort.InferenceSession.create(bytes);
    const int8 = await createSession(bytes);
    try {
      for (const sample of samples) {
        const want = (await reference.run({ x: new ort.Tensor("float32", sample.x.data as Float32Array, [1, 3, 8, 8]) })).y!.data as Float32Array;
        const got = (await int8.run(sample)).y!.data as Float32Array;
        const range = Math.max(...Array.from(want, Math.abs));
        assert.ok(range > 0, "the output is not all zeros");
        // One quantization step of the output at most (a float rounded on the other side of a tie).
        for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= range / 100, `y[${i}]: ${got[i]} vs ${want[i]}`);
      }
    } finally {
      await int8.release();
    }
  });
}

test("lowering says why a convolution whose output a subgraph reads stays float32, and check's coverage agrees", async () => {
  const loaded = await loadModel(model(), { name: "quantized-if.onnx" });
  const { coverage } = runCheck(loaded, loadQuantizer("xnnpack").quantizer);
  const prepared = prepare(loaded, loadQuantizer("xnnpack").quantizer);
  await calibrate(prepared, [{ x: new Tensor("float32", seededValues(192, 1, -1, 1), [1, 3, 8, 8]) }]);
  const { report } = lowerWithReport(convert(prepared));
  assertCoverageAgreesWithLowering(coverage, report);
  const conv = report.nodes.find((n) => n.name === "Conv_features");
  assert.ok(conv, "the first convolution is in the report");
  assert.match(conv.reason ?? "", /a subgraph \(an If branch, a Loop or Scan body\) reads its float32 output by name/);
  assert.ok(report.nodes.some((n) => n.name === "Conv_c2" && n.loweredAs), "the convolution after the If lowers");
});

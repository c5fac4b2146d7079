import { test } from "node:test";
import assert from "node:assert/strict";
import { loadModel, lowerWithReport, makeTensor, type onnx } from "../src/tooling.js";
import { intAttribute, intsAttribute } from "../src/onnx/attributes.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";
import { compareLowered, randomTensor } from "./int8-compare.js";

type Act = "uint8" | "int8";

/**
 * A hand-made Q/DQ model exercising the integer operators the CNNs do not: lookup tables (Sigmoid, HardSwish, Tanh,
 * Clip), Mul, AveragePool, Concat with requantization (along channels, and along a last axis of short rows), Transpose and Reshape with and without it, a grouped
 * convolution, an int8 MatMul, residual fan-out from one QuantizeLinear.
 */
function opsModel(act: Act): Uint8Array {
  const nodes: onnx.NodeProto[] = [];
  const inits: onnx.TensorProto[] = [];
  const zp = (name: string, v: number) => inits.push(makeTensor(name, act, [], act === "int8" ? Int8Array.of(v) : Uint8Array.of(v)));
  const scale = (name: string, v: number) => inits.push(makeTensor(name, "float32", [], Float32Array.of(v)));
  let n = 0;
  /** Quantize a float tensor and read it back: the name of the dequantized tensor. */
  const qdq = (x: string, s: number, z: number): string => {
    const id = `q${n++}`;
    scale(`${id}_s`, s);
    zp(`${id}_z`, z);
    nodes.push(node("QuantizeLinear", [x, `${id}_s`, `${id}_z`], [`${id}_q`]));
    nodes.push(node("DequantizeLinear", [`${id}_q`, `${id}_s`, `${id}_z`], [`${id}_dq`]));
    return `${id}_dq`;
  };
  const z0 = act === "int8" ? 0 : 128;
  const x = qdq("input", 0.02, z0);
  const op = (type: string, inputs: string[], attrs: onnx.IAttributeProto[] = []) => {
    const out = `${type}_${n++}`;
    nodes.push(node(type, inputs, [out], attrs, out));
    return out;
  };
  const sig = qdq(op("Sigmoid", [x]), 1 / 256, act === "int8" ? -128 : 0);
  const hs = qdq(op("HardSwish", [x]), 0.01, z0);
  const th = qdq(op("Tanh", [hs]), 1 / 128, z0);
  scale("clip_lo", -0.5);
  scale("clip_hi", 0.6);
  const cl = qdq(op("Clip", [th, "clip_lo", "clip_hi"]), 1 / 100, z0);
  const mul = qdq(op("Mul", [sig, cl]), 0.004, z0);
  const avg = qdq(op("AveragePool", [mul], [intsAttribute("kernel_shape", [3, 3]), intsAttribute("pads", [1, 1, 1, 1]),
    intsAttribute("strides", [2, 2]), intAttribute("count_include_pad", 0)]), 0.004, z0);
  // Grouped convolution (2 groups) with per-channel weights and a bias.
  const w = Int8Array.from({ length: 4 * 2 * 3 * 3 }, (_, i) => ((i * 37) % 255) - 127);
  inits.push(makeTensor("w", "int8", [4, 2, 3, 3], w), makeTensor("w_s", "float32", [4], Float32Array.of(0.01, 0.02, 0.015, 0.03)));
  inits.push(makeTensor("b", "int32", [4], Int32Array.of(100, -50, 7, 0)), makeTensor("b_s", "float32", [4], Float32Array.of(0.0002, 0.0004, 0.0003, 0.0006)));
  nodes.push(node("DequantizeLinear", ["w", "w_s"], ["w_dq"], [intAttribute("axis", 0)]));
  nodes.push(node("DequantizeLinear", ["b", "b_s"], ["b_dq"], [intAttribute("axis", 0)]));
  const conv = qdq(op("Conv", [x, "w_dq", "b_dq"], [intAttribute("group", 2), intsAttribute("pads", [1, 1, 1, 1]),
    intsAttribute("kernel_shape", [3, 3]), intsAttribute("strides", [2, 2])]), 0.05, z0);
  // Concat of differently quantized inputs, requantized to the output's parameters, and of one quantized as the
  // output is, copied as it is.
  const avgSame = qdq(op("AveragePool", [mul], [intsAttribute("kernel_shape", [3, 3]), intsAttribute("pads", [1, 1, 1, 1]),
    intsAttribute("strides", [2, 2]), intAttribute("count_include_pad", 0)]), 0.03, z0);
  const cat = qdq(op("Concat", [avg, conv, avgSame], [intAttribute("axis", 1)]), 0.03, z0);
  const tr = qdq(op("Transpose", [cat], [intsAttribute("perm", [0, 2, 3, 1])]), 0.03, z0);
  const tr2 = qdq(op("Transpose", [tr], [intsAttribute("perm", [0, 3, 1, 2])]), 0.05, z0);
  // Concat along the last axis: many rows of 12 bytes, one part copied and one requantized.
  const trB = qdq(op("Transpose", [cat], [intsAttribute("perm", [0, 2, 3, 1])]), 0.05, z0);
  const rows = qdq(op("Concat", [tr, trB], [intAttribute("axis", 3)]), 0.03, z0);
  inits.push(makeTensor("shape", "int64", [2], BigInt64Array.of(1n, -1n)));
  const flat = qdq(op("Reshape", [tr2, "shape"]), 0.05, z0);
  const wm = Int8Array.from({ length: 108 * 5 }, (_, i) => ((i * 53) % 255) - 127);
  inits.push(makeTensor("wm", "int8", [108, 5], wm), makeTensor("wm_s", "float32", [], Float32Array.of(0.01)));
  nodes.push(node("DequantizeLinear", ["wm", "wm_s"], ["wm_dq"]));
  const mm = qdq(op("MatMul", [flat, "wm_dq"]), 0.1, z0);
  const out = op("Add", [mm, mm]);
  return modelBytes({
    name: "ops", node: nodes, initializer: inits,
    input: [valueInfo("input", "float32", [1, 4, 6, 6])], output: [valueInfo(out, "float32", [1, 5]), valueInfo(rows, "float32", [1, 3, 3, 24])],
  }, { opset: 14 }); // HardSwish entered ONNX in opset 14
}

for (const act of ["uint8", "int8"] as const) {
  test(`${act}: tables, Mul, AveragePool, grouped Conv, Concat, Transpose, Reshape, MatMul lower and equal the reference`, async () => {
    const model = await loadModel(opsModel(act));
    const { report } = lowerWithReport(model);
    const float = report.nodes.filter((e) => !e.loweredAs);
    // Only the final Add (its output is the float graph output) stays float.
    assert.deepEqual(float.map((e) => e.opType), ["Add"], JSON.stringify(float));
    const diffs = await compareLowered(model, { input: randomTensor([1, 4, 6, 6], 5) });
    assert.ok(diffs.length >= 12);
    for (const d of diffs) {
      const tie = d.opType === "QConv" || d.opType === "QGemm" || d.opType === "QAveragePool";
      assert.ok(tie ? d.maxSteps <= 1 && d.mismatches <= 1 : d.mismatches === 0, `${d.name} ${d.opType}: ${d.mismatches} differ, up to ${d.maxSteps}`);
    }
  });
}

test("int16 activations: Conv and MatMul lower to the exact float64 path, the rest stays float with a reason", async () => {
  const inits: onnx.TensorProto[] = [
    makeTensor("s", "float32", [], Float32Array.of(1 / 4096)), makeTensor("z", "int16", [], Int16Array.of(0)),
    makeTensor("s2", "float32", [], Float32Array.of(1 / 1024)),
    makeTensor("w", "int8", [3, 4, 3, 3], Int8Array.from({ length: 108 }, (_, i) => ((i * 41) % 255) - 127)),
    makeTensor("ws", "float32", [3], Float32Array.of(0.01, 0.02, 0.005)),
    makeTensor("wm", "int8", [12, 2], Int8Array.from({ length: 24 }, (_, i) => ((i * 29) % 255) - 127)),
    makeTensor("wms", "float32", [], Float32Array.of(0.01)),
    makeTensor("shape", "int64", [2], BigInt64Array.of(1n, -1n)),
  ];
  const nodes = [
    node("QuantizeLinear", ["input", "s", "z"], ["xq"]), node("DequantizeLinear", ["xq", "s", "z"], ["x"]),
    node("DequantizeLinear", ["w", "ws"], ["wf"], [intAttribute("axis", 0)]),
    node("Conv", ["x", "wf"], ["c"], [intsAttribute("kernel_shape", [3, 3]), intsAttribute("strides", [2, 2])], "conv"),
    node("QuantizeLinear", ["c", "s2", "z"], ["cq"]), node("DequantizeLinear", ["cq", "s2", "z"], ["cf"]),
    node("Reshape", ["cf", "shape"], ["r"], [], "reshape"),
    node("QuantizeLinear", ["r", "s2", "z"], ["rq"]), node("DequantizeLinear", ["rq", "s2", "z"], ["rf"]),
    node("DequantizeLinear", ["wm", "wms"], ["wmf"]),
    node("MatMul", ["rf", "wmf"], ["m"], [], "matmul"),
    node("QuantizeLinear", ["m", "s2", "z"], ["mq"]), node("DequantizeLinear", ["mq", "s2", "z"], ["out"]),
  ];
  const model = await loadModel(modelBytes({ name: "int16", node: nodes, initializer: inits,
    input: [valueInfo("input", "float32", [1, 4, 5, 5])], output: [valueInfo("out", "float32", [1, 2])] }, { opset: 21 }));
  const { report } = lowerWithReport(model);
  const byName = new Map(report.nodes.map((e) => [e.name, e]));
  assert.equal(byName.get("conv")!.loweredAs, "com.qkit.QConv");
  assert.equal(byName.get("matmul")!.loweredAs, "com.qkit.QGemm");
  assert.match(byName.get("reshape")!.reason!, /uint8\/int8 only/);
  const diffs = await compareLowered(model, { input: randomTensor([1, 4, 5, 5], 3) });
  for (const d of diffs) assert.ok(d.maxSteps <= 1 && d.mismatches <= 1, `${d.name}: ${d.mismatches} differ, up to ${d.maxSteps}`);
  assert.ok(diffs.some((d) => d.opType === "QConv"));
});

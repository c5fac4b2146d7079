import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const qkit = require("../runtime/dist/src/tooling.js");
const { seededValues } = require("../runtime/dist/test/helpers/build.js");
const ort = require("onnxruntime-node");
const fs = require("fs");
// Build models by running the test module's builders is not exported; reconstruct quickly from test file via require of dist
const mod = require("../runtime/dist/test/helpers/build.js");
const A = qkit.onnx.AttributeProto.AttributeType;
const node = mod.node, valueInfo = mod.valueInfo, modelBytes = mod.modelBytes;
const floats = (name, data, dims) => new qkit.onnx.TensorProto({ name, dataType: 1, dims, rawData: new Uint8Array(Float32Array.from(data).buffer) });
const int64 = (name, values, dims) => new qkit.onnx.TensorProto({ name, dataType: 7, dims, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) });
const thenB = { name: "then", node: [node("Mul", ["features", "scale"], ["t0"]), node("Relu", ["t0"], ["out"])], output: [valueInfo("out", "float32", [1, 8, 8, 8])] };
const elseB = { name: "else", node: [node("Neg", ["features"], ["out"])], output: [valueInfo("out", "float32", [1, 8, 8, 8])] };
const bytes = modelBytes({ name: "qif", node: [
  node("Conv", ["x", "w"], ["features"], [{ name: "kernel_shape", type: A.INTS, ints: [3, 3] }, { name: "pads", type: A.INTS, ints: [1, 1, 1, 1] }]),
  node("ReduceSum", ["x"], ["total"], [{ name: "keepdims", type: A.INT, i: 0 }]),
  node("Greater", ["total", "zeroF"], ["positive"]),
  node("If", ["positive"], ["chosen"], [{ name: "then_branch", type: A.GRAPH, g: thenB }, { name: "else_branch", type: A.GRAPH, g: elseB }]),
  node("Conv", ["chosen", "w2"], ["c2"], [{ name: "kernel_shape", type: A.INTS, ints: [3, 3] }, { name: "pads", type: A.INTS, ints: [1, 1, 1, 1] }]),
  node("NonZero", ["c2"], ["nz"]),
  node("Relu", ["c2"], ["y"]),
 ], initializer: [floats("w", Array.from(seededValues(8 * 3 * 9, 3)), [8, 3, 3, 3]), floats("w2", Array.from(seededValues(8 * 8 * 9, 4)), [8, 8, 3, 3]), floats("scale", [1.5], []), floats("zeroF", [0], [])],
 input: [valueInfo("x", "float32", [1, 3, 8, 8])], output: [valueInfo("y", "float32", [1, 8, 8, 8]), new qkit.onnx.ValueInfoProto({ name: "nz", type: { tensorType: { elemType: 7 } } })] }, { opset: 13 });
for (const q of ["xnnpack", "x86", "ort-qdq"]) {
  try {
    const model = await qkit.loadModel(bytes, { name: "qif.onnx" });
    const quantizer = qkit.loadQuantizer(q).quantizer;
    const f = qkit.runCheck(model, quantizer).findings;
    console.log(q, "findings", f.map((x) => `${x.severity}:${x.code}`).join(" "));
    const prepared = qkit.prepare(model, quantizer);
    const samples = [0, 1, 2, 3].map((s) => ({ x: new qkit.Tensor("float32", seededValues(192, s, -1, 1.2), [1, 3, 8, 8]) }));
    await qkit.calibrate(prepared, samples);
    const out = qkit.serializeModel(qkit.convert(prepared)); fs.writeFileSync("/tmp/probe/qif-" + q + ".onnx", out);
    const s1 = await qkit.createSession(out, { lowering: false }); const s2 = await qkit.createSession(out);
    const o = await ort.InferenceSession.create(out);
    for (const smp of samples) {
      const r1 = (await s1.run(smp)).y.data, r2 = (await s2.run(smp)).y.data;
      const r3 = (await o.run({ x: new ort.Tensor("float32", smp.x.data, [1, 3, 8, 8]) })).y.data;
      let d12 = 0, d13 = 0; for (let i = 0; i < r1.length; i++) { d12 = Math.max(d12, Math.abs(r1[i] - r2[i])); d13 = Math.max(d13, Math.abs(r1[i] - r3[i])); }
      console.log(q, "ref vs int8", d12.toFixed(4), "ref vs ort", d13.toFixed(4));
    }
  } catch (e) { console.log(q, "ERROR", e.stack.split("\n").slice(0,8).join("\n")); }
}
{
  const model = await qkit.loadModel(bytes, { name: "qif.onnx" });
  const prepared = qkit.prepare(model, qkit.loadQuantizer("xnnpack").quantizer);
  await qkit.calibrate(prepared, [{ x: new qkit.Tensor("float32", seededValues(192, 1, -1, 1.2), [1, 3, 8, 8]) }]);
  console.log(qkit.printGraph(qkit.convert(prepared).graph));
}
{
  const model = await qkit.loadModel(bytes, { name: "qif.onnx" });
  const prepared = qkit.prepare(model, qkit.loadQuantizer("xnnpack").quantizer);
  await qkit.calibrate(prepared, [{ x: new qkit.Tensor("float32", seededValues(192, 1, -1, 1.2), [1, 3, 8, 8]) }]);
  const c = qkit.convert(prepared);
  console.log("VALUES", c.graph.nodes.map((n) => n.valueName).join(" "));
  const re = await qkit.loadModel(qkit.serializeModel(c));
  console.log("RELOADED", re.graph.nodes.map((n) => n.valueName).join(" "));
}

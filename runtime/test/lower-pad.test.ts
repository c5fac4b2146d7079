import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createSession, loadModel, lowerWithReport, makeTensor, type onnx } from "../src/tooling.js";
import { floatAttribute, intsAttribute, stringAttribute } from "../src/onnx/attributes.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";
import { compareLowered, randomTensor } from "./int8-compare.js";

/**
 * Pad between a DequantizeLinear and a QuantizeLinear: constant mode fills with the code of the pad value (the zero
 * point for 0), reflect and edge move codes; an output with other parameters is requantized after the Pad. A pad value
 * that is no code of the input's quantization keeps the Pad float, and says why.
 */
function padModel(act: "uint8" | "int8", opset: number): { bytes: Uint8Array; outputs: string[] } {
  const nodes: onnx.NodeProto[] = [];
  const inits: onnx.TensorProto[] = [];
  const z0 = act === "int8" ? 5 : 131;
  let n = 0;
  const qdq = (x: string, s: number): string => {
    const id = `q${n++}`;
    inits.push(makeTensor(`${id}_s`, "float32", [], Float32Array.of(s)));
    inits.push(makeTensor(`${id}_z`, act, [], act === "int8" ? Int8Array.of(z0) : Uint8Array.of(z0)));
    nodes.push(node("QuantizeLinear", [x, `${id}_s`, `${id}_z`], [`${id}_q`]));
    nodes.push(node("DequantizeLinear", [`${id}_q`, `${id}_s`, `${id}_z`], [`${id}_dq`]));
    return `${id}_dq`;
  };
  const pads = [0, 1, 2, 0, 0, 2, 1, 0];
  inits.push(makeTensor("pads", "int64", [8], BigInt64Array.from(pads.map(BigInt))));
  inits.push(makeTensor("zero", "float32", [], Float32Array.of(0)));
  inits.push(makeTensor("odd", "float32", [], Float32Array.of(0.0123)));
  const padNode = (name: string, mode: string, value?: string) => {
    const attrs = [stringAttribute("mode", mode)];
    if (opset < 11) attrs.push(intsAttribute("pads", pads), ...(value === "odd" ? [floatAttribute("value", 0.0123)] : []));
    nodes.push(node("Pad", opset < 11 ? [x] : [x, "pads", ...(value ? [value] : [])], [name], attrs, name));
    return name;
  };
  const x = qdq("input", 0.02);
  const outputs = [
    qdq(padNode("pad_zero", "constant", opset < 11 ? undefined : "zero"), 0.02),
    qdq(padNode("pad_zero_requant", "constant"), 0.03),
    qdq(padNode("pad_reflect", "reflect"), 0.02),
    qdq(padNode("pad_edge", "edge"), 0.025),
    qdq(padNode("pad_odd", "constant", "odd"), 0.02),
  ];
  const bytes = modelBytes({
    name: "pad", node: nodes, initializer: inits,
    input: [valueInfo("input", "float32", [1, 3, 5, 6])], output: outputs.map((o) => valueInfo(o, "float32", [])),
  }, { opset });
  return { bytes, outputs };
}

for (const act of ["uint8", "int8"] as const) {
  for (const opset of [10, 17]) {
    test(`${act}, opset ${opset}: Pad lowers on the integers (constant, reflect, edge), equal to the Q/DQ reference and to onnxruntime-node`, async () => {
      const { bytes, outputs } = padModel(act, opset);
      const model = await loadModel(bytes);
      const { report } = lowerWithReport(model);
      const byName = new Map(report.nodes.map((e) => [e.name, e]));
      for (const name of ["pad_zero", "pad_reflect"]) assert.equal(byName.get(name)?.loweredAs, `Pad on ${act}`, byName.get(name)?.reason);
      for (const name of ["pad_zero_requant", "pad_edge"]) assert.equal(byName.get(name)?.loweredAs, `Pad on ${act} + com.qkit.QLut`, byName.get(name)?.reason);
      assert.match(byName.get("pad_odd")!.reason ?? "", /pad value 0\.0123 is not exactly a code/);

      const feeds = { input: randomTensor([1, 3, 5, 6], 3) };
      const diffs = await compareLowered(model, feeds);
      assert.ok(diffs.filter((d) => d.opType === "Pad").length >= 2, diffs.map((d) => d.opType).join(", "));
      for (const d of diffs) assert.equal(d.mismatches, 0, `${d.name} ${d.opType}: ${d.mismatches} of ${d.elements} differ`);

      const ort = await import("onnxruntime-node");
      const dir = mkdtempSync(path.join(tmpdir(), "qkit-lower-pad-"));
      try {
        const file = path.join(dir, "pad.onnx");
        writeFileSync(file, bytes);
        const theirs = await (await ort.InferenceSession.create(file)).run({ input: new ort.Tensor("float32", feeds.input.data as Float32Array, [...feeds.input.dims]) });
        const session = await createSession(model);
        const mine = await session.run(feeds);
        await session.release();
        for (const name of outputs) assert.deepEqual([...(mine[name]!.data as Float32Array)], [...(theirs[name]!.data as Float32Array)], name);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}

import { test } from "node:test";
import assert from "node:assert/strict";
import { makeTensor, lowerWithReport, loadModel, Tensor, type onnx } from "../src/tooling.js";
import { createSession } from "../src/session/create-session.js";
import { intAttribute } from "../src/onnx/attributes.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

/**
 * DequantizeLinear → Softmax → QuantizeLinear lowers to one QSoftmax (codes in, codes out): along the last axis
 * (contiguous rows, with and without a multiple of 16 codes) and along an inner axis. Its codes are held against the
 * softmax of the dequantized input computed here in float64, then quantized: at most one step apart, and rarely.
 */
function softmaxModel(dims: number[], axis: number, xType: "uint8" | "int8", yType: "uint8" | "int8"): Uint8Array {
  const inits: onnx.TensorProto[] = [
    makeTensor("xs", "float32", [], Float32Array.of(0.05)),
    makeTensor("xz", xType, [], xType === "int8" ? Int8Array.of(-3) : Uint8Array.of(120)),
    makeTensor("ys", "float32", [], Float32Array.of(1 / 256)),
    makeTensor("yz", yType, [], yType === "int8" ? Int8Array.of(-128) : Uint8Array.of(0)),
  ];
  return modelBytes({
    name: "qsoftmax", initializer: inits,
    node: [
      node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
      node("DequantizeLinear", ["xq", "xs", "xz"], ["xf"]),
      node("Softmax", ["xf"], ["p"], [intAttribute("axis", axis)], "softmax"),
      node("QuantizeLinear", ["p", "ys", "yz"], ["y"]),
    ],
    input: [valueInfo("x", "float32", dims)],
    output: [valueInfo("xq", xType, dims), valueInfo("y", yType, dims)],
  }, { opset: 17 });
}

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

for (const [dims, axis] of [[[2, 3, 37], -1], [[4, 64], 1], [[2, 5, 3, 4], 1]] as const) {
  for (const [xType, yType] of [["uint8", "uint8"], ["int8", "int8"], ["uint8", "int8"]] as const) {
    test(`QSoftmax over axis ${axis} of [${dims}] (${xType} → ${yType}) is within a step of the exact softmax, rarely off`, async () => {
      const bytes = softmaxModel([...dims], axis, xType, yType);
      const { report } = lowerWithReport(await loadModel(bytes));
      assert.equal(report.nodes.find((n) => n.name === "softmax")!.loweredAs, "com.qkit.QSoftmax");
      const x = Float32Array.from({ length: size(dims) }, (_, i) => Math.sin(i * 2.3) * 5 + Math.cos(i * 0.11) * 2);
      const session = await createSession(bytes);
      let out;
      try {
        out = await session.run({ x: new Tensor("float32", x, [...dims]) });
      } finally {
        await session.release();
      }
      const q = out.xq!.data as Uint8Array | Int8Array;
      const y = out.y!.data as Uint8Array | Int8Array;
      const a = axis < 0 ? axis + dims.length : axis;
      const outer = size(dims.slice(0, a));
      const n = dims[a]!;
      const inner = size(dims.slice(a + 1));
      const xz = xType === "int8" ? -3 : 120;
      const [yz, lo, hi] = yType === "int8" ? [-128, -128, 127] : [0, 0, 255];
      let off = 0;
      let worst = 0;
      for (let o = 0; o < outer; o++) {
        for (let c = 0; c < inner; c++) {
          const at = (i: number) => (o * n + i) * inner + c;
          const v = Array.from({ length: n }, (_, i) => Math.fround((q[at(i)]! - xz) * Math.fround(0.05)));
          const m = Math.max(...v);
          const e = v.map((t) => Math.exp(t - m));
          const s = e.reduce((acc, t) => acc + t, 0);
          for (let i = 0; i < n; i++) {
            const expected = Math.min(hi, Math.max(lo, Math.round((e[i]! / s) * 256) + yz));
            const d = Math.abs(y[at(i)]! - expected);
            worst = Math.max(worst, d);
            if (d) off++;
          }
        }
      }
      assert.ok(new Set(y).size > 20, "the outputs spread over many codes");
      assert.ok(worst <= 1, `up to ${worst} steps from the exact softmax`);
      assert.ok(off <= y.length / 50, `${off} of ${y.length} codes a step off`);
    });
  }
}

import { test } from "node:test";
import assert from "node:assert/strict";
import { makeTensor, lowerWithReport, loadModel, Tensor, type onnx } from "../src/tooling.js";
import { createSession } from "../src/session/create-session.js";
import { floatAttribute, intAttribute } from "../src/onnx/attributes.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

/**
 * DequantizeLinear → LayerNormalization → QuantizeLinear lowers to one QLayerNorm (codes in, codes out). Its codes are
 * the Q/DQ reference's bit for bit (the float engine running the island), and within a step of LayerNorm computed
 * here in float64: rows whose length is a multiple of 8, of 4 only, with a scalar tail, normalised over one or two
 * axes, with and without β, uint8 and int8 on either side, on one thread and two.
 */
interface Case {
  dims: number[];
  axis: number;
  xType: "uint8" | "int8";
  yType: "uint8" | "int8";
  beta: boolean;
}

function layerNormModel(c: Case): Uint8Array {
  const n = c.dims.slice(c.axis < 0 ? c.axis + c.dims.length : c.axis).reduce((a, b) => a * b, 1);
  const normalized = c.dims.slice(c.axis < 0 ? c.axis + c.dims.length : c.axis);
  const inits: onnx.TensorProto[] = [
    makeTensor("xs", "float32", [], Float32Array.of(0.07)),
    makeTensor("xz", c.xType, [], c.xType === "int8" ? Int8Array.of(5) : Uint8Array.of(121)),
    makeTensor("gamma", "float32", normalized, Float32Array.from({ length: n }, (_, i) => 0.6 + Math.abs(Math.sin(i * 0.7)))),
    makeTensor("ys", "float32", [], Float32Array.of(0.025)),
    makeTensor("yz", c.yType, [], c.yType === "int8" ? Int8Array.of(-2) : Uint8Array.of(130)),
  ];
  if (c.beta) inits.push(makeTensor("beta", "float32", normalized, Float32Array.from({ length: n }, (_, i) => Math.cos(i * 1.3) / 4)));
  return modelBytes({
    name: "qlayernorm", initializer: inits,
    node: [
      node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
      node("DequantizeLinear", ["xq", "xs", "xz"], ["xf"]),
      node("LayerNormalization", ["xf", "gamma", ...(c.beta ? ["beta"] : [])], ["l"], [intAttribute("axis", c.axis), floatAttribute("epsilon", 1e-5)], "ln"),
      node("QuantizeLinear", ["l", "ys", "yz"], ["y"]),
    ],
    input: [valueInfo("x", "float32", c.dims)],
    output: [valueInfo("xq", c.xType, c.dims), valueInfo("y", c.yType, c.dims)],
  }, { opset: 17 });
}

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

async function run(bytes: Uint8Array, x: Tensor, options: { lowering?: boolean; threads?: number }): Promise<Record<string, Tensor>> {
  const session = await createSession(bytes, options);
  try {
    return await session.run({ x });
  } finally {
    await session.release();
  }
}

const CASES: Case[] = [
  { dims: [2, 50, 192], axis: -1, xType: "uint8", yType: "uint8", beta: true },
  { dims: [3, 7, 36], axis: 2, xType: "int8", yType: "int8", beta: true },
  { dims: [1, 9, 37], axis: -1, xType: "uint8", yType: "int8", beta: false },
  { dims: [4, 5, 6], axis: 1, xType: "int8", yType: "uint8", beta: true },
];

for (const c of CASES) {
  test(`QLayerNorm over axis ${c.axis} of [${c.dims}] (${c.xType} → ${c.yType}${c.beta ? "" : ", no β"}) gives the reference's codes`, async () => {
    const bytes = layerNormModel(c);
    const { report } = lowerWithReport(await loadModel(bytes));
    assert.equal(report.nodes.find((n) => n.name === "ln")!.loweredAs, "com.qkit.QLayerNorm");
    // Rows with different means and spreads, one of them constant.
    const x = new Tensor("float32", Float32Array.from({ length: size(c.dims) }, (_, i) => (i < 40 ? 0.5 : Math.sin(i * 2.3) * (2 + (i % 11)) + Math.cos(i * 0.013) * 3)), [...c.dims]);
    const reference = await run(bytes, x, { lowering: false });
    for (const threads of [1, 2]) {
      const lowered = await run(bytes, x, { threads });
      const y = lowered.y!.data as Uint8Array | Int8Array;
      const expected = reference.y!.data as Uint8Array | Int8Array;
      let mismatches = 0;
      for (let i = 0; i < y.length; i++) if (y[i] !== expected[i]) mismatches++;
      assert.equal(mismatches, 0, `${mismatches} of ${y.length} codes differ from the reference on ${threads} thread(s)`);
      assert.ok(new Set(y).size > 30, "the outputs spread over many codes");
    }
    // And the reference itself is LayerNorm within a step, computed here in float64 from the same codes.
    const q = reference.xq!.data as Uint8Array | Int8Array;
    const y = reference.y!.data as Uint8Array | Int8Array;
    const axis = c.axis < 0 ? c.axis + c.dims.length : c.axis;
    const n = size(c.dims.slice(axis));
    const xz = c.xType === "int8" ? 5 : 121;
    const [yz, lo, hi] = c.yType === "int8" ? [-2, -128, 127] : [130, 0, 255];
    for (let r = 0; r < y.length / n; r++) {
      const v = Array.from({ length: n }, (_, i) => (q[r * n + i]! - xz) * Math.fround(0.07));
      const mean = v.reduce((a, b) => a + b, 0) / n;
      const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
      for (let i = 0; i < n; i++) {
        const g = 0.6 + Math.abs(Math.sin(i * 0.7));
        const b = c.beta ? Math.cos(i * 1.3) / 4 : 0;
        const exact = ((v[i]! - mean) / Math.sqrt(variance + 1e-5)) * g + b;
        const code = Math.min(hi, Math.max(lo, Math.round(exact / 0.025) + yz));
        assert.ok(Math.abs(code - y[r * n + i]!) <= 1, `row ${r}, element ${i}: ${y[r * n + i]} against ${code}`);
      }
    }
  });
}

test("a LayerNormalization whose γ is quantized stays float32 and says why", async () => {
  const c = CASES[0]!;
  const model = await loadModel(layerNormModel(c));
  const graph = model.graph;
  const ln = graph.calls().find((n) => n.name === "ln")!;
  const gamma = ln.args[1]!;
  const scale = graph.addParameter("gs", makeTensor("gs", "float32", [], Float32Array.of(0.01)));
  const codes = graph.addParameter("gq", makeTensor("gq", "int8", [192], Int8Array.from({ length: 192 }, (_, i) => i % 100)));
  const dq = graph.addCall("DequantizeLinear", [codes, scale], { name: "dq_gamma" }, { before: ln });
  dq.meta.dtype = "float32";
  dq.meta.shape = [192];
  ln.replaceInput(gamma, dq);
  const { report } = lowerWithReport(model);
  const entry = report.nodes.find((n) => n.name === "ln")!;
  assert.equal(entry.loweredAs, undefined);
  assert.match(entry.reason!, /scale \(γ\) is quantized/);
});

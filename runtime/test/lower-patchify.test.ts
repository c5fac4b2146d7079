import { test } from "node:test";
import assert from "node:assert/strict";
import { createSession, loadModel, lowerWithReport, makeTensor, Tensor, type onnx } from "../src/tooling.js";
import { intAttribute, intsAttribute } from "../src/onnx/attributes.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";
import { ints, roundHalfEven } from "./helpers/integer-oracle.js";

// A convolution whose kernel equals its stride, unpadded (a vision transformer's patch embedding), lowers to the
// patches laid out as rows and one QGemm; held here against a scalar oracle of the convolution's documented
// arithmetic (exact integer sums, float32 requantization rounded half to even): several images, a symbolic batch,
// non-square patches, both activation types, per-channel weights and a bias. A patch smaller than 8×8 stays a QConv.

interface Case { N: number; C: number; M: number; H: number; W: number; kh: number; kw: number; batch?: string }

const CASES: Case[] = [
  { N: 2, C: 2, M: 11, H: 16, W: 24, kh: 8, kw: 8 },
  { N: 1, C: 3, M: 9, H: 32, W: 16, kh: 16, kw: 8 },
  { N: 3, C: 1, M: 6, H: 16, W: 27, kh: 8, kw: 9, batch: "batch" },
];

function patchModel(c: Case, act: "uint8" | "int8", zx: number, zy: number, w: Int8Array, bias: Int32Array, ws: number[]) {
  const { N, C, M, H, W, kh, kw } = c;
  const signed = act === "int8";
  const zp = (name: string, v: number) => makeTensor(name, act, [], signed ? Int8Array.of(v) : Uint8Array.of(v));
  const f32 = (name: string, dims: number[], v: number[]) => makeTensor(name, "float32", dims, Float32Array.from(v));
  const inits: onnx.TensorProto[] = [
    f32("sx", [], [0.0625]), zp("zx", zx), f32("sy", [], [0.2]), zp("zy", zy),
    makeTensor("w", "int8", [M, C, kh, kw], w), f32("ws", [M], ws),
    makeTensor("b", "int32", [M], bias), f32("bs", [M], ws.map((s) => Math.fround(0.0625) * Math.fround(s))),
  ];
  const graph: onnx.IGraphProto = {
    name: "patches",
    node: [
      node("QuantizeLinear", ["x", "sx", "zx"], ["xq"]),
      node("DequantizeLinear", ["xq", "sx", "zx"], ["xd"]),
      node("DequantizeLinear", ["w", "ws"], ["wd"], [intAttribute("axis", 0)]),
      node("DequantizeLinear", ["b", "bs"], ["bd"], [intAttribute("axis", 0)]),
      node("Conv", ["xd", "wd", "bd"], ["yf"], [intsAttribute("strides", [kh, kw]), intsAttribute("kernel_shape", [kh, kw]),
        intsAttribute("pads", [0, 0, 0, 0])], "embed"),
      node("QuantizeLinear", ["yf", "sy", "zy"], ["y"]),
    ],
    initializer: inits,
    input: [valueInfo("x", "float32", [c.batch ?? N, C, H, W])],
    output: [valueInfo("y", act, [c.batch ?? N, M, H / kh, W / kw])],
  };
  return modelBytes(graph, { opset: 13 });
}

for (const act of ["uint8", "int8"] as const) {
  test(`a patch-embedding Conv (kernel = stride, no padding) runs as patches and one QGemm, equal to the oracle (${act})`, async () => {
    for (const c of CASES) {
      const { N, C, M, H, W, kh, kw } = c;
      const signed = act === "int8";
      const zx = signed ? -3 : 120;
      const zy = signed ? 4 : 100;
      const ws = Array.from({ length: M }, (_, m) => 0.01 + 0.004 * m);
      const codes = ints(N * C * H * W, signed ? -128 : 0, signed ? 127 : 255, C * 7 + W);
      const w = Int8Array.from(ints(M * C * kh * kw, -127, 127, M * 13 + kh));
      const bias = Int32Array.from(ints(M, -2000, 2000, 5));
      const model = await loadModel(patchModel(c, act, zx, zy, w, bias, ws));
      const { report } = lowerWithReport(model);
      assert.equal(report.nodes.find((e) => e.name === "embed")?.loweredAs, `com.qkit.QGemm over its ${kh}×${kw} patches (laid out by Transpose on ${act})`);
      const session = await createSession(model);
      try {
        const x = Float32Array.from(codes, (q) => (q - zx) * 0.0625);
        const out = await session.run({ x: new Tensor("float32", x, [N, C, H, W]) });
        const y = out.y!.data as ArrayLike<number>;
        const OH = H / kh, OW = W / kw;
        assert.deepEqual(out.y!.dims, [N, M, OH, OW]);
        const qlo = signed ? -128 : 0, qhi = signed ? 127 : 255;
        for (let n = 0; n < N; n++) for (let m = 0; m < M; m++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
          let acc = bias[m]!;
          for (let ci = 0; ci < C; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
            acc += (codes[((n * C + ci) * H + oy * kh + ky) * W + ox * kw + kx]! - zx) * w[((m * C + ci) * kh + ky) * kw + kx]!;
          }
          const mult = Math.fround((Math.fround(0.0625) * Math.fround(ws[m]!)) / Math.fround(0.2));
          const want = Math.min(qhi, Math.max(qlo, roundHalfEven(Math.fround(Math.fround(acc) * mult)) + zy));
          assert.equal(y[((n * M + m) * OH + oy) * OW + ox], want, `${JSON.stringify(c)}: y[${n}][${m}][${oy}][${ox}]`);
        }
      } finally {
        await session.release();
      }
    }
  });
}

test("a strided Conv whose kernel equals its stride but is smaller than 8×8 (a CNN's 4×4) stays a QConv", async () => {
  const c = { N: 1, C: 8, M: 4, H: 8, W: 8, kh: 4, kw: 4 };
  const model = await loadModel(patchModel(c, "uint8", 120, 100, new Int8Array(512).fill(3), new Int32Array(4), [0.01, 0.02, 0.03, 0.04]));
  assert.equal(lowerWithReport(model).report.nodes.find((e) => e.name === "embed")?.loweredAs, "com.qkit.QConv");
});

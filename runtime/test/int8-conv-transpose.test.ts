import { test } from "node:test";
import assert from "node:assert/strict";
import { createSession, loadModel, lowerWithReport, makeTensor, Tensor, type onnx } from "../src/tooling.js";
import { intAttribute, intsAttribute } from "../src/onnx/attributes.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";
import { ints, roundHalfEven } from "./helpers/integer-oracle.js";

// A transposed convolution whose stride equals its kernel (U-Net's 2×2 up-convolution) runs as a 1×1 integer
// convolution to the tap planes and a depth-to-space interleave; held here against a scalar oracle of the documented
// arithmetic (exact integer sums, float32 requantization rounded half to even), on widths that take the interleave's
// vector loop and its tail, two images, and both activation types.

interface Case { N: number; C: number; M: number; H: number; W: number; k: number }

const CASES: Case[] = [
  { N: 2, C: 5, M: 3, H: 3, W: 21, k: 2 },
  { N: 1, C: 9, M: 4, H: 2, W: 5, k: 3 },
];

for (const act of ["uint8", "int8"] as const) {
  test(`QConvTranspose with stride = kernel equals the oracle (1×1 convolution to tap planes, depth to space; ${act})`, async () => {
    for (const c of CASES) {
      const { N, C, M, H, W, k } = c;
      const signed = act === "int8";
      const zx = signed ? -3 : 120;
      const zy = signed ? 4 : 100;
      const sx = 0.0625;
      const sy = 0.05;
      const ws = Array.from({ length: M }, (_, m) => 0.01 + 0.004 * m);
      const codes = ints(N * C * H * W, signed ? -128 : 0, signed ? 127 : 255, C * 7 + W);
      const w = Int8Array.from(ints(C * M * k * k, -127, 127, M * 13 + k));
      const bias = Int32Array.from(ints(M, -2000, 2000, 5));
      const zp = (name: string, v: number) => makeTensor(name, act, [], signed ? Int8Array.of(v) : Uint8Array.of(v));
      const f32 = (name: string, dims: number[], v: number[]) => makeTensor(name, "float32", dims, Float32Array.from(v));
      const inits: onnx.TensorProto[] = [
        f32("sx", [], [sx]), zp("zx", zx), f32("sy", [], [sy]), zp("zy", zy),
        makeTensor("w", "int8", [C, M, k, k], w), f32("ws", [M], ws),
        makeTensor("b", "int32", [M], bias), f32("bs", [M], ws.map((s) => Math.fround(sx) * Math.fround(s))),
      ];
      const graph: onnx.IGraphProto = {
        name: "up",
        node: [
          node("QuantizeLinear", ["x", "sx", "zx"], ["xq"]),
          node("DequantizeLinear", ["xq", "sx", "zx"], ["xd"]),
          node("DequantizeLinear", ["w", "ws"], ["wd"], [intAttribute("axis", 1)]),
          node("DequantizeLinear", ["b", "bs"], ["bd"], [intAttribute("axis", 0)]),
          node("ConvTranspose", ["xd", "wd", "bd"], ["yf"], [intsAttribute("strides", [k, k]), intsAttribute("kernel_shape", [k, k])], "up"),
          node("QuantizeLinear", ["yf", "sy", "zy"], ["y"]),
        ],
        initializer: inits,
        input: [valueInfo("x", "float32", [N, C, H, W])],
        output: [valueInfo("y", act, [N, M, H * k, W * k])],
      };
      const model = await loadModel(modelBytes(graph, { opset: 13 }));
      const { report } = lowerWithReport(model);
      assert.equal(report.nodes.find((e) => e.name === "up")?.loweredAs, "com.qkit.QConvTranspose");
      const session = await createSession(model);
      try {
        const x = Float32Array.from(codes, (q) => (q - zx) * sx);
        const out = await session.run({ x: new Tensor("float32", x, [N, C, H, W]) });
        const y = out.y!.data as ArrayLike<number>;
        const OH = H * k, OW = W * k;
        assert.equal(y.length, N * M * OH * OW);
        const qlo = signed ? -128 : 0, qhi = signed ? 127 : 255;
        for (let n = 0; n < N; n++) for (let m = 0; m < M; m++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
          let acc = bias[m]!;
          const iy = Math.floor(oy / k), ix = Math.floor(ox / k);
          for (let ci = 0; ci < C; ci++) {
            acc += (codes[((n * C + ci) * H + iy) * W + ix]! - zx) * w[((ci * M + m) * k + (oy % k)) * k + (ox % k)]!;
          }
          const mult = Math.fround((Math.fround(sx) * Math.fround(ws[m]!)) / Math.fround(sy));
          const want = Math.min(qhi, Math.max(qlo, roundHalfEven(Math.fround(Math.fround(acc) * mult)) + zy));
          assert.equal(y[((n * M + m) * OH + oy) * OW + ox], want, `${JSON.stringify(c)}: y[${n}][${m}][${oy}][${ox}]`);
        }
      } finally {
        await session.release();
      }
    }
  });
}

// Resizes the kernel does not take (cubic, crops that leave the input, resized leading axes, trilinear) run one pass
// per axis; onnxruntime-node runs the same files as the peer. It computes cubic weights in float32 where qkit keeps
// float64, hence 1e-5 (a wrong tap or weight moves outputs by tenths).
import { test } from "node:test";
import assert from "node:assert/strict";
import { attributes, makeTensor, onnx } from "../src/tooling.js";
import { Tensor } from "../src/engine/index.js";
import { createSession } from "../src/session/create-session.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";

interface Case {
  what: string;
  dims: number[];
  mode: "linear" | "cubic" | "nearest";
  ctm: string;
  scales?: number[];
  sizes?: number[];
  roi?: number[];
  extra?: onnx.IAttributeProto[];
}

const CASES: Case[] = [
  { what: "bicubic ×1.5, half_pixel", dims: [1, 3, 20, 24], mode: "cubic", ctm: "half_pixel", scales: [1, 1, 1.5, 1.5] },
  { what: "bicubic down to 7×5, align_corners", dims: [2, 2, 16, 11], mode: "cubic", ctm: "align_corners", sizes: [2, 2, 7, 5] },
  {
    what: "bicubic, a = −0.5, exclude_outside, asymmetric", dims: [1, 2, 9, 13], mode: "cubic", ctm: "asymmetric", scales: [1, 1, 2, 1.7],
    extra: [attributes.floatAttribute("cubic_coeff_a", -0.5), attributes.intAttribute("exclude_outside", 1)],
  },
  { what: "bicubic, pytorch_half_pixel", dims: [1, 4, 10, 10], mode: "cubic", ctm: "pytorch_half_pixel", scales: [1, 1, 2.5, 0.8] },
  { what: "trilinear (a 5-D volume)", dims: [1, 2, 6, 7, 8], mode: "linear", ctm: "half_pixel", scales: [1, 1, 2, 1.5, 0.5] },
  { what: "linear over every axis of a 3-D tensor", dims: [6, 5, 9], mode: "linear", ctm: "align_corners", sizes: [11, 8, 4] },
  {
    what: "tf_crop_and_resize leaving the input (extrapolated)", dims: [1, 3, 12, 12], mode: "linear", ctm: "tf_crop_and_resize",
    sizes: [1, 3, 9, 10], roi: [0, 0, -0.2, 0.1, 1, 1, 0.8, 1.3], extra: [attributes.floatAttribute("extrapolation_value", 7.5)],
  },
  {
    what: "bicubic crop and resize", dims: [1, 2, 15, 15], mode: "cubic", ctm: "tf_crop_and_resize",
    sizes: [1, 2, 11, 13], roi: [0, 0, 0.1, 0.2, 1, 1, 0.9, 0.7],
  },
];

function resizeModel(c: Case): Uint8Array {
  const attrs = [attributes.stringAttribute("mode", c.mode), attributes.stringAttribute("coordinate_transformation_mode", c.ctm), ...(c.extra ?? [])];
  const init = [] as onnx.ITensorProto[];
  if (c.roi) init.push(makeTensor("roi", "float32", [c.roi.length], Float32Array.from(c.roi)) as onnx.ITensorProto);
  if (c.scales) init.push(makeTensor("scales", "float32", [c.scales.length], Float32Array.from(c.scales)) as onnx.ITensorProto);
  if (c.sizes) init.push(makeTensor("sizes", "int64", [c.sizes.length], BigInt64Array.from(c.sizes.map(BigInt))) as onnx.ITensorProto);
  return modelBytes({
    name: "resize",
    node: [node("Resize", ["x", c.roi ? "roi" : "", c.scales ? "scales" : "", c.sizes ? "sizes" : ""], ["y"], attrs, "resize")],
    input: [valueInfo("x", "float32", c.dims)],
    output: [valueInfo("y", "float32", [])],
    initializer: init,
  }, { opset: 13 });
}

for (const c of CASES) {
  test(`Resize by separable passes matches onnxruntime-node: ${c.what}`, async () => {
    const ort = await import("onnxruntime-node");
    const bytes = resizeModel(c);
    const n = c.dims.reduce((a, b) => a * b, 1);
    const x = seededValues(n, n + c.dims.length);
    const peer = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
    const want = (await peer.run({ x: new ort.Tensor("float32", x, c.dims) })).y!;
    const session = await createSession(bytes);
    try {
      const got = (await session.run({ x: new Tensor("float32", x, c.dims) })).y!;
      assert.deepEqual([...got.dims], [...want.dims]);
      const g = got.data as Float32Array;
      const w = want.data as Float32Array;
      for (let i = 0; i < w.length; i++) assert.ok(Math.abs(g[i]! - w[i]!) <= 1e-5, `element ${i}: ${g[i]} vs onnxruntime-node's ${w[i]}`);
    } finally {
      await session.release();
    }
  });
}

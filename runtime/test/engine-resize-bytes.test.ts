import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { attributes, makeTensor } from "../src/tooling.js";
import { Tensor } from "../src/engine/index.js";
import { createSession } from "../src/session/create-session.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";

// Nearest Resize on codes (a quantized model's upsampling) walks row and column tables in WebAssembly, copying a
// repeated row and widening a 2× upsample's columns by shuffles: against onnxruntime-node, value for value, for
// uint8 and int8, on a Cast's output (in kernel memory) and on the graph input, at 1 and 2 threads.

const ort = createRequire(__filename)("onnxruntime-node") as typeof import("onnxruntime-node");

const CASES: [string, number[], number[], string, string][] = [
  ["2× upsample (the shuffle path), widths past and short of a vector", [1, 3, 5, 13], [1, 1, 2, 2], "asymmetric", "floor"],
  ["3× upsample", [2, 2, 4, 6], [1, 1, 3, 3], "half_pixel", "round_prefer_floor"],
  ["a downsample by 2", [1, 4, 10, 12], [1, 1, 0.5, 0.5], "asymmetric", "floor"],
  ["1.5× with rounding up", [1, 2, 6, 7], [1, 1, 1.5, 1.5], "half_pixel", "round_prefer_ceil"],
  ["a 2× upsample of many planes (split over threads)", [1, 128, 40, 40], [1, 1, 2, 2], "asymmetric", "floor"],
];

for (const [name, dims, scales, ctm, nearestMode] of CASES) {
  for (const dtype of ["uint8", "int8"] as const) {
    for (const viaCast of [false, true]) {
      test(`nearest Resize on ${dtype}${viaCast ? " after a Cast" : ""}: ${name} equals onnxruntime-node`, async () => {
        const out = dims.map((d, i) => Math.floor(d * scales[i]!));
        const nodes = viaCast ? [node("Cast", ["x"], ["c"], [attributes.intAttribute("to", dtype === "uint8" ? 2 : 3)])] : [];
        nodes.push(node("Resize", [viaCast ? "c" : "x", "", "scales"], ["y"], [attributes.stringAttribute("mode", "nearest"),
          attributes.stringAttribute("coordinate_transformation_mode", ctm), attributes.stringAttribute("nearest_mode", nearestMode)]));
        const bytes = modelBytes({
          name: "resize-bytes", node: nodes, initializer: [makeTensor("scales", "float32", [4], Float32Array.from(scales))],
          input: [valueInfo("x", viaCast ? "float32" : dtype, dims)], output: [valueInfo("y", dtype, out)],
        }, { opset: 13 });
        const n = dims.reduce((a, b) => a * b, 1);
        const values = seededValues(n, n, dtype === "uint8" ? 0 : -128, dtype === "uint8" ? 255 : 127).map(Math.trunc);
        const x = viaCast ? values : dtype === "uint8" ? Uint8Array.from(values) : Int8Array.from(values);
        const feedType = viaCast ? "float32" : dtype;
        const reference = await ort.InferenceSession.create(bytes);
        const want = (await reference.run({ x: new ort.Tensor(feedType as "float32", x as Float32Array, dims) })).y!;
        for (const threads of [1, 2]) {
          const session = await createSession(bytes, { threads });
          try {
            const got = (await session.run({ x: new Tensor(feedType as "float32", x as Float32Array, dims) })).y!;
            assert.deepEqual(got.dims, want.dims, `shape at ${threads} threads`);
            assert.deepEqual(Array.from(got.data as ArrayLike<number>), Array.from(want.data as ArrayLike<number>), `values at ${threads} threads`);
          } finally {
            await session.release();
          }
        }
      });
    }
  }
}

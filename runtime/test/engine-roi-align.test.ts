import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { createSession, onnx, Tensor } from "../src/tooling.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";

const ort = createRequire(__filename)("onnxruntime-node") as typeof import("onnxruntime-node");
const A = onnx.AttributeProto.AttributeType;

/**
 * RoiAlign against onnxruntime-node: average and max, opset 10 (no half-pixel shift, regions at least a pixel) and 16
 * (half_pixel and output_half_pixel), fixed and adaptive sampling grids, regions partly outside the map and smaller
 * than a pixel, two images.
 */
for (const opset of [10, 16]) {
  for (const mode of ["avg", "max"]) {
    for (const samplingRatio of [0, 2]) {
      for (const coordinates of opset >= 16 ? ["half_pixel", "output_half_pixel"] : [""]) {
        test(`RoiAlign opset ${opset}, ${mode}, sampling_ratio ${samplingRatio}${coordinates ? `, ${coordinates}` : ""}: as onnxruntime`, async () => {
          const attributes: onnx.IAttributeProto[] = [
            { name: "mode", type: A.STRING, s: Buffer.from(mode) },
            { name: "output_height", type: A.INT, i: 3 }, { name: "output_width", type: A.INT, i: 4 },
            { name: "sampling_ratio", type: A.INT, i: samplingRatio }, { name: "spatial_scale", type: A.FLOAT, f: 0.5 },
            ...(coordinates ? [{ name: "coordinate_transformation_mode", type: A.STRING, s: Buffer.from(coordinates) }] : []),
          ];
          const bytes = modelBytes({
            name: "roi-align",
            node: [node("RoiAlign", ["x", "rois", "batch"], ["y"], attributes)],
            input: [valueInfo("x", "float32", [2, 3, 10, 12]), valueInfo("rois", "float32", [5, 4]), valueInfo("batch", "int64", [5])],
            output: [valueInfo("y", "float32", [5, 3, 3, 4])],
          }, { opset });
          const x = seededValues(2 * 3 * 10 * 12, 5, -2, 2);
          // x1, y1, x2, y2 in input pixels (scale 0.5 maps them onto the map): inside, past the edges, tiny, whole.
          const rois = Float32Array.from([2, 3, 14, 11, -6, -4, 8, 6, 18, 14, 30, 26, 5, 5, 5.5, 5.25, 0, 0, 24, 20]);
          const batch = BigInt64Array.from([0n, 1n, 0n, 1n, 1n]);
          const reference = await ort.InferenceSession.create(bytes);
          const want = (await reference.run({ x: new ort.Tensor("float32", x, [2, 3, 10, 12]), rois: new ort.Tensor("float32", rois, [5, 4]), batch: new ort.Tensor("int64", batch, [5]) })).y!.data as Float32Array;
          const session = await createSession(bytes);
          try {
            const got = (await session.run({ x: new Tensor("float32", x, [2, 3, 10, 12]), rois: new Tensor("float32", rois, [5, 4]), batch: new Tensor("int64", batch, [5]) })).y!.data as Float32Array;
            assert.equal(got.length, want.length);
            for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-5 * Math.max(1, Math.abs(want[i]!)), `element ${i}: ${got[i]} vs ${want[i]}`);
          } finally {
            await session.release();
          }
        });
      }
    }
  }
}

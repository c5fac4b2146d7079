import type { OpDef } from "../op.js";
import { reader, requireFloat32, requireInput } from "./util.js";

/**
 * RoiAlign (opsets 10 and 16): each region of interest, scaled to the feature map, cut into output_height ×
 * output_width bins, each bin the average (or the largest weighted corner, mode "max") of a grid of bilinear samples;
 * as ONNX Runtime computes it. Opset 16's default "half_pixel" moves the region half a pixel; opset 10 does not,
 * and gives every region at least one pixel.
 */
const roiAlign: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const rois = requireInput(inputs[1], 1, ctx);
    const batchIndices = requireInput(inputs[2], 2, ctx);
    requireFloat32(x, "input", ctx);
    requireFloat32(rois, "rois", ctx);
    if (x.dims.length !== 4) ctx.fail(`input must be [N, C, H, W], got [${x.dims.join(", ")}]`);
    if (rois.dims.length !== 2 || rois.dims[1] !== 4) ctx.fail(`rois must be [regions, 4], got [${rois.dims.join(", ")}]`);
    const regions = rois.dims[0]!;
    if (batchIndices.dims.length !== 1 || batchIndices.dims[0] !== regions) ctx.fail(`batch_indices must be [${regions}], got [${batchIndices.dims.join(", ")}]`);
    const mode = ctx.node.stringAttribute("mode", "avg");
    if (mode !== "avg" && mode !== "max") ctx.fail(`mode must be 'avg' or 'max', got '${mode}'`);
    const outH = ctx.node.intAttribute("output_height", 1);
    const outW = ctx.node.intAttribute("output_width", 1);
    const samplingRatio = ctx.node.intAttribute("sampling_ratio", 0);
    const scale = ctx.node.floatAttribute("spatial_scale", 1);
    const halfPixel = ctx.opset >= 16 && ctx.node.stringAttribute("coordinate_transformation_mode", "half_pixel") === "half_pixel";
    const [N, C, H, W] = x.dims as [number, number, number, number];
    return {
      outputs: [{ dtype: "float32", dims: [regions, C, outH, outW] }],
      run(ins, outs) {
        const src = ins[0]!.data as Float32Array;
        const box = ins[1]!.data as Float32Array;
        const batchOf = reader(ins[2]!.data);
        const dst = outs[0]!.data as Float32Array;
        const offset = halfPixel ? 0.5 : 0;
        for (let r = 0; r < regions; r++) {
          const n = batchOf(r);
          if (!Number.isInteger(n) || n < 0 || n >= N) ctx.fail(`batch_indices[${r}] = ${n} is outside [0, ${N})`);
          const x0 = box[r * 4]! * scale - offset;
          const y0 = box[r * 4 + 1]! * scale - offset;
          let width = box[r * 4 + 2]! * scale - offset - x0;
          let height = box[r * 4 + 3]! * scale - offset - y0;
          if (!halfPixel) {
            width = Math.max(width, 1);
            height = Math.max(height, 1);
          }
          const binH = height / outH;
          const binW = width / outW;
          const gridH = samplingRatio > 0 ? samplingRatio : Math.ceil(height / outH);
          const gridW = samplingRatio > 0 ? samplingRatio : Math.ceil(width / outW);
          const count = Math.max(gridH * gridW, 1);
          for (let c = 0; c < C; c++) {
            const plane = (n * C + c) * H * W;
            for (let ph = 0; ph < outH; ph++) {
              for (let pw = 0; pw < outW; pw++) {
                let acc = 0;
                for (let iy = 0; iy < gridH; iy++) {
                  const sy = y0 + ph * binH + ((iy + 0.5) * binH) / gridH;
                  for (let ix = 0; ix < gridW; ix++) {
                    const sx = x0 + pw * binW + ((ix + 0.5) * binW) / gridW;
                    // A sample more than a pixel outside the map weighs nothing (it still counts, and in "max" it is a 0).
                    const first = iy === 0 && ix === 0;
                    if (sy < -1 || sy > H || sx < -1 || sx > W) {
                      acc = mode === "avg" ? acc : first ? 0 : Math.max(acc, 0);
                      continue;
                    }
                    let y = Math.max(sy, 0);
                    let xx = Math.max(sx, 0);
                    let yLow = Math.trunc(y);
                    let xLow = Math.trunc(xx);
                    let yHigh: number;
                    let xHigh: number;
                    if (yLow >= H - 1) { yHigh = yLow = H - 1; y = yLow; } else yHigh = yLow + 1;
                    if (xLow >= W - 1) { xHigh = xLow = W - 1; xx = xLow; } else xHigh = xLow + 1;
                    const ly = y - yLow;
                    const lx = xx - xLow;
                    const v1 = (1 - ly) * (1 - lx) * src[plane + yLow * W + xLow]!;
                    const v2 = (1 - ly) * lx * src[plane + yLow * W + xHigh]!;
                    const v3 = ly * (1 - lx) * src[plane + yHigh * W + xLow]!;
                    const v4 = ly * lx * src[plane + yHigh * W + xHigh]!;
                    acc = mode === "avg" ? acc + v1 + v2 + v3 + v4 : first ? Math.max(v1, v2, v3, v4) : Math.max(acc, v1, v2, v3, v4);
                  }
                }
                dst[((r * C + c) * outH + ph) * outW + pw] = mode === "avg" ? acc / count : acc;
              }
            }
          }
        }
      },
    };
  },
};

export const roiAlignOps: Record<string, OpDef> = { RoiAlign: roiAlign };

import type { ExportTable } from "./exports.js";
import type { Window2d } from "./geometry.js";
import type { KernelRuntime } from "./runtime.js";
import { WINDOW_COST } from "./cost.js";

/** kernels/col2im.ts */
export const COL2IM_EXPORTS = {
  col2im: { params: ["cols", "y", "kh", "kw", "H", "W", "OH", "OW", "sh", "sw", "ph", "pw", "dh", "dw", "bias", "m0", "m1", "scratch"],
    parallel: true },
} as const satisfies ExportTable;

/**
 * The scatter of a transposed convolution: `channels` output planes (OH × OW, from element `yOffset` of y) are set
 * to their bias (from element `biasOffset`, or 0) plus every column of `cols` (channels·kh·kw rows of H·W) added at the
 * output pixel its kernel tap reaches. `g` is the forward convolution's window read backwards: H × W input pixels,
 * OH × OW output pixels.
 */
export class Col2imKernels {
  constructor(private readonly rt: KernelRuntime) {}

  run(cols: Float32Array, y: Float32Array, yOffset: number, channels: number, g: Window2d, bias?: Float32Array, biasOffset = 0): void {
    const rt = this.rt;
    const cp = rt.ptr(cols);
    const yp = rt.ptr(y) + yOffset * 4;
    const bp = bias ? rt.ptr(bias) + biasOffset * 4 : 0;
    rt.count("col2im");
    const work = WINDOW_COST * channels * (g.kh * g.kw * g.H * g.W + g.OH * g.OW);
    if (rt.serial(channels, work)) rt.exports.col2im(cp, yp, g.kh, g.kw, g.H, g.W, g.OH, g.OW, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, bp, 0, channels, rt.scratch(0));
    else rt.parallelRange("col2im", channels, work, [cp, yp, g.kh, g.kw, g.H, g.W, g.OH, g.OW, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, bp, 0, 0, 0], 15, 17);
  }
}

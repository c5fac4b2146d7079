import type { ExportTable } from "./exports.js";
import type { ConvShape, Window2d } from "./geometry.js";
import type { Allocate, KernelRuntime, OutputClamp } from "./runtime.js";
import { WINDOW_COST } from "./cost.js";

/** kernels/window.ts */
export const WINDOW_EXPORTS = {
  window_scratch_floats: { params: ["kh", "kw", "sh", "sw", "dh", "dw", "OH", "OW"] },
  dwconv2d: { params: ["x", "H", "W", "mult", "kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw", "OH", "OW", "w", "bias", "lo", "hi", "y",
    "c0", "c1", "scratch"], parallel: true },
  maxpool2d: { params: ["x", "H", "W", "kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw", "OH", "OW", "y", "c0", "c1", "scratch"], parallel: true },
  avgpool2d: { params: ["x", "H", "W", "kh", "kw", "sh", "sw", "ph", "pw", "OH", "OW", "recip", "y", "c0", "c1", "scratch"], parallel: true },
  mean_planes: { params: ["x", "planes", "size", "y"] },
  dwconv2d_images: { params: ["x", "inImage", "y", "outImage", "n0", "n1", "channels", "H", "W", "mult", "kh", "kw", "sh", "sw", "ph", "pw",
    "dh", "dw", "OH", "OW", "w", "bias", "lo", "hi", "scratch"], parallel: true },
} as const satisfies ExportTable;

/** A depthwise convolution's filters (M × kh·kw) and bias. */
export interface PackedDepthwise {
  readonly M: number;
  readonly w: Float32Array;
  readonly bias: Float32Array;
}

/** Pooling over `planes` planes of one window geometry. */
export interface PoolShape {
  planes: number;
  g: Window2d;
}

/** fp32 window kernels: depthwise convolution and pooling. */
export class WindowKernels {
  constructor(private readonly rt: KernelRuntime) {}

  /** Per-thread scratch for a window of this geometry. */
  reserve(g: Window2d): void {
    this.rt.reserveScratch(this.rt.exports.window_scratch_floats(g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.OH, g.OW));
  }

  createDepthwise(M: number, taps: number, alloc: Allocate): PackedDepthwise {
    return { M, w: alloc(M * taps), bias: alloc(M) };
  }

  packDepthwise(dst: PackedDepthwise, weights: Float32Array, bias?: Float32Array): void {
    dst.w.set(weights);
    if (bias) dst.bias.set(bias); else dst.bias.fill(0);
  }

  /** A depthwise convolution (C input channels, M = C·mult outputs, groups = C) of N images. */
  depthwise(packed: PackedDepthwise, x: Float32Array, y: Float32Array, s: ConvShape, clamp?: OutputClamp): void {
    const rt = this.rt;
    const { N, g } = s;
    const C = s.groups * s.C;
    const M = s.groups * s.M;
    const mult = M / C;
    const lo = clamp?.lo ?? -Infinity;
    const hi = clamp?.hi ?? Infinity;
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    const w = rt.ptr(packed.w);
    const bias = rt.ptr(packed.bias);
    rt.count("depthwise");
    // A batch with an image or more per thread is split by images; otherwise threads share each image's channels.
    if (N >= 2 * rt.threads || rt.threads === 1) {
      const inImage = C * g.H * g.W * 4;
      const outImage = M * g.OH * g.OW * 4;
      if (rt.serial(N, WINDOW_COST * N * M * g.OH * g.OW * g.kh * g.kw)) {
        rt.exports.dwconv2d_images(xp, inImage, yp, outImage, 0, N, M, g.H, g.W, mult, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw,
          g.OH, g.OW, w, bias, lo, hi, rt.scratch(0));
        return;
      }
      rt.parallelRange("dwconv2d_images", N, WINDOW_COST * N * M * g.OH * g.OW * g.kh * g.kw, [xp, inImage, yp, outImage, 0, 0, M, g.H, g.W,
        mult, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.OH, g.OW, w, bias, lo, hi, 0], 4, 24);
      return;
    }
    for (let n = 0; n < N; n++) {
      const xn = xp + n * C * g.H * g.W * 4;
      const yn = yp + n * M * g.OH * g.OW * 4;
      if (rt.serial(M, WINDOW_COST * M * g.OH * g.OW * g.kh * g.kw)) {
        rt.exports.dwconv2d(xn, g.H, g.W, mult, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.OH, g.OW, w, bias, lo, hi, yn, 0, M, rt.scratch(0));
        continue;
      }
      rt.parallelRange("dwconv2d", M, WINDOW_COST * M * g.OH * g.OW * g.kh * g.kw, [xn, g.H, g.W, mult, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw,
        g.dh, g.dw, g.OH, g.OW, w, bias, lo, hi, yn, 0, 0, 0], 19, 21);
    }
  }

  maxpool(x: Float32Array, y: Float32Array, s: PoolShape): void {
    const rt = this.rt;
    const { planes, g } = s;
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    if (rt.serial(planes, WINDOW_COST * planes * g.OH * g.OW * g.kh * g.kw)) {
      rt.exports.maxpool2d(xp, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.OH, g.OW, yp, 0, planes, rt.scratch(0));
      return;
    }
    rt.parallelRange("maxpool2d", planes, WINDOW_COST * planes * g.OH * g.OW * g.kh * g.kw,
      [xp, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.OH, g.OW, yp, 0, 0, 0], 14, 16);
  }

  /** Floats of the divisors' reciprocals avgpool reads (one per output position, padded). */
  reciprocalsSize(g: Window2d): number {
    return g.OH * g.OW + 4;
  }

  /** Average pooling: window sums times `recip` (one reciprocal per output position, see reciprocalsSize). */
  avgpool(x: Float32Array, y: Float32Array, s: PoolShape, recip: Float32Array): void {
    const rt = this.rt;
    const { planes, g } = s;
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    const r = rt.ptr(recip);
    if (rt.serial(planes, WINDOW_COST * planes * g.OH * g.OW * g.kh * g.kw)) {
      rt.exports.avgpool2d(xp, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.OH, g.OW, r, yp, 0, planes, rt.scratch(0));
      return;
    }
    rt.parallelRange("avgpool2d", planes, WINDOW_COST * planes * g.OH * g.OW * g.kh * g.kw,
      [xp, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.OH, g.OW, r, yp, 0, 0, 0], 13, 15);
  }

  /** y[p] = mean of plane p (`size` floats each). */
  meanPlanes(x: Float32Array, y: Float32Array, planes: number, size: number): void {
    this.rt.exports.mean_planes(this.rt.ptr(x), planes, size, this.rt.ptr(y));
  }
}

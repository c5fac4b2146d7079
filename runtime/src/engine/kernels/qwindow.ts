import type { ExportTable } from "./exports.js";
import type { ConvShape, Window2d } from "./geometry.js";
import { describeGeometry, type Bytes, type PackedQconv } from "./qconv.js";
import type { Allocate, KernelRuntime } from "./runtime.js";
import { WINDOW_COST } from "./cost.js";

/** kernels/qwindow.ts */
export const QWINDOW_EXPORTS = {
  qwindow_scratch_bytes: { params: ["kh", "kw", "sh", "sw", "dh", "dw", "OH", "OW"] },
  qdwconv2d: { params: ["d", "x", "y", "c0", "c1", "scratch"], parallel: true },
  qdwconv2d_images: { params: ["d", "x", "y", "n0", "n1", "scratch"], parallel: true },
  qmaxpool2d: { params: ["x", "H", "W", "kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw", "OH", "OW", "signed", "y", "c0", "c1", "scratch"],
    parallel: true },
  qmaxpool_scratch_bytes: { params: ["kh", "kw", "sh", "sw", "dh", "dw", "OH", "OW"] },
  qglobal_average: { params: ["x", "planes", "size", "flags", "zx", "sx", "sy", "zy", "qlo", "qhi", "y"] },
  qavgpool2d: { params: ["x", "H", "W", "kh", "kw", "sh", "sw", "ph", "pw", "OH", "OW", "flags", "zx", "sx", "sy", "zy", "qlo", "qhi", "y", "p0", "p1"], parallel: true },
} as const satisfies ExportTable;

/** Integer window kernels: depthwise convolution, max pooling, plane sums. */
export class QwindowKernels {
  constructor(private readonly rt: KernelRuntime) {}

  /** Per-thread scratch for a depthwise convolution (or, `max`, a max pooling) of this geometry. */
  reserve(g: Window2d, max = false): void {
    const e = this.rt.exports;
    const bytes = max ? e.qmaxpool_scratch_bytes(g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.OH, g.OW)
      : e.qwindow_scratch_bytes(g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.OH, g.OW);
    this.rt.reserveScratch(Math.ceil(bytes / 4));
  }

  /** A quantized depthwise convolution of N images (weights packed depthwise by QconvKernels.pack): threads take images, or channels of one image. */
  depthwise(packed: PackedQconv, x: Bytes, y: Bytes, s: ConvShape): void {
    const rt = this.rt;
    const { N, g } = s;
    const C = s.groups * s.C;
    const M = s.groups * s.M;
    describeGeometry(packed.desc, C, g);
    const desc = rt.ptr(packed.desc);
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    rt.count("qdepthwise");
    const work = WINDOW_COST * M * g.OH * g.OW * g.kh * g.kw;
    if (N >= 2 * rt.threads || rt.threads === 1) {
      rt.parallel("qdwconv2d_images", N, N * work, (n0, n1, tid) => [desc, xp, yp, n0, n1, rt.scratch(tid)]);
      return;
    }
    for (let n = 0; n < N; n++) {
      const xn = xp + n * C * g.H * g.W;
      const yn = yp + n * M * g.OH * g.OW;
      rt.parallel("qdwconv2d", M, work, (c0, c1, tid) => [desc, xn, yn, c0, c1, rt.scratch(tid)]);
    }
  }

  maxpool(x: Bytes, y: Bytes, planes: number, g: Window2d, signedInput: boolean): void {
    const rt = this.rt;
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    const signed = signedInput ? 1 : 0;
    const work = WINDOW_COST * planes * g.OH * g.OW * g.kh * g.kw;
    if (rt.serialFor("qmaxpool2d", planes, work)) {
      rt.exports.qmaxpool2d(xp, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.OH, g.OW, signed, yp, 0, planes, rt.scratch(0));
      return;
    }
    rt.parallel("qmaxpool2d", planes, work, (c0, c1, tid) =>
      [xp, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.OH, g.OW, signed, yp, c0, c1, rt.scratch(tid)]);
  }

  /** Room for `planes` exact int32 sums. */
  /**
   * y[p] = clamp(round_half_even(Σ(x − zx)·sx / (size·sy)) + zy, qlo, qhi) over `planes` byte planes of `size` codes:
   * exact integer sums, requantized in float64.
   */
  globalAverage(x: Bytes, y: Bytes, planes: number, size: number, signedInput: boolean, xq: { scale: number; zp: number },
    yq: { scale: number; zp: number }, qlo: number, qhi: number): void {
    this.rt.exports.qglobal_average(this.rt.ptr(x), planes, size, signedInput ? 1 : 0, xq.zp, xq.scale, yq.scale, yq.zp, qlo, qhi, this.rt.ptr(y));
  }

  /**
   * Average pooling of `planes` byte planes over window `g` (no dilation): each window's exact integer sum, requantized
   * in float64 by the count of taps inside the input (or the padded input, `includePad`).
   */
  average(x: Bytes, y: Bytes, planes: number, g: Window2d, includePad: boolean, signedInput: boolean, xq: { scale: number; zp: number },
    yq: { scale: number; zp: number }, qlo: number, qhi: number): void {
    const rt = this.rt;
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    const flags = (signedInput ? 1 : 0) | (includePad ? 2 : 0);
    const work = WINDOW_COST * planes * g.OH * g.OW * g.kh * g.kw;
    rt.count("qavgpool");
    if (rt.serialFor("qavgpool2d", planes, work)) {
      rt.exports.qavgpool2d(xp, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.OH, g.OW, flags, xq.zp, xq.scale, yq.scale, yq.zp, qlo, qhi, yp, 0, planes);
      return;
    }
    rt.parallelRange("qavgpool2d", planes, work,
      [xp, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.OH, g.OW, flags, xq.zp, xq.scale, yq.scale, yq.zp, qlo, qhi, yp, 0, 0], 19, -1);
  }
}

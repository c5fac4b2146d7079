import type { ExportTable } from "./exports.js";
import type { GemmKernels } from "./gemm.js";
import { WINDOW_COST } from "./cost.js";
import { pointwise, type ConvShape, type Window2d } from "./geometry.js";
import type { Allocate, KernelRuntime, OutputClamp } from "./runtime.js";

/** kernels/conv.ts and kernels/conv_direct.ts */
export const CONV_EXPORTS = {
  direct_phase_extent: { params: ["out", "k", "d", "s"] },
  direct_pad_floats: { params: ["C", "kh", "kw", "s", "dh", "dw", "OH", "OW"] },
  direct_scratch_floats: { params: ["K"] },
  direct_block_columns: { params: ["M"] },
  direct_pad: { params: ["x", "C", "H", "W", "ph", "pw", "s", "PH2", "PW2", "dst", "c0", "c1"], parallel: true },
  direct_conv: { params: ["q", "C", "s", "PH2", "PW2", "kh", "kw", "dh", "dw", "OH", "OW", "a", "M", "y", "bias", "lo", "hi",
    "j0", "j1", "p0", "p1", "scratch"], parallel: true },
  conv2d_scratch_floats: { params: ["padded"] },
  conv2d_padded_floats: { params: ["C", "kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw", "OH", "OW"] },
  conv2d: { params: ["x", "C", "H", "W", "kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw", "OH", "OW", "a", "M", "y", "bias", "lo", "hi",
    "j0", "j1", "p0", "p1", "scratch"], parallel: true },
  conv2d_images: { params: ["x", "inImage", "y", "outImage", "i0", "i1", "groups", "Cg", "H", "W", "kh", "kw", "sh", "sw", "ph", "pw",
    "dh", "dw", "OH", "OW", "a", "aStride", "Mg", "bias", "biasStride", "lo", "hi", "scratch"], parallel: true },
} as const satisfies ExportTable;

/** A convolution's weights as GEMM panels, group after group, and its biases padded alike. */
export interface PackedConv {
  readonly groups: number;
  /** Output channels and K = C·kh·kw per group. */
  readonly M: number;
  readonly K: number;
  readonly a: Float32Array;
  readonly bias: Float32Array;
}

/**
 * Output channels up to which the direct kernel beats im2col + GEMM. Measured on 3×3, 7×7 and 9×9 convolutions
 * (stride 1 and 2, 28×28 to 256×256): 2–5× faster up to 12 channels, even or faster at 16, even or behind from 32.
 */
const DIRECT_MAX_CHANNELS = 16;

/** The fp32 direct convolution (im2col panels streamed through the GEMM micro-kernel), grouped convolutions included. */
export class ConvKernels {
  constructor(private readonly rt: KernelRuntime, private readonly gemm: GemmKernels) {}

  create(layout: { groups: number; M: number; K: number }, alloc: Allocate): PackedConv {
    const { groups, M, K } = layout;
    return { groups, M, K, a: alloc(groups * this.gemm.packedASize(M, K)), bias: alloc(groups * this.gemm.paddedRows(M)) };
  }

  /** Lay out weights W[groups·M][K] and an optional bias into `dst`. */
  pack(dst: PackedConv, weights: Float32Array, bias?: Float32Array): void {
    const rt = this.rt;
    const { groups, M, K } = dst;
    const aFloats = this.gemm.packedASize(M, K);
    const biasFloats = this.gemm.paddedRows(M);
    const src = rt.allocF32(weights.length);
    src.set(weights);
    for (let gi = 0; gi < groups; gi++) {
      rt.exports.pack_a(src.byteOffset + gi * M * K * 4, K, 1, M, K, rt.ptr(dst.a) + gi * aFloats * 4);
      const b = dst.bias.subarray(gi * biasFloats, (gi + 1) * biasFloats);
      b.fill(0);
      if (bias) b.set(bias.subarray(gi * M, (gi + 1) * M));
    }
    rt.free(src);
  }

  /**
   * Whether the direct kernel (kernels/conv_direct.ts) runs this convolution: few output channels, where im2col packs
   * each input tap for too few of them (see there), one group, equal strides. Not a plain 1×1 convolution: its im2col
   * is a copy of the input already, which the direct kernel's padded copy would only repeat.
   */
  directApplies(s: ConvShape): boolean {
    const { groups, M, g } = s;
    return groups === 1 && M <= DIRECT_MAX_CHANNELS && g.sh === g.sw && !pointwise(g);
  }

  /** Per-thread scratch (the tap table) and the shared phase planes for the direct kernel. */
  reserveDirect(s: ConvShape): void {
    const rt = this.rt;
    rt.reserveScratch(rt.exports.direct_scratch_floats(s.C * s.g.kh * s.g.kw));
    rt.reserveSharedScratch(this.#padFloats(s));
  }

  #padFloats(s: ConvShape): number {
    const g = s.g;
    return this.rt.exports.direct_pad_floats(s.C, g.kh, g.kw, g.sh, g.dh, g.dw, g.OH, g.OW);
  }

  /** y = clamp(conv(x) + bias) by the direct kernel, image by image: the phase planes, then the tiles. */
  runDirect(packed: PackedConv, x: Float32Array, y: Float32Array, s: ConvShape, clamp?: OutputClamp): void {
    const rt = this.rt;
    const e = rt.exports;
    const { N, C, M, g } = s;
    const lo = clamp?.lo ?? -Infinity;
    const hi = clamp?.hi ?? Infinity;
    const stride = g.sh;
    const PH2 = e.direct_phase_extent(g.OH, g.kh, g.dh, stride);
    const PW2 = e.direct_phase_extent(g.OW, g.kw, g.dw, stride);
    const width = e.direct_block_columns(M);
    const blocks = Math.ceil(((g.OH - 1) * PW2 + g.OW) / width);
    const panels = Math.ceil(M / this.gemm.panelRows);
    const work = M * g.OH * g.OW * C * g.kh * g.kw;
    const padWork = WINDOW_COST * C * stride * stride * PH2 * PW2;
    const a = rt.ptr(packed.a);
    const bias = rt.ptr(packed.bias);
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    rt.count("conv-direct");
    for (let n = 0; n < N; n++) {
      const xn = xp + n * C * g.H * g.W * 4;
      const yn = yp + n * M * g.OH * g.OW * 4;
      const q = rt.sharedScratch;
      if (rt.serial(C, padWork)) e.direct_pad(xn, C, g.H, g.W, g.ph, g.pw, stride, PH2, PW2, q, 0, C);
      else rt.parallelRange("direct_pad", C, padWork, [xn, C, g.H, g.W, g.ph, g.pw, stride, PH2, PW2, q, 0, 0], 10, -1);
      if (rt.serial(Math.max(blocks, panels), work)) {
        e.direct_conv(q, C, stride, PH2, PW2, g.kh, g.kw, g.dh, g.dw, g.OH, g.OW, a, M, yn, bias, lo, hi, 0, blocks, 0, panels, rt.scratch(0));
        continue;
      }
      rt.parallel2dRange("direct_conv", blocks, panels, work, [q, C, stride, PH2, PW2, g.kh, g.kw, g.dh, g.dw, g.OH, g.OW, a, M, yn, bias,
        lo, hi, 0, 0, 0, 0, 0], 17, 19, 21);
    }
  }

  /** Per-thread scratch for a convolution of C input channels per group over `g`. */
  reserve(C: number, g: Window2d): void {
    const e = this.rt.exports;
    this.rt.reserveScratch(e.conv2d_scratch_floats(e.conv2d_padded_floats(C, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.OH, g.OW)));
  }

  /** y = clamp(conv(x) + bias) over every image and group (C and M of the shape per group). */
  run(packed: PackedConv, x: Float32Array, y: Float32Array, s: ConvShape, clamp?: OutputClamp): void {
    const rt = this.rt;
    const { N, groups, C, M, g } = s;
    const lo = clamp?.lo ?? -Infinity;
    const hi = clamp?.hi ?? Infinity;
    const aStride = this.gemm.packedASize(M, packed.K) * 4;
    const biasStride = this.gemm.paddedRows(M) * 4;
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    const a = rt.ptr(packed.a);
    const bias = rt.ptr(packed.bias);
    rt.count("conv");
    // A batch with an image or a group or more per thread is split by (image, group) items; otherwise threads share
    // each image's work. (A grouped convolution's groups are each too small a call to split well.)
    const items = N * groups;
    if (items >= 2 * rt.threads || rt.threads === 1) {
      const inImage = groups * C * g.H * g.W * 4;
      const outImage = groups * M * g.OH * g.OW * 4;
      if (rt.serial(items, N * groups * M * g.OH * g.OW * C * g.kh * g.kw)) {
        rt.exports.conv2d_images(xp, inImage, yp, outImage, 0, items, groups, C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw,
          g.OH, g.OW, a, aStride, M, bias, biasStride, lo, hi, rt.scratch(0));
        return;
      }
      rt.parallelRange("conv2d_images", items, N * groups * M * g.OH * g.OW * C * g.kh * g.kw, [xp, inImage, yp, outImage, 0, 0, groups, C,
        g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.OH, g.OW, a, aStride, M, bias, biasStride, lo, hi, 0], 4, 27);
      return;
    }
    const inPlane = g.H * g.W;
    const outPlane = g.OH * g.OW;
    const mr = this.gemm.panelRows;
    for (let n = 0; n < N; n++) {
      const xn = xp + n * groups * C * inPlane * 4;
      const yn = yp + n * groups * M * outPlane * 4;
      for (let gi = 0; gi < groups; gi++) {
        const xg = xn + gi * C * inPlane * 4;
        const ag = a + gi * aStride;
        const yg = yn + gi * M * outPlane * 4;
        const bg = bias + gi * biasStride;
        const blocks = Math.ceil(outPlane / 8);
        const panels = Math.ceil(M / mr);
        const work = M * outPlane * C * g.kh * g.kw;
        if (rt.serial(blocks, work)) {
          rt.exports.conv2d(xg, C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.OH, g.OW, ag, M, yg, bg, lo, hi, 0, blocks, 0, panels, rt.scratch(0));
          continue;
        }
        rt.parallel2dRange("conv2d", blocks, panels, work, [xg, C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.OH, g.OW, ag, M, yg, bg,
          lo, hi, 0, 0, 0, 0, 0], 20, 22, 24, true);
      }
    }
  }
}

import type { ExportTable } from "./exports.js";
import type { GemmKernels } from "./gemm.js";
import type { ConvShape, Window2d } from "./geometry.js";
import type { Allocate, KernelRuntime, OutputClamp } from "./runtime.js";
import { WINDOW_COST } from "./cost.js";

/** kernels/winograd.ts */
export const WINOGRAD_EXPORTS = {
  wino_pad: { params: ["x", "H", "W", "ph", "pw", "PH", "PW", "y", "c0", "c1"], parallel: true },
  wino_scratch_floats: { params: ["C", "M", "chunk"] },
  wino_conv: { params: ["pad", "images", "C", "PH", "PW", "OH", "OW", "u", "uStride", "M", "y", "bias", "lo", "hi", "j0", "j1", "p0", "p1",
    "chunk", "v", "scratch"], parallel: true },
  wino_transform: { params: ["pad", "images", "C", "PH", "PW", "OH", "OW", "v", "c0", "c1", "scratch"], parallel: true },
  wino_transform_floats: { params: ["images", "C", "OH", "OW"] },
} as const satisfies ExportTable;

/** The 16 transformed weight operands U_ξ (packed as GEMM panels, uStride floats apart) and the padded bias. */
export interface PackedWinograd {
  readonly M: number;
  readonly C: number;
  readonly u: Float32Array;
  readonly bias: Float32Array;
}

/** U = G g Gᵀ for every (output, input) channel pair, as 16 matrices U_ξ[M][C], ξ = 4·row + column. */
function transformWeights(w: Float32Array, M: number, C: number): Float32Array[] {
  const u = Array.from({ length: 16 }, () => new Float32Array(M * C));
  const G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]];
  const t = new Float64Array(12);
  for (let m = 0; m < M; m++) {
    for (let c = 0; c < C; c++) {
      const g = w.subarray((m * C + c) * 9, (m * C + c) * 9 + 9);
      for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) t[i * 3 + j] = G[i]![0]! * g[j]! + G[i]![1]! * g[3 + j]! + G[i]![2]! * g[6 + j]!;
      for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) {
        u[i * 4 + j]![m * C + c] = t[i * 3]! * G[j]![0]! + t[i * 3 + 1]! * G[j]![1]! + t[i * 3 + 2]! * G[j]![2]!;
      }
    }
  }
  return u;
}

/** Floats of the padded input of `images` images. */
function padFloats(images: number, C: number, g: Window2d): number {
  return images * C * (2 * Math.ceil(g.OH / 2) + 2) * (2 * Math.ceil(g.OW / 2) + 10);
}

/** Floats rounded up to 64 bytes, where the next area of a shared scratch starts. */
function alignedFloats(floats: number): number {
  return Math.ceil(floats / 16) * 16;
}

/** 3×3 stride-1 fp32 convolutions by Winograd F(2×2, 3×3). */
export class WinogradKernels {
  constructor(private readonly rt: KernelRuntime, private readonly gemm: GemmKernels) {}

  /** Winograd pays off for 3×3 stride-1 ungrouped convolutions with enough channels to amortize its transforms. */
  applies(g: Window2d, groups: number, C: number, M: number): boolean {
    return groups === 1 && g.kh === 3 && g.kw === 3 && g.sh === 1 && g.sw === 1 && g.dh === 1 && g.dw === 1 &&
      C >= 16 && M >= 16 && g.OH * g.OW >= 16;
  }

  create(channels: { M: number; C: number }, alloc: Allocate): PackedWinograd {
    const { M, C } = channels;
    return { M, C, u: alloc(16 * this.gemm.packedASize(M, C)), bias: alloc(this.gemm.paddedRows(M)) };
  }

  /** Transform and pack weights W[M][C][3][3] and an optional bias into `dst`. */
  pack(dst: PackedWinograd, weights: Float32Array, bias?: Float32Array): void {
    const rt = this.rt;
    const { M, C } = dst;
    const size = this.gemm.packedASize(M, C);
    const tmp = rt.allocF32(M * C);
    const u = rt.ptr(dst.u);
    transformWeights(weights, M, C).forEach((ux, xi) => {
      tmp.set(ux);
      rt.exports.pack_a(tmp.byteOffset, C, 1, M, C, u + xi * size * 4);
    });
    rt.free(tmp);
    dst.bias.fill(0);
    if (bias) dst.bias.set(bias);
  }

  /**
   * Tile blocks per round of the kernel: its transformed tiles (16·(C + M) floats each) fill ~512 KiB, but at least
   * 2 blocks, since every round streams all the transformed weights (16·M·C floats) once.
   */
  #chunk(C: number, M: number): number {
    return Math.max(2, Math.min(16, Math.floor((512 * 1024) / (16 * (C + M) * 8 * 4))));
  }

  /**
   * Threads share out output channels when tiles are few (each would otherwise stream all 16·M·C transformed weights
   * for its own tiles); every tile is then transformed once, before, into shared scratch after the padded input.
   */
  #splitsChannels(s: ConvShape): boolean {
    const blocks = Math.ceil((s.N * Math.ceil(s.g.OH / 2) * Math.ceil(s.g.OW / 2)) / 8);
    return this.rt.threads > 1 && blocks < 4 * this.rt.threads;
  }

  /** Per-thread scratch and the shared padded input (and transformed tiles, when threads split channels) for this shape. */
  reserve(s: ConvShape): void {
    const rt = this.rt;
    rt.reserveScratch(rt.exports.wino_scratch_floats(s.C, s.M, this.#chunk(s.C, s.M)));
    const tiles = this.#splitsChannels(s) ? rt.exports.wino_transform_floats(s.N, s.C, s.g.OH, s.g.OW) : 0;
    rt.reserveSharedScratch(alignedFloats(padFloats(s.N, s.C, s.g)) + tiles);
  }

  /** y (N × M × OH·OW) = clamp(conv(x) + bias): x padded into the shared scratch, then the transformed GEMMs. */
  run(packed: PackedWinograd, x: Float32Array, y: Float32Array, s: ConvShape, clamp?: OutputClamp): void {
    const rt = this.rt;
    const { N: images, C, M, g } = s;
    const lo = clamp?.lo ?? -Infinity;
    const hi = clamp?.hi ?? Infinity;
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    const u = rt.ptr(packed.u);
    const uStride = this.gemm.packedASize(M, C) * 4;
    const bias = rt.ptr(packed.bias);
    const pad = rt.sharedScratch;
    rt.count("winograd");
    const TH = Math.ceil(g.OH / 2);
    const TW = Math.ceil(g.OW / 2);
    const PH = 2 * TH + 2;
    const PW = 2 * TW + 2 + 8;
    const planes = images * C;
    const padWork = WINDOW_COST * planes * PH * PW;
    if (rt.serial(planes, padWork)) rt.exports.wino_pad(xp, g.H, g.W, g.ph, g.pw, PH, PW, pad, 0, planes);
    else rt.parallelRange("wino_pad", planes, padWork, [xp, g.H, g.W, g.ph, g.pw, PH, PW, pad, 0, 0], 8, -1);
    const blocks = Math.ceil((images * TH * TW) / 8);
    const chunk = Math.min(this.#chunk(C, M), blocks);
    const panels = Math.ceil(M / this.gemm.panelRows);
    const work = 16 * M * C * images * TH * TW;
    if (rt.serial(Math.max(blocks, panels), work)) {
      rt.exports.wino_conv(pad, images, C, PH, PW, g.OH, g.OW, u, uStride, M, yp, bias, lo, hi, 0, blocks, 0, panels, chunk, 0, rt.scratch(0));
      return;
    }
    if (!this.#splitsChannels(s)) {
      rt.parallelRange("wino_conv", blocks, work, [pad, images, C, PH, PW, g.OH, g.OW, u, uStride, M, yp, bias, lo, hi, 0, 0, 0, panels, chunk, 0, 0], 14, 20);
      return;
    }
    // Every share of output channels reads the same transformed tiles: transform them once, channels over the threads.
    rt.count("winograd-shared-tiles");
    const v = pad + alignedFloats(padFloats(images, C, g)) * 4;
    rt.parallelRange("wino_transform", C, work, [pad, images, C, PH, PW, g.OH, g.OW, v, 0, 0, 0], 8, 10);
    rt.parallelRange("wino_conv", panels, work, [pad, images, C, PH, PW, g.OH, g.OW, u, uStride, M, yp, bias, lo, hi, 0, blocks, 0, 0, chunk, v, 0], 16, 20);
  }
}

import type { ExportTable } from "./exports.js";
import type { KernelRuntime, OutputClamp } from "./runtime.js";
import { WINDOW_COST } from "./cost.js";

/** kernels/norm.ts */
export const NORM_EXPORTS = {
  softmax: { params: ["x", "y", "n", "inner", "log", "o0", "o1"], parallel: true },
  layer_norm: { params: ["x", "y", "n", "gamma", "beta", "C", "eps", "mean", "invStd", "lo", "hi", "r0", "r1"], parallel: true },
  reduce: { params: ["op", "x", "y", "n", "inner", "o0", "o1"], parallel: true },
  rms_norm: { params: ["x", "y", "n", "gamma", "eps", "lo", "hi", "r0", "r1"], parallel: true },
  lrn: { params: ["x", "y", "C", "plane", "size", "alpha", "beta", "bias", "p0", "p1"], parallel: true },
} as const satisfies ExportTable;

/** The reductions of the `reduce` kernel, by its op codes. */
export const REDUCE_OPS = {
  ReduceSum: 0, ReduceMean: 1, ReduceMax: 2, ReduceMin: 3, ReduceProd: 4, ReduceSumSquare: 5, ReduceL1: 6,
  ReduceL2: 7, ReduceLogSum: 8, ReduceLogSumExp: 9,
} as const;
export type ReduceOp = keyof typeof REDUCE_OPS;

/** A tensor seen as [outer][n][inner], the operation running along n. */
export interface RowGeometry {
  outer: number;
  n: number;
  inner: number;
}

/** Scale and shift of a normalisation: per element of a row, or per channel (row mod `channels`). */
export interface NormAffine {
  gamma: Float32Array;
  beta?: Float32Array;
  /** When set, gamma and beta hold one value per channel and row r is channel r mod channels. */
  channels?: number;
}

/** Where LayerNormalization's optional per-row statistics go. */
export interface NormStats {
  mean?: Float32Array;
  invStd?: Float32Array;
}

/** Row kernels: Softmax/LogSoftmax, layer (and instance) normalisation, Reduce*. */
export class NormKernels {
  constructor(private readonly rt: KernelRuntime) {}

  /** Softmax (or LogSoftmax) of x along n, into y (x and y may be the same). */
  softmax(x: Float32Array, y: Float32Array, g: RowGeometry, log: boolean): void {
    const rt = this.rt;
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    const work = 4 * WINDOW_COST * g.outer * g.n * g.inner;
    if (rt.serial(g.outer, work)) rt.exports.softmax(xp, yp, g.n, g.inner, log ? 1 : 0, 0, g.outer);
    else rt.parallelRange("softmax", g.outer, work, [xp, yp, g.n, g.inner, log ? 1 : 0, 0, 0], 5, -1);
  }

  /** Each of `rows` rows of n floats normalised, scaled and shifted, clamped; statistics stored when asked. */
  layerNorm(x: Float32Array, y: Float32Array, rows: number, n: number, affine: NormAffine, eps: number, stats: NormStats = {}, clamp: OutputClamp = {}): void {
    const rt = this.rt;
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    const gp = rt.ptr(affine.gamma);
    const bp = affine.beta ? rt.ptr(affine.beta) : 0;
    const mp = stats.mean ? rt.ptr(stats.mean) : 0;
    const ip = stats.invStd ? rt.ptr(stats.invStd) : 0;
    const lo = clamp.lo ?? -Infinity;
    const hi = clamp.hi ?? Infinity;
    rt.count("layer-norm");
    const work = 2 * WINDOW_COST * rows * n;
    if (rt.serial(rows, work)) rt.exports.layer_norm(xp, yp, n, gp, bp, affine.channels ?? 0, eps, mp, ip, lo, hi, 0, rows);
    else rt.parallelRange("layer_norm", rows, work, [xp, yp, n, gp, bp, affine.channels ?? 0, eps, mp, ip, lo, hi, 0, 0], 11, -1);
  }

  /** y[o][q] = op over i of x[o][i][q]. */
  reduce(op: ReduceOp, x: Float32Array, y: Float32Array, g: RowGeometry): void {
    const rt = this.rt;
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    const work = WINDOW_COST * g.outer * g.n * g.inner;
    if (rt.serial(g.outer, work)) rt.exports.reduce(REDUCE_OPS[op], xp, yp, g.n, g.inner, 0, g.outer);
    else rt.parallelRange("reduce", g.outer, work, [REDUCE_OPS[op], xp, yp, g.n, g.inner, 0, 0], 5, -1);
  }

  /** Each of `rows` rows of n floats divided by its root mean square (+ eps under the root), times gamma[i], clamped. */
  rmsNorm(x: Float32Array, y: Float32Array, rows: number, n: number, gamma: Float32Array, eps: number, clamp: OutputClamp = {}): void {
    const rt = this.rt;
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    const gp = rt.ptr(gamma);
    const lo = clamp.lo ?? -Infinity;
    const hi = clamp.hi ?? Infinity;
    rt.count("rms-norm");
    const work = 2 * WINDOW_COST * rows * n;
    if (rt.serial(rows, work)) rt.exports.rms_norm(xp, yp, n, gp, eps, lo, hi, 0, rows);
    else rt.parallelRange("rms_norm", rows, work, [xp, yp, n, gp, eps, lo, hi, 0, 0], 7, -1);
  }

  /** Local response normalisation of x [N][C][plane] across channels (LRN's attributes as given). */
  lrn(x: Float32Array, y: Float32Array, N: number, C: number, plane: number, size: number, alpha: number, beta: number, bias: number): void {
    const rt = this.rt;
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    const work = (size + 4) * WINDOW_COST * N * C * plane;
    rt.count("lrn");
    if (rt.serial(N * C, work)) rt.exports.lrn(xp, yp, C, plane, size, alpha, beta, bias, 0, N * C);
    else rt.parallelRange("lrn", N * C, work, [xp, yp, C, plane, size, alpha, beta, bias, 0, 0], 8, -1);
  }
}

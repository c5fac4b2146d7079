import type { ExportTable } from "./exports.js";
import type { KernelRuntime, OutputClamp } from "./runtime.js";
import { WINDOW_COST } from "./cost.js";

/** kernels/unary.ts */
export const UNARY_EXPORTS = {
  unary: { params: ["op", "x", "y", "n", "alpha", "beta", "lo", "hi"], parallel: true },
  pow_scalar: { params: ["x", "y", "n", "e"], parallel: true },
} as const satisfies ExportTable;

/**
 * The functions of the `unary` kernel, by its op codes. Parameters: HardSigmoid and HardSwish x·alpha + beta, Elu and
 * Celu alpha, Selu alpha and gamma (as beta), LeakyRelu and ThresholdedRelu alpha, Affine x·alpha + beta.
 */
export const UNARY_OPS = {
  Exp: 0, Log: 1, Sigmoid: 2, Tanh: 3, Erf: 4, Gelu: 5, GeluTanh: 6, Softplus: 7, Softsign: 8, HardSigmoid: 9,
  HardSwish: 10, Elu: 11, Selu: 12, Celu: 13, LeakyRelu: 14, Mish: 15, Sqrt: 16, Reciprocal: 17, Abs: 18, Neg: 19,
  Floor: 20, Ceil: 21, Round: 22, Silu: 23, ThresholdedRelu: 24, Square: 25, Cube: 26, PowHalf: 27, Affine: 28, Sin: 29,
  Cos: 30,
} as const;
export type UnaryOp = keyof typeof UNARY_OPS;

/** Kernel-path names per function ("unary:Silu"), made once: counting a run allocates nothing. */
const PATHS = Object.fromEntries(Object.keys(UNARY_OPS).map((op) => [op, `unary:${op}`])) as Record<UnaryOp, string>;

/** Functions whose cost is a polynomial or a division per element, not one instruction. */
const TRANSCENDENTAL = new Set<UnaryOp>(["Exp", "Log", "Sigmoid", "Tanh", "Erf", "Gelu", "GeluTanh", "Softplus", "Elu", "Selu",
  "Celu", "Mish", "Silu", "Sin", "Cos"]);

/** Parameters of a unary function (see UNARY_OPS). */
export interface UnaryParams {
  alpha?: number;
  beta?: number;
}

/** fp32 elementwise functions: activations and math, each one pass over contiguous floats. */
export class UnaryKernels {
  constructor(private readonly rt: KernelRuntime) {}

  /** y = clamp(f(x)) over n floats; y may be x. */
  run(op: UnaryOp, x: Float32Array, y: Float32Array, n: number, params: UnaryParams = {}, clamp: OutputClamp = {}): void {
    const rt = this.rt;
    const code = UNARY_OPS[op];
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    const alpha = params.alpha ?? 0;
    const beta = params.beta ?? 0;
    const lo = clamp.lo ?? -Infinity;
    const hi = clamp.hi ?? Infinity;
    const cost = TRANSCENDENTAL.has(op) ? 4 * WINDOW_COST : WINDOW_COST;
    rt.count(PATHS[op]);
    if (rt.serial(Math.ceil(n / 4), cost * n)) rt.exports.unary(code, xp, yp, n, alpha, beta, lo, hi);
    else unaryShares(rt, code, xp, yp, n, alpha, beta, lo, hi, cost * n);
  }

  /** y = pow(x, e) over n floats, each computed in double precision and rounded once. */
  pow(x: Float32Array, y: Float32Array, n: number, e: number): void {
    const rt = this.rt;
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    if (rt.serial(n, 16 * WINDOW_COST * n)) rt.exports.pow_scalar(xp, yp, n, e);
    else powShares(rt, xp, yp, n, e);
  }
}

// The threaded paths, apart: a closure in the methods above would make them allocate on their serial path too.

function unaryShares(rt: KernelRuntime, code: number, xp: number, yp: number, n: number, alpha: number, beta: number, lo: number, hi: number, work: number): void {
  rt.parallel("unary", Math.ceil(n / 4), work, (v0, v1) => {
    const start = v0 * 4;
    return [code, xp + start * 4, yp + start * 4, Math.min(n, v1 * 4) - start, alpha, beta, lo, hi];
  });
}

function powShares(rt: KernelRuntime, xp: number, yp: number, n: number, e: number): void {
  rt.parallel("pow_scalar", n, 16 * WINDOW_COST * n, (i0, i1) => [xp + i0 * 4, yp + i0 * 4, i1 - i0, e]);
}

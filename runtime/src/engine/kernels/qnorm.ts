import type { ExportTable } from "./exports.js";
import type { Bytes } from "./qconv.js";
import type { KernelRuntime } from "./runtime.js";
import { WINDOW_COST } from "./cost.js";

/** kernels/qnorm.ts */
export const QNORM_EXPORTS = {
  qlayer_norm: { params: ["x", "y", "n", "gamma", "beta", "eps", "sx", "zx", "sy", "zy", "qlo", "qhi", "flags", "r0", "r1", "scratch"], parallel: true },
} as const satisfies ExportTable;

/** A per-tensor quantization of bytes: scale, zero point, the integer range and whether the codes are int8. */
export interface ByteQuant {
  scale: number;
  zp: number;
  qlo: number;
  qhi: number;
  signed: boolean;
}

/** LayerNormalization from quantized rows to quantized rows, normalised in float32 exactly as the float kernel does. */
export class QnormKernels {
  constructor(private readonly rt: KernelRuntime) {}

  /** Per-thread room for one dequantized row of n floats. */
  reserve(n: number): void {
    this.rt.reserveScratch(n);
  }

  /** Each of `rows` rows of n codes normalised with gamma (and beta, when given) and epsilon, into y's codes. */
  layerNorm(x: Bytes, y: Bytes, rows: number, n: number, gamma: Float32Array, beta: Float32Array | undefined, eps: number,
    xq: ByteQuant, yq: ByteQuant): void {
    const rt = this.rt;
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    const gp = rt.ptr(gamma);
    const bp = beta ? rt.ptr(beta) : 0;
    const flags = (xq.signed ? 1 : 0) | (yq.signed ? 2 : 0);
    const work = 3 * WINDOW_COST * rows * n;
    if (rt.serialFor("qlayer_norm", rows, work)) {
      rt.exports.qlayer_norm(xp, yp, n, gp, bp, eps, xq.scale, xq.zp, yq.scale, yq.zp, yq.qlo, yq.qhi, flags, 0, rows, rt.scratch(0));
      return;
    }
    rt.parallelRange("qlayer_norm", rows, work, [xp, yp, n, gp, bp, eps, xq.scale, xq.zp, yq.scale, yq.zp, yq.qlo, yq.qhi, flags, 0, 0, 0], 13, 15);
  }
}

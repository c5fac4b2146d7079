/**
 * The integer operators `lower()` emits, in qkit's own domain: only this engine runs them. Each takes its integer
 * activations with their scale and zero point (as QLinearConv does) and produces integers with the output's; a
 * fused Relu/Clip is the float interval [clamp_min, clamp_max] the output is clipped to before quantization.
 */
export const QKIT_DOMAIN = "com.qkit";

/** QConv / QGemm inputs: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B?, B_scale?. */
export const QLINEAR = { x: 0, xScale: 1, xZp: 2, w: 3, wScale: 4, wZp: 5, yScale: 6, yZp: 7, bias: 8, biasScale: 9 } as const;

/** QAdd / QMul inputs: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point. */
export const QBINARY = { a: 0, aScale: 1, aZp: 2, b: 3, bScale: 4, bZp: 5, yScale: 6, yZp: 7 } as const;

/** QMaxPool, QAveragePool, QGlobalAveragePool, QLut inputs: x, x_scale, x_zero_point, y_scale, y_zero_point. */
export const QUNARY = { x: 0, xScale: 1, xZp: 2, yScale: 3, yZp: 4 } as const;

/** QConcat inputs: y_scale, y_zero_point, then (x, x_scale, x_zero_point) per concatenated tensor. */
export const QCONCAT_FIRST = 2;

export const QKIT_OPS = ["QConv", "QGemm", "QAdd", "QMul", "QMaxPool", "QAveragePool", "QGlobalAveragePool", "QConcat", "QLut"] as const;
export type QkitOp = (typeof QKIT_OPS)[number];

// Generated from kernels/descriptors.json by kernels/gen-descriptors.mjs: edit the JSON, not this file.

/**
 * A quantized convolution's descriptor: an i32 record the host writes once per operator (and its geometry once per
 * plan), because a kernel call through the thread pool carries at most 30 arguments. Pointers are byte offsets into
 * the shared memory.
 */
export namespace QD {
  /** input channels per group */
  export const C = 0;
  /** input height */
  export const H = 1;
  /** input width */
  export const W = 2;
  /** kernel height */
  export const KH = 3;
  /** kernel width */
  export const KW = 4;
  /** stride (rows) */
  export const SH = 5;
  /** stride (columns) */
  export const SW = 6;
  /** padding before the rows */
  export const PH = 7;
  /** padding before the columns */
  export const PW = 8;
  /** dilation (rows) */
  export const DH = 9;
  /** dilation (columns) */
  export const DW = 10;
  /** output height */
  export const OH = 11;
  /** output width */
  export const OW = 12;
  /** output channels per group */
  export const M = 13;
  /** groups */
  export const GROUPS = 14;
  /** packed weights (qpack_a, or int16 depthwise filters) */
  export const A = 15;
  /** bytes between groups' packed weights */
  export const A_STRIDE = 16;
  /** i32 per output channel (zero points folded in), padded per group */
  export const BIAS = 17;
  /** bytes between groups' per-channel arrays */
  export const P_STRIDE = 18;
  /** f32 per output channel: s_x·s_w / s_y */
  export const MULT = 19;
  /** f32 per output channel: what the bias adds when it is not an exact accumulator integer */
  export const OFF = 20;
  /** input zero point */
  export const ZX = 21;
  /** output zero point */
  export const ZY = 22;
  /** output clamp in quantized units (dtype range, fused Relu/Clip) */
  export const QLO = 23;
  /** upper output clamp */
  export const QHI = 24;
  /** bit 0: signed input, bit 1: signed output, bit 2: every multiplier and offset finite */
  export const FLAGS = 25;
  /** 0, or a second quantization after the first (a Relu/Clip between two Q/DQ pairs): i32 zp, qlo, qhi of the first, f32 its scale, the float clamp's low and high, the output scale (or its reciprocal), i32 1 for the reciprocal; i32 1 for a short form (fold-stage.ts), then f32 its bounds of the first codes and its two factors, i32 1 for its lean variant */
  export const STAGE = 26;
  export const SIZE = 32;
}

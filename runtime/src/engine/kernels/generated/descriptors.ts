// Generated from kernels/descriptors.json by kernels/gen-descriptors.mjs: edit the JSON, not this file.

/**
 * A quantized convolution's descriptor: an i32 record the host writes once per operator (and its geometry once per
 * plan), because a kernel call through the thread pool carries at most 30 arguments. Pointers are byte offsets into
 * the shared memory.
 */
export const QD = {
  /** input channels per group */
  C: 0,
  /** input height */
  H: 1,
  /** input width */
  W: 2,
  /** kernel height */
  KH: 3,
  /** kernel width */
  KW: 4,
  /** stride (rows) */
  SH: 5,
  /** stride (columns) */
  SW: 6,
  /** padding before the rows */
  PH: 7,
  /** padding before the columns */
  PW: 8,
  /** dilation (rows) */
  DH: 9,
  /** dilation (columns) */
  DW: 10,
  /** output height */
  OH: 11,
  /** output width */
  OW: 12,
  /** output channels per group */
  M: 13,
  /** groups */
  GROUPS: 14,
  /** packed weights (qpack_a, or int16 depthwise filters) */
  A: 15,
  /** bytes between groups' packed weights */
  A_STRIDE: 16,
  /** i32 per output channel (zero points folded in), padded per group */
  BIAS: 17,
  /** bytes between groups' per-channel arrays */
  P_STRIDE: 18,
  /** f32 per output channel: s_x·s_w / s_y */
  MULT: 19,
  /** f32 per output channel: what the bias adds when it is not an exact accumulator integer */
  OFF: 20,
  /** input zero point */
  ZX: 21,
  /** output zero point */
  ZY: 22,
  /** output clamp in quantized units (dtype range, fused Relu/Clip) */
  QLO: 23,
  /** upper output clamp */
  QHI: 24,
  /** bit 0: signed input, bit 1: signed output, bit 2: every multiplier and offset finite */
  FLAGS: 25,
  /** 0, or a second quantization after the first (a Relu/Clip between two Q/DQ pairs): i32 zp, qlo, qhi of the first, f32 its scale, the float clamp's low and high, the output scale (or its reciprocal), i32 1 for the reciprocal; i32 1 for a short form (fold-stage.ts), then f32 its bounds of the first codes and its two factors, i32 1 for its lean variant */
  STAGE: 26,
  /** ints in the record */
  SIZE: 32,
} as const;

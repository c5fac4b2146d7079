/** Window kernels (depthwise, pooling, elementwise) run several times fewer operations per second than GEMMs: weigh them so. */
export const WINDOW_COST = 8;

/**
 * The integer kernels do about four times the multiply-adds per second of the float ones (eight 16-bit products per
 * i32x4.dot_i16x8_s, bytes instead of floats to move), and each share of a split pays its own column packing and
 * padding: their work counts a quarter towards the threshold of a parallel call, so a call goes to the threads only
 * when it takes as long as a float call that would. (Int8 MobileNet-V3-Small split 3–9 M multiply-add convolutions
 * and ran slower on two threads than on one.)
 */
export const INTEGER_COST = 1 / 4;

/** The parallel kernels of the integer families, whose work INTEGER_COST weighs. */
export const INTEGER_KERNELS: ReadonlySet<string> = new Set([
  "qconv2d", "qconv2d_images", "qdwconv2d", "qdwconv2d_images", "qmaxpool2d", "qavgpool2d", "qbinary", "qbinary_runs", "qgemm_rows", "qlut", "qlut_affine", "qquantize", "qsoftmax", "qlayer_norm", "qwino_pad", "qwino", "qwino_images", "qwino_groups",
]);

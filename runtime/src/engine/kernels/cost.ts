/** Window kernels (depthwise, pooling, elementwise) run several times fewer operations per second than GEMMs: weigh them so. */
export const WINDOW_COST = 8;

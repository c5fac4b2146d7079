import type { ExportsOf } from "./exports.js";
import { COL2IM_EXPORTS } from "./col2im.js";
import { CONV_EXPORTS } from "./conv.js";
import { ELTWISE_EXPORTS } from "./eltwise.js";
import { GEMM_EXPORTS } from "./gemm.js";
import { NORM_EXPORTS } from "./norm.js";
import { PEAK_EXPORTS } from "./peak.js";
import { QCONV_EXPORTS } from "./qconv.js";
import { QGEMM_EXPORTS } from "./qgemm.js";
import { QELTWISE_EXPORTS } from "./qeltwise.js";
import { QWINDOW_EXPORTS } from "./qwindow.js";
import { QWINOGRAD_EXPORTS } from "./qwinograd.js";
import { RECURRENT_EXPORTS } from "./recurrent.js";
import { RESIZE_EXPORTS } from "./resize.js";
import { WINDOW_EXPORTS } from "./window.js";
import { WINOGRAD_EXPORTS } from "./winograd.js";
import { UNARY_EXPORTS } from "./unary.js";
import { BROADCAST_EXPORTS } from "./broadcast.js";
import { STRIDED_EXPORTS } from "./strided.js";
import { QSOFTMAX_EXPORTS } from "./qsoftmax.js";
import { QNORM_EXPORTS } from "./qnorm.js";
import { ORDER_EXPORTS } from "./order.js";

/**
 * Every function of the kernel module, gathered from the families' own tables (one line per family; the
 * AssemblyScript side lists the same families in kernels/families.ts). A test holds this against the instantiated
 * module in both directions.
 */
export const KERNEL_EXPORTS = {
  ...GEMM_EXPORTS, ...CONV_EXPORTS, ...WINOGRAD_EXPORTS, ...WINDOW_EXPORTS, ...ELTWISE_EXPORTS, ...PEAK_EXPORTS,
  ...QCONV_EXPORTS, ...QWINOGRAD_EXPORTS, ...QWINDOW_EXPORTS, ...QELTWISE_EXPORTS,
  ...UNARY_EXPORTS,
  ...BROADCAST_EXPORTS,
  ...NORM_EXPORTS,
  ...RECURRENT_EXPORTS, ...RESIZE_EXPORTS, ...COL2IM_EXPORTS,
  ...QGEMM_EXPORTS,
  ...STRIDED_EXPORTS,
  ...QSOFTMAX_EXPORTS,
  ...QNORM_EXPORTS,
  ...ORDER_EXPORTS,
} as const;

export type KernelName = keyof typeof KERNEL_EXPORTS;
export type KernelExports = ExportsOf<typeof KERNEL_EXPORTS>;
export type ParallelKernel = { [K in KernelName]: (typeof KERNEL_EXPORTS)[K] extends { parallel: true } ? K : never }[KernelName];

/** Kernel functions that may run on worker threads, by index in this list (the thread pool and its workers share it). */
export const PARALLEL_KERNELS = (Object.keys(KERNEL_EXPORTS) as KernelName[])
  .filter((name) => (KERNEL_EXPORTS[name] as { parallel?: boolean }).parallel === true) as ParallelKernel[];

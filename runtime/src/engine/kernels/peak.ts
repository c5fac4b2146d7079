import type { ExportTable } from "./exports.js";

/** kernels/peak.ts: the fp32 ceiling probe the benchmarks divide by (peak_int_ops, its integer twin, is in qeltwise). */
export const PEAK_EXPORTS = {
  peak_flops: { params: ["iterations", "seed"] },
} as const satisfies ExportTable;

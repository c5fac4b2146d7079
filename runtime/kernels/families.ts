// The kernel families, one line each: both builds (simd.ts, relaxed.ts) export exactly these. The host declares each
// family's functions in src/engine/kernels/<family>.ts, and a test compares those declarations with this module.
export * from "./gemm";
export * from "./conv";
export * from "./conv_direct";
export * from "./window";
export * from "./eltwise";
export * from "./peak";
export * from "./winograd";
export * from "./qconv";
export * from "./qgemm";
export * from "./qwindow";
export * from "./qeltwise";
export * from "./qwinograd";
export * from "./unary";
export * from "./broadcast";
export * from "./norm";
export * from "./recurrent";
export * from "./resize";
export * from "./col2im";
export * from "./strided";
export * from "./qsoftmax";
export * from "./qnorm";
export * from "./order";

// Relaxed-SIMD entry point: the same kernels, compiled with RELAXED=1 so that multiply-adds use f32x4.relaxed_madd.
// The host loads it only where WebAssembly.validate accepts it.
export * from "./gemm";
export * from "./conv";
export * from "./window";
export * from "./eltwise";
export * from "./peak";
export * from "./winograd";
export * from "./qconv";
export * from "./qwindow";
export * from "./qeltwise";
export * from "./qwinograd";

// Relaxed-SIMD entry point: the same kernels, compiled with RELAXED=1 so that multiply-adds use f32x4.relaxed_madd.
// The host loads it only where WebAssembly.validate accepts it.
export * from "./families";

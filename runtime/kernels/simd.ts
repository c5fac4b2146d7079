// SIMD128 baseline entry point. Every kernel works on raw pointers into the memory the host imports (and shares with
// its workers); nothing here allocates, so the host owns the whole address space above the first page.
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

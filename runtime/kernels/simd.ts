// SIMD128 baseline entry point. Every kernel works on raw pointers into the memory the host imports (and shares with
// its workers); nothing here allocates, so the host owns the whole address space above the first page.
export * from "./families";

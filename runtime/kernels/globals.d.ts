/** Set per build with `asc --use RELAXED=0|1`: selects relaxed-SIMD instructions at compile time. */
declare const RELAXED: i32;

import { madd } from "./madd";

/**
 * The machine's fp32 ceiling for these kernels: `iterations` rounds of 16 independent f32x4 multiply-adds on
 * registers (enough chains to hide the latency), no memory traffic. 128 flops per round; the result only keeps the
 * work from being optimized away. Used by the benchmark to express kernel speed as a share of the ceiling.
 */
export function peak_flops(iterations: i32, seed: f32): f32 {
  const m = f32x4.splat(0.999);
  const d = f32x4.splat(seed);
  let a0 = d, a1 = d, a2 = d, a3 = d, a4 = d, a5 = d, a6 = d, a7 = d;
  for (let i = 0; i < iterations; i++) {
    a0 = madd(a0, m, d); a1 = madd(a1, m, d); a2 = madd(a2, m, d); a3 = madd(a3, m, d);
    a4 = madd(a4, m, d); a5 = madd(a5, m, d); a6 = madd(a6, m, d); a7 = madd(a7, m, d);
    a0 = madd(a0, m, d); a1 = madd(a1, m, d); a2 = madd(a2, m, d); a3 = madd(a3, m, d);
    a4 = madd(a4, m, d); a5 = madd(a5, m, d); a6 = madd(a6, m, d); a7 = madd(a7, m, d);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  return f32x4.extract_lane(s, 0);
}

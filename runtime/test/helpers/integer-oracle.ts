// What the integer kernels' scalar oracles share: deterministic operands and the requantization's rounding.

/** Deterministic integers in [lo, hi] (a linear congruential sequence from `seed`). */
export function ints(n: number, lo: number, hi: number, seed: number): number[] {
  const out: number[] = [];
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(lo + (s % (hi - lo + 1)));
  }
  return out;
}

/** Round half to even, as QuantizeLinear and the kernels' requantization do. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
}

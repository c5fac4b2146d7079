/**
 * Most 256-entry tables of the integer engine are a requantization, possibly clipped: QConcat's inputs brought to
 * the output's parameters, a Relu or Clip between two Q/DQ pairs, a QLut after a layout op. Such a table is
 * t[x] = clamp(⌊(x·a + c) / 2^shift⌋, lo, hi) for small integers a, c and shift, which a kernel computes with a few
 * integer vector operations per 16 codes instead of 16 swizzles. The parameters are searched for here and accepted
 * only when they give every one of the 256 entries exactly: the table stays the definition.
 */

/** y = clamp((x·a + c) >> shift, lo, hi) on the input code x (signed or not, as the table is indexed). */
export interface AffineTable {
  readonly a: number;
  readonly c: number;
  readonly shift: number;
  readonly lo: number;
  readonly hi: number;
}

/** The kernel multiplies int16 codes by an int16 a. */
const MAX_A = 32767;

/**
 * The affine form of `codes` (indexed by x, or x + 128 for signed inputs; output codes as numbers), or undefined when
 * none reproduces every entry.
 */
export function affineTable(codes: ArrayLike<number>, signedInput: boolean): AffineTable | undefined {
  const xs: number[] = [];
  const ts: number[] = [];
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < 256; i++) {
    const t = codes[i]!;
    xs.push(signedInput ? i - 128 : i);
    ts.push(t);
    lo = Math.min(lo, t);
    hi = Math.max(hi, t);
  }
  if (lo === hi) return { a: 0, c: lo, shift: 0, lo, hi };
  // The finest shift first: a fit at shift s − 1 is one at s too (a and c doubled), so a table that fits none at s
  // fits none below; a coarser shift only helps a slope too steep for an int16 a.
  for (let shift = 15; shift >= 0; shift--) {
    const fit = fitAt(xs, ts, 2 ** shift, lo, hi);
    if (fit !== "too steep") return fit && { ...fit, shift, lo, hi };
  }
  return undefined;
}

/**
 * Integers a (|a| ≤ MAX_A) and c with clamp(⌊(x·a + c) / scale⌋, lo, hi) = t for every entry: each entry bounds x·a + c
 * to [t·scale, (t + 1)·scale − 1], only one side at the clamp's ends (any value past an end is clamped to it). The
 * slopes a that leave some c are exactly those between every pair's bounds (Fourier–Motzkin), then c is any value
 * inside every entry's bounds shifted by x·a.
 */
function fitAt(xs: readonly number[], ts: readonly number[], scale: number, lo: number, hi: number): { a: number; c: number } | "too steep" | undefined {
  const n = xs.length;
  const lower = ts.map((t) => (t === lo ? -Infinity : t * scale));
  const upper = ts.map((t) => (t === hi ? Infinity : (t + 1) * scale - 1));
  let aMin = -Infinity;
  let aMax = Infinity;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      // xs ascend: x_j > x_i, so (x_j − x_i)·a ∈ [lower_j − upper_i, upper_j − lower_i].
      const dx = xs[j]! - xs[i]!;
      aMin = Math.max(aMin, Math.ceil((lower[j]! - upper[i]!) / dx));
      aMax = Math.min(aMax, Math.floor((upper[j]! - lower[i]!) / dx));
    }
    if (aMin > aMax) return undefined;
  }
  const a = Math.max(aMin, Math.min(aMax, 0));
  if (Math.abs(a) > MAX_A) return "too steep";
  let cMin = -Infinity;
  let cMax = Infinity;
  for (let i = 0; i < n; i++) {
    cMin = Math.max(cMin, lower[i]! - xs[i]! * a);
    cMax = Math.min(cMax, upper[i]! - xs[i]! * a);
  }
  return cMin <= cMax && Number.isFinite(cMin) ? { a, c: cMin } : undefined;
}

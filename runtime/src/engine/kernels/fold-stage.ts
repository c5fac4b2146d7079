import { roundHalfEven } from "../ops/math.js";
import type { RequantStage } from "./qconv.js";

/** What foldStage needs of a requantization with a second stage: the stage itself, and how the kernels store. */
export interface StageToFold extends RequantStage {
  /** Whether the kernels multiply by the output scale's float32 reciprocal (see reciprocalServes). */
  reciprocal: boolean;
  /** The output's zero point and clamp in codes; fullRange: the clamp is the output type's whole range. */
  zy: number;
  outLo: number;
  outHi: number;
  fullRange: boolean;
  /** Every multiplier and offset of the first quantization is finite: its values are finite or ±∞, never NaN. */
  finite: boolean;
}

/**
 * The stage as the kernels' short form: the first codes (less their zero point) bounded to [low, high] while they
 * are rounded, then times a and times b, rounded again with no further clamp than the output's. It exists only where
 * that gives every one of the first quantization's codes the output code the stage's own float steps give (checked
 * here, code by code), so the stage stays the definition; the float clamp then costs nothing (a Relu bounds the
 * first rounding instead), nor do the NaN checks of values that cannot be NaN.
 */
export interface FoldedStage {
  low: number;
  high: number;
  a: number;
  b: number;
  /**
   * b is 1 and the output clamp is the type's whole range, which the kernels' narrowing to bytes saturates to anyway:
   * then one multiply and the rounding (the products stay far inside the float adder's exact range) are all.
   */
  lean?: boolean;
}

const f32 = Math.fround;

/** The output code of first code q − zp through the stage's float steps, as the kernels compute them. */
function stageCode(s: StageToFold, first: number, reciprocal: number): number {
  const x = Math.min(Math.max(f32(first * f32(s.scale)), f32(s.lo)), f32(s.hi));
  const q = f32(x * reciprocal);
  return roundHalfEven(Math.min(Math.max(q, s.outLo - s.zy), s.outHi - s.zy)) + s.zy;
}

/** The short form's output code of first code q − zp (see FoldedStage). */
function foldedCode(s: StageToFold, first: number, f: FoldedStage): number {
  const g = Math.min(Math.max(first, f.low), f.high);
  const x = f32(f32(g * f.a) * f.b);
  return roundHalfEven(Math.min(Math.max(x, s.outLo - s.zy), s.outHi - s.zy)) + s.zy;
}

/** The short form of a stage, when one gives every code the stage gives (see FoldedStage); undefined otherwise. */
export function foldStage(s: StageToFold): FoldedStage | undefined {
  if (!s.finite || !s.reciprocal) return undefined;
  const scale = f32(s.scale);
  const multiplier = f32(1 / f32(s.divisor));
  if (!(scale > 0) || !Number.isFinite(multiplier)) return undefined;
  const from = s.qlo - s.zp, to = s.qhi - s.zp;
  // The first codes the float clamp leaves as they are; those beyond it are clamped to the nearest of them.
  let low = from, high = to;
  while (low <= to && f32(low * scale) < f32(s.lo)) low++;
  while (high >= from && f32(high * scale) > f32(s.hi)) high--;
  if (low > high) return undefined;
  const candidates: FoldedStage[] = [
    { low, high, a: f32(scale * multiplier), b: 1 },
    { low, high, a: scale, b: multiplier },
  ];
  const folded = candidates.find((f) => {
    for (let first = from; first <= to; first++) {
      if (foldedCode(s, first, f) !== stageCode(s, first, multiplier)) return false;
    }
    return true;
  });
  if (!folded) return undefined;
  const reach = Math.max(Math.abs(folded.low * folded.a), Math.abs(folded.high * folded.a));
  return { ...folded, lean: folded.b === 1 && s.fullRange && reach < 2 ** 20 };
}

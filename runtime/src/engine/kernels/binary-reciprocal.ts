import { roundHalfEven } from "../ops/math.js";
import type { QbinaryParams } from "./qeltwise.js";

const f32 = Math.fround;

/**
 * Whether QAdd/QMul may multiply by the output scale's float32 reciprocal instead of dividing by it (a divide is
 * the slowest step of the kernel): only where that gives every pair of input codes the output code the division
 * gives, checked pair by pair (65,536 of them), so QuantizeLinear's division stays the definition. Not for a
 * float32 b (its values are not codes), nor for scales that are not finite and nonzero.
 */
export function binaryReciprocalServes(op: "Add" | "Mul", q: QbinaryParams): boolean {
  if (q.floatB) return false;
  const sa = f32(q.a.scale), sb = f32(q.b.scale), sy = f32(q.y.scale);
  const reciprocal = f32(1 / sy);
  if (![sa, sb, sy, reciprocal].every((s) => Number.isFinite(s) && s !== 0)) return false;
  const lo = q.qlo - q.y.zp, hi = q.qhi - q.y.zp;
  const code = (v: number) => roundHalfEven(Math.min(Math.max(v, lo), hi));
  const [a0, a1] = q.signedA ? [-128, 127] : [0, 255];
  const [b0, b1] = q.signedB ? [-128, 127] : [0, 255];
  for (let a = a0; a <= a1; a++) {
    const fa = f32((a - q.a.zp) * sa);
    for (let b = b0; b <= b1; b++) {
      const fb = f32((b - q.b.zp) * sb);
      const v = f32(op === "Add" ? fa + fb : fa * fb);
      if (code(f32(v / sy)) !== code(f32(v * reciprocal))) return false;
    }
  }
  return true;
}

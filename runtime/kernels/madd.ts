/** c + a·b; fused where the relaxed build allows (RELAXED is a compile-time constant, the other branch vanishes). */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (RELAXED) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

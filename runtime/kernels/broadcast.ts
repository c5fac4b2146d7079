// Broadcasting binary operators in one call: the host collapses the output shape to at most four axes (adjacent
// axes merged where both operands step alike) and passes each operand's element strides, 0 where it repeats. The
// innermost axis is contiguous or a repeated value for each operand, so the inner loop is a plain SIMD run.
import { vclampOut, zeroFix } from "./vmath";

// Op codes, shared with src/engine/kernels/broadcast.ts (BROADCAST_OPS).
const ADD = 0;
const SUB = 1;
const MUL = 2;
const DIV = 3;
const MIN = 4;
const MAX = 5;
const PRELU = 6;
const POW = 7;
const SQDIFF = 8;

// @ts-ignore: decorator
@inline function op4(op: i32, a: v128, b: v128): v128 {
  if (op == ADD) return f32x4.add(a, b);
  if (op == SUB) return f32x4.sub(a, b);
  if (op == MUL) return f32x4.mul(a, b);
  if (op == DIV) return f32x4.div(a, b);
  if (op == MIN) return f32x4.min(a, b);
  if (op == MAX) return f32x4.max(a, b);
  if (op == PRELU) return v128.bitselect(f32x4.mul(a, b), a, f32x4.lt(a, f32x4.splat(0.0)));
  if (op == SQDIFF) { const d = f32x4.sub(a, b); return f32x4.mul(d, d); }
  // POW: per lane in double precision, rounded once (no vector pow is accurate enough for every exponent).
  let r = f32x4.splat(0.0);
  r = f32x4.replace_lane(r, 0, <f32>Math.pow(<f64>f32x4.extract_lane(a, 0), <f64>f32x4.extract_lane(b, 0)));
  r = f32x4.replace_lane(r, 1, <f32>Math.pow(<f64>f32x4.extract_lane(a, 1), <f64>f32x4.extract_lane(b, 1)));
  r = f32x4.replace_lane(r, 2, <f32>Math.pow(<f64>f32x4.extract_lane(a, 2), <f64>f32x4.extract_lane(b, 2)));
  return f32x4.replace_lane(r, 3, <f32>Math.pow(<f64>f32x4.extract_lane(a, 3), <f64>f32x4.extract_lane(b, 3)));
}

// @ts-ignore: decorator
@inline function lanes(p: usize, step: i32, rest: i32): v128 {
  if (step == 0) return v128.load32_splat(p);
  let v = f32x4.splat(0.0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (rest > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (rest > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** One contiguous output run of n: each operand contiguous (step 1) or one repeated value (step 0). */
// @ts-ignore: decorator
@inline function row(op: i32, a: usize, sa: i32, b: usize, sb: i32, y: usize, n: i32, clamped: bool, vlo: v128, vhi: v128, vfix: v128): void {
  let i = 0;
  const va = v128.load32_splat(a);
  const vb = v128.load32_splat(b);
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    const x = sa ? v128.load(a + off) : va;
    const z = sb ? v128.load(b + off) : vb;
    let r = op4(op, x, z);
    // The exact min/max (±0 ordered as Relu/Clip define it) only where a clamp was fused.
    if (clamped) r = vclampOut(r, vlo, vhi, vfix);
    v128.store(y + off, r);
  }
  const rest = n - i;
  if (rest > 0) {
    const off = <usize>i << 2;
    const r = vclampOut(op4(op, lanes(a + (sa ? off : 0), sa, rest), lanes(b + (sb ? off : 0), sb, rest)), vlo, vhi, vfix);
    store<f32>(y + off, f32x4.extract_lane(r, 0));
    if (rest > 1) store<f32>(y + off, f32x4.extract_lane(r, 1), 4);
    if (rest > 2) store<f32>(y + off, f32x4.extract_lane(r, 2), 8);
  }
}

// @ts-ignore: decorator
@inline function rows(
  op: i32, a: usize, b: usize, y: usize, r0: i32, r1: i32, d1: i32, d2: i32, n: i32,
  as0: i32, as1: i32, as2: i32, as3: i32, bs0: i32, bs1: i32, bs2: i32, bs3: i32, lo: f32, hi: f32,
): void {
  const vlo = f32x4.splat(lo);
  const vfix = zeroFix(vlo);
  const vhi = f32x4.splat(hi);
  const clamped = lo != -Infinity || hi != Infinity;
  let i2 = r0 % d2;
  let t = r0 / d2;
  let i1 = t % d1;
  let i0 = t / d1;
  for (let r = r0; r < r1; r++) {
    const ao = <usize>(i0 * as0 + i1 * as1 + i2 * as2) << 2;
    const bo = <usize>(i0 * bs0 + i1 * bs1 + i2 * bs2) << 2;
    const yo = (<usize>r * n) << 2;
    if (as3 == 1 && bs3 == 1) row(op, a + ao, 1, b + bo, 1, y + yo, n, clamped, vlo, vhi, vfix);
    else if (as3 == 1) row(op, a + ao, 1, b + bo, 0, y + yo, n, clamped, vlo, vhi, vfix);
    else if (bs3 == 1) row(op, a + ao, 0, b + bo, 1, y + yo, n, clamped, vlo, vhi, vfix);
    else row(op, a + ao, 0, b + bo, 0, y + yo, n, clamped, vlo, vhi, vfix);
    if (++i2 == d2) {
      i2 = 0;
      if (++i1 == d1) {
        i1 = 0;
        i0++;
      }
    }
  }
}

/**
 * y = clamp(a op b) over the output rows [r0, r1) of a shape [d0, d1, d2, n] (rows = d0·d1·d2), a and b read at
 * element strides as0..as3 and bs0..bs3 (0 where the operand repeats; as3, bs3 ∈ {0, 1}). op: 0 add, 1 sub, 2 mul,
 * 3 div, 4 min, 5 max, 6 prelu (a < 0 ? a·b : a), 7 pow, 8 squared difference. The clamp fuses a following Relu/Clip.
 */
export function broadcast(
  op: i32, a: usize, b: usize, y: usize, r0: i32, r1: i32, d1: i32, d2: i32, n: i32,
  as0: i32, as1: i32, as2: i32, as3: i32, bs0: i32, bs1: i32, bs2: i32, bs3: i32, lo: f32, hi: f32,
): void {
  switch (op) {
    case ADD: rows(ADD, a, b, y, r0, r1, d1, d2, n, as0, as1, as2, as3, bs0, bs1, bs2, bs3, lo, hi); break;
    case SUB: rows(SUB, a, b, y, r0, r1, d1, d2, n, as0, as1, as2, as3, bs0, bs1, bs2, bs3, lo, hi); break;
    case MUL: rows(MUL, a, b, y, r0, r1, d1, d2, n, as0, as1, as2, as3, bs0, bs1, bs2, bs3, lo, hi); break;
    case DIV: rows(DIV, a, b, y, r0, r1, d1, d2, n, as0, as1, as2, as3, bs0, bs1, bs2, bs3, lo, hi); break;
    case MIN: rows(MIN, a, b, y, r0, r1, d1, d2, n, as0, as1, as2, as3, bs0, bs1, bs2, bs3, lo, hi); break;
    case MAX: rows(MAX, a, b, y, r0, r1, d1, d2, n, as0, as1, as2, as3, bs0, bs1, bs2, bs3, lo, hi); break;
    case PRELU: rows(PRELU, a, b, y, r0, r1, d1, d2, n, as0, as1, as2, as3, bs0, bs1, bs2, bs3, lo, hi); break;
    case SQDIFF: rows(SQDIFF, a, b, y, r0, r1, d1, d2, n, as0, as1, as2, as3, bs0, bs1, bs2, bs3, lo, hi); break;
    default: rows(POW, a, b, y, r0, r1, d1, d2, n, as0, as1, as2, as3, bs0, bs1, bs2, bs3, lo, hi); break;
  }
}

// Elementwise kernels on contiguous float runs: clamp, per-channel affine, fake quantization (binary operators are
// the broadcast family's).
import { madd } from "./madd";
import { vclamp, vclampOut, zeroFix } from "./vmath";

export function clamp(x: usize, y: usize, n: i32, lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vfix = zeroFix(vlo);
  const vhi = f32x4.splat(hi);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(y + off, vclampOut(v128.load(x + off), vlo, vhi, vfix));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(y + off, min(max(load<f32>(x + off), lo), hi));
  }
}

/** y[p][i] = clamp(x[p][i]·s[p % C] + t[p % C]) over `planes` runs of `size`: BatchNormalization, per-channel affine. */
export function channel_affine(x: usize, y: usize, planes: i32, C: i32, size: i32, s: usize, t: usize, lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vfix = zeroFix(vlo);
  const vhi = f32x4.splat(hi);
  for (let p = 0; p < planes; p++) {
    const c = p % C;
    const sc = load<f32>(s + (<usize>c << 2));
    const sh = load<f32>(t + (<usize>c << 2));
    const vs = f32x4.splat(sc);
    const vt = f32x4.splat(sh);
    const base = (<usize>p * size) << 2;
    let i = 0;
    for (; i + 4 <= size; i += 4) {
      const off = base + (<usize>i << 2);
      v128.store(y + off, vclampOut(madd(v128.load(x + off), vs, vt), vlo, vhi, vfix));
    }
    for (; i < size; i++) {
      const off = base + (<usize>i << 2);
      store<f32>(y + off, min(max(load<f32>(x + off) * sc + sh, lo), hi));
    }
  }
}

/**
 * QuantizeLinear followed by DequantizeLinear with the same per-tensor parameters, without the integer tensor in
 * between: y = (clamp(round_half_even(x / scale) + zp, qmin, qmax) - zp) · scale, every step in float32 as ONNX
 * Runtime computes it (f32x4.nearest rounds half to even).
 */
export function fake_quant(x: usize, y: usize, n: i32, scale: f32, zp: f32, qmin: f32, qmax: f32): void {
  const vs = f32x4.splat(scale);
  const vz = f32x4.splat(zp);
  const vlo = f32x4.splat(qmin);
  const vhi = f32x4.splat(qmax);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    const q = vclamp(f32x4.add(f32x4.nearest(f32x4.div(v128.load(x + off), vs)), vz), vlo, vhi);
    v128.store(y + off, f32x4.mul(f32x4.sub(q, vz), vs));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    const q = min(max(nearest(load<f32>(x + off) / scale) + zp, qmin), qmax);
    store<f32>(y + off, (q - zp) * scale);
  }
}

/** y = `count` runs of `run` floats of x, one after another, run r read from float offset starts[r] (a Transpose, a Slice). */
export function copy_runs(x: usize, y: usize, starts: usize, count: i32, run: i32): void {
  const bytes = <usize>run << 2;
  for (let r = 0; r < count; r++) {
    memory.copy(y + <usize>r * bytes, x + (<usize>load<i32>(starts + (<usize>r << 2)) << 2), bytes);
  }
}

/**
 * Where on float32: out[r][i] = c[cs[r] + i·sc] ? x[xs[r] + i·sx] : y[ys[r] + i·sy] over `rows` rows of n, each
 * operand's start per row in the tables cs (bytes), xs and ys (floats), its step along the row 0 or 1. Bits are
 * selected, not computed: NaNs and infinities pass as they are.
 */
export function select_rows(c: usize, x: usize, y: usize, out: usize, rows: i32, n: i32, cs: usize, xs: usize, ys: usize, sc: i32, sx: i32, sy: i32): void {
  const zero = i32x4.splat(0);
  let o = out;
  for (let r = 0; r < rows; r++) {
    const cr = c + <usize>load<i32>(cs + (<usize>r << 2));
    const xr = x + (<usize>load<i32>(xs + (<usize>r << 2)) << 2);
    const yr = y + (<usize>load<i32>(ys + (<usize>r << 2)) << 2);
    // A repeated operand is one value for the whole row.
    const xone = v128.load32_splat(xr);
    const yone = v128.load32_splat(yr);
    const cone = load<u8>(cr) != 0 ? i32x4.splat(-1) : zero;
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const off = <usize>i << 2;
      const m = sc != 0 ? i32x4.ne(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(cr + <usize>i))), zero) : cone;
      const xv = sx != 0 ? v128.load(xr + off) : xone;
      const yv = sy != 0 ? v128.load(yr + off) : yone;
      v128.store(o + off, v128.bitselect(xv, yv, m));
    }
    for (; i < n; i++) {
      const pick = load<u8>(cr + <usize>(i * sc)) != 0;
      store<u32>(o + (<usize>i << 2), pick ? load<u32>(xr + (<usize>(i * sx) << 2)) : load<u32>(yr + (<usize>(i * sy) << 2)));
    }
    o += <usize>n << 2;
  }
}

// The scatter half of a transposed convolution: the GEMM has produced cols = Wᵀ·x, one row per (output channel,
// kernel tap) and one column per input pixel; every value is added at the output pixel its tap reaches. Output
// channels are independent, so a call takes a range of them (a thread's share).

/**
 * y[m] = bias[m] + Σ_taps scatter(cols[m, ky, kx]) for output channels [m0, m1) of one image and group. cols rows
 * are H·W floats, (m·kh + ky)·kw + kx apart; y planes OH·OW floats; bias one float per channel, or 0 for none.
 */
export function col2im(
  cols: usize, y: usize, kh: i32, kw: i32, H: i32, W: i32, OH: i32, OW: i32, sh: i32, sw: i32, ph: i32, pw: i32,
  dh: i32, dw: i32, bias: usize, m0: i32, m1: i32, scratch: usize,
): void {
  const plane = <usize>(OH * OW) << 2;
  const inPlane = <usize>(H * W) << 2;
  for (let m = m0; m < m1; m++) {
    const out = y + <usize>m * plane;
    const b: f32 = bias == 0 ? 0 : load<f32>(bias + (<usize>m << 2));
    const vb = f32x4.splat(b);
    let i: usize = 0;
    for (; i + 16 <= plane; i += 16) v128.store(out + i, vb);
    for (; i < plane; i += 4) store<f32>(out + i, b);
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const src = cols + <usize>((m * kh + ky) * kw + kx) * inPlane;
        // Input columns whose output column ix·sw − pw + kx·dw lies in [0, OW).
        const shift = kx * dw - pw;
        let ix0 = shift >= 0 ? 0 : (-shift + sw - 1) / sw;
        let ix1 = OW - shift <= 0 ? 0 : (OW - shift + sw - 1) / sw;
        if (ix1 > W) ix1 = W;
        if (ix0 >= ix1) continue;
        for (let iy = 0; iy < H; iy++) {
          const oy = iy * sh - ph + ky * dh;
          if (oy < 0 || oy >= OH) continue;
          const s = src + ((<usize>iy * W) << 2);
          const d = out + ((<usize>oy * OW + shift) << 2);
          let ix = ix0;
          if (sw == 1) {
            for (; ix + 4 <= ix1; ix += 4) {
              const o = <usize>ix << 2;
              v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
            }
            for (; ix < ix1; ix++) {
              const o = <usize>ix << 2;
              store<f32>(d + o, load<f32>(d + o) + load<f32>(s + o));
            }
          } else {
            for (; ix < ix1; ix++) {
              const o = (<usize>ix * sw) << 2;
              store<f32>(d + o, load<f32>(d + o) + load<f32>(s + (<usize>ix << 2)));
            }
          }
        }
      }
    }
  }
}

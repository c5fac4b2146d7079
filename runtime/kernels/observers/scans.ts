// The observers' scans over float32 tensors, as WebAssembly: one pass, no allocation. f32 arithmetic here rounds
// exactly where the TypeScript reference (src/observers/scan.ts) calls Math.fround, so both give the same bits.

/** min and max into out[0], out[1]; a NaN anywhere makes both NaN (f32x4.min/max propagate it), as torch.aminmax. */
export function minMax(ptr: usize, n: i32, out: usize): void {
  let vmin = f32x4.splat(Infinity);
  let vmax = f32x4.splat(-Infinity);
  const vectors = n & ~15;
  let i = 0;
  for (; i < vectors; i += 16) {
    const p = ptr + (<usize>i << 2);
    const a = v128.load(p);
    const b = v128.load(p, 16);
    const c = v128.load(p, 32);
    const d = v128.load(p, 48);
    vmin = f32x4.min(vmin, f32x4.min(f32x4.min(a, b), f32x4.min(c, d)));
    vmax = f32x4.max(vmax, f32x4.max(f32x4.max(a, b), f32x4.max(c, d)));
  }
  let mn = min<f32>(min<f32>(f32x4.extract_lane(vmin, 0), f32x4.extract_lane(vmin, 1)), min<f32>(f32x4.extract_lane(vmin, 2), f32x4.extract_lane(vmin, 3)));
  let mx = max<f32>(max<f32>(f32x4.extract_lane(vmax, 0), f32x4.extract_lane(vmax, 1)), max<f32>(f32x4.extract_lane(vmax, 2), f32x4.extract_lane(vmax, 3)));
  for (; i < n; i++) {
    const v = load<f32>(ptr + (<usize>i << 2));
    mn = min<f32>(mn, v);
    mx = max<f32>(mx, v);
  }
  store<f32>(out, mn);
  store<f32>(out, mx, 4);
}

/** min and max over the finite values (±inf are skipped, NaN makes both NaN); returns how many values are finite. */
export function finiteMinMax(ptr: usize, n: i32, out: usize): i32 {
  const inf = f32x4.splat(Infinity);
  const ninf = f32x4.splat(-Infinity);
  let vmin = inf;
  let vmax = ninf;
  let infinite = i32x4.splat(0);
  const vectors = n & ~3;
  let i = 0;
  for (; i < vectors; i += 4) {
    const v = v128.load(ptr + (<usize>i << 2));
    const isInf = f32x4.eq(f32x4.abs(v), inf);
    vmin = f32x4.min(vmin, v128.bitselect(inf, v, isInf));
    vmax = f32x4.max(vmax, v128.bitselect(ninf, v, isInf));
    infinite = i32x4.sub(infinite, isInf);
  }
  let mn = min<f32>(min<f32>(f32x4.extract_lane(vmin, 0), f32x4.extract_lane(vmin, 1)), min<f32>(f32x4.extract_lane(vmin, 2), f32x4.extract_lane(vmin, 3)));
  let mx = max<f32>(max<f32>(f32x4.extract_lane(vmax, 0), f32x4.extract_lane(vmax, 1)), max<f32>(f32x4.extract_lane(vmax, 2), f32x4.extract_lane(vmax, 3)));
  let skipped = i32x4.extract_lane(infinite, 0) + i32x4.extract_lane(infinite, 1) + i32x4.extract_lane(infinite, 2) + i32x4.extract_lane(infinite, 3);
  for (; i < n; i++) {
    const v = load<f32>(ptr + (<usize>i << 2));
    if (abs<f32>(v) == Infinity) {
      skipped++;
      continue;
    }
    mn = min<f32>(mn, v);
    mx = max<f32>(mx, v);
  }
  store<f32>(out, mn);
  store<f32>(out, mx, 4);
  return n - skipped;
}

/**
 * torch.histc's binning: bin = trunc((v - lo) · bins / (hi - lo)) in float32, the top edge in the last bin, values
 * outside [lo, hi] (and NaN) skipped; counts added to the float32 histogram at `hist`.
 */
export function histc(ptr: usize, n: i32, lo: f32, hi: f32, bins: i32, hist: usize): void {
  const width: f32 = hi - lo;
  const fbins = <f32>bins;
  const last = bins - 1;
  for (let i = 0; i < n; i++) {
    const v = load<f32>(ptr + (<usize>i << 2));
    if (!(v >= lo && v <= hi)) continue;
    let b = <i32>(((v - lo) * fbins) / width);
    if (b > last) b = last;
    const at = hist + (<usize>b << 2);
    store<f32>(at, load<f32>(at) + 1.0);
  }
}

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
 * outside [lo, hi] (and NaN) skipped; counts added to the float32 histogram at `hist`, which has one spare slot after
 * its `bins` bins: four values are binned at once, and lanes that fall outside the range count into the spare slot
 * instead of branching. The per-lane float32 arithmetic is the scalar loop's, so the bins are the same.
 */
export function histc(ptr: usize, n: i32, lo: f32, hi: f32, bins: i32, hist: usize): void {
  const width: f32 = hi - lo;
  const fbins = <f32>bins;
  const last = bins - 1;
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const vbins = f32x4.splat(fbins);
  const vwidth = f32x4.splat(width);
  const vlast = i32x4.splat(last);
  const vspare = i32x4.splat(bins);
  const vectors = n & ~3;
  let i = 0;
  for (; i < vectors; i += 4) {
    const v = v128.load(ptr + (<usize>i << 2));
    const inside = v128.and(f32x4.ge(v, vlo), f32x4.le(v, vhi));
    const b = i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.div(f32x4.mul(f32x4.sub(v, vlo), vbins), vwidth)), vlast);
    const slot = v128.bitselect(b, vspare, inside);
    bump(hist, i32x4.extract_lane(slot, 0));
    bump(hist, i32x4.extract_lane(slot, 1));
    bump(hist, i32x4.extract_lane(slot, 2));
    bump(hist, i32x4.extract_lane(slot, 3));
  }
  for (; i < n; i++) {
    const v = load<f32>(ptr + (<usize>i << 2));
    if (!(v >= lo && v <= hi)) continue;
    let b = <i32>(((v - lo) * fbins) / width);
    if (b > last) b = last;
    bump(hist, b);
  }
}

// @ts-ignore: decorator
@inline function bump(hist: usize, bin: i32): void {
  const at = hist + (<usize>bin << 2);
  store<f32>(at, load<f32>(at) + 1.0);
}

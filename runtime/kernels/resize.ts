// Resize over the last two axes of a stack of planes, from index and weight tables the host computed while planning
// (every coordinate transformation and rounding mode reduces to them): one call per operator, planes split over
// the threads.

/**
 * Nearest: y[p][oy][ox] = x[p][rows[oy] + cols[ox]] for planes [p0, p1). rows: i32 offsets of the input rows (in
 * floats), cols: i32 input columns. An output row whose input row is the previous one's is copied, not gathered.
 */
export function resize_nearest(
  x: usize, inPlane: i32, y: usize, outPlane: i32, OH: i32, OW: i32, rows: usize, cols: usize, p0: i32, p1: i32, scratch: usize,
): void {
  const rowBytes = <usize>OW << 2;
  for (let p = p0; p < p1; p++) {
    const src = x + ((<usize>p * inPlane) << 2);
    const dst = y + ((<usize>p * outPlane) << 2);
    let prev = -1;
    for (let oy = 0; oy < OH; oy++) {
      const out = dst + <usize>oy * rowBytes;
      const r = load<i32>(rows + (<usize>oy << 2));
      if (r == prev) {
        memory.copy(out, out - rowBytes, rowBytes);
        continue;
      }
      prev = r;
      const row = src + (<usize>r << 2);
      let ox = 0;
      for (; ox + 4 <= OW; ox += 4) {
        const c = cols + (<usize>ox << 2);
        const v = f32x4(
          load<f32>(row + (<usize>load<i32>(c) << 2)), load<f32>(row + (<usize>load<i32>(c, 4) << 2)),
          load<f32>(row + (<usize>load<i32>(c, 8) << 2)), load<f32>(row + (<usize>load<i32>(c, 12) << 2)),
        );
        v128.store(out + (<usize>ox << 2), v);
      }
      for (; ox < OW; ox++) store<f32>(out + (<usize>ox << 2), load<f32>(row + (<usize>load<i32>(cols + (<usize>ox << 2)) << 2)));
    }
  }
}

/** One input row interpolated along x: h[ox] = row[c0[ox]] + wx[ox]·(row[c1[ox]] − row[c0[ox]]). */
// @ts-ignore: decorator
@inline function horizontal(row: usize, OW: i32, c0: usize, c1: usize, wx: usize, h: usize): void {
  for (let ox = 0; ox < OW; ox++) {
    const o = <usize>ox << 2;
    const a = load<f32>(row + (<usize>load<i32>(c0 + o) << 2));
    const b = load<f32>(row + (<usize>load<i32>(c1 + o) << 2));
    store<f32>(h + o, a + load<f32>(wx + o) * (b - a));
  }
}

/**
 * Bilinear over the last two axes: output row oy blends input rows r0[oy] and r1[oy] (i32 float offsets) with weight
 * wy[oy] on the second; output column ox blends columns c0[ox] and c1[ox] with weight wx[ox]. Each input row is
 * interpolated along x once into one of two scratch rows (each OW rounded up to 4 floats) and reused while the output
 * rows need it; the vertical blend is vectorised.
 */
export function resize_linear(
  x: usize, inPlane: i32, y: usize, outPlane: i32, OH: i32, OW: i32,
  r0: usize, r1: usize, wy: usize, c0: usize, c1: usize, wx: usize, p0: i32, p1: i32, scratch: usize,
): void {
  const stride = <usize>((OW + 3) & ~3) << 2;
  for (let p = p0; p < p1; p++) {
    const src = x + ((<usize>p * inPlane) << 2);
    const dst = y + ((<usize>p * outPlane) << 2);
    // Two cached rows: which input row each holds (-1: none).
    let tagA = -1;
    let tagB = -1;
    let rowA = scratch;
    let rowB = scratch + stride;
    for (let oy = 0; oy < OH; oy++) {
      const top = load<i32>(r0 + (<usize>oy << 2));
      const bottom = load<i32>(r1 + (<usize>oy << 2));
      // Make rowA hold `top` and rowB hold `bottom`, reusing what is cached.
      if (tagA != top) {
        if (tagB == top) {
          const t = rowA; rowA = rowB; rowB = t;
          tagB = tagA; tagA = top;
        } else {
          horizontal(src + (<usize>top << 2), OW, c0, c1, wx, rowA);
          tagA = top;
        }
      }
      const out = dst + ((<usize>oy * OW) << 2);
      const w = load<f32>(wy + (<usize>oy << 2));
      if (bottom == top || w == 0) {
        memory.copy(out, rowA, <usize>OW << 2);
        continue;
      }
      if (tagB != bottom) {
        horizontal(src + (<usize>bottom << 2), OW, c0, c1, wx, rowB);
        tagB = bottom;
      }
      const vw = f32x4.splat(w);
      let ox = 0;
      for (; ox + 4 <= OW; ox += 4) {
        const o = <usize>ox << 2;
        const a = v128.load(rowA + o);
        v128.store(out + o, f32x4.add(a, f32x4.mul(vw, f32x4.sub(v128.load(rowB + o), a))));
      }
      for (; ox < OW; ox++) {
        const o = <usize>ox << 2;
        const a = load<f32>(rowA + o);
        store<f32>(out + o, a + w * (load<f32>(rowB + o) - a));
      }
    }
  }
}

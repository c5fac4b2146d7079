// Orders and running values along rows of float32: TopK's whole-row order and CumSum/CumProd's running sums and
// products, where JavaScript paid a typed-array access (and a comparison it could not predict) per element.

/**
 * A float's order as an unsigned key, −0 as +0 and every NaN above +Inf, inverted when the largest come first; the
 * index below it makes each key unique and ties go to the lower index, as ONNX Runtime orders TopK's results.
 */
@inline function rowKey(v: f32, i: i32, largest: bool): u64 {
  let bits = reinterpret<u32>(v + <f32>0.0);
  if (v != v) bits = 0x7fc00000;
  let ordered: u32 = (bits & 0x80000000) != 0 ? ~bits : bits | 0x80000000;
  if (largest) ordered = ~ordered;
  return (<u64>ordered << 32) | <u64>i;
}

/** Merges the sorted runs [lo, mid) and [mid, hi) of src into dst, without a branch on the keys. */
@inline function mergeRuns(src: usize, dst: usize, lo: i32, mid: i32, hi: i32): void {
  let i = lo;
  let j = mid;
  let o = dst + (<usize>lo << 3);
  while (i < mid && j < hi) {
    const a = load<u64>(src + (<usize>i << 3));
    const b = load<u64>(src + (<usize>j << 3));
    const takeB = <i32>(b < a);
    store<u64>(o, select<u64>(b, a, takeB != 0));
    j += takeB;
    i += 1 - takeB;
    o += 8;
  }
  if (i < mid) memory.copy(o, src + (<usize>i << 3), <usize>(mid - i) << 3);
  else if (j < hi) memory.copy(o, src + (<usize>j << 3), <usize>(hi - j) << 3);
}

/**
 * For each of `rows` contiguous rows of n floats at x: its k best (largest or smallest) values to vals (rows×k floats)
 * and their indices to idx (rows×k int64s), best first. A bottom-up merge sort of the rows' keys; scratch holds 2n
 * u64s.
 */
export function topk_rows_f32(x: usize, vals: usize, idx: usize, rows: i32, n: i32, k: i32, largest: i32, scratch: usize): void {
  const first = scratch;
  const second = scratch + (<usize>n << 3);
  for (let r = 0; r < rows; r++) {
    const row = x + ((<usize>r * <usize>n) << 2);
    // Runs of two from the start: each pair ordered as it is keyed.
    let i = 0;
    for (; i + 1 < n; i += 2) {
      const a = rowKey(load<f32>(row + (<usize>i << 2)), i, largest != 0);
      const b = rowKey(load<f32>(row + (<usize>(i + 1) << 2)), i + 1, largest != 0);
      const swap = b < a;
      store<u64>(first + (<usize>i << 3), select<u64>(b, a, swap));
      store<u64>(first + (<usize>(i + 1) << 3), select<u64>(a, b, swap));
    }
    if (i < n) store<u64>(first + (<usize>i << 3), rowKey(load<f32>(row + (<usize>i << 2)), i, largest != 0));
    let src = first;
    let dst = second;
    for (let width = 2; width < n; width <<= 1) {
      for (let lo = 0; lo < n; lo += width << 1) {
        const mid = min(lo + width, n);
        const hi = min(lo + (width << 1), n);
        if (mid < hi) mergeRuns(src, dst, lo, mid, hi);
        else memory.copy(dst + (<usize>lo << 3), src + (<usize>lo << 3), <usize>(hi - lo) << 3);
      }
      const t = src;
      src = dst;
      dst = t;
    }
    const out = <usize>r * <usize>k;
    for (let j = 0; j < k; j++) {
      const at = <i32>(load<u64>(src + (<usize>j << 3)) & 0xffffffff);
      store<f32>(vals + ((out + <usize>j) << 2), load<f32>(row + (<usize>at << 2)));
      store<i64>(idx + ((out + <usize>j) << 3), <i64>at);
    }
  }
}

/**
 * y = the running sums (or products) of x along an axis of n, between `outer` blocks and `inner` contiguous columns:
 * each column in float32 from 0 (or 1), exclusive leaving out the element itself, reverse from the axis's end.
 */
export function cumulate_f32(x: usize, y: usize, outer: i32, n: i32, inner: i32, exclusive: i32, reverse: i32, product: i32): void {
  const rowBytes = <usize>inner << 2;
  const start: f32 = product != 0 ? 1 : 0;
  for (let o = 0; o < outer; o++) {
    const block = (<usize>o * <usize>n) * rowBytes;
    let q = 0;
    // Four columns at a time; a column's sum is the same sequence of float32 operations as one at a time.
    for (; q + 4 <= inner; q += 4) {
      let acc = f32x4.splat(start);
      for (let s = 0; s < n; s++) {
        const off = block + <usize>(reverse != 0 ? n - 1 - s : s) * rowBytes + (<usize>q << 2);
        const v = v128.load(x + off);
        const next = product != 0 ? f32x4.mul(acc, v) : f32x4.add(acc, v);
        v128.store(y + off, exclusive != 0 ? acc : next);
        acc = next;
      }
    }
    for (; q < inner; q++) {
      let acc = start;
      for (let s = 0; s < n; s++) {
        const off = block + <usize>(reverse != 0 ? n - 1 - s : s) * rowBytes + (<usize>q << 2);
        const v = load<f32>(x + off);
        const next = product != 0 ? acc * v : acc + v;
        store<f32>(y + off, exclusive != 0 ? acc : next);
        acc = next;
      }
    }
  }
}

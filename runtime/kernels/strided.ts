// Data movement on bytes (uint8/int8 tensors): Transpose, Slice, Gather and the like as one strided walk of at most
// four axes, the output written in order. Contiguous innermost runs are block copies.

/**
 * y (contiguous, n0·n1·n2·n3 bytes) = x at offsets i0·s0 + i1·s1 + i2·s2 + i3·s3, over outermost indices [i0lo, i0hi).
 */
export function strided_copy_u8(x: usize, y: usize, n0: i32, n1: i32, n2: i32, n3: i32, s0: i32, s1: i32, s2: i32, s3: i32,
  i0lo: i32, i0hi: i32): void {
  let o = y + <usize>i0lo * <usize>n1 * <usize>n2 * <usize>n3;
  for (let i0 = i0lo; i0 < i0hi; i0++) {
    for (let i1 = 0; i1 < n1; i1++) {
      let base = x + <usize>i0 * <usize>s0 + <usize>i1 * <usize>s1;
      if (s3 == 1 && n3 >= 16 && n3 <= 256) {
        // Short runs (a patch row, an attention head) as vectors: memory.copy is a call per run. The last vector
        // ends where the run ends, overlapping the one before it: nothing outside the run is read or written.
        const last = <usize>(n3 - 16);
        for (let i2 = 0; i2 < n2; i2++) {
          for (let c: usize = 0; c < last; c += 16) v128.store(o + c, v128.load(base + c));
          v128.store(o + last, v128.load(base + last));
          base += <usize>s2;
          o += <usize>n3;
        }
      } else if (s3 == 1) {
        for (let i2 = 0; i2 < n2; i2++) {
          memory.copy(o, base, <usize>n3);
          base += <usize>s2;
          o += <usize>n3;
        }
      } else {
        for (let i2 = 0; i2 < n2; i2++) {
          let p = base;
          for (let i3 = 0; i3 < n3; i3++) {
            store<u8>(o + <usize>i3, load<u8>(p));
            p += <usize>s3;
          }
          base += <usize>s2;
          o += <usize>n3;
        }
      }
    }
  }
}

/**
 * strided_copy_u8 for 4-byte elements (float32): strides in elements. For walks whose innermost axis is not
 * contiguous (a Transpose that moves the last axis, as attention's K^T and channels-last layouts do), where a loop on
 * the host spends an index-table load and a bounds check per element.
 */
export function strided_copy_f32(x: usize, y: usize, n0: i32, n1: i32, n2: i32, n3: i32, s0: i32, s1: i32, s2: i32, s3: i32,
  i0lo: i32, i0hi: i32): void {
  let o = y + ((<usize>i0lo * <usize>n1 * <usize>n2 * <usize>n3) << 2);
  const step = <usize>s3 << 2;
  for (let i0 = i0lo; i0 < i0hi; i0++) {
    for (let i1 = 0; i1 < n1; i1++) {
      let base = x + ((<usize>i0 * <usize>s0 + <usize>i1 * <usize>s1) << 2);
      for (let i2 = 0; i2 < n2; i2++) {
        let p = base;
        let i3 = 0;
        for (; i3 + 4 <= n3; i3 += 4) {
          // Four elements gathered into one vector, stored once.
          let v = v128.load32_zero(p);
          v = v128.load32_lane(p + step, v, 1);
          v = v128.load32_lane(p + step * 2, v, 2);
          v = v128.load32_lane(p + step * 3, v, 3);
          v128.store(o, v);
          p += step * 4;
          o += 16;
        }
        for (; i3 < n3; i3++) {
          store<f32>(o, load<f32>(p));
          p += step;
          o += 4;
        }
        base += <usize>s2 << 2;
      }
    }
  }
}

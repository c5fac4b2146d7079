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

// @ts-ignore: decorator
@inline function putElement(at: usize, from: usize, es: i32): void {
  if (es == 4) store<u32>(at, load<u32>(from));
  else if (es == 1) store<u8>(at, load<u8>(from));
  else if (es == 8) store<u64>(at, load<u64>(from));
  else store<u16>(at, load<u16>(from));
}

/**
 * Pad's rows, elements of `es` bytes: output row r (outW elements) is a fill row when rowTable[r] < 0; otherwise
 * nLeft columns, then midLen elements of input row rowTable[r] from column midSrc (one block copy), then the rest,
 * each of those edge columns the input column colTable[j] of the same row or the fill when it is negative (constant,
 * edge, reflect and wrap modes differ only in these two tables). `fill` is the fill element's address. Rows [r0, r1).
 */
export function pad_rows(x: usize, y: usize, es: i32, inW: i32, outW: i32, rowTable: usize, colTable: usize, nLeft: i32,
  midSrc: i32, midLen: i32, fill: usize, r0: i32, r1: i32): void {
  const rowBytes = <usize>outW * <usize>es;
  const edges = outW - midLen;
  for (let r = r0; r < r1; r++) {
    const o = y + <usize>r * rowBytes;
    const s = load<i32>(rowTable + (<usize>r << 2));
    if (s < 0) {
      for (let j = 0; j < outW; j++) putElement(o + <usize>j * <usize>es, fill, es);
      continue;
    }
    const base = x + <usize>s * <usize>inW * <usize>es;
    memory.copy(o + <usize>nLeft * <usize>es, base + <usize>midSrc * <usize>es, <usize>midLen * <usize>es);
    for (let j = 0; j < edges; j++) {
      const c = load<i32>(colTable + (<usize>j << 2));
      const column = j < nLeft ? j : j + midLen;
      putElement(o + <usize>column * <usize>es, c < 0 ? fill : base + <usize>c * <usize>es, es);
    }
  }
}

/**
 * `rows` rows of `cols` bytes from x (row stride xs) to y (row stride ys), each byte through the 256-entry table when
 * `table` is not 0 (indexed by the code, or code + 128 for signed codes): a Concat part narrower than a vector
 * (boxes of 4 along the last axis), where a call per row cost more than the row.
 */
export function rows_u8(x: usize, y: usize, rows: i32, cols: i32, xs: i32, ys: i32, table: usize, signed: i32): void {
  const flip: u32 = signed != 0 ? 0x80 : 0;
  for (let r = 0; r < rows; r++) {
    const from = x + <usize>r * <usize>xs;
    const to = y + <usize>r * <usize>ys;
    if (table == 0) {
      for (let c = 0; c < cols; c++) store<u8>(to + <usize>c, load<u8>(from + <usize>c));
    } else {
      for (let c = 0; c < cols; c++) store<u8>(to + <usize>c, load<u8>(table + <usize>((<u32>load<u8>(from + <usize>c)) ^ flip)));
    }
  }
}

/**
 * Nearest Resize of byte planes [p0, p1) (H×W → OH×OW): output row oy is input row rows[oy] gathered at cols[ox]; a
 * row that repeats the one before it (an upsampling) is copied from the output, and with `double` (cols[ox] = ox / 2,
 * a 2× upsample's columns) eight bytes widen to sixteen in one shuffle. A quantized YOLO neck's upsampling moved
 * its codes through an index table per element in JavaScript.
 */
export function resize_nearest_u8(x: usize, y: usize, H: i32, W: i32, OH: i32, OW: i32, rows: usize, cols: usize, double: i32,
  p0: i32, p1: i32): void {
  for (let p = p0; p < p1; p++) {
    const src = x + <usize>p * <usize>(H * W);
    let out = y + <usize>p * <usize>(OH * OW);
    let previous = -1;
    let previousOut: usize = 0;
    for (let oy = 0; oy < OH; oy++) {
      const iy = load<i32>(rows + (<usize>oy << 2));
      if (iy == previous) {
        memory.copy(out, previousOut, <usize>OW);
      } else {
        const row = src + <usize>(iy * W);
        if (double != 0) {
          let ix = 0;
          for (; ix + 8 <= W; ix += 8) {
            const v = v128.load64_zero(row + <usize>ix);
            v128.store(out + (<usize>ix << 1), v128.shuffle<u8>(v, v, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7));
          }
          for (; ix < W; ix++) {
            const b = load<u8>(row + <usize>ix);
            store<u8>(out + (<usize>ix << 1), b);
            store<u8>(out + (<usize>ix << 1) + 1, b);
          }
        } else {
          for (let ox = 0; ox < OW; ox++) store<u8>(out + <usize>ox, load<u8>(row + <usize>load<i32>(cols + (<usize>ox << 2))));
        }
        previous = iy;
        previousOut = out;
      }
      out += <usize>OW;
    }
  }
}

/**
 * `rows` rows of `cols` elements of `es` bytes into y, one after another, row r from element table[r] of x: a Gather
 * of rows (embedding lookups, a graph network's messages gathered from their source nodes).
 */
export function gather_rows(x: usize, y: usize, table: usize, rows: i32, cols: i32, es: i32): void {
  const rowBytes = <usize>cols * <usize>es;
  for (let r = 0; r < rows; r++) {
    memory.copy(y + <usize>r * rowBytes, x + <usize>load<i32>(table + (<usize>r << 2)) * <usize>es, rowBytes);
  }
}

/**
 * Row r of u (`cols` floats, rows one after another) added into y at element table[r] (add = 1), or copied there
 * (add = 0), in row order: a ScatterElements whose indices are the same along each row (messages summed into their
 * target nodes).
 */
export function scatter_rows_f32(y: usize, u: usize, table: usize, rows: i32, cols: i32, add: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const dst = y + (<usize>load<i32>(table + (<usize>r << 2)) << 2);
    const src = u + <usize>r * rowBytes;
    if (add == 0) {
      memory.copy(dst, src, rowBytes);
      continue;
    }
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const off = <usize>c << 2;
      v128.store(dst + off, f32x4.add(v128.load(dst + off), v128.load(src + off)));
    }
    for (; c < cols; c++) {
      const off = <usize>c << 2;
      store<f32>(dst + off, load<f32>(dst + off) + load<f32>(src + off));
    }
  }
}

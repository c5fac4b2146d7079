/**
 * The indices of n float32 values in value order by one native sort of 64-bit keys, no comparison in JavaScript: the
 * high word orders the values (a float's bits made monotonic, −0 as +0, inverted for the largest first; NaN above
 * +Inf), the low word is the index, so ties go to the lower index — as ONNX Runtime orders TopK's and
 * NonMaxSuppression's candidates. Returns a function of the values (read as float32); its result is overwritten by the
 * next call.
 */
export function floatOrder(n: number): (values: ArrayLike<number>, largest: boolean) => Int32Array {
  const keys = new BigUint64Array(Math.max(1, n));
  const words = new Uint32Array(keys.buffer);
  const order = new Int32Array(Math.max(1, n));
  const value = new Float32Array(1);
  const bits = new Uint32Array(value.buffer);
  return (values, largest) => {
    for (let i = 0; i < n; i++) {
      value[0] = values[i]! + 0;
      const b = bits[0]!;
      const ordered = (b & 0x80000000 ? ~b : b | 0x80000000) >>> 0;
      words[2 * i] = i;
      words[2 * i + 1] = largest ? ~ordered >>> 0 : ordered;
    }
    keys.sort();
    for (let i = 0; i < n; i++) order[i] = words[2 * i]!;
    return order;
  };
}

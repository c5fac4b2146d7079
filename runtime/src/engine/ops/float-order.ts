/**
 * The indices of up to n float32 values in value order by one native sort of 64-bit keys, no comparison in
 * JavaScript: the high word orders the values (a float's bits made monotonic, −0 as +0, inverted for the largest
 * first; NaN above +Inf), the low word is the index, so ties go to the lower index — as ONNX Runtime orders TopK's and
 * NonMaxSuppression's candidates. Returns a function of the values (read as float32) and how many to order.
 */
export function floatOrder(capacity: number): (values: ArrayLike<number>, n: number, largest: boolean) => Int32Array {
  const keys = new BigUint64Array(Math.max(1, capacity));
  const words = new Uint32Array(keys.buffer);
  const order = new Int32Array(Math.max(1, capacity));
  const value = new Float32Array(1);
  const bits = new Uint32Array(value.buffer);
  return (values, n, largest) => {
    for (let i = 0; i < n; i++) {
      value[0] = values[i]! + 0;
      const b = bits[0]!;
      const ordered = (b & 0x80000000 ? ~b : b | 0x80000000) >>> 0;
      words[2 * i] = i;
      words[2 * i + 1] = largest ? ~ordered >>> 0 : ordered;
    }
    keys.subarray(0, n).sort();
    for (let i = 0; i < n; i++) order[i] = words[2 * i]!;
    return order.subarray(0, n);
  };
}

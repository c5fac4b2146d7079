import type { TensorData } from "./tensor.js";

/**
 * A reader of integer indices as 32-bit words that reads no BigInts (each read of a BigInt64Array element allocates):
 * int64 data comes as its (low, high) word pairs, other integer arrays as they are. The view is kept while the same
 * array comes back, as it does run after run.
 */
export function indexWords(): (data: TensorData) => ArrayLike<number> {
  let last: TensorData | undefined;
  let words: ArrayLike<number> = [];
  return (data) => {
    if (data === last) return words;
    last = data;
    words = data instanceof BigInt64Array ? new Int32Array(data.buffer, data.byteOffset, data.length * 2)
      : data instanceof BigUint64Array ? Array.from(data, (v) => (v > 0x7fffffffn ? Number.NaN : Number(v)))
      : data as ArrayLike<number>;
    return words;
  };
}

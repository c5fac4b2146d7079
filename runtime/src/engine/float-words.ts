/**
 * A reader of a Float32Array's bits as a Uint32Array over the same memory (a float16 conversion works on the words),
 * the view kept while the same array comes back, as it does run after run.
 */
export function floatWords(): (data: Float32Array) => Uint32Array {
  let last: Float32Array | undefined;
  let words: Uint32Array = new Uint32Array(0);
  return (data) => {
    if (data !== last) {
      last = data;
      words = new Uint32Array(data.buffer, data.byteOffset, data.length);
    }
    return words;
  };
}

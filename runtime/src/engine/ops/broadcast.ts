/**
 * Walks an output shape and yields, for every output element, the element offsets of each broadcast operand
 * (strides 0 where an operand repeats). Used by the elementwise operators outside their kernel fast paths.
 */
export function broadcastOffsets(out: readonly number[], strides: readonly (readonly number[])[]): Int32Array[] {
  const total = out.reduce((a, b) => a * b, 1);
  const result = strides.map(() => new Int32Array(total));
  const rank = out.length;
  const idx = new Array<number>(rank).fill(0);
  const off = strides.map(() => 0);
  for (let i = 0; i < total; i++) {
    for (let s = 0; s < strides.length; s++) result[s]![i] = off[s]!;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      for (let s = 0; s < strides.length; s++) off[s]! += strides[s]![d]!;
      if (idx[d]! < out[d]!) break;
      for (let s = 0; s < strides.length; s++) off[s]! -= strides[s]![d]! * out[d]!;
      idx[d] = 0;
    }
  }
  return result;
}

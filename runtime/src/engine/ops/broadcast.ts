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

/**
 * How `b` repeats inside `out` when it varies along one contiguous run of axes only: out = [outer, mid, inner] with
 * b = [mid] indexed by the middle. undefined when b's pattern is more complex.
 */
export function runPattern(bDims: readonly number[], out: readonly number[]): { outer: number; mid: number; inner: number } | undefined {
  const pad = out.length - bDims.length;
  const full = out.map((_, i) => (i < pad ? 1 : bDims[i - pad]!));
  let first = -1;
  let last = -1;
  for (let i = 0; i < out.length; i++) {
    if (full[i] !== 1) {
      if (full[i] !== out[i]) return undefined;
      if (first < 0) first = i;
      last = i;
    }
  }
  if (first < 0) return { outer: out.reduce((a, b) => a * b, 1), mid: 1, inner: 1 };
  for (let i = first; i <= last; i++) if (full[i] !== out[i]) return undefined;
  const prod = (a: number, b: number) => out.slice(a, b).reduce((x, y) => x * y, 1);
  return { outer: prod(0, first), mid: prod(first, last + 1), inner: prod(last + 1, out.length) };
}

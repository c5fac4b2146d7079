import type { ObservedTensor } from "./observer.js";
import { ObserverError } from "./observer-error.js";

/** Checks that an observed tensor's values match its shape; returns the element count. */
export function checkTensor(observer: string, t: ObservedTensor): number {
  if (!(t.data instanceof Float32Array)) {
    throw new ObserverError("invalid-input", observer, "observed tensors must hold a Float32Array");
  }
  let n = 1;
  for (const d of t.dims) {
    if (!Number.isInteger(d) || d < 0) throw new ObserverError("invalid-input", observer, `invalid dims [${t.dims.join(", ")}]`);
    n *= d;
  }
  if (n !== t.data.length) {
    throw new ObserverError("invalid-input", observer, `dims [${t.dims.join(", ")}] hold ${n} values but the data has ${t.data.length}`);
  }
  return n;
}

/** The tensor seen as [outer, channels, inner] around `axis` (negative axes count from the end, as in torch). */
export function channelView(observer: string, t: ObservedTensor, axis: number): { outer: number; channels: number; inner: number; axis: number } {
  const rank = t.dims.length;
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new ObserverError("invalid-input", observer, `chAxis ${axis} is out of range for a tensor of rank ${rank} (dims [${t.dims.join(", ")}])`);
  }
  let outer = 1;
  for (let i = 0; i < a; i++) outer *= t.dims[i]!;
  let inner = 1;
  for (let i = a + 1; i < rank; i++) inner *= t.dims[i]!;
  return { outer, channels: t.dims[a]!, inner, axis: a };
}

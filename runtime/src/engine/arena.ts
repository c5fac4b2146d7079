/** Steps during which a buffer must hold its value: written at `start`, last read at `end` (inclusive). */
export interface Interval {
  start: number;
  end: number;
}

const ALIGN = 64;

/**
 * Offsets for buffers with lifetimes, so that buffers alive at the same time never overlap: greedy by size,
 * largest first, each at the lowest offset that clears every placed buffer whose lifetime meets its own.
 */
export function allocateArena(buffers: readonly { bytes: number; interval: Interval }[]): { offsets: number[]; total: number } {
  const order = buffers.map((_, i) => i).sort((a, b) => buffers[b]!.bytes - buffers[a]!.bytes || a - b);
  const offsets = new Array<number>(buffers.length).fill(0);
  const placed: { offset: number; size: number; interval: Interval }[] = [];
  let total = 0;
  for (const i of order) {
    const { bytes, interval } = buffers[i]!;
    const size = Math.ceil(bytes / ALIGN) * ALIGN;
    const conflicts = placed
      .filter((p) => p.interval.start <= interval.end && interval.start <= p.interval.end)
      .sort((a, b) => a.offset - b.offset);
    let offset = 0;
    for (const c of conflicts) {
      if (offset + size <= c.offset) break;
      offset = Math.max(offset, c.offset + c.size);
    }
    offsets[i] = offset;
    placed.push({ offset, size, interval });
    total = Math.max(total, offset + size);
  }
  return { offsets, total };
}

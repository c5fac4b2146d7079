/**
 * A first-fit allocator over the kernels' linear memory, run from JavaScript: the AssemblyScript kernels never
 * allocate, so the host decides where weights, activations and scratch live. Blocks are 64-byte aligned (a cache
 * line), and memory grows on demand.
 */
export class Heap {
  static readonly ALIGN = 64;
  /** The first page stays free for anything the kernel module itself might place there. */
  static readonly BASE = 65536;
  #free: { start: number; size: number }[] = [];
  #used = new Map<number, number>();
  #end = Heap.BASE;

  constructor(private readonly memory: WebAssembly.Memory) {}

  /** Bytes currently handed out. */
  get usedBytes(): number {
    let n = 0;
    for (const size of this.#used.values()) n += size;
    return n;
  }

  alloc(bytes: number): number {
    const size = Math.max(Heap.ALIGN, Math.ceil(bytes / Heap.ALIGN) * Heap.ALIGN);
    const i = this.#free.findIndex((f) => f.size >= size);
    let start: number;
    if (i >= 0) {
      const block = this.#free[i]!;
      start = block.start;
      if (block.size === size) this.#free.splice(i, 1);
      else { block.start += size; block.size -= size; }
    } else {
      start = this.#end;
      this.#end += size;
      this.#ensure(this.#end);
    }
    this.#used.set(start, size);
    return start;
  }

  free(start: number): void {
    const size = this.#used.get(start);
    if (size === undefined) return;
    this.#used.delete(start);
    this.#free.push({ start, size });
    this.#free.sort((a, b) => a.start - b.start);
    const merged: { start: number; size: number }[] = [];
    for (const f of this.#free) {
      const last = merged[merged.length - 1];
      if (last && last.start + last.size === f.start) last.size += f.size;
      else merged.push({ ...f });
    }
    // A free block at the top gives its space back to the bump pointer.
    const top = merged[merged.length - 1];
    if (top && top.start + top.size === this.#end) {
      this.#end = top.start;
      merged.pop();
    }
    this.#free = merged;
  }

  #ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / 65536);
    try {
      this.memory.grow(pages);
    } catch (error) {
      throw new RangeError(`the engine needs ${Math.ceil(end / 2 ** 20)} MiB of WebAssembly memory, more than it can grow to (${(error as Error).message})`);
    }
  }
}

import { Heap } from "./heap.js";
import { instantiate, kernelModule, MAX_PAGES, type KernelVariant } from "./module.js";
import type { KernelExports, ParallelKernel } from "./families.js";
import { ThreadPool } from "./thread-pool.js";
import { CHUNKS_PER_THREAD } from "./thread-protocol.js";
import { INTEGER_COST, INTEGER_KERNELS } from "./cost.js";

export interface KernelOptions {
  /** Threads that run kernels (the calling one included); default 1. */
  threads?: number;
  variant?: KernelVariant | "auto";
}

/** Float32 memory for packed operands that lives as long as the session (PrepareContext.persistentF32). */
export type Allocate = (floats: number) => Float32Array;

/** A clamp applied to a kernel's output (a fused Relu/Clip); unbounded when absent. */
export interface OutputClamp {
  lo?: number;
  hi?: number;
}

/**
 * Below this many multiply-adds (~80 µs of work) a call stays on one thread: handing a share over costs more than it
 * saves. (The Fashion-MNIST CNN's two Winograd calls of 1.6 M made two threads slower than one at batch 1.)
 */
const PARALLEL_MIN_WORK = 1 << 21;

/**
 * The threshold when every worker is polling for calls within a run (ThreadPool.polling): a call then costs a few
 * microseconds of hand-over and joining, and a split pays from ~20 µs of work on. Small models' layers (the
 * Fashion-MNIST CNN's 1.6 M multiply-add convolutions) go to the threads only then.
 */
const POLLING_MIN_WORK = 1 << 19;

/**
 * What every kernel family stands on: the shared WebAssembly memory and its allocator, the per-thread and shared
 * scratch, and the split of a call over the worker threads. Only the families (this folder) use its pointers;
 * operators hand them typed arrays.
 */
export class KernelRuntime {
  readonly memory: WebAssembly.Memory;
  readonly heap: Heap;
  readonly variant: KernelVariant;
  readonly threads: number;
  readonly exports: KernelExports;
  readonly #pool: ThreadPool | undefined;
  readonly #buffers = new WeakSet<ArrayBufferLike>();
  /** The buffer views are made on now: most pointers are checked against it alone. */
  #latest: ArrayBufferLike | undefined;
  readonly #runs = new Map<string, number>();
  #threadedCalls = 0;
  #lastName: ParallelKernel | undefined;
  #lastCall: ((...a: number[]) => number) | undefined;
  /** Shares a parallel call is cut in (each with its own scratch). */
  readonly #chunks: number;
  #scratchFloats = 0;
  #scratch: number[] = [];
  #sharedFloats = 0;
  #shared: number | undefined;

  constructor(options: KernelOptions = {}) {
    const { module, variant } = kernelModule(options.variant ?? "auto");
    this.variant = variant;
    this.memory = new WebAssembly.Memory({ initial: 2, maximum: MAX_PAGES, shared: true });
    this.heap = new Heap(this.memory);
    this.exports = instantiate(module, this.memory);
    this.threads = Math.max(1, Math.floor(options.threads ?? 1));
    this.#chunks = this.threads > 1 ? Math.min(255, this.threads * CHUNKS_PER_THREAD) : 1;
    this.#pool = this.threads > 1 ? new ThreadPool(module, this.memory, this.threads - 1, this.#chunks) : undefined;
    // Every call needs some private scratch (GEMM: a 32-float edge tile).
    this.reserveScratch(64);
  }

  async close(): Promise<void> {
    await this.#pool?.close();
  }

  /** A Float32Array over `length` floats of kernel memory at byte offset `ptr`. */
  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.#currentBuffer(), ptr, length);
  }

  /** A view of `length` bytes (uint8 or int8), int16s or int32s of kernel memory at byte offset `ptr`. */
  view<T extends Uint8Array | Int8Array | Int16Array | Int32Array>(kind: new (b: ArrayBufferLike, o: number, l: number) => T, ptr: number, length: number): T {
    return new kind(this.#currentBuffer(), ptr, length);
  }

  /** The memory's buffer object now (growing the memory makes a new one; views of older ones stay valid). */
  #currentBuffer(): ArrayBufferLike {
    const buffer = this.memory.buffer;
    if (buffer !== this.#latest) {
      this.#buffers.add(buffer);
      this.#latest = buffer;
    }
    return buffer;
  }

  /** Allocate `length` floats (zeroed on first use of fresh memory only: callers overwrite). */
  allocF32(length: number): Float32Array {
    return this.f32(this.heap.alloc(Math.max(1, length) * 4), length);
  }

  free(view: Float32Array): void {
    this.heap.free(view.byteOffset);
  }

  /** Whether an array lives in kernel memory (every float tensor the engine runs on does). */
  inMemory(view: ArrayBufferView): boolean {
    const buffer = view.buffer;
    return buffer === this.#latest || this.#buffers.has(buffer);
  }

  /** The byte offset of a view on kernel memory. */
  ptr(view: ArrayBufferView): number {
    const buffer = view.buffer;
    if (buffer !== this.#latest && !this.#buffers.has(buffer)) throw new Error("internal: data outside kernel memory");
    return view.byteOffset;
  }

  /**
   * Make sure the one scratch buffer shared by all threads (an operator's staging area, e.g. Winograd's padded
   * input) holds `floats` floats. Operators run one at a time, so they all use the same buffer; read
   * sharedScratch when running, since a later plan may have moved it.
   */
  reserveSharedScratch(floats: number): void {
    if (floats <= this.#sharedFloats) return;
    if (this.#shared !== undefined) this.heap.free(this.#shared);
    this.#sharedFloats = floats;
    this.#shared = this.heap.alloc(floats * 4);
  }

  get sharedScratch(): number {
    if (this.#shared === undefined) throw new Error("internal: no shared scratch reserved");
    return this.#shared;
  }

  /** Make sure every thread has at least `floats` floats of private scratch. */
  reserveScratch(floats: number): void {
    if (floats <= this.#scratchFloats) return;
    for (const p of this.#scratch) this.heap.free(p);
    this.#scratchFloats = floats;
    this.#scratch = Array.from({ length: this.#chunks }, () => this.heap.alloc(floats * 4));
  }

  /** The private scratch of share `tid` of a parallel call (one per chunk: whichever thread runs it uses it). */
  scratch(tid: number): number {
    return this.#scratch[tid]!;
  }

  /** Count one run of a kernel path (e.g. "winograd"): what tests read to know which path a plan took. */
  count(path: string): void {
    this.#runs.set(path, (this.#runs.get(path) ?? 0) + 1);
  }

  /** Runs per kernel path since the session started. */
  runs(): ReadonlyMap<string, number> {
    return this.#runs;
  }

  /** Kernel calls handed to the thread pool so far: what tests read to know a call was (not) split. */
  get threadedCalls(): number {
    return this.#threadedCalls;
  }

  /** A model run begins (see ThreadPool.beginRun); every beginRun is followed by one endRun. */
  beginRun(): void {
    this.#pool?.beginRun();
  }

  endRun(): void {
    this.#pool?.endRun();
  }

  /** Parallel calls that found a worker asleep, paying its wake-up: what tests read to know the workers stayed up. */
  get asleepCalls(): number {
    return this.#pool?.asleepCalls ?? 0;
  }

  /** Times a worker polling through a run was descheduled and went to sleep (see ThreadPool.preemptions). */
  get preemptions(): number {
    return this.#pool?.preemptions ?? 0;
  }

  /** Times a worker woke from its sleep (0 without a pool). */
  get workerWakes(): number {
    return this.#pool?.wakes ?? 0;
  }

  /** Whether every worker polls for calls now (within a run, none asleep or descheduled lately): see ThreadPool.polling. */
  get workersPolling(): boolean {
    return this.#pool?.polling ?? false;
  }

  /** Workers asleep now (0 without a pool). */
  get workersAsleep(): number {
    return this.#pool?.workersAsleep ?? 0;
  }

  /**
   * Whether a call of `work` multiply-adds over `total` shares runs on the calling thread alone. Families then call
   * the kernel directly, as cheap as any call: no closure, no argument list, nothing allocated.
   */
  serial(total: number, work: number): boolean {
    return total < 2 || this.#pool === undefined || work < this.#minWork(this.#pool);
  }

  /** `serial` for a call of the kernel `fn`, its work weighed as `parallel` weighs it (integer kernels count less). */
  serialFor(fn: ParallelKernel, total: number, work: number): boolean {
    return this.serial(total, weighed(fn, work));
  }

  /** The least work worth a split now: far less while the workers poll than when a call would wake one. */
  #minWork(pool: ThreadPool): number {
    return pool.polling ? POLLING_MIN_WORK : PARALLEL_MIN_WORK;
  }

  /**
   * Split [0, total) over the threads when the call is big enough, run the shares, wait for all of them. Below the
   * threshold (or with one thread) this is one call of the kernel with `args(0, total, 0)`, nothing more.
   */
  parallel(fn: ParallelKernel, total: number, work: number, args: (lo: number, hi: number, tid: number) => number[], shares = this.#chunks): void {
    const call = fn === this.#lastName ? this.#lastCall! : this.#kernel(fn);
    const pool = this.#pool;
    if (pool === undefined || this.serialFor(fn, total, work)) {
      call.apply(undefined, args(0, total, 0));
      return;
    }
    const count = Math.min(shares, this.#chunks, total);
    const bounds = (c: number) => Math.round((total * c) / count);
    const chunks: number[][] = [];
    for (let c = 0; c < count; c++) chunks.push(args(bounds(c), bounds(c + 1), c));
    this.#threadedCalls++;
    pool.run(fn, chunks, (a) => call.apply(undefined, a));
  }

  /**
   * `parallel` for a kernel that takes its share as arguments: `args` is the whole list, and each share gets its
   * [lo, hi) at positions `at` and `at + 1` and its thread's scratch at `scratchAt` (−1: none). Families call it on
   * their threaded path only: a function that makes no closure allocates nothing when it takes its serial path.
   */
  parallelRange(fn: ParallelKernel, total: number, work: number, args: number[], at: number, scratchAt: number): void {
    this.parallel(fn, total, work, (lo, hi, tid) => this.#share(args, at, lo, hi, scratchAt, tid));
  }

  /** `parallel2d` for a kernel taking column blocks at `jAt`, `jAt + 1` and row panels at `pAt`, `pAt + 1` of `args`. */
  parallel2dRange(fn: ParallelKernel, blocks: number, panels: number, work: number, args: number[], jAt: number, pAt: number, scratchAt: number,
    packsColumns = false): void {
    this.parallel2d(fn, blocks, panels, work, (j0, j1, p0, p1, tid) => {
      const share = this.#share(args, jAt, j0, j1, scratchAt, tid);
      share[pAt] = p0;
      share[pAt + 1] = p1;
      return share;
    }, packsColumns);
  }

  #share(args: number[], at: number, lo: number, hi: number, scratchAt: number, tid: number): number[] {
    const share = args.slice();
    share[at] = lo;
    share[at + 1] = hi;
    if (scratchAt >= 0) share[scratchAt] = this.scratch(tid);
    return share;
  }

  /** The export called `fn`, remembered: runs of calls to one kernel skip the lookup by name. */
  #kernel(fn: ParallelKernel): (...a: number[]) => number {
    this.#lastName = fn;
    this.#lastCall = this.exports[fn] as unknown as (...a: number[]) => number;
    return this.#lastCall;
  }

  /**
   * A GEMM-shaped call split over column blocks, or over row panels when the columns divide unevenly (a 7×7 output
   * has 7 blocks of 8 pixels: 2 + 2 + 2 + 1 in four chunks, where 64 panels split evenly). A kernel that
   * `packsColumns` (im2col) packs all its columns again in every share of a split by panels: that split then takes
   * one share per thread, so no thread packs them twice.
   */
  parallel2d(fn: ParallelKernel, blocks: number, panels: number, work: number,
    args: (j0: number, j1: number, p0: number, p1: number, tid: number) => number[], packsColumns = false): void {
    const t = this.#chunks;
    const imbalance = (n: number) => Math.ceil(n / t) * t / n;
    // Splitting panels makes every thread pack the same B columns, so it is only worth it against a clear imbalance.
    const byPanels = t > 1 && panels >= 2 * t && imbalance(blocks) > 1.1 && imbalance(panels) < imbalance(blocks);
    if (byPanels) this.parallel(fn, panels, work, (p0, p1, tid) => args(0, blocks, p0, p1, tid), packsColumns ? this.threads : t);
    else this.parallel(fn, blocks, work, (j0, j1, tid) => args(j0, j1, 0, panels, tid));
  }
}

/** A call's work as the threshold of a split counts it: see INTEGER_COST. */
function weighed(fn: ParallelKernel, work: number): number {
  return INTEGER_KERNELS.has(fn) ? work * INTEGER_COST : work;
}

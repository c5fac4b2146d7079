/** The shared control block between the session's thread and its kernel workers. */
export const CTRL_SEQ = 0;
/**
 * The unclaimed chunks of the current call, [front, back): generation << 16 | back << 8 | front. The calling thread
 * claims from the front and the workers from the back, so with two threads each takes the same half of every call
 * (the same rows, planes or tiles): what a thread wrote, the next call has the same thread read, from its own cache.
 */
export const CTRL_NEXT = 1;
/** Chunks of the current call that have finished. */
export const CTRL_DONE = 2;
export const CTRL_ERROR = 3;
export const CTRL_QUIT = 4;
/** Bytes of the first failed chunk's error text in `errorText` (0: none written). */
export const CTRL_ERROR_BYTES = 5;
/** Model runs in progress: while one is, workers poll for the next call instead of sleeping (see RUN_SPIN_MS). */
export const CTRL_RUN = 6;
/** Workers asleep in Atomics.wait now, or not yet up: a call opened then pays their wake-up, and must notify them. */
export const CTRL_ASLEEP = 7;
/** Model runs begun so far (wrapping): how a worker counts the runs it sits out after it was descheduled. */
export const CTRL_RUNS = 8;
/** Times a worker found itself descheduled while polling through a run (and so went to sleep). */
export const CTRL_PREEMPTED = 9;
/** Times a worker woke from Atomics.wait. */
export const CTRL_WAKES = 10;
/** The run from which the workers poll through runs again (CTRL_RUNS counts; see CONTENDED_RUNS). */
export const CTRL_POLLS_FROM = 11;
/** The chunk count of the current call, written before the call opens. */
export const CTRL_COUNT = 12;
export const CTRL_INTS = 13;
/** Per chunk: [kernel index, argc, args...]. */
export const SLOT_DOUBLES = 32;
/**
 * A parallel call is cut in this many chunks per thread, claimed by whichever thread is free: a thread the system
 * has descheduled holds up one small chunk, not half the call, and uneven chunks even out. On a virtual machine the
 * cores need not be equal (two 1-thread runs side by side ran MobileNet-V2 at 37 and 52 ms): with eight chunks the
 * faster one takes five, with four it took two or three, and two threads ran the corpus 3–5% faster (interleaved
 * `bench -- compare --threads 2`, fp32 and int8).
 */
export const CHUNKS_PER_THREAD = 4;
/**
 * Polls of a control word before sleeping on it. A model's kernel calls follow each other within microseconds: a
 * worker that polls a little catches the next call without a futex wake-up (tens of microseconds, far more on a
 * loaded machine), and one idle longer sleeps.
 */
export const SPIN_POLLS = 20_000;
/**
 * While a model run is in progress a worker polls for the next call up to this long after the last one, not
 * SPIN_POLLS: a serial stretch of a run (pooling, a small layer, JavaScript between kernels) lasts longer than
 * SPIN_POLLS, and a worker that slept through it made the next parallel call pay ~120 µs of wake-up — on ResNet-18
 * a large part of what the second thread saved. Past the cap the wake-up is a small fraction of the gap, and a
 * worker stuck polling through a long serial stretch would keep a core from everyone else for nothing.
 */
export const RUN_SPIN_MS = 20;
/** A gap this long between two rounds of a worker's polls (of microseconds each) means it was descheduled. */
export const PREEMPTED_MS = 0.5;
/** Runs a worker then only sleeps between calls (as between runs): polling on a busy machine takes a core from the run itself. */
export const CONTENDED_RUNS = 32;

export interface WorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  slots: SharedArrayBuffer;
  /** The first error a worker met in the current call, UTF-8: what the caller's exception then says. */
  errorText: SharedArrayBuffer;
}

export const ERROR_TEXT_BYTES = 240;

/**
 * The index of a chunk of the current call for this thread to run, or −1 when every chunk is taken: the calling thread
 * takes them from the front, workers from the back.
 */
export function claimChunk(ctrl: Int32Array, fromBack: boolean): number {
  for (;;) {
    const v = Atomics.load(ctrl, CTRL_NEXT);
    const front = v & 0xff;
    const back = (v >>> 8) & 0xff;
    if (front >= back) return -1;
    // The generation in the same word makes a claim read before a later call opened fail.
    if (fromBack) {
      if (Atomics.compareExchange(ctrl, CTRL_NEXT, v, v - 0x100) === v) return back - 1;
    } else if (Atomics.compareExchange(ctrl, CTRL_NEXT, v, v + 1) === v) {
      return front;
    }
  }
}

/** The chunk count of the current call (valid while one of its chunks is unfinished). */
export function chunkCount(ctrl: Int32Array): number {
  return Atomics.load(ctrl, CTRL_COUNT);
}

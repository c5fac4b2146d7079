/** The shared control block between the session's thread and its kernel workers. */
export const CTRL_SEQ = 0;
/** The chunks of the current call: generation << 16 | chunk count << 8 | next chunk to claim. */
export const CTRL_NEXT = 1;
/** Chunks of the current call that have finished. */
export const CTRL_DONE = 2;
export const CTRL_ERROR = 3;
export const CTRL_QUIT = 4;
/** Bytes of the first failed chunk's error text in `errorText` (0: none written). */
export const CTRL_ERROR_BYTES = 5;
export const CTRL_INTS = 8;
/** Per chunk: [kernel index, argc, args...]. */
export const SLOT_DOUBLES = 32;
/**
 * A parallel call is cut in this many chunks per thread, claimed by whichever thread is free: a thread the system
 * has descheduled holds up one small chunk, not half the call, and uneven chunks even out.
 */
export const CHUNKS_PER_THREAD = 2;
/**
 * Polls of a control word before sleeping on it. A model's kernel calls follow each other within microseconds: a
 * worker that polls a little catches the next call without a futex wake-up (tens of microseconds, far more on a
 * loaded machine), and one idle longer sleeps.
 */
export const SPIN_POLLS = 20_000;

export interface WorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  slots: SharedArrayBuffer;
  /** The first error a worker met in the current call, UTF-8: what the caller's exception then says. */
  errorText: SharedArrayBuffer;
}

export const ERROR_TEXT_BYTES = 240;

/** The index of a chunk of the current call for the caller to run, or −1 when every chunk is taken. */
export function claimChunk(ctrl: Int32Array): number {
  for (;;) {
    const v = Atomics.load(ctrl, CTRL_NEXT);
    const next = v & 0xff;
    if (next >= ((v >>> 8) & 0xff)) return -1;
    // The generation in the same word makes a claim read before a later call opened fail.
    if (Atomics.compareExchange(ctrl, CTRL_NEXT, v, v + 1) === v) return next;
  }
}

/** The chunk count of the current call (valid while one of its chunks is unfinished). */
export function chunkCount(ctrl: Int32Array): number {
  return (Atomics.load(ctrl, CTRL_NEXT) >>> 8) & 0xff;
}

/** The shared control block between the session's thread and its kernel workers. */
export const CTRL_SEQ = 0;
/** Shares of the current call that workers have claimed and not yet finished, plus those still unclaimed. */
export const CTRL_PENDING = 1;
export const CTRL_ERROR = 2;
export const CTRL_INTS = 4;
/** Per worker: [kernel index (-1 quit, -2 idle), argc, args...]. */
export const SLOT_DOUBLES = 32;
/** Per worker, its share's claim: open, taken by the worker, or taken back by the calling thread. */
export const CLAIM_OPEN = 0;
export const CLAIM_WORKER = 1;
export const CLAIM_CALLER = 2;
/**
 * Polls of the control word before sleeping on it. A model's kernel calls follow each other within microseconds: a
 * worker that polls a little catches the next call without a futex wake-up (tens of microseconds, far more on a
 * loaded machine), and one idle longer sleeps.
 */
export const SPIN_POLLS = 20_000;

export interface WorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  slots: SharedArrayBuffer;
  claims: SharedArrayBuffer;
  index: number;
}

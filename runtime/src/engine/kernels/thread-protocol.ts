/** The shared control block between the session's thread and its kernel workers. */
export const CTRL_SEQ = 0;
export const CTRL_PENDING = 1;
export const CTRL_ERROR = 2;
export const CTRL_INTS = 4;
/** Per worker: [kernel index (-1 quit, -2 idle), argc, args...]. */
export const SLOT_DOUBLES = 32;

export interface WorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  slots: SharedArrayBuffer;
  index: number;
}

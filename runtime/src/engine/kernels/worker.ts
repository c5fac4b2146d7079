// A kernel worker: instantiates the kernel module over the session's shared memory and, each time the control word
// changes, claims chunks of the current parallel call and runs them until none is left. It never returns to the event
// loop: waking through Atomics costs microseconds where a message would cost far more.
import { workerData } from "node:worker_threads";
import { instantiate } from "./module.js";
import { PARALLEL_KERNELS } from "./families.js";
import {
  chunkCount, claimChunk, CTRL_DONE, CTRL_ERROR, CTRL_ERROR_BYTES, CTRL_QUIT, CTRL_SEQ, ERROR_TEXT_BYTES, SLOT_DOUBLES, SPIN_POLLS, type WorkerData,
} from "./thread-protocol.js";

const data = workerData as WorkerData;
const kernels = instantiate(data.module, data.memory) as unknown as Record<string, (...args: number[]) => void>;
const fns = PARALLEL_KERNELS.map((name) => kernels[name]!);
const ctrl = new Int32Array(data.control);
const slots = new Float64Array(data.slots);
const args: number[] = [];
const errorText = new Uint8Array(data.errorText);

/** The first failure of a call leaves its text for the caller, who throws it (a worker has no one to tell). */
function report(error: unknown): void {
  if (Atomics.compareExchange(ctrl, CTRL_ERROR, 0, 1) !== 0) return;
  const text = Buffer.from(error instanceof Error ? `${error.name}: ${error.message}` : String(error)).subarray(0, ERROR_TEXT_BYTES);
  errorText.set(text);
  Atomics.store(ctrl, CTRL_ERROR_BYTES, text.length);
}

let seen = 0;
for (;;) {
  for (let i = 0; i < SPIN_POLLS && Atomics.load(ctrl, CTRL_SEQ) === seen; i++);
  Atomics.wait(ctrl, CTRL_SEQ, seen);
  seen = Atomics.load(ctrl, CTRL_SEQ);
  if (Atomics.load(ctrl, CTRL_QUIT) !== 0) break;
  for (let chunk = claimChunk(ctrl); chunk >= 0; chunk = claimChunk(ctrl)) {
    // The chunk's slot was written before the call opened, and is not rewritten before every chunk is done.
    const base = chunk * SLOT_DOUBLES;
    const argc = slots[base + 1]!;
    args.length = argc;
    for (let i = 0; i < argc; i++) args[i] = slots[base + 2 + i]!;
    const count = chunkCount(ctrl);
    try {
      fns[slots[base]!]!(...args);
    } catch (error) {
      report(error);
    }
    if (Atomics.add(ctrl, CTRL_DONE, 1) + 1 === count) Atomics.notify(ctrl, CTRL_DONE);
  }
}

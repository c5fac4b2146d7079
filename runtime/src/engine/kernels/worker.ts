// A kernel worker: instantiates the kernel module over the session's shared memory and, each time the control word
// changes, claims chunks of the current parallel call and runs them until none is left. It never returns to the event
// loop: waking through Atomics costs microseconds where a message would cost far more.
import { workerData } from "node:worker_threads";
import { instantiate } from "./module.js";
import { PARALLEL_KERNELS } from "./families.js";
import {
  chunkCount, claimChunk, CONTENDED_RUNS, CTRL_ASLEEP, CTRL_DONE, CTRL_ERROR, CTRL_ERROR_BYTES, CTRL_POLLS_FROM, CTRL_PREEMPTED, CTRL_QUIT, CTRL_RUN, CTRL_RUNS, CTRL_SEQ, CTRL_WAKES, ERROR_TEXT_BYTES, PREEMPTED_MS, RUN_SPIN_MS,
  SLOT_DOUBLES, SPIN_POLLS, type WorkerData,
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
// Up: the pool counted this worker asleep until now.
Atomics.sub(ctrl, CTRL_ASLEEP, 1);
/** The run from which this worker polls through runs again, after it was last descheduled while polling. */
let pollsFromRun = 0;

/**
 * Returns once the control word has moved past `seen` (a call opened, or the pool closes). Polls briefly; while a
 * model run is in progress, polls on until RUN_SPIN_MS after the last call, unless the system descheduled it while
 * polling lately; sleeps otherwise (between runs).
 */
function awaitCall(): void {
  for (let i = 0; i < SPIN_POLLS; i++) if (Atomics.load(ctrl, CTRL_SEQ) !== seen) return;
  let since = performance.now();
  for (;;) {
    let last = since;
    while (Atomics.load(ctrl, CTRL_RUN) !== 0 && ((Atomics.load(ctrl, CTRL_RUNS) - pollsFromRun) | 0) >= 0) {
      for (let i = 0; i < 1024; i++) if (Atomics.load(ctrl, CTRL_SEQ) !== seen) return;
      const now = performance.now();
      // A round of polls takes microseconds; a longer one means the system took the core away for another thread:
      // it has more threads to run than cores, and polling would only take time from them (and from this run's own
      // thread). Sleep instead, for the next CONTENDED_RUNS runs too.
      if (now - last > PREEMPTED_MS) {
        pollsFromRun = (Atomics.load(ctrl, CTRL_RUNS) + CONTENDED_RUNS) | 0;
        Atomics.store(ctrl, CTRL_POLLS_FROM, pollsFromRun);
        Atomics.add(ctrl, CTRL_PREEMPTED, 1);
        break;
      }
      if (now - since > RUN_SPIN_MS) break;
      last = now;
    }
    // Counted before the wait reads the word: a caller that opens a call after this sees a sleeper and notifies.
    Atomics.add(ctrl, CTRL_ASLEEP, 1);
    Atomics.wait(ctrl, CTRL_SEQ, seen);
    Atomics.sub(ctrl, CTRL_ASLEEP, 1);
    Atomics.add(ctrl, CTRL_WAKES, 1);
    if (Atomics.load(ctrl, CTRL_SEQ) !== seen) return;
    // Woken with no call: a run began, and its calls will come within microseconds of each other.
    since = performance.now();
  }
}

for (;;) {
  awaitCall();
  seen = Atomics.load(ctrl, CTRL_SEQ);
  if (Atomics.load(ctrl, CTRL_QUIT) !== 0) break;
  for (let chunk = claimChunk(ctrl, true); chunk >= 0; chunk = claimChunk(ctrl, true)) {
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

// A kernel worker: instantiates the kernel module over the session's shared memory and runs the share of a parallel
// kernel call it finds in its argument slot each time the control word changes, if the calling thread has not taken
// that share back. It never returns to the event loop: waking through Atomics costs microseconds where a message
// would cost far more.
import { workerData } from "node:worker_threads";
import { instantiate } from "./module.js";
import { PARALLEL_KERNELS } from "./families.js";
import {
  CLAIM_OPEN, CLAIM_WORKER, CTRL_ERROR, CTRL_PENDING, CTRL_SEQ, SLOT_DOUBLES, SPIN_POLLS, type WorkerData,
} from "./thread-protocol.js";

const data = workerData as WorkerData;
const kernels = instantiate(data.module, data.memory) as unknown as Record<string, (...args: number[]) => void>;
const fns = PARALLEL_KERNELS.map((name) => kernels[name]!);
const ctrl = new Int32Array(data.control);
const claims = new Int32Array(data.claims);
const slot = new Float64Array(data.slots, data.index * SLOT_DOUBLES * 8, SLOT_DOUBLES);
const args: number[] = [];

let seen = 0;
for (;;) {
  for (let i = 0; i < SPIN_POLLS && Atomics.load(ctrl, CTRL_SEQ) === seen; i++);
  Atomics.wait(ctrl, CTRL_SEQ, seen);
  seen = Atomics.load(ctrl, CTRL_SEQ);
  const fn = slot[0]!;
  if (fn === -1) break;
  // Claims open only for the shares of a call (an idle slot never opens).
  if (Atomics.compareExchange(claims, data.index, CLAIM_OPEN, CLAIM_WORKER) !== CLAIM_OPEN) continue;
  // Read again once claimed: a call may have opened after the first read (its slot was written before it opened).
  const kernel = slot[0]!;
  const argc = slot[1]!;
  args.length = argc;
  for (let i = 0; i < argc; i++) args[i] = slot[2 + i]!;
  try {
    fns[kernel]!(...args);
  } catch {
    Atomics.store(ctrl, CTRL_ERROR, 1);
  }
  if (Atomics.sub(ctrl, CTRL_PENDING, 1) === 1) Atomics.notify(ctrl, CTRL_PENDING);
}

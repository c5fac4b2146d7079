// A kernel worker: instantiates the kernel module over the session's shared memory and runs the share of a parallel
// kernel call it finds in its argument slot each time the control word changes. It never returns to the event
// loop: waking through Atomics costs microseconds where a message would cost far more.
import { workerData } from "node:worker_threads";
import { instantiate } from "./module.js";
import { PARALLEL_KERNELS } from "./families.js";
import { SLOT_DOUBLES, CTRL_SEQ, CTRL_PENDING, CTRL_ERROR, type WorkerData } from "./thread-protocol.js";

const data = workerData as WorkerData;
const kernels = instantiate(data.module, data.memory) as unknown as Record<string, (...args: number[]) => void>;
const fns = PARALLEL_KERNELS.map((name) => kernels[name]!);
const ctrl = new Int32Array(data.control);
const slot = new Float64Array(data.slots, data.index * SLOT_DOUBLES * 8, SLOT_DOUBLES);

let seen = 0;
for (;;) {
  Atomics.wait(ctrl, CTRL_SEQ, seen);
  seen = Atomics.load(ctrl, CTRL_SEQ);
  const fn = slot[0]!;
  if (fn === -1) break;
  if (fn >= 0) {
    const argc = slot[1]!;
    const args: number[] = [];
    for (let i = 0; i < argc; i++) args.push(slot[2 + i]!);
    try {
      fns[fn]!(...args);
    } catch {
      Atomics.store(ctrl, CTRL_ERROR, 1);
    }
  }
  if (Atomics.sub(ctrl, CTRL_PENDING, 1) === 1) Atomics.notify(ctrl, CTRL_PENDING);
}

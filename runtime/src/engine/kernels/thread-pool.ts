import { Worker } from "node:worker_threads";
import * as path from "node:path";
import { PARALLEL_KERNELS, type ParallelKernel } from "./families.js";
import {
  CLAIM_CALLER, CLAIM_OPEN, CTRL_ERROR, CTRL_INTS, CTRL_PENDING, CTRL_SEQ, SLOT_DOUBLES, SPIN_POLLS, type WorkerData,
} from "./thread-protocol.js";

/**
 * Worker threads that run shares of kernel calls on the session's shared WebAssembly memory. The calling thread
 * takes share 0 itself, then takes back every share no worker has started yet (a worker the system has not scheduled
 * never holds a call up), and then blocks until the workers' shares are done, so a parallel call is synchronous like
 * any other.
 */
export class ThreadPool {
  readonly #workers: Worker[] = [];
  readonly #ctrl: Int32Array;
  readonly #slots: Float64Array;
  readonly #claims: Int32Array;

  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, readonly workerCount: number) {
    const control = new SharedArrayBuffer(CTRL_INTS * 4);
    const slots = new SharedArrayBuffer((workerCount + 1) * SLOT_DOUBLES * 8);
    const claims = new SharedArrayBuffer((workerCount + 1) * 4);
    this.#ctrl = new Int32Array(control);
    this.#slots = new Float64Array(slots);
    this.#claims = new Int32Array(claims);
    this.#claims.fill(CLAIM_CALLER);
    for (let i = 1; i <= workerCount; i++) {
      const data: WorkerData = { module, memory, control, slots, claims, index: i };
      const worker = new Worker(path.join(__dirname, "worker.js"), { workerData: data });
      worker.unref();
      this.#workers.push(worker);
    }
  }

  /**
   * Run `fn` with one argument list per thread (index 0 runs here); `call` runs an argument list on this thread (share
   * 0, and the shares it takes back).
   */
  run(fn: ParallelKernel, shares: (number[] | undefined)[], call: (args: number[]) => void): void {
    const index = PARALLEL_KERNELS.indexOf(fn);
    let active = 0;
    for (let i = 1; i <= this.workerCount; i++) {
      const args = shares[i];
      const base = i * SLOT_DOUBLES;
      this.#slots[base] = args ? index : -2;
      this.#slots[base + 1] = args?.length ?? 0;
      if (args) {
        for (let k = 0; k < args.length; k++) this.#slots[base + 2 + k] = args[k]!;
        active++;
      }
    }
    Atomics.store(this.#ctrl, CTRL_PENDING, active);
    for (let i = 1; i <= this.workerCount; i++) if (shares[i]) Atomics.store(this.#claims, i, CLAIM_OPEN);
    Atomics.add(this.#ctrl, CTRL_SEQ, 1);
    Atomics.notify(this.#ctrl, CTRL_SEQ);
    call(shares[0]!);
    for (let i = 1; i <= this.workerCount; i++) {
      if (!shares[i] || Atomics.compareExchange(this.#claims, i, CLAIM_OPEN, CLAIM_CALLER) !== CLAIM_OPEN) continue;
      call(shares[i]!);
      Atomics.sub(this.#ctrl, CTRL_PENDING, 1);
    }
    for (let i = 0; i < SPIN_POLLS && Atomics.load(this.#ctrl, CTRL_PENDING) !== 0; i++);
    for (;;) {
      const pending = Atomics.load(this.#ctrl, CTRL_PENDING);
      if (pending === 0) break;
      Atomics.wait(this.#ctrl, CTRL_PENDING, pending);
    }
    for (let i = 1; i <= this.workerCount; i++) Atomics.store(this.#claims, i, CLAIM_CALLER);
    if (Atomics.exchange(this.#ctrl, CTRL_ERROR, 0) !== 0) throw new Error(`kernel ${fn} failed on a worker thread`);
  }

  async close(): Promise<void> {
    // Idle workers are unref'd so they never keep a process alive; while they exit, they must.
    for (const w of this.#workers) w.ref();
    for (let i = 1; i <= this.workerCount; i++) this.#slots[i * SLOT_DOUBLES] = -1;
    Atomics.add(this.#ctrl, CTRL_SEQ, 1);
    Atomics.notify(this.#ctrl, CTRL_SEQ);
    await Promise.all(this.#workers.map((w) => new Promise((resolve) => { w.once("exit", resolve); })));
  }
}

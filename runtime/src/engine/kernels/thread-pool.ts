import type { Worker } from "node:worker_threads";
import { workerThreads } from "../../lazy-builtins.js";
import * as path from "node:path";
import { PARALLEL_KERNELS, type ParallelKernel } from "./families.js";
import {
  claimChunk, CTRL_ASLEEP, CTRL_COUNT, CTRL_DONE, CTRL_ERROR, CTRL_ERROR_BYTES, CTRL_INTS, CTRL_PREEMPTED, CTRL_NEXT, CTRL_POLLS_FROM, CTRL_QUIT, CTRL_RUN, CTRL_RUNS, CTRL_SEQ, CTRL_WAKES, ERROR_TEXT_BYTES, SLOT_DOUBLES, SPIN_POLLS,
  type WorkerData,
} from "./thread-protocol.js";

/**
 * Worker threads that run chunks of kernel calls on the session's shared WebAssembly memory. The calling thread
 * claims chunks too, and then blocks until the chunks the workers claimed are done, so a parallel call is synchronous
 * like any other; a worker the system has not scheduled yet claims nothing and holds nothing up.
 */
export class ThreadPool {
  readonly #workers: Worker[] = [];
  readonly #ctrl: Int32Array;
  readonly #slots: Float64Array;
  readonly #errorText: Uint8Array;
  #generation = 0;
  #asleepCalls = 0;
  /**
   * The workers' wake count when this pool last notified sleepers (−1: no notice outstanding). While it has not moved,
   * a wake-up is under way: a call that finds the workers still asleep then waits on that wake-up, it pays no new one.
   */
  #wakesAtNotice = -1;
  #calls = 0;
  #callsAtBegin = 0;

  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, workerCount: number, readonly maxChunks: number) {
    const control = new SharedArrayBuffer(CTRL_INTS * 4);
    const slots = new SharedArrayBuffer(maxChunks * SLOT_DOUBLES * 8);
    this.#ctrl = new Int32Array(control);
    // A worker counts as asleep until it is up: a call meanwhile neither waits for it nor counts on it polling.
    this.#ctrl[CTRL_ASLEEP] = workerCount;
    this.#slots = new Float64Array(slots);
    const errorText = new SharedArrayBuffer(ERROR_TEXT_BYTES);
    this.#errorText = new Uint8Array(errorText);
    for (let i = 1; i <= workerCount; i++) {
      const data: WorkerData = { module, memory, control, slots, errorText };
      const worker = new (workerThreads().Worker)(path.join(__dirname, "worker.js"), { workerData: data });
      worker.unref();
      this.#workers.push(worker);
    }
  }

  /** Run `fn` once per argument list (at most maxChunks, 255); `call` runs one on this thread. */
  run(fn: ParallelKernel, chunks: readonly number[][], call: (args: number[]) => void): void {
    this.#calls++;
    const index = PARALLEL_KERNELS.indexOf(fn);
    const count = chunks.length;
    for (let c = 0; c < count; c++) {
      const args = chunks[c]!;
      const base = c * SLOT_DOUBLES;
      this.#slots[base] = index;
      this.#slots[base + 1] = args.length;
      for (let k = 0; k < args.length; k++) this.#slots[base + 2 + k] = args[k]!;
    }
    const ctrl = this.#ctrl;
    Atomics.store(ctrl, CTRL_DONE, 0);
    this.#generation = (this.#generation + 1) & 0x7fff;
    Atomics.store(ctrl, CTRL_COUNT, count);
    Atomics.store(ctrl, CTRL_NEXT, (this.#generation << 16) | (count << 8));
    Atomics.add(ctrl, CTRL_SEQ, 1);
    // A worker counts itself asleep before its wait reads CTRL_SEQ, and the count is read after CTRL_SEQ moved: one
    // of the two sees the other, so no sleeper is missed.
    if (Atomics.load(ctrl, CTRL_ASLEEP) !== 0) {
      // Workers still waking from an earlier notice (beginRun's, or a call's the system has not yet scheduled them
      // for) are not woken twice; a worker that woke and went back to sleep is.
      const wakes = Atomics.load(ctrl, CTRL_WAKES);
      if (wakes !== this.#wakesAtNotice) {
        this.#asleepCalls++;
        this.#wakesAtNotice = wakes;
      }
      Atomics.notify(ctrl, CTRL_SEQ);
    } else {
      this.#wakesAtNotice = -1;
    }
    // A chunk that fails here must not end the call early: the workers would go on writing memory (and leave their
    // error for the next call) while this thread moves on. Every chunk runs; the first failure is thrown after.
    let failure: { error: unknown } | undefined;
    for (let c = claimChunk(ctrl, false); c >= 0; c = claimChunk(ctrl, false)) {
      try {
        call(chunks[c]!);
      } catch (error) {
        failure ??= { error };
      } finally {
        Atomics.add(ctrl, CTRL_DONE, 1);
      }
    }
    for (let i = 0; i < SPIN_POLLS && Atomics.load(ctrl, CTRL_DONE) !== count; i++);
    for (;;) {
      const done = Atomics.load(ctrl, CTRL_DONE);
      if (done === count) break;
      Atomics.wait(ctrl, CTRL_DONE, done);
    }
    if (failure) {
      Atomics.store(ctrl, CTRL_ERROR_BYTES, 0);
      Atomics.store(ctrl, CTRL_ERROR, 0);
      throw failure.error;
    }
    if (Atomics.load(ctrl, CTRL_ERROR) !== 0) {
      const text = Buffer.from(this.#errorText.slice(0, Atomics.load(ctrl, CTRL_ERROR_BYTES))).toString();
      Atomics.store(ctrl, CTRL_ERROR_BYTES, 0);
      Atomics.store(ctrl, CTRL_ERROR, 0);
      throw new Error(`kernel ${fn} failed on a worker thread (${text || "no message"}; chunk arguments ${JSON.stringify(chunks)})`);
    }
  }

  /**
   * A model run begins: the workers poll for calls until it ends (or RUN_SPIN_MS pass without one) instead of
   * sleeping between them, and sleeping ones are woken now, so their wake-up overlaps the run's first step — unless
   * the last run made no parallel call (a small model: a worker woken for nothing would poll through the run) or the
   * workers sit runs out after they were descheduled.
   */
  beginRun(): void {
    Atomics.add(this.#ctrl, CTRL_RUNS, 1);
    Atomics.add(this.#ctrl, CTRL_RUN, 1);
    const parallelBefore = this.#calls !== this.#callsAtBegin;
    this.#callsAtBegin = this.#calls;
    if (parallelBefore && !this.#contended() && Atomics.load(this.#ctrl, CTRL_ASLEEP) !== 0) {
      this.#wakesAtNotice = Atomics.load(this.#ctrl, CTRL_WAKES);
      Atomics.notify(this.#ctrl, CTRL_SEQ);
    }
  }

  /** The run ended: idle workers may sleep again. */
  endRun(): void {
    Atomics.sub(this.#ctrl, CTRL_RUN, 1);
  }

  /**
   * Calls that found a worker asleep and had to wake it (and so paid its wake-up); a call that finds the workers still
   * waking from an earlier notice (beginRun's, or an earlier call's) waits on that wake-up and is not counted: none on
   * an idle machine once the workers are up.
   */
  get asleepCalls(): number {
    return this.#asleepCalls;
  }

  /** Times a worker polling through a run was descheduled, and slept instead (a machine with more threads than cores). */
  get preemptions(): number {
    return Atomics.load(this.#ctrl, CTRL_PREEMPTED);
  }

  /** Times a worker woke from Atomics.wait (for a call, for a run's start, or to close). */
  get wakes(): number {
    return Atomics.load(this.#ctrl, CTRL_WAKES);
  }

  /**
   * Whether a call opened now finds every worker polling (a run is in progress, none asleep, none sitting runs out
   * after it was descheduled): it then costs microseconds, not a wake-up.
   */
  get polling(): boolean {
    const ctrl = this.#ctrl;
    return Atomics.load(ctrl, CTRL_RUN) !== 0 && Atomics.load(ctrl, CTRL_ASLEEP) === 0 && !this.#contended();
  }

  /** Whether the workers sit this run out (descheduled lately): woken, they would go straight back to sleep. */
  #contended(): boolean {
    return ((Atomics.load(this.#ctrl, CTRL_RUNS) - Atomics.load(this.#ctrl, CTRL_POLLS_FROM)) | 0) < 0;
  }

  /** Workers asleep in Atomics.wait now. */
  get workersAsleep(): number {
    return Atomics.load(this.#ctrl, CTRL_ASLEEP);
  }

  async close(): Promise<void> {
    // Idle workers are unref'd so they never keep a process alive; while they exit, they must.
    for (const w of this.#workers) w.ref();
    Atomics.store(this.#ctrl, CTRL_QUIT, 1);
    Atomics.add(this.#ctrl, CTRL_SEQ, 1);
    Atomics.notify(this.#ctrl, CTRL_SEQ);
    await Promise.all(this.#workers.map((w) => new Promise((resolve) => { w.once("exit", resolve); })));
  }
}

import { startSandbox, supervise, type Sandbox, type SourceLocation } from "qkit/tooling";
import { quantizerFrames } from "../sandbox/frames.js";
import type { CheckJob, CheckReport, LoadFailure, ModelSource, WorkerData, WorkerMessage } from "./worker-protocol.js";
import { checkWorkerFile, sandboxEntry } from "./worker-file.js";

export type CheckOutcome =
  | { kind: "done"; report: CheckReport; durationMs: number; startup: CheckStartup }
  | { kind: "load-error"; failure: LoadFailure; durationMs: number }
  | { kind: "timeout"; classSite: SourceLocation | undefined; className: string | undefined; durationMs: number }
  | { kind: "out-of-memory"; classSite: SourceLocation | undefined; className: string | undefined; durationMs: number }
  | { kind: "exited"; code: number; site: SourceLocation | undefined; classSite: SourceLocation | undefined; durationMs: number }
  | { kind: "crashed"; message: string; site: SourceLocation | undefined; durationMs: number }
  | { kind: "cancelled" };

/**
 * What a check waited for before its quantizer ran: a sandbox to be ready (`waitMs`), whether that sandbox was a
 * spare already warm when the check asked for it (`warm`: it waited for nothing), and how its model came to be
 * (`model`: rebuilt from the server's snapshot, or decoded from the file) in `decodeMs`, in the background for a spare.
 */
export interface CheckStartup {
  waitMs: number;
  warm: boolean;
  model: ModelSource;
  decodeMs: number;
  /** The sandbox ran a check before (one that left no trace). */
  reused: boolean;
}

export interface ModelImage {
  path: string;
  /** Changes whenever the file does; spare workers of an older image are discarded. */
  version: number;
  /** The file's size and modification time when the server loaded it (`size:mtimeMs`). */
  stamp: string;
  /** What a sandbox rebuilds the model from without decoding the file (model-snapshot.ts); none for some models. */
  snapshot?: Uint8Array;
}

export interface CheckLimits {
  timeoutMs: number;
  memoryLimitMb: number;
}

const WORKER_FILE = sandboxEntry(checkWorkerFile());
// Decoding a model and loading the runtime is the server's cost, not the quantizer's: it gets its own, generous budget.
const STARTUP_TIMEOUT_MS = 60_000;

interface Spare {
  key: string;
  worker: Sandbox;
  ready: Promise<WorkerMessage>;
  isReady: boolean;
  /** It ran a check before. */
  reused: boolean;
}

/** How long a worker back from a check may take to show it left no trace and to rebuild its model. */
const REUSE_READY_MS = 5000;

/**
 * Spares kept warm: each check takes one, which goes back once it shows the check left no trace; a replacement starts
 * for one that did not (or was stopped: a timeout, a newer edit) once the check is done, at once when none is left.
 * Starting one takes a few hundred ms of CPU (a process, the runtime, the model): when edits come fast and each
 * cancels the last check, three give each replacement two checks' time to warm up.
 */
const SPARES = 3;

/**
 * Runs each check in a sandbox process that no earlier check changed: a fresh one, or one whose last check left no
 * trace (footprint.ts; the sandbox rebuilds its model after each), so a quantizer's globals, prototype changes and
 * leaks never outlive its check. Warmed-up spares (runtime loaded, model rebuilt) wait for the next checks, and a
 * reused one runs code V8 has already optimized, which keeps the edit-to-diagnostics time short. Checks run one at a time: the machine's cores are
 * few, and the memory watchdog can then blame the right quantizer.
 */
export class CheckRunner {
  readonly #spares: Spare[] = [];
  #wanted: { model: ModelImage; limits: CheckLimits } | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #running = 0;
  #started = 0;
  #spent = 0;

  constructor(private readonly log: (message: string) => void) {}

  get running(): number {
    return this.#running;
  }

  /** Spares ready or warming up, the sandboxes started so far (spares included), and those spent (see SPARES). */
  sandboxes(): { ready: number; warming: number; started: number; spent: number } {
    const ready = this.#spares.filter((s) => s.isReady).length;
    return { ready, warming: this.#spares.length - ready, started: this.#started, spent: this.#spent };
  }

  /** Whether spares are kept warm for some model. */
  get warming(): boolean {
    return this.#wanted !== undefined;
  }

  /** Keep spares warm for checks of this model with these limits (spares for anything else are stopped). */
  warm(model: ModelImage, limits: CheckLimits): void {
    this.#wanted = { model, limits };
    // While a check runs, its end tops the spares up.
    if (this.#running === 0) this.#topUp(SPARES);
  }

  run(model: ModelImage, job: CheckJob, limits: CheckLimits, signal: AbortSignal): Promise<CheckOutcome> {
    const next = this.#queue.then(() => (signal.aborted ? ({ kind: "cancelled" } as const) : this.#runNow(model, job, limits, signal)));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  dispose(): void {
    this.#wanted = undefined;
    for (const spare of this.#spares.splice(0)) spare.worker.terminate();
  }

  #spawn(model: ModelImage, limits: CheckLimits): Spare {
    const data: WorkerData = { modelPath: model.path, modelStamp: model.stamp, ...(model.snapshot ? { snapshot: model.snapshot } : {}) };
    const worker = startSandbox(WORKER_FILE, data, limits.memoryLimitMb, (line) => this.log(`[quantizer] ${line}`));
    this.#started++;
    return this.#track(worker, spareKey(model, limits), false);
  }

  /**
   * A spare of this worker, ready once it says so. One that runs a check (`reused`) says so after the check, once it
   * made sure the check left no trace and rebuilt its model, or says it is spent; armed when the check's result is in,
   * it gets REUSE_READY_MS for that. It listens from before the job is sent: both answers can come in one read.
   */
  #track(worker: Sandbox, key: string, reused: boolean): Spare & { arm(): void } {
    let deadline: NodeJS.Timeout | undefined;
    let answered = false;
    const spare: Spare & { arm(): void } = {
      key,
      worker,
      ready: Promise.resolve({ kind: "model-error", message: "" }),
      isReady: false,
      reused,
      // An answer that came before the arming (in the same read as the result, on a busy machine) leaves nothing to
      // wait for: a deadline set then would stop the worker in the middle of the next check.
      arm: () => {
        if (!answered) deadline = setTimeout(() => worker.terminate(), REUSE_READY_MS);
      },
    };
    spare.ready = new Promise<WorkerMessage>((resolve) => {
      const onMessage = (message: unknown) => {
        const m = message as WorkerMessage;
        if (m.kind === "ready" || m.kind === "model-error" || m.kind === "spent") {
          answered = true;
          worker.off("message", onMessage);
          clearTimeout(deadline);
          spare.isReady = m.kind === "ready";
          if (m.kind === "spent") {
            this.#spent++;
            this.log(`A check sandbox was replaced: ${m.reason}.`);
            // Out of the pool now: a process being killed still counts as running for a moment.
            const at = this.#spares.indexOf(spare);
            if (at >= 0) this.#spares.splice(at, 1);
            worker.terminate();
            setImmediate(() => {
              if (this.#running === 0) this.#topUp(SPARES);
            });
          }
          resolve(m);
        }
      };
      worker.on("message", onMessage);
      void worker.gone.then(() => {
        clearTimeout(deadline);
        spare.isReady = false;
        resolve({ kind: "model-error", message: "the check worker stopped while starting" });
      });
    });
    return spare;
  }

  /** Start spares for the wanted model until there are `count`, and stop those for anything else. */
  #topUp(count: number): void {
    const wanted = this.#wanted;
    const key = wanted ? spareKey(wanted.model, wanted.limits) : undefined;
    for (let i = this.#spares.length - 1; i >= 0; i--) {
      const spare = this.#spares[i]!;
      if (spare.key !== key || !spare.worker.running) this.#spares.splice(i, 1)[0]!.worker.terminate();
    }
    while (wanted && this.#spares.length < count) this.#spares.push(this.#spawn(wanted.model, wanted.limits));
  }

  /** The spare that has been warming longest (the first ready one, if any), or a new sandbox. */
  #take(model: ModelImage, limits: CheckLimits): Spare {
    this.#wanted = { model, limits };
    this.#topUp(0);
    const at = Math.max(0, this.#spares.findIndex((s) => s.isReady));
    return this.#spares.splice(at, 1)[0] ?? this.#spawn(model, limits);
  }

  /** A spare no job was sent to goes back to the pool, first in line. */
  #giveBack(spare: Spare): boolean {
    const wanted = this.#wanted;
    if (!wanted || spare.key !== spareKey(wanted.model, wanted.limits) || !spare.worker.running || this.#spares.length >= SPARES) return false;
    this.#spares.unshift(spare);
    return true;
  }

  async #runNow(model: ModelImage, job: CheckJob, limits: CheckLimits, signal: AbortSignal): Promise<CheckOutcome> {
    this.#running++;
    const waitStarted = performance.now();
    let spare = this.#take(model, limits);
    // None left for the next edit: warm one now rather than after this check.
    if (this.#spares.length === 0) this.#topUp(1);
    let kept = false;
    try {
      let warm = spare.isReady;
      let startup = await readyOrTimeout(spare);
      if (startup.kind !== "ready" && spare.reused) {
        // A worker back from a check that turned out spent (or stuck): the check takes a fresh one instead.
        spare.worker.terminate();
        spare = this.#spawn(model, limits);
        warm = false;
        startup = await readyOrTimeout(spare);
      }
      if (startup.kind !== "ready") {
        const message = startup.kind === "spent" ? startup.reason : startup.kind === "model-error" ? startup.message : "the check worker did not start";
        return { kind: "crashed", message, site: undefined, durationMs: 0 };
      }
      if (signal.aborted) {
        kept = this.#giveBack(spare);
        return { kind: "cancelled" };
      }
      const waited: CheckStartup = { waitMs: Math.round(performance.now() - waitStarted), warm, model: startup.model, decodeMs: startup.decodeMs, reused: startup.reused };
      const after = this.#track(spare.worker, spare.key, true);
      const outcome = await this.#supervise(spare.worker, job, limits, signal, waited);
      // The worker lives on after a check that ended by itself; it takes another once it shows it is as it was.
      if ((outcome.kind === "done" || outcome.kind === "load-error") && spare.worker.running) {
        after.arm();
        kept = this.#giveBack(after);
      }
      return outcome;
    } finally {
      this.#running--;
      if (!kept) spare.worker.terminate();
      // Replace what this check used now that it no longer competes for the cores, once its results are out:
      // starting a process takes the thread a while.
      setImmediate(() => {
        if (this.#running === 0) this.#topUp(SPARES);
      });
    }
  }

  async #supervise(worker: Sandbox, job: CheckJob, limits: CheckLimits, signal: AbortSignal, startup: CheckStartup): Promise<CheckOutcome> {
    let classSite: SourceLocation | undefined;
    let className: string | undefined;
    const ended = await supervise<WorkerMessage, { kind: "result"; report: CheckReport } | { kind: "load-error"; failure: LoadFailure }>(worker, {
      limits,
      signal,
      job,
      // The runner decides what becomes of the worker after a result (see #runNow).
      keepAfter: () => true,
      onMessage(m) {
        if (m.kind === "phase") {
          classSite = m.classSite;
          className = m.className;
        } else if (m.kind === "result" || m.kind === "load-error") {
          return m;
        }
        return undefined;
      },
    });
    switch (ended.kind) {
      case "finished":
        return ended.value.kind === "result"
          ? { kind: "done", report: ended.value.report, durationMs: ended.durationMs, startup }
          : { kind: "load-error", failure: ended.value.failure, durationMs: ended.durationMs };
      case "timeout":
      case "out-of-memory":
        return { kind: ended.kind, classSite, className, durationMs: ended.durationMs };
      case "exited":
        return { kind: "exited", code: ended.code, site: ended.site, classSite, durationMs: ended.durationMs };
      case "crashed":
        return { kind: "crashed", message: `${ended.error.name}: ${ended.error.message}`, site: quantizerFrames(ended.error.stack)[0], durationMs: ended.durationMs };
      case "cancelled":
        return ended;
    }
  }
}

function spareKey(model: ModelImage, limits: CheckLimits): string {
  return `${model.path}\0${model.version}\0${limits.memoryLimitMb}`;
}

function readyOrTimeout(spare: Spare): Promise<WorkerMessage> {
  return Promise.race([spare.ready, delay(STARTUP_TIMEOUT_MS).then((): WorkerMessage => ({ kind: "model-error", message: "the check worker did not start in time" }))]);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

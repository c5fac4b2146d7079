import * as path from "node:path";
import { startSandbox, supervise, type Sandbox, type SourceLocation } from "qkit/tooling";
import { quantizerFrames } from "../sandbox/frames.js";
import type { CheckJob, CheckReport, LoadFailure, WorkerData, WorkerMessage } from "./worker-protocol.js";

export type CheckOutcome =
  | { kind: "done"; report: CheckReport; durationMs: number; startup: CheckStartup }
  | { kind: "load-error"; failure: LoadFailure; durationMs: number }
  | { kind: "timeout"; classSite: SourceLocation | undefined; className: string | undefined; durationMs: number }
  | { kind: "out-of-memory"; classSite: SourceLocation | undefined; className: string | undefined; durationMs: number }
  | { kind: "exited"; code: number; site: SourceLocation | undefined; classSite: SourceLocation | undefined; durationMs: number }
  | { kind: "crashed"; message: string; site: SourceLocation | undefined; durationMs: number }
  | { kind: "cancelled" };

/**
 * What a check waited for before its quantizer ran: a sandbox to be ready (`waitMs`: none when the warmed-up spare
 * was), and how long that sandbox took to decode its copy of the model (in the background, for a spare).
 */
export interface CheckStartup {
  waitMs: number;
  decodeMs: number;
}

export interface ModelImage {
  path: string;
  /** Changes whenever the file does; spare workers of an older image are discarded. */
  version: number;
  /** The file's size and modification time when the server loaded it (`size:mtimeMs`). */
  stamp: string;
}

export interface CheckLimits {
  timeoutMs: number;
  memoryLimitMb: number;
}

const WORKER_FILE = path.join(__dirname, "check-worker.js");
// Decoding a model and loading the runtime is the server's cost, not the quantizer's: it gets its own, generous budget.
const STARTUP_TIMEOUT_MS = 60_000;

interface Spare {
  key: string;
  worker: Sandbox;
  ready: Promise<WorkerMessage>;
}

/**
 * Runs each check in a fresh sandbox process and throws it away afterwards, so a quantizer's globals,
 * prototype changes and leaks never outlive its check. One warmed-up spare (runtime loaded, model decoded) waits for
 * the next check, which keeps the edit-to-diagnostics time short. Checks run one at a time: the machine's cores are
 * few, and the memory watchdog can then blame the right quantizer.
 */
export class CheckRunner {
  #spare: Spare | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #running = 0;

  constructor(private readonly log: (message: string) => void) {}

  get running(): number {
    return this.#running;
  }

  run(model: ModelImage, job: CheckJob, limits: CheckLimits, signal: AbortSignal): Promise<CheckOutcome> {
    const next = this.#queue.then(() => (signal.aborted ? ({ kind: "cancelled" } as const) : this.#runNow(model, job, limits, signal)));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  dispose(): void {
    this.#spare?.worker.terminate();
    this.#spare = undefined;
  }

  #spawn(model: ModelImage, limits: CheckLimits): Spare {
    const data: WorkerData = { modelPath: model.path, modelStamp: model.stamp };
    const worker = startSandbox(WORKER_FILE, data, limits.memoryLimitMb, (line) => this.log(`[quantizer] ${line}`));
    const ready = new Promise<WorkerMessage>((resolve) => {
      const onMessage = (message: unknown) => {
        const m = message as WorkerMessage;
        if (m.kind === "ready" || m.kind === "model-error") {
          worker.off("message", onMessage);
          resolve(m);
        }
      };
      worker.on("message", onMessage);
      void worker.gone.then(() => resolve({ kind: "model-error", message: "the check worker stopped while starting" }));
    });
    return { key: spareKey(model, limits), worker, ready };
  }

  #take(model: ModelImage, limits: CheckLimits): Spare {
    const key = spareKey(model, limits);
    const spare = this.#spare?.key === key ? this.#spare : undefined;
    if (this.#spare && !spare) this.#spare.worker.terminate();
    this.#spare = undefined;
    return spare ?? this.#spawn(model, limits);
  }

  async #runNow(model: ModelImage, job: CheckJob, limits: CheckLimits, signal: AbortSignal): Promise<CheckOutcome> {
    this.#running++;
    const waitStarted = performance.now();
    const { worker, ready } = this.#take(model, limits);
    try {
      const startup = await Promise.race([ready, delay(STARTUP_TIMEOUT_MS).then(() => ({ kind: "model-error", message: "the check worker did not start in time" }) as const)]);
      if (startup.kind !== "ready") return { kind: "crashed", message: startup.kind === "model-error" ? startup.message : "the check worker did not start", site: undefined, durationMs: 0 };
      if (signal.aborted) return { kind: "cancelled" };
      const waited = { waitMs: Math.round(performance.now() - waitStarted), decodeMs: startup.decodeMs };
      const outcome = this.#supervise(worker, job, limits, signal, waited);
      // Warm the next worker now: warming takes longer than a check, and the next edit's debounce is short.
      this.#spare = this.#spawn(model, limits);
      return await outcome;
    } finally {
      this.#running--;
      worker.terminate();
    }
  }

  async #supervise(worker: Sandbox, job: CheckJob, limits: CheckLimits, signal: AbortSignal, startup: CheckStartup): Promise<CheckOutcome> {
    let classSite: SourceLocation | undefined;
    let className: string | undefined;
    const ended = await supervise<WorkerMessage, { kind: "result"; report: CheckReport } | { kind: "load-error"; failure: LoadFailure }>(worker, {
      limits,
      signal,
      job,
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

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

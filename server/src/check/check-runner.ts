import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { SourceLocation } from "qkit";
import { quantizerFrames } from "./frames.js";
import type { CheckJob, CheckReport, LoadFailure, WorkerData, WorkerMessage } from "./worker-protocol.js";

export type CheckOutcome =
  | { kind: "done"; report: CheckReport; durationMs: number }
  | { kind: "load-error"; failure: LoadFailure; durationMs: number }
  | { kind: "timeout"; classSite: SourceLocation | undefined; className: string | undefined; durationMs: number }
  | { kind: "out-of-memory"; classSite: SourceLocation | undefined; className: string | undefined; durationMs: number }
  | { kind: "exited"; code: number; site: SourceLocation | undefined; classSite: SourceLocation | undefined; durationMs: number }
  | { kind: "crashed"; message: string; site: SourceLocation | undefined; durationMs: number }
  | { kind: "cancelled" };

export interface ModelImage {
  path: string;
  /** Changes whenever the bytes do; spare workers of an older image are discarded. */
  version: number;
  bytes: Uint8Array;
}

export interface CheckLimits {
  timeoutMs: number;
  memoryLimitMb: number;
}

const WORKER_FILE = path.join(__dirname, "check-worker.js");
// Decoding a model and loading the runtime is the server's cost, not the quantizer's: it gets its own, generous budget.
const STARTUP_TIMEOUT_MS = 60_000;
const WATCHDOG_INTERVAL_MS = 20;

interface Spare {
  key: string;
  worker: Worker;
  ready: Promise<WorkerMessage>;
}

/**
 * Runs each check in a fresh worker thread and throws the worker away afterwards, so a quantizer's globals,
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
    void this.#spare?.worker.terminate();
    this.#spare = undefined;
  }

  #spawn(model: ModelImage, limits: CheckLimits): Spare {
    const data: WorkerData = { modelBytes: model.bytes, modelPath: model.path };
    const worker = new Worker(WORKER_FILE, {
      workerData: data,
      // The quantizer's console output must not reach the server's stdout, which may be the LSP channel itself.
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: limits.memoryLimitMb, maxYoungGenerationSizeMb: 16 },
    });
    // A worker stopped by the watchdog may still report its own heap overflow afterwards: never an unhandled error.
    worker.on("error", () => undefined);
    worker.on("message", (m: WorkerMessage) => {
    });
    worker.stdout.on("data", (chunk: Buffer) => this.log(`[quantizer] ${chunk.toString().trimEnd()}`));
    worker.stderr.on("data", (chunk: Buffer) => this.log(`[quantizer] ${chunk.toString().trimEnd()}`));
    const ready = new Promise<WorkerMessage>((resolve) => {
      const onMessage = (m: WorkerMessage) => {
        if (m.kind === "ready" || m.kind === "model-error") {
          worker.off("message", onMessage);
          resolve(m);
        }
      };
      worker.on("message", onMessage);
      worker.once("error", (e) => resolve({ kind: "model-error", message: e.message }));
      worker.once("exit", () => resolve({ kind: "model-error", message: "the check worker stopped while starting" }));
    });
    return { key: spareKey(model, limits), worker, ready };
  }

  #take(model: ModelImage, limits: CheckLimits): Spare {
    const key = spareKey(model, limits);
    const spare = this.#spare?.key === key ? this.#spare : undefined;
    if (this.#spare && !spare) void this.#spare.worker.terminate();
    this.#spare = undefined;
    return spare ?? this.#spawn(model, limits);
  }

  async #runNow(model: ModelImage, job: CheckJob, limits: CheckLimits, signal: AbortSignal): Promise<CheckOutcome> {
    this.#running++;
    const { worker, ready } = this.#take(model, limits);
    try {
      const startup = await Promise.race([ready, delay(STARTUP_TIMEOUT_MS).then(() => ({ kind: "model-error", message: "the check worker did not start in time" }) as const)]);
      if (startup.kind !== "ready") return { kind: "crashed", message: startup.kind === "model-error" ? startup.message : "the check worker did not start", site: undefined, durationMs: 0 };
      if (signal.aborted) return { kind: "cancelled" };
      const outcome = this.#supervise(worker, job, limits, signal);
      // Warm the next worker now: warming takes longer than a check, and the next edit's debounce is short.
      this.#spare = this.#spawn(model, limits);
      return await outcome;
    } finally {
      this.#running--;
      void worker.terminate();
    }
  }

  #supervise(worker: Worker, job: CheckJob, limits: CheckLimits, signal: AbortSignal): Promise<CheckOutcome> {
    return new Promise<CheckOutcome>((resolve) => {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      let classSite: SourceLocation | undefined;
      let className: string | undefined;
      let exit: { code: number; site: SourceLocation | undefined } | undefined;
      const baselineRss = process.memoryUsage.rss();
      const finish = (outcome: CheckOutcome) => {
        clearTimeout(timer);
        clearInterval(watchdog);
        signal.removeEventListener("abort", onAbort);
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        resolve(outcome);
      };
      const onAbort = () => finish({ kind: "cancelled" });
      signal.addEventListener("abort", onAbort);
      const timer = setTimeout(() => finish({ kind: "timeout", classSite, className, durationMs: elapsed() }), limits.timeoutMs);
      // resourceLimits caps the V8 heap only; typed arrays live outside it, so the process's growth is watched too.
      const watchdog = setInterval(() => {
        if (process.memoryUsage.rss() - baselineRss > limits.memoryLimitMb * 1024 * 1024) finish({ kind: "out-of-memory", classSite, className, durationMs: elapsed() });
      }, WATCHDOG_INTERVAL_MS);
      const onMessage = (m: WorkerMessage) => {
        if (m.kind === "phase") {
          classSite = m.classSite;
          className = m.className;
        } else if (m.kind === "exit") {
          exit = { code: m.code, site: m.site };
        } else if (m.kind === "result") {
          finish({ kind: "done", report: m.report, durationMs: elapsed() });
        } else if (m.kind === "load-error") {
          finish({ kind: "load-error", failure: m.failure, durationMs: elapsed() });
        }
      };
      const onError = (error: Error & { code?: string }) => {
        if (error.code === "ERR_WORKER_OUT_OF_MEMORY") finish({ kind: "out-of-memory", classSite, className, durationMs: elapsed() });
        else finish({ kind: "crashed", message: `${error.name}: ${error.message}`, site: quantizerFrames(error.stack)[0], durationMs: elapsed() });
      };
      const onExit = (code: number) => finish({ kind: "exited", code: exit?.code ?? code, site: exit?.site, classSite, durationMs: elapsed() });
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
      worker.postMessage(job);
    });
  }
}

function spareKey(model: ModelImage, limits: CheckLimits): string {
  return `${model.path}\0${model.version}\0${limits.memoryLimitMb}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

import { Worker } from "node:worker_threads";

/** What a worker running user code may use. */
export interface WorkerLimits {
  /** The worker's V8 heap, and the cap on the server's extra resident memory while it runs (MB). */
  memoryLimitMb: number;
  /** How long the job may run (ms); none when the job takes as long as its data (a calibration). */
  timeoutMs?: number;
}

/** How a supervised job ended. */
export type Supervised<T> =
  | { kind: "finished"; value: T; durationMs: number }
  | { kind: "timeout"; durationMs: number }
  | { kind: "out-of-memory"; durationMs: number }
  | { kind: "exited"; code: number; durationMs: number }
  | { kind: "crashed"; error: Error; durationMs: number }
  | { kind: "cancelled" };

export interface SuperviseOptions<M, T> {
  limits: WorkerLimits;
  signal: AbortSignal;
  /** The job, posted to the worker once it is watched; none when the worker starts on its workerData. */
  job?: unknown;
  /** Each message of the worker; returning a value ends the job with it. */
  onMessage(message: M): T | undefined;
  /**
   * How cancelling works: by default the worker is stopped at once. A worker that can stop cleanly (between
   * batches) is sent `message` first and gets `graceMs` to answer through onMessage before it is stopped.
   */
  cancel?: { message: unknown; graceMs: number };
}

const WATCHDOG_INTERVAL_MS = 20;

/**
 * A worker thread for user code, with its heap capped. Its console output must not reach the server's stdout, which
 * may be the LSP channel itself: it goes to `log`, or nowhere.
 */
export function startWorker(file: string, workerData: unknown, memoryLimitMb: number, log?: (line: string) => void): Worker {
  const worker = new Worker(file, {
    workerData,
    stdout: true,
    stderr: true,
    resourceLimits: { maxOldGenerationSizeMb: memoryLimitMb, maxYoungGenerationSizeMb: 16 },
  });
  // A worker stopped by the watchdog may still report its own heap overflow afterwards: never an unhandled error.
  worker.on("error", () => undefined);
  for (const stream of [worker.stdout, worker.stderr]) {
    if (log) stream.on("data", (chunk: Buffer) => log(chunk.toString().trimEnd()));
    else stream.resume();
  }
  return worker;
}

/**
 * Watch one job of a worker running user code until it ends: a result, the timeout, the memory caps (resourceLimits
 * caps the V8 heap only; typed arrays and WebAssembly memory live outside it, so the process's growth is watched
 * too), an exit, a crash, or cancellation. The worker is terminated afterwards: nothing the user's code did outlives
 * the job, and the server keeps only the plain data it was sent.
 */
export function supervise<M, T>(worker: Worker, options: SuperviseOptions<M, T>): Promise<Supervised<T>> {
  const { limits, signal } = options;
  return new Promise<Supervised<T>>((resolve) => {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const baselineRss = process.memoryUsage.rss();
    let grace: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (outcome: Supervised<T>) => {
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      clearInterval(watchdog);
      signal.removeEventListener("abort", onAbort);
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
      void worker.terminate();
      resolve(outcome);
    };
    const onAbort = () => {
      if (!options.cancel) return finish({ kind: "cancelled" });
      worker.postMessage(options.cancel.message);
      grace = setTimeout(() => finish({ kind: "cancelled" }), options.cancel.graceMs);
    };
    const timer = limits.timeoutMs !== undefined ? setTimeout(() => finish({ kind: "timeout", durationMs: elapsed() }), limits.timeoutMs) : undefined;
    const watchdog = setInterval(() => {
      if (process.memoryUsage.rss() - baselineRss > limits.memoryLimitMb * 1024 * 1024) finish({ kind: "out-of-memory", durationMs: elapsed() });
    }, WATCHDOG_INTERVAL_MS);
    const onMessage = (message: M) => {
      const value = options.onMessage(message);
      if (value !== undefined) finish({ kind: "finished", value, durationMs: elapsed() });
    };
    const onError = (error: Error & { code?: string }) => {
      if (error.code === "ERR_WORKER_OUT_OF_MEMORY") finish({ kind: "out-of-memory", durationMs: elapsed() });
      else finish({ kind: "crashed", error, durationMs: elapsed() });
    };
    const onExit = (code: number) => finish({ kind: "exited", code, durationMs: elapsed() });
    worker.on("message", onMessage);
    worker.on("error", onError);
    worker.on("exit", onExit);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort);
    if (options.job !== undefined && !settled) worker.postMessage(options.job);
  });
}

import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { CalibrationJob, CalibrationWorkerMessage } from "./calibration-messages.js";

const WORKER_FILE = path.join(__dirname, "calibration-worker.js");

export interface CalibrationProgressEvent {
  items: number;
  limit: number | undefined;
  elapsedMs: number;
}

export type CalibrationRunOutcome =
  | { kind: "done"; items: number; durationMs: number }
  | { kind: "failed"; message: string }
  | { kind: "cancelled" };

/**
 * Runs one calibration job in a fresh worker. Cancelling asks the worker to stop between batches (it then writes
 * nothing); a worker that does not answer within a grace period is terminated, which also writes nothing because
 * the writes are atomic renames at the very end.
 */
export function runCalibration(
  job: CalibrationJob,
  onProgress: (event: CalibrationProgressEvent) => void,
  onStage: (stage: "export" | "compare") => void,
  signal: AbortSignal,
): Promise<CalibrationRunOutcome> {
  return new Promise((resolve) => {
    const worker = new Worker(WORKER_FILE, { workerData: job, stdout: true, stderr: true });
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const finish = (outcome: CalibrationRunOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(killTimer);
      signal.removeEventListener("abort", onAbort);
      void worker.terminate();
      resolve(outcome);
    };
    const onAbort = () => {
      worker.postMessage({ kind: "abort" });
      // A batch in flight finishes first; one that takes far too long is not worth waiting for.
      killTimer = setTimeout(() => finish({ kind: "cancelled" }), 5000);
    };
    worker.on("message", (message: CalibrationWorkerMessage) => {
      switch (message.kind) {
        case "progress":
          onProgress(message);
          break;
        case "stage":
          onStage(message.stage);
          break;
        default:
          finish(message);
      }
    });
    worker.on("error", (error) => finish({ kind: "failed", message: error.stack ?? error.message }));
    worker.on("exit", (code) => finish({ kind: "failed", message: `the calibration worker exited (code ${code})` }));
    // The quantizer's console output is the user's business, not the protocol's: drain it.
    worker.stdout.resume();
    worker.stderr.resume();
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
}

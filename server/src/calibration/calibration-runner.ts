import * as path from "node:path";
import { formatLocation, startSandbox, supervise } from "qkit/tooling";
import type { CalibrationJob, CalibrationWorkerMessage } from "./calibration-messages.js";

const WORKER_FILE = path.join(__dirname, "calibration-worker.js");
// A batch in flight finishes first; one that takes far too long is not worth waiting for.
const CANCEL_GRACE_MS = 5000;

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
 * Runs one calibration job in a fresh sandbox process, supervised like a check (heap cap, resident-memory
 * watchdog, hardened) but without a time limit: a calibration takes as long as its data. Cancelling asks the worker to
 * stop between batches (it then writes nothing); a worker that does not answer within a grace period is terminated,
 * which also writes nothing because the writes are atomic renames at the very end.
 */
export async function runCalibration(
  job: CalibrationJob,
  memoryLimitMb: number,
  onProgress: (event: CalibrationProgressEvent) => void,
  onStage: (stage: "export" | "compare") => void,
  signal: AbortSignal,
): Promise<CalibrationRunOutcome> {
  const ended = await supervise<CalibrationWorkerMessage, CalibrationRunOutcome>(startSandbox(WORKER_FILE, job, memoryLimitMb), {
    limits: { memoryLimitMb },
    signal,
    cancel: { message: { kind: "abort" }, graceMs: CANCEL_GRACE_MS },
    onMessage(message) {
      switch (message.kind) {
        case "progress":
          onProgress(message);
          return undefined;
        case "stage":
          onStage(message.stage);
          return undefined;
        default:
          return message;
      }
    },
  });
  switch (ended.kind) {
    case "finished":
    case "cancelled":
      return ended.kind === "finished" ? ended.value : ended;
    case "out-of-memory":
      return { kind: "failed", message: `calibration used more than ${memoryLimitMb} MB and was stopped (the quantizer or the data module allocates without bound?); the limit is the qkit.calibrationMemoryLimitMb setting` };
    case "exited":
      return { kind: "failed", message: `${ended.site ? `${formatLocation(ended.site)}: ` : ""}the quantizer or the data module called process.exit(${ended.code}); calibration stopped and nothing was written` };
    case "crashed":
      return { kind: "failed", message: ended.error.stack ?? ended.error.message };
    case "timeout":
      return { kind: "failed", message: `calibration did not finish in time` };
  }
}

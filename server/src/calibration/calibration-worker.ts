/**
 * One calibration run, in a sandbox process: the quantizer and a data module are user code and must not run on the
 * server's thread. The runtime's pipeline does the work (check → prepare → calibrate → convert → the numeric
 * debugger on a few batches → export, written atomically and only when the run was not cancelled); the worker is
 * hardened like a check's and the server supervises it with the same memory caps.
 */
import * as qkit from "qkit/tooling";
import { quantizerFrames } from "../sandbox/frames.js";
import type { CalibrationControlMessage, CalibrationJob, CalibrationWorkerMessage } from "./calibration-messages.js";

const channel = qkit.sandboxChannel<CalibrationControlMessage, CalibrationWorkerMessage>();
const post = (message: CalibrationWorkerMessage) => channel.post(message);
const abort = new AbortController();
channel.onMessage((message) => {
  if (message.kind === "abort") abort.abort();
});

process.setSourceMapsEnabled(true);

async function run(): Promise<void> {
  const job = (await channel.data) as CalibrationJob;
  const started = performance.now();
  qkit.guardPrototypes();
  qkit.trapProcessExit(quantizerFrames);
  const limit = job.target.data?.options.limit;
  try {
    const done = await qkit.quantizeTarget(job.target, {
      signal: abort.signal,
      frames: quantizerFrames,
      onProgress: (p) => post({ kind: "progress", items: p.items, limit, elapsedMs: p.elapsedMs }),
      onStage: (stage) => {
        if (stage === "compare" || stage === "export") post({ kind: "stage", stage });
      },
      compareItems: job.compareItems,
    });
    post({ kind: "done", items: done.items, durationMs: Math.round(performance.now() - started) });
  } catch (error) {
    if (error instanceof qkit.CalibrationAbortedError) return post({ kind: "cancelled" });
    throw error;
  }
}

run().catch((error: unknown) => {
  const message = error instanceof qkit.QkitError ? error.message : (error as Error)?.stack ?? String(error);
  post({ kind: "failed", message });
});

/**
 * One calibration run, in a worker thread: the quantizer and a data module are user code and must not run on the
 * server's thread. check → prepare → calibrate → convert → export, then the numeric debugger on a few batches; the
 * model and the report (with per-node SQNR added) are written atomically, and only when the run was not cancelled.
 */
import { parentPort, workerData } from "node:worker_threads";
import { mkdir } from "node:fs/promises";
import * as path from "node:path";
import * as qkit from "qkit";
import type { CalibrationControlMessage, CalibrationJob, CalibrationWorkerMessage } from "./calibration-messages.js";

const port = parentPort!;
const post = (message: CalibrationWorkerMessage) => port.postMessage(message);
const job = workerData as CalibrationJob;
const abort = new AbortController();
port.on("message", (message: CalibrationControlMessage) => {
  if (message.kind === "abort") abort.abort();
});

process.setSourceMapsEnabled(true);

async function run(): Promise<void> {
  const started = performance.now();
  const model = await qkit.loadModel(job.modelPath);
  const { quantizer } = qkit.loadQuantizer(job.quantizerPath);
  const prepared = qkit.prepare(model, quantizer);
  const inputs = qkit.modelInputs(model.graph);
  const data = qkit.openData(job.dataPath, inputs, { batchSize: job.batchSize, ...(job.limit !== undefined ? { limit: job.limit } : {}), normalize: job.normalize });
  let items = 0;
  try {
    const done = await qkit.calibrate(prepared, data, {
      signal: abort.signal,
      onProgress: (p) => post({ kind: "progress", items: p.items, limit: job.limit, elapsedMs: p.elapsedMs }),
    });
    items = done.items;
  } catch (error) {
    if (error instanceof qkit.CalibrationAbortedError) return post({ kind: "cancelled" });
    throw error;
  }
  if (abort.signal.aborted) return post({ kind: "cancelled" });
  const converted = qkit.convert(prepared);
  post({ kind: "stage", stage: "compare" });
  const compareData = qkit.openData(job.dataPath, inputs, { batchSize: job.batchSize, limit: job.compareItems, normalize: job.normalize });
  const accuracy = await qkit.compareNodes(model, converted, compareData, { annotated: prepared.model });
  if (abort.signal.aborted) return post({ kind: "cancelled" });
  post({ kind: "stage", stage: "export" });
  const reportDir = path.dirname(job.reportPath);
  // The runtime's report, plus what the editor shows beside the qparams: how far each node drifted.
  const report = qkit.calibrationReport(prepared, items, { accuracy });
  await mkdir(path.dirname(job.outputPath), { recursive: true });
  await mkdir(reportDir, { recursive: true });
  await qkit.exportOnnx(converted, job.outputPath);
  await qkit.saveCalibrationReport(report, job.reportPath);
  post({ kind: "done", items, durationMs: Math.round(performance.now() - started) });
}

run().catch((error: unknown) => {
  const message = error instanceof qkit.QkitError ? error.message : (error as Error)?.stack ?? String(error);
  post({ kind: "failed", message });
});

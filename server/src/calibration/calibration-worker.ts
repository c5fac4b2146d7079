/**
 * One calibration run, in a worker thread: the quantizer and a data module are user code and must not run on the
 * server's thread. check → prepare → calibrate → convert → export, then the numeric debugger on a few batches; the
 * model and the report (with per-node SQNR added) are written atomically, and only when the run was not cancelled.
 */
import { parentPort, workerData } from "node:worker_threads";
import { mkdir } from "node:fs/promises";
import * as path from "node:path";
import * as qkit from "qkit/tooling";
import type { CalibrationControlMessage, CalibrationJob, CalibrationWorkerMessage, NodeSqnr } from "./calibration-messages.js";

const port = parentPort!;
const post = (message: CalibrationWorkerMessage) => port.postMessage(message);
const job = workerData as CalibrationJob;
const abort = new AbortController();
port.on("message", (message: CalibrationControlMessage) => {
  if (message.kind === "abort") abort.abort();
});

process.setSourceMapsEnabled(true);

/** Sites relative to the report's folder, so a report moved with its model still points at the quantizer. */
function siteText(site: qkit.SourceSite | undefined, reportDir: string): string | undefined {
  return site ? `${path.relative(reportDir, site.file).split(path.sep).join("/")}:${site.line}:${site.column}` : undefined;
}

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
  const report = qkit.calibrationReport(prepared, items);
  for (const [i, group] of report.groups.entries()) {
    const site = siteText(prepared.groups[i]?.spec.site, reportDir);
    if (site) group.spec.site = site;
  }
  const sqnr: NodeSqnr[] = accuracy.map((a) => ({
    node: a.node,
    opType: a.opType,
    sqnr: Number.isFinite(a.sqnr) ? a.sqnr : null,
    mse: a.mse,
    ...(a.site ? { site: siteText(a.site, reportDir)! } : {}),
  }));
  await mkdir(path.dirname(job.outputPath), { recursive: true });
  await mkdir(reportDir, { recursive: true });
  await qkit.exportOnnx(converted, job.outputPath);
  // The runtime's report, plus what the editor shows beside the qparams: how far each node drifted.
  await qkit.saveCalibrationReport({ ...report, sqnr } as qkit.CalibrationReport, job.reportPath);
  post({ kind: "done", items, durationMs: Math.round(performance.now() - started) });
}

run().catch((error: unknown) => {
  const message = error instanceof qkit.QkitError ? error.message : (error as Error)?.stack ?? String(error);
  post({ kind: "failed", message });
});

// Loads one model off the server's thread: decode, validation, topological sort, normalization and shape inference
// run here; the server gets the check sandboxes' snapshot (check/model-snapshot.ts) and the outline
// (model-outline.ts) in batches, or the loader's one-line message.
import { parentPort, workerData } from "node:worker_threads";
import { QkitError } from "qkit/tooling";
import { outline } from "./model-outline.js";
import { loadWithSnapshot } from "../check/model-snapshot.js";
import type { LoadWorkerData, LoadWorkerMessage } from "./model-load-protocol.js";

const data = workerData as LoadWorkerData;
const post = (message: LoadWorkerMessage, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(message, transfer);

async function load(): Promise<void> {
  const { model, snapshot } = await loadWithSnapshot(data.file);
  if (snapshot) post({ kind: "snapshot", snapshot }, [snapshot.buffer as ArrayBuffer]);
  for (const part of outline(model, data.batch)) post(Array.isArray(part) ? { kind: "nodes", nodes: part } : { kind: "header", header: part });
}

load().catch((error: unknown) => {
  post({ kind: "error", message: error instanceof QkitError ? error.message : `${data.file}: cannot be loaded (internal error: ${(error as Error)?.message ?? String(error)})` });
});

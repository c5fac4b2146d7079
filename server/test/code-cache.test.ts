import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, statSync } from "node:fs";
import * as path from "node:path";
import { startSandbox } from "qkit/tooling";
import { checkWorkerFile, sandboxEntry } from "../src/check/worker-file.js";
import type { WorkerData, WorkerMessage } from "../src/check/worker-protocol.js";

/**
 * A check sandbox compiles the worker's bundle with V8's code cache: the first sandbox writes it (before it has its
 * data, so before any user code), later ones of the same Node and heap cap take it as it is, and a sandbox with other
 * V8 flags, which V8 would refuse it to, writes its own.
 */
const workerFile = checkWorkerFile();
const entry = sandboxEntry(workerFile);
const cacheFile = path.join(path.dirname(workerFile), "check-worker.bundle.cache");

/** Start a sandbox that fails at once for want of a model: its bundle still loads, and the cache is written first. */
async function startOnce(memoryLimitMb: number): Promise<void> {
  const data: WorkerData = { modelPath: path.join(path.dirname(workerFile), "no-such-model.onnx"), modelStamp: "0:0" };
  const sandbox = startSandbox(entry, data, memoryLimitMb);
  try {
    const first = await new Promise<WorkerMessage>((resolve) => sandbox.on("message", (m) => resolve(m as WorkerMessage)));
    assert.equal(first.kind, "model-error", "the worker ran and refused the missing model");
  } finally {
    sandbox.terminate();
    await sandbox.gone;
  }
}

const header = () => readFileSync(cacheFile).subarray(0, readFileSync(cacheFile).indexOf(0x0a)).toString();

test("sandboxes share one code cache per bundle, Node and heap cap", { skip: entry === workerFile && "the worker runs unbundled (no bundle newer than the build)" }, async () => {
  rmSync(cacheFile, { force: true });
  await startOnce(512);
  const written = statSync(cacheFile);
  assert.ok(written.size > 100_000, "the cache holds the bundle's compiled code");
  assert.match(header(), new RegExp(`^${process.version.replace(/\./g, "\\.")} \\d+:[\\d.]+ .*--max-old-space-size=512\\b`), "made for this Node, bundle and heap cap");

  await startOnce(512);
  assert.equal(statSync(cacheFile).ino, written.ino, "a second sandbox with the same flags took the cache and left it as it was");

  await startOnce(768);
  assert.match(header(), /--max-old-space-size=768\b/, "a sandbox with another heap cap, which V8 refuses the cache to, wrote its own");
});

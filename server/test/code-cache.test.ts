import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
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
const folder = path.dirname(workerFile);
/** Heap caps no other test's sandboxes use: other test files run meanwhile and write caches of their own flags. */
const CAP = 509;
const OTHER_CAP = 757;

const headerOf = (file: string) => readFileSync(file).subarray(0, readFileSync(file).indexOf(0x0a)).toString();
const caches = () => readdirSync(folder).filter((f) => /^check-worker\.bundle\.[0-9a-f]{8}\.cache$/.test(f)).map((f) => path.join(folder, f));
/** The cache file made for a heap cap, if any. */
const cacheFor = (cap: number) => caches().find((f) => new RegExp(`--max-old-space-size=${cap}\\b`).test(headerOf(f)));

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

test("sandboxes share one code cache per bundle, Node and heap cap", { skip: entry === workerFile && "the worker runs unbundled (no bundle newer than the build)" }, async () => {
  for (const cap of [CAP, OTHER_CAP]) {
    const stale = cacheFor(cap);
    if (stale) rmSync(stale, { force: true });
  }
  await startOnce(CAP);
  const file = cacheFor(CAP);
  assert.ok(file, "the first sandbox wrote a cache for its flags");
  const written = statSync(file);
  assert.ok(written.size > 100_000, "the cache holds the bundle's compiled code");
  assert.match(headerOf(file), new RegExp(`^${process.version.replace(/\./g, "\\.")} \\d+:[\\d.]+ .*--max-old-space-size=${CAP}\\b`), "made for this Node, bundle and heap cap");

  await startOnce(CAP);
  assert.equal(statSync(file).ino, written.ino, "a second sandbox with the same flags took the cache and left it as it was");

  await startOnce(OTHER_CAP);
  const other = cacheFor(OTHER_CAP);
  assert.ok(other && other !== file, "a sandbox with another heap cap, which V8 refuses the cache to, wrote a file of its own");
  assert.equal(statSync(file).ino, written.ino, "and left the first one as it was");
});

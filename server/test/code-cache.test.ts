import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { startSandbox } from "qkit/tooling";
import { fileStamp, loadWithSnapshot } from "../src/check/model-snapshot.js";
import { checkWorkerFile, sandboxEntry } from "../src/check/worker-file.js";
import { ROOT } from "./helpers/lsp-client.js";
import type { WorkerData, WorkerMessage } from "../src/check/worker-protocol.js";

/**
 * A check sandbox compiles the worker's bundle with V8's code cache: the first sandbox writes it (once it has checked
 * its model with a built-in quantizer, before it takes a job, so before any user code), later ones of the same Node
 * and heap cap take it as it is, and a sandbox with other V8 flags, which V8 would refuse it to, writes its own.
 */
const workerFile = checkWorkerFile();
const entry = sandboxEntry(workerFile);
const folder = path.dirname(workerFile);
/** Heap caps no other test's sandboxes use: other test files run meanwhile and write caches of their own flags. */
const CAP = 509;
const OTHER_CAP = 757;
const WARM_CAP = 631;
const CLEANUP_CAP = 523;

const headerOf = (file: string) => readFileSync(file).subarray(0, readFileSync(file).indexOf(0x0a)).toString();
const caches = () => readdirSync(folder).filter((f) => /^check-worker\.bundle\.[0-9a-f]{8}\.cache$/.test(f)).map((f) => path.join(folder, f));
/** The cache file made for a heap cap, if any. */
const cacheFor = (cap: number) => caches().find((f) => new RegExp(`--max-old-space-size=${cap}\\b`).test(headerOf(f)));

/**
 * Start a sandbox and wait for its first word. Without `data`, it fails at once for want of a model: its bundle still
 * loads, and the cache is written first.
 */
async function startOnce(memoryLimitMb: number, data?: WorkerData): Promise<void> {
  const sandbox = startSandbox(entry, data ?? { modelPath: path.join(path.dirname(workerFile), "no-such-model.onnx"), modelStamp: "0:0" }, memoryLimitMb);
  try {
    const first = await new Promise<WorkerMessage>((resolve) => sandbox.on("message", (m) => resolve(m as WorkerMessage)));
    if (data) assert.equal(first.kind, "ready", "the worker rebuilt its model and waits for a job");
    else assert.equal(first.kind, "model-error", "the worker ran and refused the missing model");
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

test("the sandbox that writes the cache first runs a check of its own, so the cache holds a check's code", { skip: entry === workerFile && "the worker runs unbundled (no bundle newer than the build)" }, async () => {
  const modelPath = path.join(ROOT, "examples", "fmnist_cnn_op13.onnx");
  const { snapshot } = await loadWithSnapshot(modelPath);
  assert.ok(snapshot);
  for (const cap of [CAP, WARM_CAP]) {
    const stale = cacheFor(cap);
    if (stale) rmSync(stale, { force: true });
  }
  await startOnce(CAP);
  await startOnce(WARM_CAP, { modelPath, modelStamp: fileStamp(modelPath), snapshot });
  const topLevelOnly = statSync(cacheFor(CAP)!).size;
  const warm = cacheFor(WARM_CAP);
  assert.ok(warm, "the sandbox with a model wrote a cache before it said it was ready");
  // The loader, annotate's helpers, the checker's rules and the report compile only when a check runs.
  assert.ok(statSync(warm).size > topLevelOnly * 1.1, `a cache after a check (${statSync(warm).size} bytes) holds more than one after the top level (${topLevelOnly})`);
});

test("a cache written for a new build of the bundle removes the caches of older builds, not those of other Nodes", { skip: entry === workerFile && "the worker runs unbundled (no bundle newer than the build)" }, async () => {
  const stale = cacheFor(CLEANUP_CAP);
  if (stale) rmSync(stale, { force: true });
  const olderBuild = path.join(folder, "check-worker.bundle.0ddb0117.cache");
  const otherNode = path.join(folder, "check-worker.bundle.07e1de00.cache");
  writeFileSync(olderBuild, `${process.version} 1234:5678.9 --max-old-space-size=${CLEANUP_CAP}\nstale code`);
  writeFileSync(otherNode, `v0.0.1 1234:5678.9 --max-old-space-size=${CLEANUP_CAP}\nanother Node's code`);
  try {
    await startOnce(CLEANUP_CAP);
    assert.ok(cacheFor(CLEANUP_CAP) && cacheFor(CLEANUP_CAP) !== olderBuild, "the sandbox wrote a cache for this build");
    assert.equal(existsSync(olderBuild), false, "the cache of an older build of the bundle is gone");
    assert.equal(existsSync(otherNode), true, "the cache another Node made stays");
  } finally {
    rmSync(olderBuild, { force: true });
    rmSync(otherNode, { force: true });
  }
});

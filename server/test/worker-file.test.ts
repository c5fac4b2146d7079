import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { checkWorkerFile } from "../src/check/worker-file.js";

/** A check sandbox runs the bundle of the worker and the runtime only while no build came after it. */
test("the check worker's bundle is used while it is newer than the server's build, its module otherwise", () => {
  const root = mkdtempSync(path.join(tmpdir(), "qkit-worker-file-"));
  try {
    const dir = path.join(root, "dist", "src", "check");
    mkdirSync(dir, { recursive: true });
    const plain = path.join(dir, "check-worker.js");
    const bundle = path.join(dir, "check-worker.bundle.js");
    const buildInfo = path.join(root, "dist", "tsconfig.tsbuildinfo");
    const runtimeBuildInfo = path.join(root, "runtime.tsbuildinfo");
    const at = (file: string, seconds: number) => {
      writeFileSync(file, "");
      utimesSync(file, seconds, seconds);
    };
    at(plain, 1000);
    at(buildInfo, 1000);
    at(runtimeBuildInfo, 1000);
    const workerFile = () => checkWorkerFile(dir, runtimeBuildInfo);
    assert.equal(workerFile(), plain, "no bundle: the worker's module");
    at(bundle, 2000);
    assert.equal(workerFile(), bundle, "a bundle made after the builds");
    at(buildInfo, 3000);
    assert.equal(workerFile(), plain, "a build of the server after the bundle: its code may be older than the modules'");
    at(bundle, 4000);
    assert.equal(workerFile(), bundle, "bundled again");
    at(runtimeBuildInfo, 5000);
    assert.equal(workerFile(), plain, "a build of the runtime after the bundle");
    at(bundle, 6000);
    at(plain, 7000);
    assert.equal(workerFile(), plain, "a worker module newer than the bundle");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

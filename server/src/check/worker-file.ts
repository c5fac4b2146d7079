import * as path from "node:path";
import { statSync } from "node:fs";

/**
 * The file a check sandbox runs: `check-worker.bundle.js` (the worker and the runtime in one module, made by
 * `server/scripts/bundle-check-worker.mjs` after the build), which a fresh process loads in about half the CPU of the
 * some 300 modules it holds — and one starts whenever a check is stopped or leaves a trace. The worker's own module when there is no bundle, or when a
 * build of the server or the runtime came after it (a bundle of older code must never run).
 */
export function checkWorkerFile(dir = __dirname, runtimeBuild = runtimeBuildInfo()): string {
  const plain = path.join(dir, "check-worker.js");
  const bundle = path.join(dir, "check-worker.bundle.js");
  const bundled = mtime(bundle);
  if (bundled === undefined) return plain;
  const builds = [path.join(dir, "..", "..", "tsconfig.tsbuildinfo"), runtimeBuild, plain];
  return builds.every((f) => (f === undefined ? true : (mtime(f) ?? 0) <= bundled)) ? bundle : plain;
}

/**
 * The file a sandbox process starts with to run `workerFile`: the bundle through its code-cache loader
 * (bundle-with-code-cache.ts), anything else as it is.
 */
export function sandboxEntry(workerFile: string): string {
  return path.basename(workerFile) === "check-worker.bundle.js" ? path.join(path.dirname(workerFile), "bundle-with-code-cache.js") : workerFile;
}

function runtimeBuildInfo(): string | undefined {
  try {
    return path.join(path.dirname(require.resolve("qkit/package.json")), "dist", "tsconfig.tsbuildinfo");
  } catch {
    return undefined;
  }
}

function mtime(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

import * as path from "node:path";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";

/** The repository root, found from this compiled file (runtime/dist/test/helpers). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..", "..");
export const EXAMPLES = path.join(REPO_ROOT, "examples");

/**
 * The shared reference models (real exports with PyTorch reference outputs) live beside the repository in
 * ../shared/models, or where QKIT_SHARED_MODELS points. Tests that need them are skipped, saying so, where they are
 * absent; the tests on models qkit ships or builds itself always run.
 */
export const SHARED_MODELS = process.env.QKIT_SHARED_MODELS ?? path.join(REPO_ROOT, "..", "shared", "models");

export function sharedModel(file: string): string | undefined {
  const p = path.join(SHARED_MODELS, file);
  return existsSync(p) ? p : undefined;
}

export function skipUnlessShared(...files: string[]): string | false {
  const missing = files.filter((f) => !sharedModel(f));
  return missing.length ? `needs ${missing.join(", ")} from the shared reference models (${SHARED_MODELS})` : false;
}

/** The shared reference data (oracles, guides, models) beside the repository, or where QKIT_SHARED points. */
export const SHARED_ROOT = process.env.QKIT_SHARED ?? path.join(REPO_ROOT, "..", "shared");

/** A file of the shared reference data by relative path (e.g. "oracle/observers_torch113.json"), if present. */
export function sharedFile(file: string): string | undefined {
  const p = path.join(SHARED_ROOT, file);
  return existsSync(p) ? p : undefined;
}

export function skipUnlessSharedFile(...files: string[]): string | false {
  const missing = files.filter((f) => !sharedFile(f));
  return missing.length ? `needs ${missing.join(", ")} from the shared reference data (${SHARED_ROOT})` : false;
}

/** A fresh temp folder, removed when `fn` settles. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), "qkit-test-"));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

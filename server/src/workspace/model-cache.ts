import { promises as fs, watch, type FSWatcher } from "node:fs";
import { loadModel, type Model } from "qkit/tooling";
import type { ModelState } from "../protocol.js";
import type { ModelImage } from "../check/check-runner.js";

export interface LoadedModel extends ModelImage {
  model: Model;
}

export type ModelResult = { ok: true; loaded: LoadedModel } | { ok: false; message: string };

interface Entry {
  stamp: string;
  result: Promise<ModelResult>;
  state: ModelState;
  watcher?: FSWatcher;
}

/** Reports the progress of a slow step to the client (work-done progress); returns the function that ends it. */
export type ProgressReporter = (title: string, message: string) => Promise<() => void>;

/**
 * Models by absolute path, each loaded once and kept until its file changes: every lookup compares the file's size
 * and modification time (cheap), and a file watcher tells the server to re-check the targets that use it. The bytes
 * live in a SharedArrayBuffer, so check workers decode the same memory instead of copying ~45 MB per check.
 */
export class ModelCache {
  readonly #entries = new Map<string, Entry>();
  #version = 0;

  constructor(
    private readonly progress: ProgressReporter,
    private readonly onChange: (path: string) => void,
  ) {}

  state(file: string): { state: ModelState; message?: string } {
    const entry = this.#entries.get(file);
    return entry ? { state: entry.state } : { state: "not-loaded" };
  }

  async get(file: string): Promise<ModelResult> {
    const stamp = await fileStamp(file);
    const entry = this.#entries.get(file);
    if (entry && entry.stamp === stamp) return entry.result;
    entry?.watcher?.close();
    const fresh: Entry = { stamp, state: "loading", result: Promise.resolve({ ok: false, message: "" }) };
    fresh.result = this.#load(file, fresh);
    fresh.watcher = this.#watch(file);
    this.#entries.set(file, fresh);
    return fresh.result;
  }

  dispose(): void {
    for (const entry of this.#entries.values()) entry.watcher?.close();
    this.#entries.clear();
  }

  async #load(file: string, entry: Entry): Promise<ModelResult> {
    const done = await this.progress("qkit: loading model", file);
    try {
      const bytes = await readShared(file).catch(async (error: unknown) => {
        await loadModel(file); // throws the loader's own message for a missing or unreadable file
        throw error;
      });
      const model = await loadModel(bytes, { name: file });
      entry.state = "loaded";
      return { ok: true, loaded: { path: file, version: ++this.#version, bytes, model } };
    } catch (error) {
      entry.state = "error";
      // The loader's one-line message names the file and what is wrong with it.
      return { ok: false, message: (error as Error).message };
    } finally {
      done();
    }
  }

  #watch(file: string): FSWatcher | undefined {
    try {
      const watcher = watch(file, { persistent: false }, () => this.onChange(file));
      watcher.on("error", () => watcher.close());
      return watcher;
    } catch {
      // A missing file cannot be watched; the next lookup stats it again.
      return undefined;
    }
  }
}

async function fileStamp(file: string): Promise<string> {
  try {
    const s = await fs.stat(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return "missing";
  }
}

async function readShared(file: string): Promise<Uint8Array> {
  const handle = await fs.open(file, "r");
  try {
    const { size } = await handle.stat();
    const bytes = new Uint8Array(new SharedArrayBuffer(size));
    let offset = 0;
    while (offset < size) {
      const { bytesRead } = await handle.read(bytes, offset, size - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return bytes;
  } finally {
    await handle.close();
  }
}

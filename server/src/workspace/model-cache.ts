import { promises as fs, watch, type FSWatcher } from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { Model } from "qkit/tooling";
import { OutlineBuilder } from "./model-outline.js";
import type { LoadWorkerData, LoadWorkerMessage } from "./model-load-protocol.js";
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

/**
 * Reports the progress of a slow step to the client (work-done progress); returns the function that ends it, which may
 * also report how far the step got.
 */
export type ProgressReporter = (title: string, message: string) => Promise<(() => void) & { report?(message: string): void }>;

const LOAD_WORKER = path.join(__dirname, "model-load-worker.js");
/** Nodes per message from the load worker: each batch is rebuilt in one turn of the event loop (a few ms). */
const BATCH = 2000;

/**
 * Models by absolute path, each loaded once and kept until its file changes: every lookup compares the file's size
 * and modification time (cheap), and a file watcher tells the server to re-check the targets that use it. The server
 * keeps the graph's outline, not the file's bytes: the load worker and each check sandbox read the file themselves
 * (~45 MB for ResNet-18 that the server neither holds nor copies into every sandbox). Loading runs in a worker (model-load-worker.ts) and the graph comes back in batches, so the server keeps answering
 * while a large model loads; external data is read from the model's folder.
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
      const { model, snapshot } = await loadInWorker(file, done.report?.bind(done));
      entry.state = "loaded";
      return { ok: true, loaded: { path: file, version: ++this.#version, stamp: entry.stamp, model, ...(snapshot ? { snapshot } : {}) } };
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

/** Load in a worker; the graph is rebuilt here a batch per event-loop turn, so nothing blocks the server for long. */
function loadInWorker(file: string, report?: (message: string) => void): Promise<{ model: Model; snapshot: Uint8Array | undefined }> {
  const data: LoadWorkerData = { file, batch: BATCH };
  const worker = new Worker(LOAD_WORKER, { workerData: data });
  return new Promise((resolve, reject) => {
    let builder: OutlineBuilder | undefined;
    let snapshot: Uint8Array | undefined;
    const fail = (error: Error) => {
      void worker.terminate();
      reject(error);
    };
    // A port delivers every queued message in one go: batches wait here and are rebuilt one per turn of the loop.
    const queue: LoadWorkerMessage[] = [];
    const pump = () => {
      const message = queue.shift();
      if (!message) return;
      try {
        if (message.kind === "error") return fail(new Error(message.message));
        if (message.kind === "snapshot") {
          snapshot = message.snapshot;
        } else if (message.kind === "header") {
          builder = new OutlineBuilder(message.header, file);
          report?.(`${message.header.nodeCount} nodes`);
        } else {
          builder!.add(message.nodes);
        }
        if (builder?.done) {
          void worker.terminate();
          resolve({ model: builder.model, snapshot });
        }
      } catch (error) {
        return fail(new Error(`${file}: cannot be loaded (internal error: ${(error as Error).message})`));
      }
      if (queue.length > 0) setImmediate(pump);
    };
    worker.on("message", (message: LoadWorkerMessage) => {
      queue.push(message);
      if (queue.length === 1) setImmediate(pump);
    });
    worker.on("error", (error) => fail(new Error(`${file}: cannot be loaded (${error.message})`)));
    worker.on("exit", (code) => {
      if (!builder?.done && queue.length === 0) fail(new Error(`${file}: cannot be loaded (the loader stopped with code ${code})`));
    });
  });
}

import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { Diagnostic } from "vscode-languageserver";
import type { TypeCheckRequest, TypeCheckResponse } from "./type-check-protocol.js";

const WORKER_FILE = path.join(__dirname, "type-check-worker.js");

/**
 * The server's side of the type-checking worker: mirrors open documents into it and asks for a file's
 * diagnostics. The worker lives as long as the server (its program is incremental); if it dies it is restarted with
 * the documents it had.
 */
export class TypeChecker {
  #worker: Worker | undefined;
  #nextId = 0;
  readonly #pending = new Map<number, (r: TypeCheckResponse) => void>();
  readonly #open = new Map<string, { text: string; version: number }>();
  readonly #roots = new Set<string>();

  constructor(private readonly root: string, private readonly log: (message: string) => void) {}

  open(file: string, text: string, version: number): void {
    const known = this.#open.get(file);
    if (known?.version === version && known.text === text) return;
    this.#open.set(file, { text, version });
    this.#send({ kind: "open", file, text, version });
  }

  close(file: string, keepRoot: boolean): void {
    this.#open.delete(file);
    if (!keepRoot) this.#roots.delete(file);
    this.#send({ kind: "close", file, keepRoot });
  }

  addRoot(file: string): void {
    if (this.#roots.has(file)) return;
    this.#roots.add(file);
    this.#send({ kind: "root", file });
  }

  /**
   * The file's type errors, for `version`: the text last opened before this request (the worker takes its messages
   * in order); null for a file that is not open.
   */
  check(file: string): Promise<{ diagnostics: Diagnostic[]; ms: number; version: number | null }> {
    const id = ++this.#nextId;
    const version = this.#open.get(file)?.version ?? null;
    return new Promise((resolve) => {
      this.#pending.set(id, (r) => resolve({ diagnostics: r.diagnostics, ms: r.ms, version }));
      this.#send({ kind: "check", id, file });
    });
  }

  dispose(): void {
    void this.#worker?.terminate();
    this.#worker = undefined;
  }

  #send(message: TypeCheckRequest): void {
    this.#ensure().postMessage(message);
  }

  #ensure(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(WORKER_FILE, { workerData: { root: this.root }, stdout: true, stderr: true });
    worker.stderr.on("data", (chunk: Buffer) => this.log(`[type-check] ${chunk.toString().trimEnd()}`));
    worker.on("message", (r: TypeCheckResponse) => {
      const resolve = this.#pending.get(r.id);
      this.#pending.delete(r.id);
      resolve?.(r);
    });
    worker.on("error", (error) => this.log(`type-checking failed: ${error.stack ?? error.message}`));
    worker.on("exit", () => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      // Requests in flight get no type errors rather than waiting forever; the next edit asks again.
      for (const resolve of this.#pending.values()) resolve({ id: 0, file: "", diagnostics: [], ms: 0 });
      this.#pending.clear();
    });
    worker.unref();
    this.#worker = worker;
    for (const file of this.#roots) worker.postMessage({ kind: "root", file } satisfies TypeCheckRequest);
    for (const [file, doc] of this.#open) worker.postMessage({ kind: "open", file, text: doc.text, version: doc.version } satisfies TypeCheckRequest);
    return worker;
  }
}

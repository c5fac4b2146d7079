import type { Diagnostic } from "vscode-languageserver";
import { fromTypeScript } from "../features/diagnostics.js";
import { QuantizerLanguageService, type OpenText } from "./language-service.js";

/**
 * Type errors of the quantizer files, from a language service on the server's own thread. The server already holds
 * TypeScript for its syntax features and the compile cache; a worker thread would load a second copy of the compiler
 * (its own isolate: ~60 MB resident on ResNet-18's workspace) for a check that takes tens of milliseconds per edit.
 * A check runs after the current turn of the event loop, so the quantizer's check is dispatched to its sandbox first
 * and runs meanwhile; it reads the text open at that moment and says which version that was.
 */
export class TypeChecker {
  readonly #open = new Map<string, OpenText>();
  readonly #service: QuantizerLanguageService;

  constructor(root: string) {
    this.#service = new QuantizerLanguageService((file) => this.#open.get(file), root);
  }

  open(file: string, text: string, version: number): void {
    this.#open.set(file, { text, version });
    this.#service.addRoot(file);
  }

  close(file: string, keepRoot: boolean): void {
    this.#open.delete(file);
    if (!keepRoot) this.#service.removeRoot(file);
  }

  addRoot(file: string): void {
    this.#service.addRoot(file);
  }

  /** Parse the edited texts into the program now (while an edit's debounce runs), not when its check is waited for. */
  update(): void {
    this.#service.update();
  }

  /** The file's type errors, and the version of the text they are for (null for a file that is not open). */
  check(file: string): Promise<{ diagnostics: Diagnostic[]; ms: number; version: number | null }> {
    return new Promise((resolve) => {
      setImmediate(() => {
        const started = performance.now();
        const version = this.#open.get(file)?.version ?? null;
        const diagnostics = this.#service.diagnostics(file).flatMap((d) => fromTypeScript(d) ?? []);
        resolve({ diagnostics, ms: Math.round(performance.now() - started), version });
      });
    });
  }

  dispose(): void {}
}

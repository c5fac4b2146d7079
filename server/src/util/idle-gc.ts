import * as v8 from "node:v8";
import * as vm from "node:vm";

const IDLE_MS = 100;

/**
 * Collects garbage once the server has been quiet for a moment (100 ms). Every edit builds a new TypeScript program and
 * decodes a check report; V8 would let that garbage pile up to hundreds of megabytes before a full collection,
 * which is memory an editor's user sees. A collection between edits (the debounce leaves room) costs nothing anyone waits for.
 */
export class IdleCollector {
  #timer: NodeJS.Timeout | undefined;
  readonly #gc: (() => void) | undefined;

  /** `busy`: an edit waits for its diagnostics; a collection then would be in its way, so it waits for the next quiet. */
  constructor(private readonly busy: () => boolean = () => false) {
    try {
      v8.setFlagsFromString("--expose-gc");
      this.#gc = vm.runInNewContext("gc") as () => void;
    } catch {
      this.#gc = undefined;
    }
  }

  /** Something happened: collect when things are quiet again. */
  touch(): void {
    if (!this.#gc) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      if (!this.busy()) this.#gc!();
    }, IDLE_MS);
    this.#timer.unref();
  }
}

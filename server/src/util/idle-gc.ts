import * as v8 from "node:v8";
import * as vm from "node:vm";

const IDLE_MS = 100;
const LONG_IDLE_MS = 1500;

/**
 * Collects garbage once the server has been quiet for a moment (100 ms). Every edit builds a new TypeScript program and
 * decodes a check report; V8 would let that garbage pile up to hundreds of megabytes before a full collection,
 * which is memory an editor's user sees. A collection between edits (the debounce leaves room) costs nothing anyone waits for.
 */
export class IdleCollector {
  #timer: NodeJS.Timeout | undefined;
  #longTimer: NodeJS.Timeout | undefined;
  readonly #gc: ((options?: object) => void) | undefined;

  /** `busy`: an edit waits for its diagnostics; a collection then would be in its way, so it waits for the next quiet. */
  constructor(private readonly busy: () => boolean = () => false) {
    try {
      v8.setFlagsFromString("--expose-gc");
      this.#gc = vm.runInNewContext("gc") as (options?: object) => void;
    } catch {
      this.#gc = undefined;
    }
  }

  /** Something happened: collect when things are quiet again. */
  touch(): void {
    if (!this.#gc) return;
    clearTimeout(this.#timer);
    clearTimeout(this.#longTimer);
    this.#timer = setTimeout(() => {
      if (!this.busy()) this.#gc!();
    }, IDLE_MS);
    this.#timer.unref();
    // A quick collection leaves the heap as large as the busiest moment made it (the pages V8 keeps for the next
    // burst); after a longer quiet, V8's last-resort collection compacts it and gives the free pages back.
    this.#longTimer = setTimeout(() => {
      if (!this.busy()) this.#gc!({ type: "major", execution: "sync", flavor: "last-resort" });
    }, LONG_IDLE_MS);
    this.#longTimer.unref();
  }
}

import type { SourceLocation } from "qkit/tooling";
import { quantizerFrames } from "./frames.js";

/**
 * The prototypes a quantizer could pollute. The worker is thrown away after each check, so pollution never reaches
 * the server; guarding them turns it into an error at the polluting line instead of a confusing failure elsewhere.
 */
const GUARDED: [string, object][] = [
  ["Object", Object.prototype],
  ["Array", Array.prototype],
  ["Function", Function.prototype],
  ["String", String.prototype],
  ["Number", Number.prototype],
  ["Boolean", Boolean.prototype],
  ["Symbol", Symbol.prototype],
  ["Error", Error.prototype],
  ["RegExp", RegExp.prototype],
  ["Map", Map.prototype],
  ["Set", Set.prototype],
  ["Promise", Promise.prototype],
  ["Date", Date.prototype],
  ["TypedArray", Object.getPrototypeOf(Uint8Array.prototype) as object],
];

/**
 * Stop additions to the shared prototypes (a strict-mode assignment then throws at the user's line) and turn every
 * writable data property into an accessor: assigning on the prototype itself throws, assigning on an instance gives
 * the instance its own property. Plain freezing would break the latter (`this.name = ...` in an Error subclass), the
 * "override mistake"; this is how SES guards its intrinsics.
 */
export function guardPrototypes(): void {
  for (const [name, proto] of GUARDED) {
    for (const key of Reflect.ownKeys(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, key)!;
      if (!("value" in descriptor) || !descriptor.writable || !descriptor.configurable) continue;
      const value: unknown = descriptor.value;
      Object.defineProperty(proto, key, {
        configurable: false,
        enumerable: descriptor.enumerable,
        get() {
          return value;
        },
        set: function guardedSet(this: unknown, next: unknown) {
          if (this === proto) {
            const error = new TypeError(`quantizers may not modify ${name}.prototype.${String(key)} (prototype pollution)`);
            // The stack starts at the assignment in the quantizer, so the finding points there.
            Error.captureStackTrace(error, guardedSet);
            throw error;
          }
          Object.defineProperty(this, key, { value: next, writable: true, enumerable: true, configurable: true });
        },
      });
    }
    Object.preventExtensions(proto);
  }
}

/**
 * process.exit in a worker ends only the worker, but the check would vanish without a word: report the calling line
 * first. process.kill and abort could take the server down with it, so they refuse.
 */
export function trapProcessExit(report: (code: number, site: SourceLocation | undefined) => void): void {
  const exit = process.exit.bind(process);
  process.exit = function trappedExit(code?: number | string | null): never {
    const holder: { stack?: string } = {};
    Error.captureStackTrace(holder, trappedExit);
    report(Number(code ?? 0), quantizerFrames(holder.stack)[0]);
    return exit(Number(code ?? 0));
  } as typeof process.exit;
  process.kill = (() => {
    throw new Error("quantizers may not send signals (process.kill)");
  }) as typeof process.kill;
  process.abort = (() => {
    throw new Error("quantizers may not abort the process");
  }) as typeof process.abort;
}

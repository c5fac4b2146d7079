import type { SourceLocation } from "../source-location.js";
import { SANDBOX_KEY, sandboxChannel } from "./channel.js";

/**
 * The prototypes a quantizer could pollute. Pollution never reaches the caller (a sandbox is a process of its own),
 * nor a later job (a sandbox whose job changed anything it reaches is thrown away, footprint.ts); guarding them turns it into an error at the polluting line instead of a confusing failure elsewhere
 * (a patched Array.prototype.push would otherwise make the checker see nothing annotated).
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
 * process.exit would end the job without a word: the supervisor is told the calling line first, then the process
 * ends. Signals refuse: the sandbox runs as the same user as its supervisor, so a signal could reach it
 * (process.kill and its internal twin process._kill); so do abort and the internal bindings that reach below them.
 */
export function trapProcessExit(frames: (stack: string | undefined) => SourceLocation[]): void {
  const channel = sandboxChannel<unknown, unknown>();
  process.exit = function trappedExit(code?: number | string | null): never {
    const holder: { stack?: string } = {};
    Error.captureStackTrace(holder, trappedExit);
    const exitCode = Number(code ?? 0) | 0;
    channel.postNow({ [SANDBOX_KEY]: "exit", code: exitCode, site: frames(holder.stack)[0] });
    return channel.exit(exitCode);
  } as typeof process.exit;
  const refuse = (what: string) => () => {
    throw new Error(`quantizers may not ${what}`);
  };
  const internals = process as unknown as Record<string, unknown>;
  process.kill = refuse("send signals (process.kill)") as typeof process.kill;
  internals["_kill"] = refuse("send signals (process._kill)");
  process.abort = refuse("abort the process") as typeof process.abort;
  internals["binding"] = refuse("reach Node's internal bindings (process.binding)");
  internals["_linkedBinding"] = refuse("reach Node's internal bindings (process._linkedBinding)");
  process.dlopen = refuse("load native addons (process.dlopen)") as typeof process.dlopen;
}

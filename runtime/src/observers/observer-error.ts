import { QkitError } from "../errors.js";

export type ObserverErrorCode =
  | "unsupported-qscheme"
  | "unsupported-config"
  | "invalid-range"
  | "invalid-option"
  | "invalid-input"
  | "non-finite"
  | "no-qparams"
  | "merge-mismatch"
  | "invalid-json";

/**
 * An observer refused its arguments, its input or a request. Where PyTorch raises for the same situation
 * (NotImplementedError, AssertionError, RuntimeError), qkit raises this with the same meaning, so a quantizer that
 * torch rejects is rejected here too, with a message that says which argument to change.
 */
export class ObserverError extends QkitError {
  constructor(code: ObserverErrorCode, readonly observer: string, message: string, options?: { cause?: unknown }) {
    super(code, `${observer}: ${message}`, options);
  }
}

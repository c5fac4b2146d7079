import { QkitError, type QkitErrorOptions } from "../errors.js";

/**
 * A quantizer file could not be compiled, evaluated, or has no Quantizer to offer. The message names the file;
 * `detail` is the same without it, and `location` the user's line where one is known (a syntax error, a throw).
 */
export class QuantizerLoadError extends QkitError {
  constructor(
    code: "not-found" | "syntax" | "evaluation" | "no-quantizer" | "ambiguous" | "construction",
    message: string,
    options?: QkitErrorOptions,
  ) {
    super(code, message, options);
  }
}

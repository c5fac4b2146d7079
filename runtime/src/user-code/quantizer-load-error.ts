import { QkitError } from "../errors.js";
import type { SourceSite } from "../quantizer/source-site.js";

/** A quantizer file could not be compiled, evaluated, or has no Quantizer to offer. */
export class QuantizerLoadError extends QkitError {
  constructor(
    code: "not-found" | "syntax" | "evaluation" | "no-quantizer" | "ambiguous" | "construction",
    message: string,
    readonly site?: SourceSite,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

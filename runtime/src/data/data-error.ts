import { QkitError } from "../errors.js";

/** A data file (or one sample in it) that cannot be used; the message names the file, and the sample when there is one. */
export class DataError extends QkitError {
  constructor(readonly file: string, message: string, options?: { cause?: unknown }) {
    super("bad-data", `${file}: ${message}`, options);
  }
}

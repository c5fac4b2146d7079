import * as path from "node:path";
import { userFrames, type SourceLocation } from "qkit/tooling";

// The runtime skips its own frames; the server's (the worker, its loader) are not the user's either.
const SERVER_ROOT = path.resolve(__dirname, "..");

/** The frames of a stack trace that are the quantizer's own code, innermost first. */
export function quantizerFrames(stack: string | undefined): SourceLocation[] {
  return userFrames(stack).filter((f) => !f.file.startsWith(SERVER_ROOT + path.sep));
}

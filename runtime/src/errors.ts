import type { SourceLocation } from "./source-location.js";

export interface QkitErrorOptions {
  cause?: unknown;
  /** Where in the user's source the problem is. */
  location?: SourceLocation;
  /** The message without the file and position it starts with: what an editor shows at `location`. */
  detail?: string;
}

/**
 * Every error qkit raises on purpose is a QkitError: it carries a stable `code` and a message that fits on one line
 * and says what to do. The CLI prints only the message for these; anything else is a bug in qkit. An error about a
 * line of user code carries it as `location`, and the message without its prefix as `detail`, so nobody has to
 * take the message apart.
 */
export class QkitError extends Error {
  readonly location: SourceLocation | undefined;
  readonly detail: string | undefined;

  constructor(readonly code: string, message: string, options: QkitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.location = options.location;
    this.detail = options.detail;
  }
}

/** The model file (or bytes) could not be turned into a Model. */
export class ModelLoadError extends QkitError {
  constructor(
    code: "not-found" | "unreadable" | "not-onnx" | "truncated" | "unsupported-ir" | "unsupported-opset" | "external-data",
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, `${file}: ${message}`, options);
  }
}

/** A model could not be written. */
export class ModelSaveError extends QkitError {
  constructor(readonly file: string, message: string, options?: { cause?: unknown }) {
    super("save-failed", `${file}: ${message}`, options);
  }
}

/** The graph breaks one of its invariants (see Graph.lint). */
export class GraphLintError extends QkitError {
  constructor(readonly problems: string[]) {
    super("graph-lint", `graph is malformed: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ""}`);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

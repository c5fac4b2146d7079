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
    super(printable(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.location = options.location;
    this.detail = options.detail === undefined ? undefined : printable(options.detail);
  }
}

/** The model file (or bytes) could not be turned into a Model. */
export class ModelLoadError extends QkitError {
  constructor(
    code: "not-found" | "unreadable" | "not-onnx" | "truncated" | "unsupported-ir" | "unsupported-opset" | "external-data" | "invalid",
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

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * Text with its control characters escaped (`\n`, `\u001b`, …): names in a model or a quantizer are data, and a name
 * holding a newline or a terminal escape must not make a message span lines or repaint the terminal. Every QkitError
 * message and every finding goes through here.
 */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

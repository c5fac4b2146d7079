/** Messages between `qkit check` and its sandbox (check-worker.ts): plain data only. */
import type { Coverage } from "../checker/coverage.js";
import type { Finding } from "../checker/finding.js";
import type { SourceLocation } from "../source-location.js";

export interface CheckSandboxData {
  model: string;
  quantizer: string;
}

export type CheckSandboxMessage =
  | { kind: "model-error"; code: string; message: string }
  /** The model is loaded: the quantizer's time starts. */
  | { kind: "ready" }
  /** The quantizer is constructed; its annotate() runs next. */
  | { kind: "loaded"; classSite: SourceLocation; className: string }
  | { kind: "load-failed"; error: { code: string; message: string; detail: string | undefined; location: SourceLocation | undefined } }
  | { kind: "checked"; findings: Finding[]; coverage: Coverage; classSite: SourceLocation };

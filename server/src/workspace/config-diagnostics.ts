import { existsSync } from "node:fs";
import * as path from "node:path";
import { DiagnosticSeverity, type Diagnostic } from "vscode-languageserver";
import { BUILTIN_QUANTIZERS, closestFiles, didYouMean, type ResolvedTarget } from "qkit/tooling";
import type { ConfigState } from "./config-store.js";
import { jsonRange } from "./json-location.js";

/** What the workspace knows about a target beyond qkit.json itself. */
export interface TargetFacts {
  quantizerExists: (target: ResolvedTarget) => boolean;
  /** The loader's message when the model does not load; undefined when it loads or is not loaded yet. */
  modelError: (target: ResolvedTarget) => string | undefined;
  /** Why the quantizer offers no Quantizer (from its last run, or read from its source when it cannot run). */
  quantizerProblem: (target: ResolvedTarget) => string | undefined;
}

const SOURCE = "qkit";
const QUANTIZER_FILES = [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"];

// Diagnostics are rebuilt on every publish (each edit); the folder walk behind a suggestion runs once per qkit.json
// version and path.
const suggestions = new WeakMap<ConfigState, Map<string, string>>();
function suggest(state: ConfigState, missing: string, extensions: readonly string[], names: readonly string[] = []): string {
  let byPath = suggestions.get(state);
  if (!byPath) suggestions.set(state, (byPath = new Map()));
  let text = byPath.get(missing);
  if (text === undefined) byPath.set(missing, (text = didYouMean(closestFiles(missing, path.dirname(state.file), extensions, names))));
  return text;
}

/** Diagnostics on qkit.json: its own problems, then each target's files as the server finds them. */
export function configDiagnostics(state: ConfigState, facts: TargetFacts): Diagnostic[] {
  const text = state.text;
  if (text === undefined) return [];
  const at = (path: (string | number)[], message: string, severity: DiagnosticSeverity = DiagnosticSeverity.Error, code = "config"): Diagnostic => ({
    range: jsonRange(text, path),
    severity,
    code,
    source: SOURCE,
    message,
  });
  const diagnostics = state.problems.map((p) => at(p.path, p.message, p.severity === "warning" ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error));
  for (const target of state.targets) {
    const base = ["targets", target.index];
    if (!facts.quantizerExists(target)) {
      const meant = suggest(state, target.quantizer, QUANTIZER_FILES, Object.keys(BUILTIN_QUANTIZERS));
      diagnostics.push(at([...base, "quantizer"], `${target.quantizer}: no such file; the path is relative to qkit.json${meant}`, DiagnosticSeverity.Error, "quantizer-not-found"));
    } else {
      const problem = facts.quantizerProblem(target);
      if (problem) diagnostics.push(at([...base, "quantizer"], `${target.quantizer}: ${problem}`, DiagnosticSeverity.Error, "quantizer-no-quantizer"));
    }
    const modelError = facts.modelError(target);
    if (modelError) {
      const meant = existsSync(target.modelPath) ? "" : suggest(state, target.model, [".onnx"]);
      diagnostics.push(at([...base, "model"], `${modelError.replace(target.modelPath, target.model)}${meant}`, DiagnosticSeverity.Error, "model-load-failed"));
    }
    if (target.calibrationPath && !existsSync(target.calibrationPath)) {
      diagnostics.push(at([...base, "calibration", "data"], `${target.calibration!.data}: no such file; calibration will need it`, DiagnosticSeverity.Warning, "calibration-data-not-found"));
    }
  }
  return diagnostics;
}

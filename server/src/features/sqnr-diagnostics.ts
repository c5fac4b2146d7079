import { DiagnosticSeverity, type Diagnostic } from "vscode-languageserver";
import type { LoadedReport } from "../calibration/calibration-store.js";

/**
 * After calibration: a warning at the line that annotated each node whose quantized output drifted too far from the
 * float one. The advice names the usual fixes (the numeric debugger's worst nodes are mostly per-tensor weights or
 * MinMax ranges stretched by outliers).
 */
export function sqnrDiagnostics(report: LoadedReport, thresholdDb: number, lineText: (file: string, line: number) => string | undefined): Map<string, Diagnostic[]> {
  const byFile = new Map<string, Diagnostic[]>();
  for (const { entry, location: { file, line, column } } of report.sqnrLocations) {
    if (entry.sqnr === null || entry.sqnr >= thresholdDb) continue;
    const text = lineText(file, line) ?? "";
    const start = Math.max(0, column - 1);
    const end = Math.max(start + 1, text.trimEnd().length);
    const diagnostic: Diagnostic = {
      range: { start: { line: line - 1, character: start }, end: { line: line - 1, character: end } },
      severity: DiagnosticSeverity.Warning,
      source: "qkit",
      code: "low-sqnr",
      message: `SQNR ${entry.sqnr.toFixed(1)} dB at ${entry.node}: consider per-channel weights or HistogramObserver`,
    };
    byFile.set(file, [...(byFile.get(file) ?? []), diagnostic]);
  }
  return byFile;
}

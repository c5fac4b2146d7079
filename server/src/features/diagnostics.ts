import * as ts from "typescript";
import { DiagnosticSeverity, type Diagnostic, type Range } from "vscode-languageserver";
import { isPointLocation, type Finding, type Severity, type SourceLocation } from "qkit/tooling";
import type { CheckOutcome } from "../check/check-runner.js";
import { siteRange } from "../typescript/syntax-queries.js";
import { codeHref } from "../util/docs.js";
import { pathToUri } from "../util/uri.js";
import { culpritSpan } from "./precise-ranges.js";

export type SourceFileOf = (file: string) => ts.SourceFile | undefined;

/** A diagnostic and the file it belongs in: a finding's site may be in a file the quantizer imports. */
export interface PlacedDiagnostic {
  file: string;
  diagnostic: Diagnostic;
}

export const SOURCE = "qkit";

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
};

export function rangeOf(sf: ts.SourceFile, start: number, end: number): Range {
  return { start: sf.getLineAndCharacterOfPosition(start), end: sf.getLineAndCharacterOfPosition(end) };
}

/**
 * A location as an LSP range (0-based). A span is taken as it is; a point (a stack frame) is widened to what starts
 * there in the file's syntax, the expression or declaration to underline.
 */
export function locationToRange(location: SourceLocation, sourceOf: SourceFileOf): Range {
  const start = { line: location.line - 1, character: location.column - 1 };
  if (!isPointLocation(location)) return { start, end: { line: location.endLine - 1, character: location.endColumn - 1 } };
  const sf = sourceOf(location.file);
  if (!sf) return { start, end: start };
  const widened = siteRange(sf, location.line, location.column);
  return rangeOf(sf, widened.start, widened.end);
}

/** A TypeScript diagnostic as tsserver would show it (source "ts", numeric code, related locations). */
export function fromTypeScript(d: ts.Diagnostic): Diagnostic | undefined {
  if (!d.file || d.start === undefined) return undefined;
  const severity = d.category === ts.DiagnosticCategory.Error ? DiagnosticSeverity.Error : d.category === ts.DiagnosticCategory.Warning ? DiagnosticSeverity.Warning : undefined;
  if (severity === undefined) return undefined;
  const related = (d.relatedInformation ?? []).flatMap((r) =>
    r.file && r.start !== undefined
      ? [{ location: { uri: pathToUri(r.file.fileName), range: rangeOf(r.file, r.start, r.start + (r.length ?? 0)) }, message: ts.flattenDiagnosticMessageText(r.messageText, "\n") }]
      : [],
  );
  return {
    range: rangeOf(d.file, d.start, d.start + (d.length ?? 0)),
    severity,
    code: d.code,
    source: "ts",
    message: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
    ...(related.length ? { relatedInformation: related } : {}),
  };
}

function withCode(code: string): Pick<Diagnostic, "code" | "codeDescription"> {
  const href = codeHref(code);
  return href ? { code, codeDescription: { href } } : { code };
}

/** A finding at the line that made it; locations it does not have fall back to the quantizer's class, as in the CLI. */
export function fromFinding(f: Finding, fallback: SourceLocation, sourceOf: SourceFileOf): PlacedDiagnostic {
  const location = f.location ?? fallback;
  const related = f.related.map((r) => {
    const at = r.location ?? fallback;
    return { location: { uri: pathToUri(at.file), range: locationToRange(at, sourceOf) }, message: r.message };
  });
  const site = locationToRange(location, sourceOf);
  const sf = isPointLocation(location) ? sourceOf(location.file) : undefined;
  const culprit = sf && site.start.line < sf.getLineStarts().length ? culpritSpan(f, sf, sf.getLineStarts()[site.start.line]! + site.start.character) : undefined;
  return {
    file: location.file,
    diagnostic: {
      range: culprit && sf ? rangeOf(sf, culprit.start, culprit.end) : site,
      severity: SEVERITY[f.severity],
      ...withCode(f.code),
      source: SOURCE,
      message: f.message,
      ...(related.length ? { relatedInformation: related } : {}),
      // The line the checker reports (what `qkit check` prints), when the range underlines a part of it.
      data: { nodes: f.nodes, ...(culprit ? { site: { line: location.line, column: location.column } } : {}) },
    },
  };
}

function placed(location: SourceLocation, code: string, message: string, sourceOf: SourceFileOf, severity = DiagnosticSeverity.Error): PlacedDiagnostic {
  return { file: location.file, diagnostic: { range: locationToRange(location, sourceOf), severity, ...withCode(code), source: SOURCE, message } };
}

/**
 * Every way a check can end, as diagnostics. Checks that never finished (a timeout, the memory cap, process.exit, a
 * crash) give exactly one, at the line that is known, else at the quantizer class.
 */
export function outcomeDiagnostics(outcome: CheckOutcome, file: string, staticClassSite: SourceLocation, sourceOf: SourceFileOf, limits: { timeoutMs: number; memoryLimitMb: number }): PlacedDiagnostic[] {
  const at = (site: SourceLocation | undefined) => (site && site.file ? site : staticClassSite);
  switch (outcome.kind) {
    case "cancelled":
      return [];
    case "done":
      return outcome.report.findings.map((f) => fromFinding(f, outcome.report.classSite, sourceOf));
    case "load-error": {
      const { failure } = outcome;
      const code = failure.code === "evaluation" || failure.code === "construction" || failure.code === "syntax" ? "quantizer-threw" : `quantizer-${failure.code}`;
      return [placed(at(failure.location), code, failure.message, sourceOf)];
    }
    case "timeout": {
      return [placed(at(outcome.classSite), "check-timeout", `${outcome.className ?? "the quantizer"} did not finish within ${limits.timeoutMs} ms and was stopped (an endless loop?); the limit is the qkit.checkTimeoutMs setting`, sourceOf)];
    }
    case "out-of-memory": {
      return [placed(at(outcome.classSite), "check-out-of-memory", `${outcome.className ?? "the quantizer"} used more than ${limits.memoryLimitMb} MB and was stopped; the limit is the qkit.checkMemoryLimitMb setting`, sourceOf)];
    }
    case "exited": {
      const how = outcome.site ? `called process.exit(${outcome.code})` : `ended the check (exit code ${outcome.code})`;
      return [placed(at(outcome.site ?? outcome.classSite), "quantizer-exited", `the quantizer ${how}; a quantizer should return its model, or throw to report a problem`, sourceOf)];
    }
    case "crashed": {
      return [placed(at(outcome.site), "check-crashed", `the check stopped: ${outcome.message}`, sourceOf)];
    }
  }
}

/** The same diagnostic pushed twice (two targets importing one file) is shown once. */
export function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.source}|${d.code}|${d.range.start.line}:${d.range.start.character}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

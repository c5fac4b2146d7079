import * as ts from "typescript";
import { DiagnosticSeverity, type Diagnostic, type Range } from "vscode-languageserver";
import type { Finding, Severity, SourceSite } from "qkit/tooling";
import type { CheckOutcome } from "../check/check-runner.js";
import { siteRange } from "../typescript/syntax-queries.js";
import { codeHref } from "../util/docs.js";
import { pathToUri } from "../util/uri.js";

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

export function siteToRange(site: SourceSite, sourceOf: SourceFileOf): Range {
  const sf = sourceOf(site.file);
  if (!sf) return { start: { line: site.line - 1, character: site.column - 1 }, end: { line: site.line - 1, character: site.column - 1 } };
  const { start, end } = siteRange(sf, site.line, site.column);
  return rangeOf(sf, start, end);
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

/** A finding at the line that made it; sites it does not have fall back to the quantizer's class, as in the CLI. */
export function fromFinding(f: Finding, fallback: SourceSite, sourceOf: SourceFileOf): PlacedDiagnostic {
  const site = f.site ?? fallback;
  const related = f.related.map((r) => {
    const at = r.site ?? fallback;
    return { location: { uri: pathToUri(at.file), range: siteToRange(at, sourceOf) }, message: r.message };
  });
  return {
    file: site.file,
    diagnostic: {
      range: siteToRange(site, sourceOf),
      severity: SEVERITY[f.severity],
      ...withCode(f.code),
      source: SOURCE,
      message: f.message,
      ...(related.length ? { relatedInformation: related } : {}),
      data: { nodes: f.nodes },
    },
  };
}

function placed(file: string, site: SourceSite, code: string, message: string, sourceOf: SourceFileOf, severity = DiagnosticSeverity.Error): PlacedDiagnostic {
  return { file, diagnostic: { range: siteToRange(site, sourceOf), severity, ...withCode(code), source: SOURCE, message } };
}

/**
 * Every way a check can end, as diagnostics. Checks that never finished (a timeout, the memory cap, process.exit, a
 * crash) give exactly one, at the line that is known, else at the quantizer class.
 */
export function outcomeDiagnostics(outcome: CheckOutcome, file: string, staticClassSite: SourceSite, sourceOf: SourceFileOf, limits: { timeoutMs: number; memoryLimitMb: number }): PlacedDiagnostic[] {
  const at = (site: SourceSite | undefined) => (site && site.file ? site : staticClassSite);
  switch (outcome.kind) {
    case "cancelled":
      return [];
    case "done":
      return outcome.report.findings.map((f) => fromFinding(f, outcome.report.classSite, sourceOf));
    case "load-error": {
      const { failure } = outcome;
      // The runtime's messages start with the file (and position) the editor already shows.
      const message = failure.message.replace(/^[^:]*:\d+:\d+: /, "").replace(/^\S+?: (?=exports|no such)/, "");
      const code = failure.code === "evaluation" || failure.code === "construction" || failure.code === "syntax" ? "quantizer-threw" : `quantizer-${failure.code}`;
      const site = at(failure.site);
      return [placed(site.file, site, code, message, sourceOf)];
    }
    case "timeout": {
      const site = at(outcome.classSite);
      return [placed(site.file, site, "check-timeout", `${outcome.className ?? "the quantizer"} did not finish within ${limits.timeoutMs} ms and was stopped (an endless loop?); the limit is the qkit.checkTimeoutMs setting`, sourceOf)];
    }
    case "out-of-memory": {
      const site = at(outcome.classSite);
      return [placed(site.file, site, "check-out-of-memory", `${outcome.className ?? "the quantizer"} used more than ${limits.memoryLimitMb} MB and was stopped; the limit is the qkit.checkMemoryLimitMb setting`, sourceOf)];
    }
    case "exited": {
      const site = at(outcome.site ?? outcome.classSite);
      const how = outcome.site ? `called process.exit(${outcome.code})` : `ended the check (exit code ${outcome.code})`;
      return [placed(site.file, site, "quantizer-exited", `the quantizer ${how}; a quantizer should return its model, or throw to report a problem`, sourceOf)];
    }
    case "crashed": {
      const site = at(outcome.site);
      return [placed(site.file, site, "check-crashed", `the check stopped: ${outcome.message}`, sourceOf)];
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

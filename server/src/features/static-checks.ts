import type * as ts from "typescript";
import { DiagnosticSeverity, type Diagnostic } from "vscode-languageserver";
import { closestOption, literalSpecProblems, supportedOps, type Model } from "qkit/tooling";
import { nodeLookups, sourcePartitionOpTypes, specLiterals } from "../typescript/syntax-queries.js";
import { rangeOf, SOURCE } from "./diagnostics.js";

const SEVERITY = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, information: DiagnosticSeverity.Information } as const;

/**
 * What can be said about a quantizer without running it, for workspaces that are not trusted: node names it looks
 * up that the model lacks, op types that no operator has, and what its specs' literal options get wrong (the same
 * codes and words as the checker, underlining the option).
 */
export function staticChecks(sf: ts.SourceFile, model: Model, modelName: string): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const literal of nodeLookups(sf)) {
    if (model.graph.node(literal.text)) continue;
    diagnostics.push({
      range: rangeOf(sf, literal.getStart(sf), literal.end),
      severity: DiagnosticSeverity.Warning,
      code: "unknown-node",
      source: SOURCE,
      message: `${modelName} has no node named "${literal.text}"; graph.node() will return undefined`,
    });
  }
  const opTypes = new Set(model.graph.calls().map((n) => n.opType));
  // A general quantizer lists operators this model may not have (Sigmoid for a CNN without one): only a name that
  // is no operator at all is a mistake.
  const operators = new Set(supportedOps());
  for (const literal of sourcePartitionOpTypes(sf)) {
    if (opTypes.has(literal.text) || operators.has(literal.text)) continue;
    diagnostics.push({
      range: rangeOf(sf, literal.getStart(sf), literal.end),
      severity: DiagnosticSeverity.Warning,
      code: "unknown-op-type",
      source: SOURCE,
      message: `${modelName} has no ${literal.text} nodes and qkit knows no operator of that name, so this partition list is empty; ${meant(literal.text, opTypes)}`,
    });
  }
  for (const spec of specLiterals(sf)) {
    for (const problem of literalSpecProblems({ kind: spec.kind, keys: [...spec.keys.keys()], literals: spec.literals })) {
      const at = spec.keys.get(problem.option) ?? spec.call;
      diagnostics.push({ range: rangeOf(sf, at.getStart(sf), at.end), severity: SEVERITY[problem.severity], code: problem.code, source: SOURCE, message: problem.message });
    }
  }
  return diagnostics.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}

function meant(text: string, opTypes: Set<string>): string {
  const closest = closestOption(text, [...opTypes]);
  return closest ? `did you mean ${closest}?` : `its op types are ${[...opTypes].sort().join(", ")}`;
}

export function untrustedNotice(): Diagnostic {
  return {
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    severity: DiagnosticSeverity.Information,
    code: "workspace-untrusted",
    source: SOURCE,
    message: "qkit did not run this quantizer because the workspace is not trusted: only type errors and static checks are shown. Trust the workspace to check its annotations against the model.",
  };
}

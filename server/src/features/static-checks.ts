import type * as ts from "typescript";
import { DiagnosticSeverity, type Diagnostic } from "vscode-languageserver";
import type { Model } from "qkit/tooling";
import { nodeLookups, sourcePartitionOpTypes } from "../typescript/syntax-queries.js";
import { rangeOf, SOURCE } from "./diagnostics.js";

/**
 * What can be said about a quantizer without running it, for workspaces that are not trusted: node names it looks
 * up that the model lacks, op types it matches that the model has none of.
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
  for (const literal of sourcePartitionOpTypes(sf)) {
    if (opTypes.has(literal.text)) continue;
    diagnostics.push({
      range: rangeOf(sf, literal.getStart(sf), literal.end),
      severity: DiagnosticSeverity.Warning,
      code: "unknown-op-type",
      source: SOURCE,
      message: `${modelName} has no ${literal.text} nodes, so this partition list is empty; its op types are ${[...opTypes].sort().join(", ")}`,
    });
  }
  return diagnostics;
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

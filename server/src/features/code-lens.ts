import type * as ts from "typescript";
import type { CodeLens } from "vscode-languageserver";
import type { TargetResult } from "../workspace/workspace.js";
import { quantizerClasses } from "../typescript/syntax-queries.js";
import { rangeOf } from "./diagnostics.js";

function title(result: TargetResult | undefined, className: string, trusted: boolean, isTarget: boolean): string | undefined {
  if (!isTarget) return "not a target in qkit.json: not checked";
  if (!trusted) return "not run: the workspace is not trusted";
  const outcome = result?.outcome;
  if (!outcome) return "checking…";
  switch (outcome.kind) {
    case "done": {
      if (outcome.report.className !== className) return undefined;
      const { annotated, total } = outcome.report.coverage;
      return `${annotated} node${annotated === 1 ? "" : "s"} annotated · ${total - annotated} left float`;
    }
    case "timeout":
      return "check timed out";
    case "out-of-memory":
      return "check ran out of memory";
    case "exited":
      return "the quantizer exited the check";
    case "load-error":
      return "the quantizer did not load";
    case "crashed":
      return "the check crashed";
  }
}

/** Above each Quantizer class: how much of the model its last check annotated. */
export function codeLenses(sf: ts.SourceFile, result: TargetResult | undefined, trusted: boolean, isTarget: boolean): CodeLens[] {
  return quantizerClasses(sf).flatMap((c) => {
    const text = title(result, c.name, trusted, isTarget);
    if (!text) return [];
    const range = rangeOf(sf, c.start, c.start);
    // An empty command id: the lens informs, clicking it does nothing (a "Run calibration" lens will come later).
    return [{ range, command: { title: text, command: "" } }];
  });
}

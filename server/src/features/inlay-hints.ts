import type * as ts from "typescript";
import { InlayHintKind, type InlayHint } from "vscode-languageserver";
import type { LoadedReport } from "../calibration/calibration-store.js";
import { netronFormula } from "./qparam-hover.js";

/** After each spec creation that defined a calibrated group: its scale (per-tensor) or scale range (per-channel). */
export function scaleInlayHints(sf: ts.SourceFile, report: LoadedReport, startLine: number, endLine: number): InlayHint[] {
  const hints: InlayHint[] = [];
  const lines = sf.text.split("\n");
  for (const [specLine, specs] of report.specs.get(sf.fileName) ?? []) {
    const line = specLine - 1;
    if (line < startLine || line > endLine || line >= lines.length) continue;
    for (const { groups } of specs) {
      const g = groups[0]!;
      if (g.scale.length === 0) continue;
      const label = g.scale.length === 1 && g.axis === undefined
        ? netronFormula(g.scale[0]!, g.zeroPoint[0]!)
        : `scale ${Math.min(...g.scale).toExponential(2)}…${Math.max(...g.scale).toExponential(2)}`;
      const more = groups.length > 1 ? ` (+${groups.length - 1})` : "";
      hints.push({ position: { line, character: lines[line]!.trimEnd().length }, label: ` ${label}${more}`, kind: InlayHintKind.Parameter, paddingLeft: true });
    }
  }
  return hints;
}

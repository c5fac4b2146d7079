import type * as ts from "typescript";
import type { CodeLens } from "vscode-languageserver";
import { quantizerClasses } from "../typescript/syntax-queries.js";
import { rangeOf } from "./diagnostics.js";

/** Client commands the lenses invoke; the VS Code extension registers them (other clients may ignore them). */
export const RUN_CALIBRATION_COMMAND = "qkit.runCalibration";
export const SHOW_GRAPH_COMMAND = "qkit.showAnnotatedGraph";

/** "Run calibration · Show annotated graph" above each Quantizer class of a target, when its code may run. */
export function calibrationLenses(sf: ts.SourceFile, uri: string, running: boolean): CodeLens[] {
  return quantizerClasses(sf).flatMap((c) => {
    const range = rangeOf(sf, c.start, c.start);
    return [
      { range, command: running ? { title: "calibrating…", command: "" } : { title: "Run calibration", command: RUN_CALIBRATION_COMMAND, arguments: [uri] } },
      { range, command: { title: "Show annotated graph", command: SHOW_GRAPH_COMMAND, arguments: [uri] } },
    ];
  });
}

import type * as ts from "typescript";
import type { CodeLens } from "vscode-languageserver";
import { CALIBRATE_COMMAND, OPEN_GRAPH_COMMAND } from "../protocol.js";
import { quantizerClasses } from "../typescript/syntax-queries.js";
import { rangeOf } from "./diagnostics.js";

/** Client commands the VS Code extension registers (with its own progress notification and graph panel). */
export const RUN_CALIBRATION_COMMAND = "qkit.runCalibration";
export const SHOW_GRAPH_COMMAND = "qkit.showAnnotatedGraph";

/**
 * The commands a lens names: the client's own where it says it has them (`clientCommands` in the initialization
 * options), else the server's, which any LSP client can run through workspace/executeCommand.
 */
export function lensCommands(clientCommands: ReadonlySet<string>): { calibrate: string; graph: string } {
  return {
    calibrate: clientCommands.has(RUN_CALIBRATION_COMMAND) ? RUN_CALIBRATION_COMMAND : CALIBRATE_COMMAND,
    graph: clientCommands.has(SHOW_GRAPH_COMMAND) ? SHOW_GRAPH_COMMAND : OPEN_GRAPH_COMMAND,
  };
}

/** "Run calibration · Show annotated graph" above each Quantizer class of a target, when its code may run. */
export function calibrationLenses(sf: ts.SourceFile, uri: string, running: boolean, commands: { calibrate: string; graph: string }): CodeLens[] {
  return quantizerClasses(sf).flatMap((c) => {
    const range = rangeOf(sf, c.start, c.start);
    return [
      { range, command: running ? { title: "calibrating…", command: "" } : { title: "Run calibration", command: commands.calibrate, arguments: [uri] } },
      { range, command: { title: "Show annotated graph", command: commands.graph, arguments: [uri] } },
    ];
  });
}

import * as path from "node:path";
import type * as TS from "typescript";
import { QuantizerLoadError } from "./quantizer-load-error.js";

export const TS_EXTENSIONS = [".ts", ".mts", ".cts", ".tsx"];

/**
 * Compile one quantizer file to CommonJS with an inline source map (stack frames, and so every recorded site, map
 * back to the TypeScript lines). A syntax error is a QuantizerLoadError at its line. TypeScript loads on first use.
 */
export function transpileQuantizer(file: string, source: string, ts: typeof TS = require("typescript")): string {
  const output = ts.transpileModule(source, {
    fileName: file,
    reportDiagnostics: true,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      // Positions only: the TypeScript text is the file's (or the editor's), so the map need not carry it; every
      // check sandbox decodes the map on load.
      inlineSourceMap: true,
      jsx: ts.JsxEmit.React,
    },
  });
  const syntax = output.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (syntax) {
    const start = syntax.file && syntax.start !== undefined ? syntax.start : 0;
    const at = syntax.file ? syntax.file.getLineAndCharacterOfPosition(start) : { line: 0, character: 0 };
    const end = syntax.file ? syntax.file.getLineAndCharacterOfPosition(start + (syntax.length ?? 0)) : at;
    const location = { file, line: at.line + 1, column: at.character + 1, endLine: end.line + 1, endColumn: end.character + 1 };
    const detail = ts.flattenDiagnosticMessageText(syntax.messageText, " ");
    throw new QuantizerLoadError("syntax", `${path.basename(file)}:${location.line}:${location.column}: ${detail}`, { location, detail });
  }
  return output.outputText;
}

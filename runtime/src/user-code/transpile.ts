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
      inlineSourceMap: true,
      inlineSources: true,
      jsx: ts.JsxEmit.React,
    },
  });
  const syntax = output.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (syntax) {
    const at = syntax.file && syntax.start !== undefined ? syntax.file.getLineAndCharacterOfPosition(syntax.start) : { line: 0, character: 0 };
    const site = { file, line: at.line + 1, column: at.character + 1 };
    throw new QuantizerLoadError("syntax", `${path.basename(file)}:${site.line}:${site.column}: ${ts.flattenDiagnosticMessageText(syntax.messageText, " ")}`, site);
  }
  return output.outputText;
}

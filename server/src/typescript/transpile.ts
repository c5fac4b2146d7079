import * as path from "node:path";
import type * as TS from "typescript";
import { QuantizerLoadError } from "qkit";

/** The options the runtime's quantizer loader compiles with, so stack frames map to the same TypeScript lines. */
export function transpileOptions(ts: typeof TS): TS.CompilerOptions {
  return {
    module: ts.ModuleKind.CommonJS,
    target: ts.ScriptTarget.ES2022,
    esModuleInterop: true,
    inlineSourceMap: true,
    inlineSources: true,
    jsx: ts.JsxEmit.React,
  };
}

/** Compile one file to CommonJS with an inline source map; a syntax error is a QuantizerLoadError at its line. */
export function transpileQuantizer(ts: typeof TS, file: string, source: string): string {
  const output = ts.transpileModule(source, { fileName: file, reportDiagnostics: true, compilerOptions: transpileOptions(ts) });
  const syntax = output.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (syntax) {
    const at = syntax.file && syntax.start !== undefined ? syntax.file.getLineAndCharacterOfPosition(syntax.start) : { line: 0, character: 0 };
    const site = { file, line: at.line + 1, column: at.character + 1 };
    throw new QuantizerLoadError("syntax", `${path.basename(file)}:${site.line}:${site.column}: ${ts.flattenDiagnosticMessageText(syntax.messageText, " ")}`, site);
  }
  return output.outputText;
}

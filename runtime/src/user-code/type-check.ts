import * as path from "node:path";
import type * as TS from "typescript";
import { type SourceLocation } from "../source-location.js";

/**
 * Type-checking quantizer files as the language server does, for `qkit check`: the same compiler options, `"qkit"`
 * resolved to the typings of the runtime that will run the quantizer (its author API), and the same small globals file
 * for quantizers that use no Node API. The language server builds its incremental service from the same pieces.
 */

/** The author API's typings: what `import ... from "qkit"` type-checks against. */
export function qkitTypings(): string {
  return path.join(__dirname, "..", "index.d.ts");
}

/** What quantizers that use no Node API see instead of @types/node (which costs a checker ~40 MB): console and timers. */
export const QUANTIZER_GLOBALS = `
interface Console { log(...data: any[]): void; info(...data: any[]): void; warn(...data: any[]): void; error(...data: any[]): void;
  debug(...data: any[]): void; table(data: any): void; time(label?: string): void; timeEnd(label?: string): void; }
declare var console: Console;
declare function setTimeout(handler: (...args: any[]) => void, timeout?: number, ...args: any[]): any;
declare function clearTimeout(id: any): void;
declare function setInterval(handler: (...args: any[]) => void, timeout?: number, ...args: any[]): any;
declare function clearInterval(id: any): void;
declare function queueMicrotask(callback: () => void): void;
declare var performance: { now(): number };
`;

/** Signs that a file uses Node's APIs (and so needs @types/node to type-check). */
const USES_NODE = /\bfrom\s+["'](node:|fs|path|os|url|util|child_process|worker_threads|crypto|zlib|stream|events|buffer)|\brequire\s*\(|\bprocess\b|\bBuffer\b|\b__dirname\b|\b__filename\b|\bNodeJS\b/;

export function usesNodeApis(text: string): boolean {
  return USES_NODE.test(text);
}

/** Where @types/node lives, when this runtime can see it. */
export function nodeTypeRoots(): string[] {
  try {
    return [path.dirname(path.dirname(require.resolve("@types/node/package.json")))];
  } catch {
    return [];
  }
}

export function quantizerCompilerOptions(ts: typeof TS, nodeTypes: boolean): TS.CompilerOptions {
  const typeRoots = nodeTypes ? nodeTypeRoots() : [];
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    // Quantizers import "./common" without an extension, as the runtime's loader allows.
    moduleResolution: ts.ModuleResolutionKind.Node10,
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    noEmit: true,
    allowJs: true,
    lib: ["lib.es2022.d.ts"],
    types: typeRoots.length ? ["node"] : [],
    typeRoots,
  };
}

/** `"qkit"` is always this runtime's author API, whatever node_modules holds. */
export function resolveQkit(ts: typeof TS, literal: string): TS.ResolvedModuleWithFailedLookupLocations | undefined {
  return literal === "qkit" ? { resolvedModule: { resolvedFileName: qkitTypings(), extension: ts.Extension.Dts, isExternalLibraryImport: true } } : undefined;
}

export interface TypeProblem {
  message: string;
  /** The TypeScript diagnostic code (TS2322 is 2322). */
  tsCode: number;
  location: SourceLocation;
}

/**
 * The syntax and type errors of a quantizer file and the user files it imports, located; none in qkit's typings or
 * TypeScript's own libraries (skipLibCheck). TypeScript loads on first use.
 */
export function typeCheckQuantizer(file: string, ts: typeof TS = require("typescript")): TypeProblem[] {
  const root = path.resolve(file);
  const text = ts.sys.readFile(root) ?? "";
  const nodeTypes = usesNodeApis(text);
  const globals = path.join(path.dirname(root), "__qkit_quantizer_globals__.d.ts");
  const options = quantizerCompilerOptions(ts, nodeTypes);
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (f) => (f === globals ? QUANTIZER_GLOBALS : readFile(f));
  host.fileExists = (f) => f === globals || fileExists(f);
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, compilerOptions) =>
    literals.map((literal) => resolveQkit(ts, literal.text) ?? ts.resolveModuleName(literal.text, containingFile, compilerOptions, host, undefined, redirected));
  const program = ts.createProgram(nodeTypes ? [root] : [root, globals], options, host);
  const qkitDir = path.dirname(qkitTypings());
  const userFile = (f: string) => f !== globals && !f.startsWith(qkitDir + path.sep) && !f.includes(`${path.sep}node_modules${path.sep}`);
  return ts.getPreEmitDiagnostics(program).flatMap((d) => {
    if (!d.file || d.start === undefined || !userFile(d.file.fileName)) return [];
    const start = d.file.getLineAndCharacterOfPosition(d.start);
    const end = d.file.getLineAndCharacterOfPosition(d.start + (d.length ?? 0));
    const location = { file: path.resolve(d.file.fileName), line: start.line + 1, column: start.character + 1, endLine: end.line + 1, endColumn: end.character + 1 };
    return [{ message: ts.flattenDiagnosticMessageText(d.messageText, " "), tsCode: d.code, location }];
  });
}

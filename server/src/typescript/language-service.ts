import * as path from "node:path";
import { statSync } from "node:fs";
import * as ts from "typescript";

/** qkit's own typings: `import ... from "qkit"` type-checks against the runtime serving the server. */
const QKIT_TYPINGS = require.resolve("qkit").replace(/\.js$/, ".d.ts");

/** Node's typings, when the server can see them. */
function nodeTypeRoots(): string[] {
  try {
    return [path.dirname(path.dirname(require.resolve("@types/node/package.json")))];
  } catch {
    return [];
  }
}

/**
 * What quantizers that do not use Node's APIs see instead of @types/node: that package costs the checker ~40 MB of
 * memory, and most quantizers only log. A virtual file: it exists only inside this language service.
 */
const GLOBALS_FILE = path.join(__dirname, "__qkit_quantizer_globals__.d.ts");
const GLOBALS = `
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

function compilerOptions(nodeTypes: boolean): ts.CompilerOptions {
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

export interface OpenText {
  text: string;
  version: number;
}

/**
 * A TypeScript language service over the quantizer files: open documents come from the editor (unsaved text
 * included), everything else from disk. "qkit" always resolves to the typings of the runtime the server runs, so a
 * workspace without node_modules/qkit type-checks, and against the very API the checker will run.
 */
export class QuantizerLanguageService {
  readonly #roots = new Set<string>();
  #nodeTypes = false;
  #options = compilerOptions(false);
  readonly #service: ts.LanguageService;

  constructor(private readonly open: (file: string) => OpenText | undefined, root: string) {
    const moduleHost: ts.ModuleResolutionHost = {
      fileExists: (f) => f === GLOBALS_FILE || this.open(f) !== undefined || ts.sys.fileExists(f),
      readFile: (f) => (f === GLOBALS_FILE ? GLOBALS : this.open(f)?.text ?? ts.sys.readFile(f)),
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
      realpath: ts.sys.realpath,
    };
    const host: ts.LanguageServiceHost = {
      fileExists: moduleHost.fileExists,
      readFile: moduleHost.readFile,
      directoryExists: moduleHost.directoryExists,
      getDirectories: moduleHost.getDirectories,
      realpath: moduleHost.realpath,
      getScriptFileNames: () => (this.#nodeTypes ? [...this.#roots] : [...this.#roots, GLOBALS_FILE]),
      getScriptVersion: (f) => {
        if (f === GLOBALS_FILE) return "1";
        const doc = this.open(f);
        if (doc) return `open:${doc.version}`;
        try {
          return `disk:${statSync(f).mtimeMs}`;
        } catch {
          return "missing";
        }
      },
      getScriptSnapshot: (f) => {
        const text = moduleHost.readFile(f);
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => root,
      getCompilationSettings: () => this.#options,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      readDirectory: ts.sys.readDirectory,
      resolveModuleNameLiterals: (literals, containingFile, redirected, options) =>
        literals.map((literal) => {
          if (literal.text === "qkit") return { resolvedModule: { resolvedFileName: QKIT_TYPINGS, extension: ts.Extension.Dts, isExternalLibraryImport: true } };
          return ts.resolveModuleName(literal.text, containingFile, options, moduleHost, undefined, redirected);
        }),
    };
    this.#service = ts.createLanguageService(host, ts.createDocumentRegistry());
  }

  /** Make sure the file is part of the program (targets and open TypeScript documents are). */
  addRoot(file: string): void {
    this.#roots.add(file);
  }

  removeRoot(file: string): void {
    this.#roots.delete(file);
  }

  /** Syntax and type errors, as tsserver reports them (suggestions aside). */
  diagnostics(file: string): ts.Diagnostic[] {
    this.addRoot(file);
    this.#chooseGlobals();
    return [...this.#service.getSyntacticDiagnostics(file), ...this.#service.getSemanticDiagnostics(file)];
  }

  /** @types/node when some file needs it, the small globals file otherwise; switching rebuilds the program. */
  #chooseGlobals(): void {
    const nodeTypes = [...this.#roots].some((f) => USES_NODE.test(this.open(f)?.text ?? ts.sys.readFile(f) ?? ""));
    if (nodeTypes === this.#nodeTypes) return;
    this.#nodeTypes = nodeTypes;
    this.#options = compilerOptions(nodeTypes);
  }
}

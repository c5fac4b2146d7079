import * as path from "node:path";
import { statSync } from "node:fs";
import * as ts from "typescript";
import { QUANTIZER_GLOBALS as GLOBALS, quantizerCompilerOptions, resolveQkit, usesNodeApis } from "qkit/tooling";

/**
 * The options, the globals file and the resolution of `"qkit"` are the runtime's (`qkit check` type-checks with the
 * same), so the editor and the CLI report the same type errors against the same author API.
 */
const GLOBALS_FILE = path.join(__dirname, "__qkit_quantizer_globals__.d.ts");

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
  #options = quantizerCompilerOptions(ts, false);
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
          return resolveQkit(ts, literal.text) ?? ts.resolveModuleName(literal.text, containingFile, options, moduleHost, undefined, redirected);
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

  /** Bring the program up to date with the open texts (parse what changed), so that a check after it only checks. */
  update(): void {
    this.#chooseGlobals();
    this.#service.getProgram();
  }

  /** Syntax and type errors, as tsserver reports them (suggestions aside). */
  diagnostics(file: string): ts.Diagnostic[] {
    this.addRoot(file);
    this.#chooseGlobals();
    return [...this.#service.getSyntacticDiagnostics(file), ...this.#service.getSemanticDiagnostics(file)];
  }

  /** @types/node when some file needs it, the small globals file otherwise; switching rebuilds the program. */
  #chooseGlobals(): void {
    const nodeTypes = [...this.#roots].some((f) => usesNodeApis(this.open(f)?.text ?? ts.sys.readFile(f) ?? ""));
    if (nodeTypes === this.#nodeTypes) return;
    this.#nodeTypes = nodeTypes;
    this.#options = quantizerCompilerOptions(ts, nodeTypes);
  }
}

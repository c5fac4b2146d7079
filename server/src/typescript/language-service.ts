import * as path from "node:path";
import { statSync } from "node:fs";
import * as ts from "typescript";

/** qkit's own typings: `import ... from "qkit"` type-checks against the runtime serving the server. */
const QKIT_TYPINGS = require.resolve("qkit").replace(/\.js$/, ".d.ts");

/** Node's typings, when the server can see them: quantizers may use console, process, Buffer. */
function nodeTypeRoots(): string[] {
  try {
    return [path.dirname(path.dirname(require.resolve("@types/node/package.json")))];
  } catch {
    return [];
  }
}

function compilerOptions(): ts.CompilerOptions {
  const typeRoots = nodeTypeRoots();
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
    // Without Node's typings, the DOM's declare console and timers.
    lib: typeRoots.length ? ["lib.es2022.d.ts"] : ["lib.es2022.d.ts", "lib.dom.d.ts"],
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
  readonly #options = compilerOptions();
  readonly #service: ts.LanguageService;

  constructor(private readonly open: (file: string) => OpenText | undefined, root: string) {
    const moduleHost: ts.ModuleResolutionHost = {
      fileExists: (f) => this.open(f) !== undefined || ts.sys.fileExists(f),
      readFile: (f) => this.open(f)?.text ?? ts.sys.readFile(f),
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
      getScriptFileNames: () => [...this.#roots],
      getScriptVersion: (f) => {
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
    return [...this.#service.getSyntacticDiagnostics(file), ...this.#service.getSemanticDiagnostics(file)];
  }

  syntaxErrors(file: string): boolean {
    this.addRoot(file);
    return this.#service.getSyntacticDiagnostics(file).some((d) => d.category === ts.DiagnosticCategory.Error);
  }

  /** The file's syntax tree as of its current text (cheap: no type-check). */
  sourceFile(file: string): ts.SourceFile | undefined {
    this.addRoot(file);
    return this.#service.getProgram()?.getSourceFile(file);
  }

  /** The user's own source files the program holds (the file and what it imports), not libraries or typings. */
  userFiles(): ts.SourceFile[] {
    const program = this.#service.getProgram();
    if (!program) return [];
    return program.getSourceFiles().filter((sf) => !sf.isDeclarationFile && !program.isSourceFileFromExternalLibrary(sf) && !sf.fileName.includes("/node_modules/"));
  }
}

import * as path from "node:path";
import { statSync } from "node:fs";
import * as ts from "typescript";
import { QUANTIZER_GLOBALS as GLOBALS, qkitTypings, quantizerCompilerOptions, resolveQkit, usesNodeApis } from "qkit/tooling";

/**
 * The options, the globals file and the resolution of `"qkit"` are the runtime's (`qkit check` type-checks with the
 * same), so the editor and the CLI report the same type errors against the same author API.
 */
const GLOBALS_FILE = path.join(__dirname, "__qkit_quantizer_globals__.d.ts");

/**
 * TypeScript's own libraries and the running runtime's typings are the server's, not the workspace's: they change only
 * with the server, so each is read once rather than stat'ed on every program update (some 150 files per edit).
 */
const SERVER_OWN = [path.dirname(ts.getDefaultLibFilePath({})), path.dirname(qkitTypings())].map((dir) => dir + path.sep);
const isServerOwn = (file: string) => SERVER_OWN.some((dir) => path.normalize(file).startsWith(dir));

/**
 * A file's text that tells TypeScript what changed since the text before it (the common prefix and suffix), as the
 * editor's snapshots do in tsserver: the document registry then reparses only the edited span and keeps the rest of
 * the tree, where a snapshot that cannot say made it parse the whole file on every edit.
 */
class TextSnapshot implements ts.IScriptSnapshot {
  constructor(readonly text: string) {}

  getText(start: number, end: number): string {
    return this.text.substring(start, end);
  }

  getLength(): number {
    return this.text.length;
  }

  getChangeRange(old: ts.IScriptSnapshot): ts.TextChangeRange | undefined {
    if (!(old instanceof TextSnapshot)) return undefined;
    const before = old.text;
    const after = this.text;
    const shorter = Math.min(before.length, after.length);
    let prefix = 0;
    while (prefix < shorter && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
    let suffix = 0;
    while (suffix < shorter - prefix && before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)) suffix++;
    return ts.createTextChangeRange(ts.createTextSpan(prefix, before.length - prefix - suffix), after.length - prefix - suffix);
  }
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
  /**
   * Each file's text as the program last read it, by version: TypeScript asks for the snapshot of every file of the
   * program (the libraries and qkit's typings too) each time it builds a new one, that is on every edit.
   */
  readonly #snapshots = new Map<string, { version: string; snapshot: ts.IScriptSnapshot | undefined }>();
  /** The versions of files on disk during one update of the program (TypeScript asks for each more than once). */
  readonly #diskVersions = new Map<string, string>();
  #nodeTypes = false;
  #options = quantizerCompilerOptions(ts, false);
  /**
   * Only for what TypeScript looks up beside module resolution: which package.json scope each of the program's files
   * (TypeScript's libraries, qkit's typings) lies in. Without one, every program built on an edit read those
   * package.json files again. Module names themselves are resolved afresh each time (a file created since resolves).
   */
  #packageScopes: ts.ModuleResolutionCache;
  readonly #service: ts.LanguageService;

  constructor(private readonly open: (file: string) => OpenText | undefined, private readonly root: string) {
    this.#packageScopes = ts.createModuleResolutionCache(root, (f) => f, this.#options);
    const moduleHost: ts.ModuleResolutionHost = {
      fileExists: (f) => f === GLOBALS_FILE || this.open(f) !== undefined || ts.sys.fileExists(f),
      readFile: (f) => (f === GLOBALS_FILE ? GLOBALS : this.open(f)?.text ?? ts.sys.readFile(f)),
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
      realpath: ts.sys.realpath,
    };
    const scriptVersion = (f: string): string => {
      if (f === GLOBALS_FILE || isServerOwn(f)) return "1";
      const doc = this.open(f);
      if (doc) return `open:${doc.version}`;
      let version = this.#diskVersions.get(f);
      if (version === undefined) {
        try {
          const stat = statSync(f);
          version = `disk:${stat.mtimeMs}:${stat.size}`;
        } catch {
          version = "missing";
        }
        this.#diskVersions.set(f, version);
      }
      return version;
    };
    // The language service hands getModuleResolutionCache on to its compiler host, as CompilerHost documents it.
    const host: ts.LanguageServiceHost & Pick<ts.CompilerHost, "getModuleResolutionCache"> = {
      fileExists: moduleHost.fileExists,
      readFile: moduleHost.readFile,
      directoryExists: moduleHost.directoryExists,
      getDirectories: moduleHost.getDirectories,
      realpath: moduleHost.realpath,
      getScriptFileNames: () => (this.#nodeTypes ? [...this.#roots] : [...this.#roots, GLOBALS_FILE]),
      getScriptVersion: (f) => scriptVersion(f),
      getScriptSnapshot: (f) => {
        const version = scriptVersion(f);
        const known = this.#snapshots.get(f);
        if (known?.version === version) return known.snapshot;
        const text = moduleHost.readFile(f);
        const snapshot = text === undefined ? undefined : new TextSnapshot(text);
        this.#snapshots.set(f, { version, snapshot });
        return snapshot;
      },
      getCurrentDirectory: () => root,
      getCompilationSettings: () => this.#options,
      getModuleResolutionCache: () => this.#packageScopes,
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
    this.#snapshots.delete(file);
  }

  /** Bring the program up to date with the open texts (parse what changed), so that a check after it only checks. */
  update(): void {
    this.#chooseGlobals();
    this.#diskVersions.clear();
    this.#service.getProgram();
  }

  /** Syntax and type errors, as tsserver reports them (suggestions aside). */
  diagnostics(file: string): ts.Diagnostic[] {
    this.addRoot(file);
    this.#chooseGlobals();
    this.#diskVersions.clear();
    return [...this.#service.getSyntacticDiagnostics(file), ...this.#service.getSemanticDiagnostics(file)];
  }

  /** @types/node when some file needs it, the small globals file otherwise; switching rebuilds the program. */
  #chooseGlobals(): void {
    const nodeTypes = [...this.#roots].some((f) => usesNodeApis(this.open(f)?.text ?? ts.sys.readFile(f) ?? ""));
    if (nodeTypes === this.#nodeTypes) return;
    this.#nodeTypes = nodeTypes;
    this.#options = quantizerCompilerOptions(ts, nodeTypes);
    this.#packageScopes = ts.createModuleResolutionCache(this.root, (f) => f, this.#options);
  }
}

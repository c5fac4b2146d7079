import * as path from "node:path";
import { existsSync, readFileSync, statSync } from "node:fs";
import Module from "node:module";
import type * as TS from "typescript";
import { QkitError } from "../errors.js";
import { Quantizer } from "./quantizer.js";
import { userFrames, type SourceSite } from "./source-site.js";
import { BUILTIN_QUANTIZERS } from "../builtin/registry.js";

const TS_EXTENSIONS = [".ts", ".mts", ".cts", ".tsx"];
const RESOLVE_EXTENSIONS = [...TS_EXTENSIONS, ".js", ".cjs", ".mjs"];

/** A quantizer file could not be compiled, evaluated, or has no Quantizer to offer. */
export class QuantizerLoadError extends QkitError {
  constructor(code: "not-found" | "syntax" | "evaluation" | "no-quantizer" | "ambiguous" | "construction", message: string, readonly site?: SourceSite, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export interface LoadedQuantizer {
  quantizer: Quantizer;
  className: string;
  file: string;
  /** Where the Quantizer class is declared; findings about the quantizer as a whole point here. */
  classSite: SourceSite;
}

type ModuleInternals = typeof Module & {
  _nodeModulePaths(dir: string): string[];
};

/**
 * Compiles and runs quantizer modules written in TypeScript without a build step. Each loader has its own module
 * cache, so loading again picks up edits. `import ... from "qkit"` resolves to this very runtime, so the user's specs
 * are instances of the classes the checker knows; relative imports of other .ts files are compiled the same way.
 */
export class QuantizerModuleLoader {
  readonly #cache = new Map<string, Module>();
  readonly #qkit: unknown;

  constructor(qkitExports?: unknown) {
    // Source maps put stack frames, and so every recorded site, on the TypeScript lines.
    process.setSourceMapsEnabled(true);
    this.#qkit = qkitExports ?? require("../index.js");
  }

  load(file: string): Record<string, unknown> {
    const resolved = path.resolve(file);
    if (!existsSync(resolved) || !statSync(resolved).isFile()) {
    throw new QuantizerLoadError("not-found", `${file}: no such quantizer file; check the path, or name a built-in (${Object.keys(BUILTIN_QUANTIZERS).join(", ")})`);
  }
    return this.#loadFile(resolved).exports as Record<string, unknown>;
  }

  #loadFile(file: string): Module {
    const cached = this.#cache.get(file);
    if (cached) return cached;
    const source = readFileSync(file, "utf8");
    const code = TS_EXTENSIONS.includes(path.extname(file)) ? transpile(file, source) : source;
    const mod = new Module(file, module);
    mod.filename = file;
    mod.paths = (Module as ModuleInternals)._nodeModulePaths(path.dirname(file));
    mod.require = ((request: string) => this.#require(request, file)) as NodeJS.Require;
    this.#cache.set(file, mod);
    try {
      (mod as unknown as { _compile(code: string, file: string): void })._compile(code, file);
    } catch (error) {
      this.#cache.delete(file);
      throw error;
    }
    mod.loaded = true;
    return mod;
  }

  #require(request: string, parent: string): unknown {
    if (request === "qkit") return this.#qkit;
    if (request.startsWith(".") || path.isAbsolute(request)) {
      const base = path.resolve(path.dirname(parent), request);
      const candidates = [base, ...RESOLVE_EXTENSIONS.map((e) => base + e), ...RESOLVE_EXTENSIONS.map((e) => path.join(base, `index${e}`))];
      // Compiled output imports "./x.js" where the source file is x.ts.
      if (/\.(c|m)?js$/.test(base)) candidates.unshift(...TS_EXTENSIONS.map((e) => base.replace(/\.(c|m)?js$/, e)));
      const found = candidates.find((c) => existsSync(c) && statSync(c).isFile());
      if (found && TS_EXTENSIONS.includes(path.extname(found))) return this.#loadFile(found).exports;
      if (found) return Module.createRequire(parent)(found);
    }
    return Module.createRequire(parent)(request);
  }
}

function transpile(file: string, source: string): string {
  const ts: typeof TS = require("typescript");
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

function isQuantizerClass(x: unknown): x is new () => Quantizer {
  return typeof x === "function" && x.prototype instanceof Quantizer;
}

/** The line declaring `class Name`, for findings about the quantizer as a whole. */
function classSite(file: string, className: string): SourceSite {
  const lines = readFileSync(file, "utf8").split("\n");
  const pattern = new RegExp(`\\bclass\\s+${className.replace(/[$]/g, "\\$")}\\b`);
  const index = lines.findIndex((l) => pattern.test(l));
  return { file, line: index >= 0 ? index + 1 : 1, column: index >= 0 ? lines[index]!.search(pattern) + 1 : 1 };
}

/**
 * Load the Quantizer a file offers: its default export, or else its only exported Quantizer class (or instance), and
 * construct it. Problems are QuantizerLoadErrors naming the file and saying what to do.
 */
export function loadQuantizer(file: string, loader = new QuantizerModuleLoader()): LoadedQuantizer {
  const resolved = path.resolve(file);
  const builtin = BUILTIN_QUANTIZERS[file];
  if (builtin && !existsSync(resolved)) {
    // A built-in's name (xnnpack, x86, ort-qdq) stands for the quantizer qkit ships under it.
    const quantizer = builtin.make();
    return { quantizer, className: quantizer.constructor.name, file, classSite: { file: `<built-in ${file}>`, line: 1, column: 1 } };
  }
  let exports: Record<string, unknown>;
  try {
    exports = loader.load(resolved);
  } catch (error) {
    if (error instanceof QuantizerLoadError) throw error;
    throw new QuantizerLoadError("evaluation", `${file}: running the module threw: ${(error as Error)?.message ?? String(error)}`, userFrames((error as Error)?.stack)[0], { cause: error });
  }
  const candidates = "default" in exports && (isQuantizerClass(exports.default) || exports.default instanceof Quantizer)
    ? [["default", exports.default] as const]
    : Object.entries(exports).filter(([, v]) => isQuantizerClass(v) || v instanceof Quantizer);
  if (candidates.length === 0) {
    throw new QuantizerLoadError("no-quantizer", `${file}: exports no Quantizer; export a class that extends Quantizer from "qkit" (as the default export, or the only one)`);
  }
  if (candidates.length > 1) {
    throw new QuantizerLoadError("ambiguous", `${file}: exports ${candidates.length} Quantizers (${candidates.map(([k]) => k).join(", ")}); make the one to use the default export`);
  }
  const [, value] = candidates[0]!;
  let quantizer: Quantizer;
  try {
    quantizer = value instanceof Quantizer ? value : new (value as new () => Quantizer)();
  } catch (error) {
    throw new QuantizerLoadError("construction", `${file}: constructing the quantizer threw: ${(error as Error)?.message ?? String(error)}`, userFrames((error as Error)?.stack)[0], { cause: error });
  }
  const className = quantizer.constructor.name;
  return { quantizer, className, file: resolved, classSite: classSite(resolved, className) };
}

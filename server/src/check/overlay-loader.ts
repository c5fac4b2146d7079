import * as path from "node:path";
import { existsSync, readFileSync, statSync } from "node:fs";
import Module from "node:module";
import type * as TS from "typescript";
import { QuantizerLoadError } from "qkit";
import { transpileQuantizer } from "../typescript/transpile.js";

const TS_EXTENSIONS = [".ts", ".mts", ".cts", ".tsx"];
const RESOLVE_EXTENSIONS = [...TS_EXTENSIONS, ".js", ".cjs", ".mjs"];

type ModuleInternals = typeof Module & { _nodeModulePaths(dir: string): string[] };

/**
 * The runtime's QuantizerModuleLoader reads files from disk; the editor's text is often unsaved, so the worker loads
 * through this one instead: same resolution (`"qkit"` is the running runtime, relative imports of .ts files are
 * compiled), but a file's code comes first from what the server compiled, then from the editor's text (unsaved edits
 * included), then from disk.
 */
export class OverlayModuleLoader {
  readonly #cache = new Map<string, Module>();

  constructor(
    private readonly qkit: unknown,
    private readonly compiled: Record<string, string>,
    private readonly sources: Record<string, string>,
  ) {}

  /** The text of a file as the user sees it, for class lines and messages. */
  text(file: string): string {
    return this.sources[file] ?? readFileSync(file, "utf8");
  }

  exists(file: string): boolean {
    return file in this.sources || (existsSync(file) && statSync(file).isFile());
  }

  load(file: string): Record<string, unknown> {
    if (!this.exists(file)) throw new QuantizerLoadError("not-found", `${file}: no such quantizer file; check the path`);
    return this.#loadFile(file).exports as Record<string, unknown>;
  }

  #code(file: string): string {
    const ready = this.compiled[file];
    if (ready !== undefined) return ready;
    const source = this.text(file);
    // A file the server did not compile (one with a syntax error, or an import it did not see): compile it here.
    return TS_EXTENSIONS.includes(path.extname(file)) ? transpileQuantizer(require("typescript") as typeof TS, file, source) : source;
  }

  #loadFile(file: string): Module {
    const cached = this.#cache.get(file);
    if (cached) return cached;
    const code = this.#code(file);
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
    if (request === "qkit") return this.qkit;
    if (request.startsWith(".") || path.isAbsolute(request)) {
      const base = path.resolve(path.dirname(parent), request);
      const candidates = [base, ...RESOLVE_EXTENSIONS.map((e) => base + e), ...RESOLVE_EXTENSIONS.map((e) => path.join(base, `index${e}`))];
      // Compiled output imports "./x.js" where the source file is x.ts.
      if (/\.(c|m)?js$/.test(base)) candidates.unshift(...TS_EXTENSIONS.map((e) => base.replace(/\.(c|m)?js$/, e)));
      const found = candidates.find((c) => this.exists(c));
      if (found && (TS_EXTENSIONS.includes(path.extname(found)) || found in this.sources)) return this.#loadFile(found).exports;
      if (found) return Module.createRequire(parent)(found);
    }
    return Module.createRequire(parent)(request);
  }
}

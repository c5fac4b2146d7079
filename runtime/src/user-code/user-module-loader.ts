import * as path from "node:path";
import { existsSync, readFileSync, statSync } from "node:fs";
import Module from "node:module";
import { QuantizerLoadError } from "./quantizer-load-error.js";
import { authorApi } from "./author-api.js";
import { TS_EXTENSIONS, transpileQuantizer } from "./transpile.js";
import { rememberSourceMap } from "../quantizer/source-site.js";

const RESOLVE_EXTENSIONS = [...TS_EXTENSIONS, ".js", ".cjs", ".mjs"];

type ModuleInternals = typeof Module & {
  _nodeModulePaths(dir: string): string[];
};

export interface UserModuleLoaderOptions {
  /** What `import ... from "qkit"` gives; default the author API of the package entry that is loaded. */
  qkit?: unknown;
  /** Code already compiled for a file (an editor compiles as you type), used before compiling it here. */
  compiled?: (file: string) => string | undefined;
  /** A file's current text when it differs from the disk (an unsaved editor buffer). */
  text?: (file: string) => string | undefined;
}

/**
 * Compiles and runs user modules (quantizers, data modules) written in TypeScript without a build step. Each loader has its own module
 * cache, so loading again picks up edits. `import ... from "qkit"` resolves to this very runtime, so the user's specs
 * are instances of the classes the checker knows; relative imports of other .ts files are compiled the same way.
 */
export class UserModuleLoader {
  readonly #cache = new Map<string, Module>();
  readonly #options: UserModuleLoaderOptions;
  readonly #qkit: unknown;

  constructor(options: UserModuleLoaderOptions = {}) {
    // Source maps put stack frames, and so every recorded site, on the TypeScript lines.
    process.setSourceMapsEnabled(true);
    this.#options = options;
    this.#qkit = options.qkit ?? authorApi();
  }

  /** The file's text as the user sees it. */
  text(file: string): string {
    return this.#options.text?.(file) ?? readFileSync(file, "utf8");
  }

  exists(file: string): boolean {
    return this.#options.compiled?.(file) !== undefined || this.#options.text?.(file) !== undefined || (existsSync(file) && statSync(file).isFile());
  }

  load(file: string): Record<string, unknown> {
    const resolved = path.resolve(file);
    if (!this.exists(resolved)) throw new QuantizerLoadError("not-found", `${file}: no such quantizer file; check the path`, { detail: "no such quantizer file; check the path" });
    return this.#loadFile(resolved).exports as Record<string, unknown>;
  }

  #code(file: string): string {
    const ready = this.#options.compiled?.(file);
    if (ready !== undefined) return ready;
    const source = this.text(file);
    return TS_EXTENSIONS.includes(path.extname(file)) ? transpileQuantizer(file, source) : source;
  }

  #loadFile(file: string): Module {
    const cached = this.#cache.get(file);
    if (cached) return cached;
    const code = this.#code(file);
    // No parent: Node would list the module among the loader's children, keeping every quantizer ever loaded
    // reachable from the module cache (and marking the check sandbox that loaded it as changed).
    const mod = new Module(file);
    mod.filename = file;
    mod.paths = (Module as ModuleInternals)._nodeModulePaths(path.dirname(file));
    mod.require = ((request: string) => this.#require(request, file)) as NodeJS.Require;
    this.#cache.set(file, mod);
    try {
      (mod as unknown as { _compile(code: string, file: string): void })._compile(code, file);
      rememberSourceMap(file);
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
      const found = candidates.find((c) => this.exists(c));
      const ownCode = found && (TS_EXTENSIONS.includes(path.extname(found)) || this.#options.compiled?.(found) !== undefined || this.#options.text?.(found) !== undefined);
      if (found && ownCode) return this.#loadFile(found).exports;
      if (found) return Module.createRequire(parent)(found);
    }
    return Module.createRequire(parent)(request);
  }
}

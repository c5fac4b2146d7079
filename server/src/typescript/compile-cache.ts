import * as path from "node:path";
import { existsSync, readFileSync, statSync } from "node:fs";
import * as ts from "typescript";
import { transpileQuantizer } from "qkit/tooling";

const TS_EXTENSIONS = [".ts", ".mts", ".cts", ".tsx"];
const MAX_FILES = 200;

/**
 * JavaScript for a quantizer and the user files it imports, compiled here rather than in each check's worker: a
 * fresh worker compiles with a cold TypeScript (~100 ms), this thread's is warm and its results are cached per text.
 * Files with syntax errors are left out; the worker compiles them and reports the error at its line.
 */
export class CompileCache {
  readonly #cache = new Map<string, { text: string; code: string | undefined }>();

  constructor(private readonly text: (file: string) => string | undefined) {}

  compile(entry: string): Record<string, string> {
    const compiled: Record<string, string> = {};
    const queue = [entry];
    const seen = new Set<string>();
    while (queue.length && seen.size < MAX_FILES) {
      const file = queue.shift()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const text = this.text(file);
      if (text === undefined) continue;
      const code = this.#compileOne(file, text);
      if (code !== undefined) compiled[file] = code;
      for (const imported of ts.preProcessFile(text, true, false).importedFiles) {
        const resolved = resolveRelative(file, imported.fileName);
        if (resolved) queue.push(resolved);
      }
    }
    return compiled;
  }

  #compileOne(file: string, text: string): string | undefined {
    const cached = this.#cache.get(file);
    if (cached?.text === text) return cached.code;
    let code: string | undefined;
    try {
      code = transpileQuantizer(file, text, ts);
    } catch {
      code = undefined;
    }
    this.#cache.set(file, { text, code });
    return code;
  }
}

/** The TypeScript file a relative import names, as the worker's loader would find it. */
function resolveRelative(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = path.resolve(path.dirname(from), specifier);
  const stem = base.replace(/\.(c|m)?js$/, "");
  const candidates = [base, ...TS_EXTENSIONS.map((e) => stem + e), ...TS_EXTENSIONS.map((e) => path.join(base, `index${e}`))];
  return candidates.find((c) => TS_EXTENSIONS.includes(path.extname(c)) && existsSync(c) && statSync(c).isFile());
}

export function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

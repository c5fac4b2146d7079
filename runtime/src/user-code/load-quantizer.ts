import * as path from "node:path";
import { closestFiles, didYouMean } from "./closest-files.js";
import { TS_EXTENSIONS } from "./transpile.js";
import { existsSync } from "node:fs";
import { Quantizer } from "../quantizer/quantizer.js";
import { userFrames } from "../quantizer/source-site.js";
import { pointLocation, type SourceLocation } from "../source-location.js";
import { BUILTIN_QUANTIZERS } from "../builtin/registry.js";
import { QuantizerLoadError } from "./quantizer-load-error.js";
import { UserModuleLoader } from "./user-module-loader.js";

export { QuantizerLoadError } from "./quantizer-load-error.js";

export interface LoadedQuantizer {
  quantizer: Quantizer;
  className: string;
  file: string;
  /** Where the Quantizer class is declared; findings about the quantizer as a whole point here. */
  classSite: SourceLocation;
}

function isQuantizerClass(x: unknown): x is new () => Quantizer {
  return typeof x === "function" && x.prototype instanceof Quantizer;
}

/** The line declaring `class Name` in `text`, for findings about the quantizer as a whole. */
export function classSite(file: string, text: string, className: string): SourceLocation {
  const lines = text.split("\n");
  const pattern = new RegExp(`\\bclass\\s+${className.replace(/[$]/g, "\\$")}\\b`);
  const index = lines.findIndex((l) => pattern.test(l));
  if (index < 0) return { file, line: 1, column: 1, endLine: 1, endColumn: 1 };
  const match = pattern.exec(lines[index]!)!;
  return { file, line: index + 1, column: match.index + 1, endLine: index + 1, endColumn: match.index + match[0].length + 1 };
}

function describeThrow(error: unknown): string {
  return `${(error as Error)?.name ?? "Error"}: ${(error as Error)?.message ?? String(error)}`;
}

export interface FromExportsOptions {
  /** How messages name the file (default: the path). */
  label?: string;
  /** Picks the user's frames from a stack (callers with frames of their own filter those too). */
  frames?: (stack: string | undefined) => SourceLocation[];
}

/**
 * The Quantizer a module offers: its default export, or else its only exported Quantizer class (or instance),
 * constructed. `text` is the module's source, for the class line.
 */
export function quantizerFromExports(exports: Record<string, unknown>, file: string, text: string, options: FromExportsOptions = {}): LoadedQuantizer {
  const label = options.label ?? file;
  const frames = options.frames ?? userFrames;
  const candidates = "default" in exports && (isQuantizerClass(exports.default) || exports.default instanceof Quantizer)
    ? [["default", exports.default] as const]
    : Object.entries(exports).filter(([, v]) => isQuantizerClass(v) || v instanceof Quantizer);
  if (candidates.length === 0) {
    const detail = 'exports no Quantizer; export a class that extends Quantizer from "qkit" (as the default export, or the only one)';
    throw new QuantizerLoadError("no-quantizer", `${label}: ${detail}`, { detail });
  }
  if (candidates.length > 1) {
    const detail = `exports ${candidates.length} Quantizers (${candidates.map(([k]) => k).join(", ")}); make the one to use the default export`;
    throw new QuantizerLoadError("ambiguous", `${label}: ${detail}`, { detail });
  }
  const [, value] = candidates[0]!;
  let quantizer: Quantizer;
  try {
    quantizer = value instanceof Quantizer ? value : new (value as new () => Quantizer)();
  } catch (error) {
    const detail = `constructing the quantizer threw ${describeThrow(error)}`;
    throw new QuantizerLoadError("construction", `${label}: ${detail}`, { detail, location: frames((error as Error)?.stack)[0], cause: error });
  }
  const className = quantizer.constructor.name;
  return { quantizer, className, file, classSite: classSite(file, text, className) };
}

/** Files a quantizer may be written in, for suggestions when a path names none. */
const QUANTIZER_EXTENSIONS = [...TS_EXTENSIONS, ".js", ".mjs", ".cjs"];

/**
 * Load the Quantizer a file offers (or a built-in's, by name: xnnpack, x86, ort-qdq). Problems are
 * QuantizerLoadErrors naming the file and saying what to do; compile and run-time errors carry the user's line.
 */
export function loadQuantizer(file: string, loader = new UserModuleLoader(), options: FromExportsOptions = {}): LoadedQuantizer {
  const label = options.label ?? file;
  const frames = options.frames ?? userFrames;
  const resolved = path.resolve(file);
  const builtin = BUILTIN_QUANTIZERS[file];
  if (builtin && !existsSync(resolved)) {
    const quantizer = builtin.make();
    return { quantizer, className: quantizer.constructor.name, file, classSite: pointLocation(`<built-in ${file}>`, 1, 1) };
  }
  if (!loader.exists(resolved)) {
    const meant = didYouMean(closestFiles(file, process.cwd(), QUANTIZER_EXTENSIONS, Object.keys(BUILTIN_QUANTIZERS)));
    const detail = `no such quantizer file; check the path, or name a built-in (${Object.keys(BUILTIN_QUANTIZERS).join(", ")})${meant}`;
    throw new QuantizerLoadError("not-found", `${file}: ${detail}`, { detail });
  }
  let exports: Record<string, unknown>;
  try {
    exports = loader.load(resolved);
  } catch (error) {
    if (error instanceof QuantizerLoadError) throw error;
    const detail = `running the module threw ${describeThrow(error)}`;
    throw new QuantizerLoadError("evaluation", `${label}: ${detail}`, { detail, location: frames((error as Error)?.stack)[0], cause: error });
  }
  return quantizerFromExports(exports, resolved, loader.text(resolved), { label, frames });
}

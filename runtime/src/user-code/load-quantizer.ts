import * as path from "node:path";
import { existsSync } from "node:fs";
import { Quantizer } from "../quantizer/quantizer.js";
import { userFrames, type SourceSite } from "../quantizer/source-site.js";
import { BUILTIN_QUANTIZERS } from "../builtin/registry.js";
import { QuantizerLoadError } from "./quantizer-load-error.js";
import { UserModuleLoader } from "./user-module-loader.js";

export { QuantizerLoadError } from "./quantizer-load-error.js";


export interface LoadedQuantizer {
  quantizer: Quantizer;
  className: string;
  file: string;
  /** Where the Quantizer class is declared; findings about the quantizer as a whole point here. */
  classSite: SourceSite;
}

function isQuantizerClass(x: unknown): x is new () => Quantizer {
  return typeof x === "function" && x.prototype instanceof Quantizer;
}

/** The line declaring `class Name` in `text`, for findings about the quantizer as a whole. */
export function classSite(file: string, text: string, className: string): SourceSite {
  const lines = text.split("\n");
  const pattern = new RegExp(`\\bclass\\s+${className.replace(/[$]/g, "\\$")}\\b`);
  const index = lines.findIndex((l) => pattern.test(l));
  return { file, line: index >= 0 ? index + 1 : 1, column: index >= 0 ? lines[index]!.search(pattern) + 1 : 1 };
}

function describeThrow(error: unknown): string {
  return `${(error as Error)?.name ?? "Error"}: ${(error as Error)?.message ?? String(error)}`;
}

export interface FromExportsOptions {
  /** How messages name the file (default: the path). */
  label?: string;
  /** Picks the user's frames from a stack (callers with frames of their own filter those too). */
  frames?: (stack: string | undefined) => SourceSite[];
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
    throw new QuantizerLoadError("no-quantizer", `${label}: exports no Quantizer; export a class that extends Quantizer from "qkit" (as the default export, or the only one)`);
  }
  if (candidates.length > 1) {
    throw new QuantizerLoadError("ambiguous", `${label}: exports ${candidates.length} Quantizers (${candidates.map(([k]) => k).join(", ")}); make the one to use the default export`);
  }
  const [, value] = candidates[0]!;
  let quantizer: Quantizer;
  try {
    quantizer = value instanceof Quantizer ? value : new (value as new () => Quantizer)();
  } catch (error) {
    throw new QuantizerLoadError("construction", `${label}: constructing the quantizer threw ${describeThrow(error)}`, frames((error as Error)?.stack)[0], { cause: error });
  }
  const className = quantizer.constructor.name;
  return { quantizer, className, file, classSite: classSite(file, text, className) };
}

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
    return { quantizer, className: quantizer.constructor.name, file, classSite: { file: `<built-in ${file}>`, line: 1, column: 1 } };
  }
  if (!loader.exists(resolved)) {
    throw new QuantizerLoadError("not-found", `${file}: no such quantizer file; check the path, or name a built-in (${Object.keys(BUILTIN_QUANTIZERS).join(", ")})`);
  }
  let exports: Record<string, unknown>;
  try {
    exports = loader.load(resolved);
  } catch (error) {
    if (error instanceof QuantizerLoadError) throw error;
    throw new QuantizerLoadError("evaluation", `${label}: running the module threw ${describeThrow(error)}`, frames((error as Error)?.stack)[0], { cause: error });
  }
  return quantizerFromExports(exports, resolved, loader.text(resolved), { label, frames });
}

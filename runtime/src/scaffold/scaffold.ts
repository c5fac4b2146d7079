import { existsSync } from "node:fs";
import * as path from "node:path";
import type { Graph } from "../graph/graph.js";
import { QkitError } from "../errors.js";
import { loadModel } from "../model-io/load-model.js";
import { writeFileAtomic } from "../onnx/atomic-write.js";
import { generateQuantizer } from "./generate-quantizer.js";
import { modelPatterns, type ModelPatterns } from "./model-patterns.js";
import { planTarget, writePlannedTarget } from "./qkit-json-target.js";
import { STYLES, type ScaffoldStyle } from "./styles.js";

export interface ScaffoldOptions {
  /** The model file (absolute, or relative to the working directory). */
  model: string;
  /** Its graph when the caller has it loaded already (the language server); read from `model` otherwise. */
  graph?: Graph;
  like?: ScaffoldStyle;
  /** The quantizer file to write; `<model name>-quantizer.ts` in `configDir` by default. */
  out?: string;
  /** The folder whose qkit.json gets the new target (created when missing). */
  configDir: string;
  /** Replace an existing quantizer file. */
  force?: boolean;
}

export interface ScaffoldResult {
  quantizer: string;
  config: string;
  /** False when qkit.json already had this target. */
  targetAdded: boolean;
  patterns: ModelPatterns;
}

/** The quantizer file a scaffold writes when no `out` is given. */
export function defaultQuantizerPath(model: string, configDir: string): string {
  return path.resolve(configDir, `${path.basename(model).replace(/\.onnx$/i, "")}-quantizer.ts`);
}

/**
 * Writes a quantizer for a model (see generateQuantizer) and adds `{ quantizer, model }` to qkit.json. Refuses to
 * replace an existing file unless `force`; both files are written atomically, the quantizer first, so the target
 * never names a file that is not there.
 */
export async function scaffoldQuantizer(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const model = path.resolve(options.model);
  const configDir = path.resolve(options.configDir);
  const quantizer = options.out ? path.resolve(options.out) : defaultQuantizerPath(model, configDir);
  if (!/\.[cm]?[jt]s$/.test(quantizer) || /\.d\.[cm]?ts$/.test(quantizer)) {
    throw new QkitError("scaffold", `${quantizer}: a quantizer is a .ts file; name the output file.ts`);
  }
  if (existsSync(quantizer) && !options.force) {
    throw new QkitError("scaffold", `${quantizer} already exists; pass --force to replace it or --out to write another file`);
  }
  const plan = planTarget(configDir, quantizer, model);
  const graph = options.graph ?? (await loadModel(model)).graph;
  const like = options.like ?? "xnnpack";
  const patterns = modelPatterns(graph);
  const text = generateQuantizer({ modelName: path.basename(model), styleName: like, style: STYLES[like], patterns });
  await writeFileAtomic(quantizer, [Buffer.from(text)]);
  await writePlannedTarget(plan);
  return { quantizer, config: plan.file, targetAdded: plan.next !== undefined, patterns };
}

import { loadModel } from "../model-io/load-model.js";
import type { Model } from "../model.js";
import { runCheck, type CheckResult } from "../checker/check.js";
import { loadQuantizer, QuantizerLoadError, type LoadedQuantizer } from "../user-code/load-quantizer.js";
import type { UserModuleLoader } from "../user-code/user-module-loader.js";
import type { SourceLocation } from "../source-location.js";
import type { PipelineTarget } from "./target.js";

export interface LoadTargetOptions {
  /** Where the quantizer's code comes from (code compiled elsewhere, an editor's unsaved text); default: disk. */
  loader?: UserModuleLoader;
  /** How load errors name the quantizer file (default: its path). */
  label?: string;
  /** Which frames of a stack are the user's (callers with frames of their own filter those too). */
  frames?: (stack: string | undefined) => SourceLocation[];
  /** Called once the quantizer is constructed, before its annotate() runs. */
  onLoaded?: (loaded: LoadedQuantizer) => void;
}

export interface CheckTargetOptions extends LoadTargetOptions {
  /** Annotate a model given as a Model itself rather than a copy (a worker's model is its own). */
  inPlace?: boolean;
  /** Called when annotate() returned, before its annotations are checked. */
  onAnnotated?: () => void;
}

export type CheckTargetResult =
  | ({ kind: "checked"; loaded: LoadedQuantizer; floatModel: Model } & CheckResult)
  /** The quantizer did not compile, threw while loading, or exports no Quantizer; the model loaded. */
  | { kind: "load-failed"; error: QuantizerLoadError; floatModel: Model };

/** The model and the quantizer a target names. A quantizer that cannot be loaded is a QuantizerLoadError. */
export async function loadTarget(target: PipelineTarget, options: LoadTargetOptions = {}): Promise<{ model: Model; loaded: LoadedQuantizer }> {
  const model = typeof target.model === "string" ? await loadModel(target.model) : target.model;
  const loaded = loadQuantizer(target.quantizer, options.loader, { ...(options.label !== undefined ? { label: options.label } : {}), ...(options.frames ? { frames: options.frames } : {}) });
  options.onLoaded?.(loaded);
  return { model, loaded };
}

/**
 * Run the target's quantizer on its model and check every annotation: what `qkit check` prints and the editor
 * underlines. A model that does not load throws; a quantizer that does not load is a result, located when it can be.
 */
export async function checkTarget(target: PipelineTarget, options: CheckTargetOptions = {}): Promise<CheckTargetResult> {
  const floatModel = typeof target.model === "string" ? await loadModel(target.model) : target.model;
  let loaded: LoadedQuantizer;
  try {
    ({ loaded } = await loadTarget({ ...target, model: floatModel }, options));
  } catch (error) {
    if (error instanceof QuantizerLoadError) return { kind: "load-failed", error, floatModel };
    throw error;
  }
  const result = runCheck(floatModel, loaded.quantizer, { inPlace: !!options.inPlace, ...(options.onAnnotated ? { onAnnotated: options.onAnnotated } : {}) });
  return { kind: "checked", loaded, floatModel, ...result };
}

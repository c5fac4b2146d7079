import type { Model } from "../model.js";
import { loadModel } from "../model-io/load-model.js";
import { QkitError } from "../errors.js";
import { declaredOutputTypes, mistypedOutput, producerName } from "../graph/value-info.js";
import { isQdqModel, lower } from "../lower/lower.js";
import { openSession, type EngineOptions, type InferenceSession } from "../engine/session.js";
import { widenFloat16 } from "./widen-float16.js";

export interface SessionOptions extends EngineOptions {
  /**
   * Q/DQ models run on integer kernels after `lower()` (the default); `false` runs the Q/DQ reference graph itself
   * on the float engine (what the integer kernels are checked against).
   */
  lowering?: boolean;
}

/**
 * The element types the loaded graph gives its outputs against those the file declares. Planning checks what the
 * kernels compute too, but a float16 model is widened to float32 first and narrowed back by its graph's types, so a
 * float16 result declared float32 has to be caught here.
 */
function refuseMistypedOutputs(model: Model): void {
  const graph = model.graph;
  const declared = declaredOutputTypes(graph);
  for (const out of graph.outputs) {
    const mistyped = mistypedOutput(out.valueName, declared.get(out.valueName), out.meta.dtype, producerName(out));
    if (mistyped) throw new QkitError("bad-graph", mistyped);
  }
}

/**
 * Create a session for a model (a loaded Model, a path, or the bytes of an .onnx file). The lowering policy lives
 * here, above the engine: the engine runs what it is given, and lower() rewrites Q/DQ islands before it does; so does
 * the widening of a float16 model to float32 (widen-float16.ts).
 */
export async function createSession(model: Model | string | Uint8Array, options: SessionOptions = {}): Promise<InferenceSession> {
  let loaded = typeof model === "string" || model instanceof Uint8Array ? await loadModel(model) : model;
  refuseMistypedOutputs(loaded);
  // A float16 model runs in float32 on the float32 kernels; its callers still pass and get float16.
  const widened = widenFloat16(loaded);
  if (widened) loaded = widened.model;
  if (options.lowering !== false && isQdqModel(loaded)) loaded = lower(loaded);
  return openSession(loaded, options, widened);
}

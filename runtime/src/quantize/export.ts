import type { Model } from "../model.js";
import { saveModel, type SaveOptions } from "../model-io/save-model.js";

/**
 * Write a converted model as standard QDQ ONNX, atomically (a temp file renamed into place: a failed or interrupted
 * export leaves no partial file). The graph is linted first, so a malformed model is never written.
 */
export async function exportOnnx(model: Model, file: string, options: SaveOptions = {}): Promise<void> {
  model.graph.lint();
  await saveModel(model, file, options);
}

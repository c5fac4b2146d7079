import { existsSync } from "node:fs";
import { QkitError, isScaffoldStyle, scaffoldQuantizer } from "qkit/tooling";
import type { NewQuantizerParams, NewQuantizerResult } from "../protocol.js";
import type { Workspace } from "../workspace/workspace.js";
import { pathToUri, uriToPath } from "../util/uri.js";

/** A request the user can fix (a missing model, an existing file): its one-line message is what they see. */
export class NewQuantizerFailure extends Error {}

/**
 * Writes a quantizer for a model into the workspace and adds its target to qkit.json (the runtime's scaffold). The
 * graph comes from the model cache, decoded off the server's thread as for checks; ts-morph prints the file.
 */
export async function newQuantizer(workspace: Workspace, params: NewQuantizerParams): Promise<NewQuantizerResult> {
  const model = uriToPath(params.model);
  if (!model) throw new NewQuantizerFailure(`${params.model} is not a file`);
  const out = params.out === undefined ? undefined : uriToPath(params.out);
  if (params.out !== undefined && !out) throw new NewQuantizerFailure(`${params.out} is not a file`);
  if (params.like !== undefined && !isScaffoldStyle(params.like)) throw new NewQuantizerFailure(`like must be xnnpack, x86 or ort-qdq, not '${String(params.like)}'`);
  if (!existsSync(model)) throw new NewQuantizerFailure(`${model}: no such model file`);
  const loaded = await workspace.models.get(model);
  if (!loaded.ok) throw new NewQuantizerFailure(loaded.message);
  try {
    const result = await scaffoldQuantizer({
      model,
      graph: loaded.loaded.model.graph,
      configDir: workspace.root,
      force: params.force === true,
      ...(params.like ? { like: params.like } : {}),
      ...(out ? { out } : {}),
    });
    // The new target is checked at once, as if the user had edited qkit.json and the file.
    workspace.documentChanged(result.config);
    workspace.documentChanged(result.quantizer);
    return { quantizer: pathToUri(result.quantizer), config: pathToUri(result.config), targetAdded: result.targetAdded };
  } catch (error) {
    if (error instanceof QkitError) throw new NewQuantizerFailure(error.message);
    throw error;
  }
}

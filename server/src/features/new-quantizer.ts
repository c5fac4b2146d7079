import { existsSync, readFileSync } from "node:fs";
import { QkitError, isScaffoldStyle, scaffoldQuantizer } from "qkit/tooling";
import { NEW_QUANTIZER_COMMAND, type NewQuantizerParams, type NewQuantizerResult } from "../protocol.js";
import type { ExecuteCommandParams, TextEdit, WorkspaceEdit } from "vscode-languageserver";
import type { Workspace } from "../workspace/workspace.js";
import { argumentUri, pathToUri, uriToPath } from "../util/uri.js";

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

/** The arguments of the qkit.scaffoldQuantizer command, `[model, { like?, out?, force? }?]`, as qkit/newQuantizer's params. */
export function newQuantizerCommandParams(args: unknown[] | undefined, root: string): NewQuantizerParams {
  const [model, options] = args ?? [];
  if (typeof model !== "string" || !model) throw new NewQuantizerFailure(`${NEW_QUANTIZER_COMMAND} takes the model's URI or path as its first argument`);
  if (options !== undefined && options !== null && typeof options !== "object") throw new NewQuantizerFailure(`${NEW_QUANTIZER_COMMAND}'s second argument is an object { like, out, force }, not ${JSON.stringify(options)}`);
  const { like, out, force } = (options ?? {}) as { like?: unknown; out?: unknown; force?: unknown };
  if (out !== undefined && typeof out !== "string") throw new NewQuantizerFailure(`${NEW_QUANTIZER_COMMAND}: out must be a URI or path, not ${JSON.stringify(out)}`);
  return {
    model: argumentUri(model, root),
    ...(like !== undefined ? { like: like as NewQuantizerParams["like"] } : {}),
    ...(out !== undefined ? { out: argumentUri(out, root) } : {}),
    ...(force === true ? { force: true } : {}),
  };
}

/** What the command needs of the editor: its open documents, and (when it can) applying edits and showing files. */
export interface EditorAccess {
  open(file: string): { uri: string; getText(): string; lineCount: number } | undefined;
  applyEdit?(edit: WorkspaceEdit): Promise<unknown>;
  showDocument?(uri: string): Promise<unknown>;
}

/**
 * The scaffold writes its files on disk; an editor that has one of them open (qkit.json, most often) still holds the
 * old text, which the server reads instead of the file. This edit brings those buffers to what was written, for
 * clients that do not reload changed files themselves.
 */
function openDocumentsEdit(result: NewQuantizerResult, editor: EditorAccess): WorkspaceEdit | undefined {
  const changes: Record<string, TextEdit[]> = {};
  for (const uri of [result.config, result.quantizer]) {
    const file = uriToPath(uri);
    const doc = file ? editor.open(file) : undefined;
    if (!file || !doc) continue;
    const written = readFileSync(file, "utf8");
    if (written !== doc.getText()) changes[doc.uri] = [{ range: { start: { line: 0, character: 0 }, end: { line: doc.lineCount, character: 0 } }, newText: written }];
  }
  return Object.keys(changes).length ? { changes } : undefined;
}

/**
 * `workspace/executeCommand` qkit.scaffoldQuantizer, the scaffold for plain LSP clients: writes the files as
 * qkit/newQuantizer does, brings the editor's open copies up to date and shows the new file where the client can.
 */
export async function newQuantizerCommand(workspace: Workspace, params: ExecuteCommandParams, editor: EditorAccess): Promise<NewQuantizerResult> {
  if (params.command !== NEW_QUANTIZER_COMMAND) throw new NewQuantizerFailure(`unknown command ${params.command}; the server has ${NEW_QUANTIZER_COMMAND}`);
  const result = await newQuantizer(workspace, newQuantizerCommandParams(params.arguments, workspace.root));
  const edit = editor.applyEdit && openDocumentsEdit(result, editor);
  if (edit) await editor.applyEdit!(edit);
  // A client that cannot or will not show it still has the file, and the answer says where.
  void editor.showDocument?.(result.quantizer).catch(() => undefined);
  return result;
}

import * as path from "node:path";
import * as vscode from "vscode";
import { ResponseError, type LanguageClient } from "vscode-languageclient/node";
import { NewQuantizerRequest, StatusRequest, type NewQuantizerParams } from "qkit-language-server/protocol";

type Style = NonNullable<NewQuantizerParams["like"]>;

const STYLES: { label: Style; detail: string }[] = [
  { label: "xnnpack", detail: "int8 activations, int8 per-channel weights, conv/linear/add fused with a following ReLU" },
  { label: "x86", detail: "uint8 activations, int8 per-channel weights" },
  { label: "ort-qdq", detail: "ONNX Runtime's quantize_static: int8, per-tensor weights, MinMax calibration" },
];

/** The model to start from: the one given (the explorer's context menu), else one of the targets' or a file picked. */
async function pickModel(client: LanguageClient, arg: unknown, configFolder: string | undefined): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === "string") return vscode.Uri.parse(arg);
  const status = await client.sendRequest(StatusRequest);
  const models = [...new Set(status.targets.map((t) => (configFolder ? path.resolve(configFolder, t.model) : t.model)))];
  const browse = "Choose an ONNX model…";
  const items = [...models.map((m) => ({ label: path.basename(m), description: vscode.workspace.asRelativePath(m), model: m })), { label: browse, description: "", model: "" }];
  const chosen = models.length > 0 ? await vscode.window.showQuickPick(items, { placeHolder: "qkit: the model to write a quantizer for" }) : items.at(-1);
  if (!chosen) return undefined;
  if (chosen.model) return vscode.Uri.file(chosen.model);
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { "ONNX model": ["onnx"] }, title: "qkit: the model to write a quantizer for" });
  return picked?.[0];
}

/**
 * qkit: New quantizer for this model. The server writes the file and its qkit.json target (qkit/newQuantizer); the
 * extension asks which model and in which style, offers to replace an existing file, and opens the new one.
 */
export async function newQuantizer(client: LanguageClient, configFolder: string | undefined, arg?: unknown, like?: unknown): Promise<string | undefined> {
  const model = await pickModel(client, arg, configFolder);
  if (!model) return undefined;
  const style = typeof like === "string" ? (like as Style) : (await vscode.window.showQuickPick(STYLES, { placeHolder: "qkit: whose specs and fusions to start from" }))?.label;
  if (!style) return undefined;
  const params: NewQuantizerParams = { model: model.toString(), like: style };
  let result;
  try {
    result = await client.sendRequest(NewQuantizerRequest, params);
  } catch (error) {
    const message = error instanceof ResponseError ? error.message : String(error);
    if (!/already exists/.test(message)) {
      void vscode.window.showErrorMessage(`qkit: ${message}`);
      return undefined;
    }
    const replace = await vscode.window.showWarningMessage(`qkit: ${message.replace(/; pass --force.*$/, "")}.`, { modal: true }, "Replace");
    if (replace !== "Replace") return undefined;
    result = await client.sendRequest(NewQuantizerRequest, { ...params, force: true });
  }
  await vscode.window.showTextDocument(vscode.Uri.parse(result.quantizer));
  return result.quantizer;
}

/** A workspace without qkit.json gets an empty one (where qkit.configFile points), so the server can start. */
export async function createEmptyConfig(): Promise<boolean> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return false;
  const name = vscode.workspace.getConfiguration("qkit", folder.uri).get<string>("configFile") ?? "qkit.json";
  const file = vscode.Uri.joinPath(folder.uri, name);
  try {
    await vscode.workspace.fs.stat(file);
    return false;
  } catch {
    await vscode.workspace.fs.writeFile(file, Buffer.from('{\n  "targets": []\n}\n'));
    return true;
  }
}

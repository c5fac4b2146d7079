import * as vscode from "vscode";

export const root = () => vscode.workspace.workspaceFolders![0]!.uri;
export const file = (relative: string) => vscode.Uri.joinPath(root(), relative);

export async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function qkitDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === "qkit");
}

export async function hoverText(uri: vscode.Uri, position: vscode.Position): Promise<string> {
  const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", uri, position)) ?? [];
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === "string" ? c : c.value))).join("\n");
}

/**
 * The code actions VS Code gets for `range`. The workbench cancels a code-action request when the document changes while
 * it is in flight (and rethrows that one error); asked again, as the light bulb asks again, it answers.
 */
export async function codeActions(uri: vscode.Uri, range: vscode.Range, kind: string): Promise<vscode.CodeAction[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await vscode.commands.executeCommand<vscode.CodeAction[]>("vscode.executeCodeActionProvider", uri, range, kind)) ?? [];
    } catch (error) {
      if (attempt >= 5 || !/cancel/i.test(String((error as Error)?.message ?? error))) throw error;
      console.log(`code actions for ${uri.path.split("/").pop()} were cancelled (attempt ${attempt}); asking again`);
    }
  }
}

/** Zero-based line of the first line containing `needle`. */
export function lineOf(doc: vscode.TextDocument, needle: string): number {
  for (let i = 0; i < doc.lineCount; i++) if (doc.lineAt(i).text.includes(needle)) return i;
  throw new Error(`"${needle}" is not in ${doc.uri.path}`);
}

export async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

export async function qkitApi(): Promise<{ client(): { sendRequest: Function; onProgress: Function } | undefined; lastStatus(): any }> {
  const extension = vscode.extensions.getExtension("qkit.qkit");
  if (!extension) throw new Error("the qkit extension is not installed in this VS Code");
  return extension.activate();
}

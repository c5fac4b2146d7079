import * as vscode from "vscode";
import type { QkitSettings } from "qkit-language-server/protocol";

/** The `qkit.*` settings the server reads (the rest, configFile and trace, are the client's). */
export function serverSettings(): Partial<QkitSettings> {
  const c = vscode.workspace.getConfiguration("qkit");
  return {
    checkTimeoutMs: c.get<number>("checkTimeoutMs"),
    checkMemoryLimitMb: c.get<number>("checkMemoryLimitMb"),
    calibrationMemoryLimitMb: c.get<number>("calibrationMemoryLimitMb"),
    debounceMs: c.get<number>("debounceMs"),
    sqnrThresholdDb: c.get<number>("sqnrThresholdDb"),
    inlayHints: c.get<boolean>("inlayHints"),
  };
}

/** The qkit.json in use: `qkit.configFile` relative to the first workspace folder holding it. */
export async function findConfigFile(): Promise<{ file: vscode.Uri; folder: vscode.WorkspaceFolder } | undefined> {
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const relative = vscode.workspace.getConfiguration("qkit", folder).get<string>("configFile") || "qkit.json";
    const file = vscode.Uri.joinPath(folder.uri, relative);
    try {
      await vscode.workspace.fs.stat(file);
      return { file, folder };
    } catch {
      // Not in this folder; try the next one.
    }
  }
  return undefined;
}

import * as path from "node:path";
import * as vscode from "vscode";
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from "vscode-languageclient/node";
import type { QkitInitializationOptions } from "qkit-language-server/protocol";
import { documentSelectorFor } from "./document-selector";
import { serverSettings } from "./settings";

/**
 * The server ships bundled in the extension (dist/server), with the qkit runtime, TypeScript and their typings as
 * plain files in dist/lib: NODE_PATH lets the server and its workers `require("qkit")` and `require("typescript")`
 * there, the way they do from node_modules in a checkout.
 */
export function createLanguageClient(context: vscode.ExtensionContext, configFile: vscode.Uri, folder: vscode.WorkspaceFolder): LanguageClient {
  const module = context.asAbsolutePath(path.join("client", "dist", "server", "main.js"));
  const env = { ...process.env, NODE_PATH: context.asAbsolutePath(path.join("client", "dist", "lib")) };
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc, options: { env } },
    debug: { module, transport: TransportKind.ipc, options: { env, execArgv: ["--nolazy", "--inspect=6011"] } },
  };
  const root = path.dirname(configFile.fsPath);
  // The lenses and hover links name the extension's own commands (progress notification, graph panel).
  const initializationOptions: QkitInitializationOptions = { trusted: vscode.workspace.isTrusted, settings: serverSettings(), clientCommands: ["qkit.runCalibration", "qkit.showAnnotatedGraph"] };
  const clientOptions: LanguageClientOptions = {
    documentSelector: documentSelectorFor(configFile.fsPath),
    // The server's root is the folder holding the qkit.json in use (the `qkit.configFile` setting).
    workspaceFolder: { uri: vscode.Uri.file(root), name: folder.name, index: folder.index },
    initializationOptions,
    synchronize: { configurationSection: "qkit" },
    // Hovers carry command links (Run calibration) and data: images (histograms).
    markdown: { isTrusted: { enabledCommands: ["qkit.runCalibration", "qkit.showAnnotatedGraph"] }, supportHtml: false },
    outputChannelName: "qkit",
  };
  return new LanguageClient("qkit", "qkit language server", serverOptions, clientOptions);
}

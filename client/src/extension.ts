/**
 * The qkit VS Code extension: starts the language server (which does all the work) and gives its features a UI —
 * commands, a status bar item, the annotated-graph document and the graph panel — and tells it about workspace trust.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import { State, type LanguageClient } from "vscode-languageclient/node";
import { DidChangeTrustNotification, StatusChangedNotification, type StatusResult } from "qkit-language-server/protocol";
import { targetQuantizerFiles } from "./document-selector";
import { createLanguageClient } from "./language-client";
import { findConfigFile } from "./settings";
import { StatusBar } from "./status-bar";
import { Targets } from "./targets";
import { GRAPH_SCHEME, GraphDocuments } from "./graph-document";
import { GRAPH_VIEW_TYPE, GraphPanels } from "./graph-panel";
import { runCalibration } from "./commands/calibration";
import { createEmptyConfig, newQuantizer } from "./commands/new-quantizer";

let client: LanguageClient | undefined;
let configFile: vscode.Uri | undefined;
/** The target quantizer files the running client's document selector was made for. */
let servedTargets = "";

/** What the tests (and other extensions) can reach: the running client and the latest status. */
export interface QkitApi {
  client(): LanguageClient | undefined;
  lastStatus(): StatusResult | undefined;
}

export async function activate(context: vscode.ExtensionContext): Promise<QkitApi> {
  let lastStatus: StatusResult | undefined;
  const targets = new Targets(() => client, () => configFile);
  const graphs = new GraphDocuments(() => client);
  const panels = new GraphPanels(context.extensionUri, () => client);
  const statusBar = new StatusBar((status) => {
    const active = vscode.window.activeTextEditor?.document.uri.fsPath;
    const byPath = (p: string) => status.targets.find((t) => targets.quantizerUri(t).fsPath === p);
    return (active && byPath(active)) || (targets.selected && byPath(vscode.Uri.parse(targets.selected).fsPath)) || status.targets[0];
  });
  context.subscriptions.push(statusBar);

  const start = async () => {
    const found = await findConfigFile();
    if (!found) {
      statusBar.stopped("No qkit.json in the workspace (setting qkit.configFile)");
      return;
    }
    configFile = found.file;
    servedTargets = targetQuantizerFiles(found.file.fsPath).join("\n");
    client = createLanguageClient(context, found.file, found.folder);
    client.onDidChangeState((e) => {
      if (e.newState === State.Stopped) statusBar.stopped("The qkit language server stopped; click to restart it");
    });
    await client.start();
    client.onNotification(StatusChangedNotification, (status) => {
      lastStatus = status;
      statusBar.update(status);
      graphs.refreshAll();
      panels.refreshAll();
    });
    lastStatus = await targets.status();
    statusBar.update(lastStatus);
    if (!vscode.workspace.isTrusted) statusBar.restricted();
  };

  // The document selector is fixed when the client starts: a qkit.json that now names other quantizer files (which
  // may live outside its folder) needs a client whose selector covers them.
  const configWatcher = vscode.workspace.createFileSystemWatcher("**/*.json");
  const onConfigChanged = (uri: vscode.Uri) => {
    if (!configFile || uri.fsPath !== configFile.fsPath) return;
    if (targetQuantizerFiles(configFile.fsPath).join("\n") !== servedTargets) void vscode.commands.executeCommand("qkit.restartServer");
  };

  const stop = async () => {
    const running = client;
    client = undefined;
    if (running) await running.dispose();
  };

  const withClient = <A extends unknown[]>(run: (client: LanguageClient, ...args: A) => unknown) => async (...args: A) => {
    if (!client) {
      void vscode.window.showErrorMessage("qkit: the language server is not running (no qkit.json?)");
      return undefined;
    }
    return run(client, ...args);
  };

  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(GRAPH_SCHEME, graphs),
    vscode.languages.registerDocumentLinkProvider({ scheme: GRAPH_SCHEME }, graphs),
    vscode.commands.registerCommand("qkit.runCalibration", withClient(async (c, arg?: unknown) => {
      const uri = await targets.resolve(arg);
      const result = uri && (await runCalibration(c, uri));
      graphs.refreshAll();
      panels.refreshAll();
      return result;
    })),
    vscode.commands.registerCommand("qkit.exportModel", withClient(async (c, arg?: unknown, to?: unknown) => {
      const uri = await targets.resolve(arg);
      if (!uri) return undefined;
      const defaultUri = vscode.Uri.file(path.join(path.dirname(uri.fsPath), `${path.basename(uri.fsPath).replace(/\.[cm]?[jt]s$/, "")}.int8.onnx`));
      const output = typeof to === "string" ? vscode.Uri.parse(to) : await vscode.window.showSaveDialog({ defaultUri, filters: { "ONNX model": ["onnx"] }, title: "Export the quantized model" });
      return output && runCalibration(c, uri, output);
    })),
    vscode.commands.registerCommand("qkit.showAnnotatedGraph", withClient(async (_c, arg?: unknown) => {
      const uri = await targets.resolve(arg);
      return uri && graphs.show(uri);
    })),
    vscode.commands.registerCommand("qkit.showGraph", withClient(async (_c, arg?: unknown) => {
      const uri = await targets.resolve(arg);
      if (!uri) return undefined;
      panels.show(uri);
      return uri.toString();
    })),
    vscode.window.registerWebviewPanelSerializer(GRAPH_VIEW_TYPE, panels),
    vscode.window.onDidChangeTextEditorSelection((e) => panels.cursorMoved(e.textEditor.document, e.selections[0]!.active.line)),
    vscode.commands.registerCommand("qkit.selectTarget", withClient(async () => {
      const uri = await targets.pick();
      if (uri) await vscode.window.showTextDocument(uri);
      statusBar.update();
      return uri?.toString();
    })),
    vscode.commands.registerCommand("qkit.newQuantizer", async (model?: unknown, like?: unknown) => {
      if (!client && (await createEmptyConfig())) await vscode.commands.executeCommand("qkit.restartServer");
      return withClient((c) => newQuantizer(c, configFile && path.dirname(configFile.fsPath), model, like))();
    }),
    vscode.commands.registerCommand("qkit.restartServer", async () => {
      await stop();
      await start();
    }),
    vscode.window.onDidChangeActiveTextEditor(() => statusBar.update()),
    configWatcher,
    configWatcher.onDidChange(onConfigChanged),
    configWatcher.onDidCreate(onConfigChanged),
    // Restricted mode ran nothing; once trusted, the server runs the checks it skipped. The status bar follows at once,
    // whether or not a quantizer is open to be checked.
    vscode.workspace.onDidGrantWorkspaceTrust(async () => {
      const running = client;
      if (!running) return;
      await running.sendNotification(DidChangeTrustNotification, { trusted: true });
      lastStatus = await targets.status();
      statusBar.update(lastStatus);
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("qkit.configFile")) void vscode.commands.executeCommand("qkit.restartServer");
    }),
    { dispose: () => void stop() },
  );

  await start();
  return { client: () => client, lastStatus: () => lastStatus };
}

export async function deactivate(): Promise<void> {
  const running = client;
  client = undefined;
  await running?.stop();
}

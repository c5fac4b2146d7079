import * as path from "node:path";
import {
  CancellationToken,
  CodeLensRefreshRequest,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  LSPErrorCodes,
  ResponseError,
  TextDocumentSyncKind,
  TextDocuments,
  type ClientCapabilities,
  type Connection,
  type InitializeResult,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import {
  AnnotatedGraphRequest,
  DEFAULT_SETTINGS,
  DidChangeTrustNotification,
  StatusChangedNotification,
  StatusRequest,
  type QkitInitializationOptions,
  type QkitSettings,
} from "./protocol.js";
import { Workspace, type WorkspaceHost } from "./workspace/workspace.js";
import type { CheckReport } from "./check/worker-protocol.js";
import { hover } from "./features/hover.js";
import { complete } from "./features/completion.js";
import { codeLenses } from "./features/code-lens.js";
import { pathToUri, uriToPath } from "./util/uri.js";

export const SERVER_NAME = "qkit-language-server";
const VERSION: string = (require("../../package.json") as { version: string }).version;

function cancelled(): ResponseError<void> {
  return new ResponseError(LSPErrorCodes.RequestCancelled, "request cancelled");
}

function untilCancelled(token: CancellationToken): Promise<never> {
  return new Promise((_, reject) => {
    if (token.isCancellationRequested) reject(cancelled());
    token.onCancellationRequested(() => reject(cancelled()));
  });
}

/** Wire the LSP connection to a Workspace: translation between URIs and paths, and between LSP and the features. */
export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  // Clients escape URIs differently; documents are found by path, and answered with the URI the client used.
  const openByPath = new Map<string, TextDocument>();
  let capabilities: ClientCapabilities = {};
  let workspace: Workspace | undefined;

  const host: WorkspaceHost = {
    open(file) {
      const doc = openByPath.get(file);
      return doc ? { text: doc.getText(), version: doc.version } : undefined;
    },
    openFiles: () => [...openByPath.keys()],
    publish(file, diagnostics) {
      const doc = openByPath.get(file);
      void connection.sendDiagnostics({ uri: doc?.uri ?? pathToUri(file), diagnostics, ...(doc ? { version: doc.version } : {}) });
    },
    log: (message) => connection.console.log(message),
    async progress(title, message) {
      if (!capabilities.window?.workDoneProgress) return () => undefined;
      const progress = await connection.window.createWorkDoneProgress();
      progress.begin(title, undefined, path.basename(message));
      return () => progress.done();
    },
    checked() {
      if (!workspace) return;
      void connection.sendNotification(StatusChangedNotification, workspace.status());
      if (capabilities.workspace?.codeLens?.refreshSupport) void connection.sendRequest(CodeLensRefreshRequest.type);
    },
  };

  const reportFor = (file: string): CheckReport | undefined => {
    const own = workspace?.results.get(file)?.outcome;
    if (own?.kind === "done") return own.report;
    // A helper module (common specs, say): any quantizer's check that ran code from it.
    for (const result of workspace?.results.values() ?? []) {
      if (result.outcome.kind === "done" && result.outcome.report.annotations.some((a) => a.site?.file === file || a.slots.some((s) => s.spec.site?.file === file))) return result.outcome.report;
    }
    return undefined;
  };

  connection.onInitialize((params): InitializeResult => {
    capabilities = params.capabilities;
    const options = (params.initializationOptions ?? {}) as QkitInitializationOptions;
    const rootUri = params.workspaceFolders?.[0]?.uri ?? params.rootUri;
    const root = (rootUri && uriToPath(rootUri)) || params.rootPath || process.cwd();
    workspace = new Workspace(root, host);
    workspace.trusted = options.trusted ?? true;
    workspace.settings = { ...DEFAULT_SETTINGS, ...(options.settings ?? {}) };
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        completionProvider: { triggerCharacters: ['"', "'", "`", "/"] },
      },
      serverInfo: { name: SERVER_NAME, version: VERSION },
    };
  });

  connection.onInitialized(() => {
    workspace!.start();
    if (capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration) {
      void connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: "**/qkit.json" }, { globPattern: "**/*.{ts,js}" }] });
    }
  });

  documents.onDidOpen((e) => {
    const file = uriToPath(e.document.uri);
    if (file) openByPath.set(file, e.document);
  });
  documents.onDidChangeContent((e) => {
    const file = uriToPath(e.document.uri);
    if (file) workspace?.documentChanged(file);
  });
  documents.onDidClose((e) => {
    const file = uriToPath(e.document.uri);
    if (!file) return;
    openByPath.delete(file);
    workspace?.documentClosed(file);
  });

  connection.onDidChangeWatchedFiles((params) => {
    for (const change of params.changes) {
      const file = uriToPath(change.uri);
      // Open documents are the editor's business; a file changed on disk only matters when it is not open.
      if (!file || openByPath.has(file)) continue;
      if (change.type !== FileChangeType.Deleted || file === workspace?.config.file) workspace?.documentChanged(file);
    }
  });

  connection.onDidChangeConfiguration((params) => {
    const settings = (params.settings as { qkit?: Partial<QkitSettings> } | undefined)?.qkit;
    if (settings) workspace?.setSettings(settings);
  });

  connection.onNotification(DidChangeTrustNotification, (params) => workspace?.setTrusted(params.trusted));

  connection.onHover(async (params, token) => {
    const file = uriToPath(params.textDocument.uri);
    const doc = documents.get(params.textDocument.uri);
    if (!file || !doc || !workspace) return null;
    const model = await workspace.loadedModel(file);
    if (token.isCancellationRequested) throw cancelled();
    const sf = workspace.syntax.sourceFile(file);
    if (!sf) return null;
    return hover(sf, doc.offsetAt(params.position), model?.model, path.basename(workspace.modelTargetFor(file)?.model ?? "the model"), reportFor(file));
  });

  connection.onCompletion(async (params, token) => {
    const file = uriToPath(params.textDocument.uri);
    const doc = documents.get(params.textDocument.uri);
    if (!file || !doc || !workspace) return [];
    const model = await workspace.loadedModel(file);
    if (token.isCancellationRequested) throw cancelled();
    const sf = workspace.syntax.sourceFile(file);
    return sf && model ? complete(sf, doc.offsetAt(params.position), model.model) : [];
  });

  connection.onCodeLens((params) => {
    const file = uriToPath(params.textDocument.uri);
    if (!file || !workspace) return [];
    const sf = workspace.syntax.sourceFile(file);
    return sf ? codeLenses(sf, workspace.results.get(file), workspace.trusted, !!workspace.targetFor(file)) : [];
  });

  connection.onRequest(AnnotatedGraphRequest, async (params, token) => {
    const file = uriToPath(params.uri);
    const target = file ? workspace?.targetFor(file) : undefined;
    if (!file || !workspace || !target) throw new ResponseError(LSPErrorCodes.RequestFailed, `${params.uri} is not a quantizer listed in qkit.json`);
    if (!workspace.trusted) throw new ResponseError(LSPErrorCodes.RequestFailed, "the workspace is not trusted, so the quantizer has not run");
    await Promise.race([workspace.settled(file), untilCancelled(token)]);
    const result = workspace.results.get(file);
    if (result?.outcome.kind !== "done") throw new ResponseError(LSPErrorCodes.RequestFailed, result ? `the last check did not finish (${result.outcome.kind})` : "the quantizer has not been checked yet; open it");
    return { text: result.outcome.report.graphText, version: result.version, model: target.model };
  });

  connection.onRequest(StatusRequest, () => workspace!.status());

  connection.onShutdown(() => workspace?.dispose());
  documents.listen(connection);
}

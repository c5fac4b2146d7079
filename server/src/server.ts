import * as path from "node:path";
import type * as ts from "typescript";
import {
  CancellationToken,
  CancellationTokenSource,
  CodeActionKind,
  CodeLensRefreshRequest,
  DidChangeWatchedFilesNotification,
  InlayHintRefreshRequest,
  MarkupKind,
  FileChangeType,
  LSPErrorCodes,
  MessageType,
  ShowMessageNotification,
  ResponseError,
  TextDocumentSyncKind,
  TextDocuments,
  type ClientCapabilities,
  type Connection,
  type Diagnostic,
  type Hover,
  type InitializeResult,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import {
  AnnotatedGraphRequest,
  DEFAULT_SETTINGS,
  DidChangeTrustNotification,
  GraphModelRequest,
  GraphViewRequest,
  CALIBRATE_COMMAND,
  NEW_QUANTIZER_COMMAND,
  NewQuantizerRequest,
  OPEN_GRAPH_COMMAND,
  RunCalibrationRequest,
  StatusChangedNotification,
  StatusRequest,
  type NewQuantizerResult,
  type RunCalibrationResult,
  type StatusResult,
} from "./protocol.js";
import { Workspace, type WorkspaceHost } from "./workspace/workspace.js";
import { isTrusted, validateSettings } from "./workspace/settings.js";
import type { CheckReport } from "./check/worker-protocol.js";
import { hover } from "./features/hover.js";
import { complete } from "./features/completion.js";
import { codeLenses } from "./features/code-lens.js";
import { argumentUri, pathToUri, uriToPath } from "./util/uri.js";
import { CalibrationFailure, CalibrationService } from "./calibration/calibration-service.js";
import { nodeCalibrationMarkdown, siteCalibrationMarkdown } from "./features/qparam-hover.js";
import { calibrationLenses, lensCommands, RUN_CALIBRATION_COMMAND } from "./features/calibration-lenses.js";
import { graphView } from "./features/graph-view.js";
import { graphModel } from "./features/graph-model.js";
import { scaleInlayHints } from "./features/inlay-hints.js";
import { stringAt } from "./typescript/syntax-queries.js";
import { codeActions, FIX_ALL_KIND } from "./features/code-actions.js";
import { graphDocumentUri, graphSources, nodeDefinitions, specReferences } from "./features/navigation.js";
import { documentSymbols, workspaceSymbols } from "./features/symbols.js";
import { NewQuantizerFailure, newQuantizer, newQuantizerCommand } from "./features/new-quantizer.js";

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

/** Cancelled when either is: the command's request, or the user's cancel on the progress the server created. */
function mergedToken(a: CancellationToken, b: CancellationToken): CancellationToken {
  const source = new CancellationTokenSource();
  for (const token of [a, b]) {
    if (token.isCancellationRequested) source.cancel();
    token.onCancellationRequested(() => source.cancel());
  }
  return source.token;
}

/** Wire the LSP connection to a Workspace: translation between URIs and paths, and between LSP and the features. */
export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  // Clients escape URIs differently; documents are found by path, and answered with the URI the client used.
  const openByPath = new Map<string, TextDocument>();
  let capabilities: ClientCapabilities = {};
  let workspace: Workspace | undefined;
  let calibration: CalibrationService | undefined;
  const settingWarnings: string[] = [];
  // A client's mistake in its settings is the user's to fix: shown once, and logged.
  const warn = (message: string) => {
    connection.console.warn(message);
    // A notification: a client that does not answer requests (showMessageRequest) must not fail anything here.
    void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message });
  };
  // The workspace's diagnostics per file; calibration's SQNR warnings are merged in when publishing.
  const workspaceDiagnostics = new Map<string, Diagnostic[]>();
  let sqnrDiagnostics = new Map<string, Diagnostic[]>();

  const send = (file: string) => {
    const doc = openByPath.get(file);
    const diagnostics = [...(workspaceDiagnostics.get(file) ?? []), ...(sqnrDiagnostics.get(file) ?? [])];
    void connection.sendDiagnostics({ uri: doc?.uri ?? pathToUri(file), diagnostics, ...(doc ? { version: doc.version } : {}) });
  };

  const status = (): StatusResult => {
    const result = workspace!.status();
    const targets = workspace!.config.targets;
    return { ...result, targets: result.targets.map((t, i) => (targets[i] && calibration ? { ...t, calibration: calibration.status(targets[i]) } : t)) };
  };

  /** Re-read the calibration reports: new SQNR warnings, lenses, inlay hints and status. */
  const calibrationChanged = () => {
    if (!workspace || !calibration) return;
    const before = sqnrDiagnostics;
    sqnrDiagnostics = calibration.diagnostics();
    for (const file of new Set([...before.keys(), ...sqnrDiagnostics.keys()])) {
      if (JSON.stringify(before.get(file)) !== JSON.stringify(sqnrDiagnostics.get(file))) send(file);
    }
    void connection.sendNotification(StatusChangedNotification, status());
    if (capabilities.workspace?.codeLens?.refreshSupport) void connection.sendRequest(CodeLensRefreshRequest.type);
    if (capabilities.workspace?.inlayHint?.refreshSupport) void connection.sendRequest(InlayHintRefreshRequest.type);
  };

  const host: WorkspaceHost = {
    open(file) {
      const doc = openByPath.get(file);
      return doc ? { text: doc.getText(), version: doc.version } : undefined;
    },
    openFiles: () => [...openByPath.keys()],
    publish(file, diagnostics) {
      workspaceDiagnostics.set(file, diagnostics);
      send(file);
    },
    log: (message) => connection.console.log(message),
    async progress(title, message) {
      if (!capabilities.window?.workDoneProgress) return () => undefined;
      const progress = await connection.window.createWorkDoneProgress();
      progress.begin(title, undefined, path.basename(message));
      return Object.assign(() => progress.done(), { report: (m: string) => progress.report(m) });
    },
    // A check finished: status and lenses changed, and a qkit.json edit or a CLI run may have changed the reports.
    checked: () => calibrationChanged(),
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

  // Commands the client runs itself (initializationOptions.clientCommands); lenses and hover links name those.
  let clientCommands: ReadonlySet<string> = new Set();

  connection.onInitialize((params): InitializeResult => {
    capabilities = params.capabilities;
    const given: unknown = params.initializationOptions;
    const options = (given !== null && typeof given === "object" ? given : {}) as Record<string, unknown>;
    const rootUri = params.workspaceFolders?.[0]?.uri ?? params.rootUri;
    const root = (rootUri && uriToPath(rootUri)) || params.rootPath || process.cwd();
    workspace = new Workspace(root, host);
    // A client without a notion of trust leaves it out (the user started the server on their own project); any
    // value it does send is trust only when it is the boolean true.
    workspace.trusted = options.trusted === undefined || isTrusted(options.trusted);
    clientCommands = new Set(Array.isArray(options.clientCommands) ? options.clientCommands.filter((c): c is string => typeof c === "string") : []);
    const initial = validateSettings(options.settings);
    workspace.settings = { ...DEFAULT_SETTINGS, ...initial.settings };
    settingWarnings.push(...initial.warnings);
    calibration = new CalibrationService(workspace, calibrationChanged);
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        inlayHintProvider: true,
        codeLensProvider: { resolveProvider: false },
        completionProvider: { triggerCharacters: ['"', "'", "`", "/"] },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND] },
        definitionProvider: true,
        referencesProvider: true,
        documentSymbolProvider: true,
        workspaceSymbolProvider: true,
        executeCommandProvider: { commands: [NEW_QUANTIZER_COMMAND, CALIBRATE_COMMAND, OPEN_GRAPH_COMMAND] },
      },
      serverInfo: { name: SERVER_NAME, version: VERSION },
    };
  });

  connection.onInitialized(() => {
    for (const warning of settingWarnings.splice(0)) warn(warning);
    workspace!.start();
    // Reports from an earlier session or a `qkit quantize` run: their SQNR warnings show without calibrating again.
    calibrationChanged();
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
    const given: unknown = params?.settings;
    const raw = given !== null && typeof given === "object" ? (given as { qkit?: unknown }).qkit : undefined;
    if (raw === undefined) return;
    const { settings, warnings } = validateSettings(raw);
    for (const warning of warnings) warn(warning);
    workspace?.setSettings(settings);
    calibrationChanged();
  });

  connection.onNotification(DidChangeTrustNotification, (params: unknown) => workspace?.setTrusted(isTrusted((params as { trusted?: unknown } | null)?.trusted)));

  connection.onHover(async (params, token) => {
    const file = uriToPath(params.textDocument.uri);
    const doc = documents.get(params.textDocument.uri);
    if (!file || !doc || !workspace) return null;
    const model = await workspace.loadedModel(file);
    if (token.isCancellationRequested) throw cancelled();
    const sf = workspace.syntax.sourceFile(file);
    if (!sf) return null;
    const offset = doc.offsetAt(params.position);
    const base = hover(sf, offset, model?.model, path.basename(workspace.modelTargetFor(file)?.model ?? "the model"), reportFor(file));
    return withCalibration(base, file, sf, offset, params.textDocument.uri);
  });

  /** Hovers on node names and spec lines gain the calibrated qparams, SQNR and histogram, or say how to get them. */
  const withCalibration = (base: Hover | null, file: string, sf: ts.SourceFile, offset: number, uri: string): Hover | null => {
    if (!base || !workspace || !calibration) return base;
    const report = calibration.reportFor(file);
    const threshold = workspace.settings.sqnrThresholdDb;
    let extra: string | undefined;
    if (report) {
      const str = stringAt(sf, offset);
      const at = sf.getLineAndCharacterOfPosition(offset);
      extra = str && !str.inSourcePartitions ? nodeCalibrationMarkdown(report, str.value, threshold) : siteCalibrationMarkdown(report, file, at.line + 1, at.character, threshold);
    } else if (workspace.targetFor(file)) {
      const args = encodeURIComponent(JSON.stringify([uri]));
      // A command link only where the client runs it; other clients have the lens (the server's command).
      const run = clientCommands.has(RUN_CALIBRATION_COMMAND) ? `[Run calibration](command:${RUN_CALIBRATION_COMMAND}?${args})` : "Run calibration (the code lens above the Quantizer class)";
      extra = workspace.trusted
        ? `---\n\n_Not calibrated yet:_ ${run} to see scales, zero points, observed ranges and SQNR here.`
        : "---\n\n_Not calibrated:_ calibration runs the quantizer, which restricted mode does not allow.";
    }
    if (!extra) return base;
    const value = typeof base.contents === "object" && "value" in base.contents ? base.contents.value : String(base.contents);
    // Once calibrated, the qparams are what the user came for: they go first, above the (long) list of slots.
    const combined = report ? `${extra.replace(/^---\n\n/, "")}\n\n---\n\n${value}` : `${value}\n\n${extra}`;
    return { ...base, contents: { kind: MarkupKind.Markdown, value: combined } };
  };

  connection.onCompletion(async (params, token) => {
    const file = uriToPath(params.textDocument.uri);
    const doc = documents.get(params.textDocument.uri);
    if (!file || !doc || !workspace) return [];
    const model = await workspace.loadedModel(file);
    if (token.isCancellationRequested) throw cancelled();
    const sf = workspace.syntax.sourceFile(file);
    return sf && model ? complete(sf, doc.offsetAt(params.position), model.model) : [];
  });

  connection.onCodeAction(async (params) => {
    const file = uriToPath(params.textDocument.uri);
    const doc = documents.get(params.textDocument.uri);
    if (!file || !doc || !workspace) return [];
    const model = await workspace.loadedModel(file);
    return codeActions(params, doc, file, model?.model, [...(workspaceDiagnostics.get(file) ?? []), ...(sqnrDiagnostics.get(file) ?? [])]);
  });

  connection.onDefinition((params) => {
    const file = uriToPath(params.textDocument.uri);
    const doc = documents.get(params.textDocument.uri);
    const sf = file && workspace?.syntax.sourceFile(file);
    return sf && doc ? nodeDefinitions(sf, doc.offsetAt(params.position), graphSources(workspace!, calibration)) : [];
  });

  connection.onReferences((params) => {
    const file = uriToPath(params.textDocument.uri);
    const doc = documents.get(params.textDocument.uri);
    const sf = file && workspace?.syntax.sourceFile(file);
    return sf && doc ? specReferences(sf, doc.offsetAt(params.position), graphSources(workspace!, calibration)) : [];
  });

  connection.onDocumentSymbol((params) => {
    const file = uriToPath(params.textDocument.uri);
    const sf = file && workspace?.syntax.sourceFile(file);
    return sf ? documentSymbols(sf) : [];
  });

  connection.onWorkspaceSymbol((params) => {
    const files = new Set([...(workspace?.config.targets.map((t) => t.quantizerPath) ?? []), ...openByPath.keys()]);
    return workspaceSymbols(params.query, [...files].flatMap((file) => (/\.[cm]?[jt]sx?$/.test(file) && workspace?.syntax.sourceFile(file) ? [{ file, sf: workspace.syntax.sourceFile(file)! }] : [])));
  });

  connection.onCodeLens((params) => {
    const file = uriToPath(params.textDocument.uri);
    if (!file || !workspace) return [];
    const sf = workspace.syntax.sourceFile(file);
    if (!sf) return [];
    const lenses = codeLenses(sf, workspace.results.get(file), workspace.trusted, !!workspace.targetFor(file));
    const actions = workspace.trusted && workspace.targetFor(file) ? calibrationLenses(sf, params.textDocument.uri, !!calibration?.isRunning(file), lensCommands(clientCommands)) : [];
    return [...actions, ...lenses];
  });

  connection.languages.inlayHint.on((params) => {
    const file = uriToPath(params.textDocument.uri);
    if (!file || !workspace?.settings.inlayHints || !calibration) return [];
    const sf = workspace.syntax.sourceFile(file);
    const report = calibration.reportFor(file);
    return sf && report ? scaleInlayHints(sf, report, params.range.start.line, params.range.end.line) : [];
  });

  /** Progress as LSP's work-done reports: the client's token (qkit/runCalibration) or one the server created. */
  interface CalibrationProgress {
    begin(title: string, percentage?: number, message?: string, cancellable?: boolean): void;
    report(percentage: number, message?: string): void;
    done(): void;
  }

  /** Calibrate a target and export it; a cancelled run writes nothing and fails with the LSP's cancelled error. */
  async function calibrate(file: string, output: string | undefined, progress: CalibrationProgress | undefined, token: CancellationToken): Promise<RunCalibrationResult> {
    if (!calibration) throw new ResponseError(LSPErrorCodes.RequestFailed, "the server is not initialized");
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    progress?.begin(`Calibrating ${path.basename(file)}`, 0, "starting…", true);
    try {
      return await calibration.run(
        file,
        output,
        {
          progress(event) {
            const rate = event.elapsedMs > 0 ? Math.round((event.items * 1000) / event.elapsedMs) : 0;
            const percent = event.limit ? Math.min(100, Math.round((100 * event.items) / event.limit)) : undefined;
            progress?.report(percent ?? 0, `${event.items}${event.limit ? `/${event.limit}` : ""} samples · ${rate} samples/s`);
          },
          stage(stage) {
            progress?.report(100, stage === "compare" ? "comparing float and quantized (SQNR)…" : "writing the model and the report…");
          },
        },
        abort.signal,
      );
    } catch (error) {
      if (abort.signal.aborted) throw cancelled();
      if (error instanceof CalibrationFailure) throw new ResponseError(LSPErrorCodes.RequestFailed, error.message);
      throw error;
    } finally {
      progress?.done();
    }
  }

  connection.onRequest(RunCalibrationRequest, async (params, token) => {
    const file = uriToPath(params.uri);
    if (!file) throw new ResponseError(LSPErrorCodes.RequestFailed, `${params.uri} is not a file`);
    const progress = params.workDoneToken !== undefined ? connection.window.attachWorkDoneProgress(params.workDoneToken) : undefined;
    return calibrate(file, params.output ? uriToPath(params.output) ?? params.output : undefined, progress, token);
  });

  /** A target's quantizer once its check in flight settles: the requests that show its graph start here. */
  async function checkedTarget(uri: string, token: CancellationToken) {
    const file = uriToPath(uri);
    const target = file ? workspace?.targetFor(file) : undefined;
    if (!file || !workspace || !target) throw new ResponseError(LSPErrorCodes.RequestFailed, `${uri} is not a quantizer listed in qkit.json`);
    if (!workspace.trusted) throw new ResponseError(LSPErrorCodes.RequestFailed, "the workspace is not trusted, so the quantizer has not run");
    await Promise.race([workspace.settled(file), untilCancelled(token)]);
    const result = workspace.results.get(file);
    if (result?.outcome.kind !== "done") throw new ResponseError(LSPErrorCodes.RequestFailed, result ? `the last check did not finish (${result.outcome.kind})` : "the quantizer has not been checked yet; open it");
    // The workspace as it is now narrowed, for callers that use it after the await.
    return { file, target, workspace, result, report: result.outcome.report };
  }

  connection.onRequest(GraphViewRequest, async (params, token) => {
    const { file, target, report } = await checkedTarget(params.uri, token);
    return graphView(report.graphText, report.annotations, target.model, calibration?.reportFor(file));
  });

  connection.onRequest(GraphModelRequest, async (params, token) => {
    const { file, target, workspace: ws, report } = await checkedTarget(params.uri, token);
    const loaded = await ws.loadedModel(file);
    if (!loaded) throw new ResponseError(LSPErrorCodes.RequestFailed, `${target.model} is not loaded`);
    const { annotations, coverage } = report;
    return graphModel({ model: loaded.model, quantizer: params.uri, annotations, coverage, report: calibration?.reportFor(file), sqnrThresholdDb: ws.settings.sqnrThresholdDb });
  });

  connection.onRequest(AnnotatedGraphRequest, async (params, token) => {
    const { target, result, report } = await checkedTarget(params.uri, token);
    return { text: report.graphText, version: result.version, model: target.model };
  });

  connection.onRequest(StatusRequest, () => status());

  const scaffold = async (run: () => Promise<NewQuantizerResult>) => {
    if (!workspace) throw new ResponseError(LSPErrorCodes.RequestFailed, "the server has no workspace folder to write into");
    try {
      return await run();
    } catch (error) {
      if (error instanceof NewQuantizerFailure) throw new ResponseError(LSPErrorCodes.RequestFailed, error.message);
      throw error;
    }
  };
  connection.onRequest(NewQuantizerRequest, (params) => scaffold(() => newQuantizer(workspace!, params)));
  connection.onExecuteCommand((params, token) => {
    if (params.command === CALIBRATE_COMMAND) return calibrateCommand(params.arguments ?? [], token);
    if (params.command === OPEN_GRAPH_COMMAND) return openGraphCommand(params.arguments ?? []);
    return scaffold(() => newQuantizerCommand(workspace!, params, {
      open: (file) => openByPath.get(file),
      ...(capabilities.workspace?.applyEdit ? { applyEdit: (edit) => connection.workspace.applyEdit({ label: "qkit: new quantizer", edit }) } : {}),
      ...(capabilities.window?.showDocument?.support ? { showDocument: (uri) => connection.window.showDocument({ uri, takeFocus: true }) } : {}),
    }));
  });

  /** A command's file argument: a URI, or a path (relative to the workspace root). */
  const fileArgument = (command: string, value: unknown, what: string): string => {
    if (typeof value !== "string" || !value) throw new ResponseError(LSPErrorCodes.RequestFailed, `${command} takes ${what} (a URI or a path) as its argument, not ${JSON.stringify(value)}`);
    const uri = argumentUri(value, workspace?.root ?? process.cwd());
    const file = uriToPath(uri);
    if (!file) throw new ResponseError(LSPErrorCodes.RequestFailed, `${command}: ${value} is not a file`);
    return file;
  };

  /** The "Run calibration" lens for clients without qkit/runCalibration: the server's own progress and message. */
  async function calibrateCommand(args: unknown[], token: CancellationToken): Promise<RunCalibrationResult> {
    const file = fileArgument(CALIBRATE_COMMAND, args[0], "the quantizer file");
    const output = args[1] === undefined || args[1] === null ? undefined : fileArgument(CALIBRATE_COMMAND, args[1], "the output model");
    const progress = capabilities.window?.workDoneProgress ? await connection.window.createWorkDoneProgress() : undefined;
    try {
      const result = await calibrate(file, output, progress, progress ? mergedToken(token, progress.token) : token);
      const low = result.lowSqnr.length ? `; ${result.lowSqnr.length} node(s) below the SQNR threshold, worst ${result.lowSqnr[0]!.node} at ${result.lowSqnr[0]!.sqnr.toFixed(1)} dB` : "";
      void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Info, message: `qkit: calibrated ${path.basename(file)} on ${result.items} samples; wrote ${uriToPath(result.output) ?? result.output}${low}` });
      return result;
    } catch (error) {
      const message = error instanceof ResponseError ? error.message : String(error);
      const cancelledRun = error instanceof ResponseError && error.code === LSPErrorCodes.RequestCancelled;
      void connection.sendNotification(ShowMessageNotification.type, {
        type: cancelledRun ? MessageType.Info : MessageType.Error,
        message: `qkit: calibration of ${path.basename(file)} ${cancelledRun ? "was cancelled; nothing was written" : `failed: ${message}`}`,
      });
      throw error;
    }
  }

  /** The "Show annotated graph" lens for clients without the graph panel: the graph document, where they can show it. */
  async function openGraphCommand(args: unknown[]): Promise<{ uri: string }> {
    const file = fileArgument(OPEN_GRAPH_COMMAND, args[0], "the quantizer file");
    if (!workspace?.targetFor(file)) throw new ResponseError(LSPErrorCodes.RequestFailed, `${file} is not a quantizer listed in qkit.json`);
    const uri = graphDocumentUri(file);
    if (capabilities.window?.showDocument?.support) await connection.window.showDocument({ uri, takeFocus: true }).catch(() => undefined);
    return { uri };
  }

  connection.onShutdown(() => workspace?.dispose());
  documents.listen(connection);
}

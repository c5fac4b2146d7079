import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { readFileSync } from "node:fs";
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
} from "vscode-languageserver-protocol/node";
import {
  CodeActionRequest,
  CodeLensRequest,
  CompletionRequest,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  WorkDoneProgress,
  WorkDoneProgressCreateRequest,
  type ClientCapabilities,
  type CodeAction,
  type Command,
  type Range,
  type CodeLens,
  type CompletionItem,
  type CompletionList,
  type Diagnostic,
  type Hover,
  type InitializeResult,
  type Position,
  type ProgressToken,
  type PublishDiagnosticsParams,
  type WorkDoneProgressBegin,
  type WorkDoneProgressEnd,
  type WorkDoneProgressReport,
} from "vscode-languageserver-protocol";
import { pathToFileURL } from "node:url";
import type { QkitInitializationOptions } from "../../src/protocol.js";

export const ROOT = path.resolve(__dirname, "..", "..", "..", "..");
const BIN = path.join(ROOT, "server", "bin", "qkit-language-server.js");

export const uri = (file: string) => pathToFileURL(file).href;

interface Waiter {
  uri: string;
  predicate: (p: PublishDiagnosticsParams) => boolean;
  resolve: (p: PublishDiagnosticsParams) => void;
}

export type ProgressEvent = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

/**
 * A real LSP client over stdio: spawns the server's bin like an editor would, speaks JSON-RPC through
 * vscode-languageserver-protocol, and records every publishDiagnostics so tests can wait for the one they expect.
 */
export class LspClient {
  readonly latest = new Map<string, PublishDiagnosticsParams>();
  readonly progressTokens: ProgressToken[] = [];
  /** Every work-done progress notification, by token: the server's own tokens, and those given to recordProgress. */
  readonly progress = new Map<ProgressToken, ProgressEvent[]>();
  readonly logs: string[] = [];
  readonly #waiters: Waiter[] = [];
  readonly #versions = new Map<string, number>();
  initializeResult: InitializeResult | undefined;
  /** What the server wrote to stderr (QKIT_LS_DEBUG=1 echoes it). */
  stderr = "";

  private constructor(readonly process: ChildProcess, readonly connection: ProtocolConnection) {
    connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
      this.latest.set(p.uri, p);
      for (const w of [...this.#waiters]) {
        if (w.uri === p.uri && w.predicate(p)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(p);
        }
      }
    });
    connection.onRequest(WorkDoneProgressCreateRequest.type, (p) => {
      this.progressTokens.push(p.token);
      this.recordProgress(p.token);
    });
    connection.onNotification("window/logMessage", (p: { message: string }) => {
      this.logs.push(p.message);
    });
    connection.onRequest("workspace/codeLens/refresh", () => null);
    connection.onRequest("client/registerCapability", () => null);
  }

  static async start(root: string, options: QkitInitializationOptions = {}, capabilities: ClientCapabilities = { window: { workDoneProgress: true } }): Promise<LspClient> {
    const child = spawn(process.execPath, [BIN, "--stdio"], { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
    child.stderr!.on("data", (chunk: Buffer) => {
      client.stderr += chunk.toString();
      if (process.env.QKIT_LS_DEBUG) process.stderr.write(chunk);
    });
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new LspClient(child, connection);
    connection.listen();
    client.initializeResult = await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: uri(root),
      workspaceFolders: [{ uri: uri(root), name: path.basename(root) }],
      capabilities,
      initializationOptions: options,
    });
    await connection.sendNotification(InitializedNotification.type, {});
    return client;
  }

  /** Record the progress notifications on a token (one the client passes as workDoneToken, say). */
  recordProgress(token: ProgressToken): ProgressEvent[] {
    const events: ProgressEvent[] = [];
    this.progress.set(token, events);
    this.connection.onProgress(WorkDoneProgress.type, token, (event) => void events.push(event));
    return events;
  }

  /** Resolves with the first publish (already received or to come) for the file that satisfies the predicate. */
  waitFor(file: string, predicate: (diagnostics: Diagnostic[], p: PublishDiagnosticsParams) => boolean, timeoutMs = 60_000): Promise<Diagnostic[]> {
    const u = uri(file);
    const test = (p: PublishDiagnosticsParams) => predicate(p.diagnostics, p);
    const current = this.latest.get(u);
    if (current && test(current)) return Promise.resolve(current.diagnostics);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.findIndex((w) => w.resolve === done), 1);
        reject(new Error(`no matching diagnostics for ${path.basename(file)} within ${timeoutMs} ms; last: ${JSON.stringify(this.latest.get(u)?.diagnostics.map((d) => [d.code, d.range.start.line + 1, d.message]))}`));
      }, timeoutMs);
      const done = (p: PublishDiagnosticsParams) => {
        clearTimeout(timer);
        resolve(p.diagnostics);
      };
      this.#waiters.push({ uri: u, predicate: test, resolve: done });
    });
  }

  async open(file: string, text = readFileSync(file, "utf8")): Promise<void> {
    this.#versions.set(file, 1);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: uri(file), languageId: "typescript", version: 1, text } });
  }

  /** Replace the given line (1-based) with new text, as an incremental change. */
  async changeLine(file: string, line: number, oldLine: string, newLine: string): Promise<number> {
    const version = (this.#versions.get(file) ?? 1) + 1;
    this.#versions.set(file, version);
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: uri(file), version },
      contentChanges: [{ range: { start: { line: line - 1, character: 0 }, end: { line: line - 1, character: oldLine.length } }, text: newLine }],
    });
    return version;
  }

  /** Replace the whole text, as one change; resolves with the new version. */
  async replaceText(file: string, text: string): Promise<number> {
    const version = (this.#versions.get(file) ?? 1) + 1;
    this.#versions.set(file, version);
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri: uri(file), version }, contentChanges: [{ text }] });
    return version;
  }

  async codeActions(file: string, range: Range, diagnostics: Diagnostic[], only?: string[]): Promise<CodeAction[]> {
    const result: (CodeAction | Command)[] | null = await this.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri: uri(file) }, range, context: { diagnostics, ...(only ? { only } : {}) } });
    return (result ?? []).filter((a): a is CodeAction => "kind" in a || "edit" in a);
  }

  async close(file: string): Promise<void> {
    await this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri: uri(file) } });
  }

  hover(file: string, position: Position): Promise<Hover | null> {
    return this.connection.sendRequest(HoverRequest.type, { textDocument: { uri: uri(file) }, position });
  }

  async completion(file: string, position: Position): Promise<CompletionItem[]> {
    const result: CompletionItem[] | CompletionList | null = await this.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: uri(file) }, position });
    return Array.isArray(result) ? result : result?.items ?? [];
  }

  codeLens(file: string): Promise<CodeLens[] | null> {
    return this.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri: uri(file) } });
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.process.once("exit", resolve));
    try {
      await Promise.race([this.connection.sendRequest(ShutdownRequest.type), new Promise((r) => setTimeout(r, 2000))]);
      await this.connection.sendNotification(ExitNotification.type);
    } catch {
      // The server may already be gone; the kill below ends it either way.
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
    this.connection.dispose();
    if (this.process.exitCode === null) this.process.kill();
  }
}

/** Position (0-based) of the first occurrence of `needle` in a file's text, plus an offset into it. */
export function positionOf(text: string, needle: string, offset = 0): Position {
  const index = text.indexOf(needle);
  if (index < 0) throw new Error(`"${needle}" is not in the text`);
  const before = text.slice(0, index + offset).split("\n");
  return { line: before.length - 1, character: before.at(-1)!.length };
}

/**
 * A `waitFor` predicate: the published diagnostics hold the checker's findings for this version of the text (every
 * finding carries the version its check ran on).
 */
export const findingsOf = (version: number) => (ds: readonly { source?: string; data?: unknown }[]) =>
  ds.some((d) => d.source === "qkit" && (d.data as { version?: number } | undefined)?.version === version);

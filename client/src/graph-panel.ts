import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { GraphModelRequest } from "qkit-language-server/protocol";
import type { FromWebview, GraphViewState, ToWebview } from "./graph-messages";

export const GRAPH_VIEW_TYPE = "qkit.graph";

/**
 * "qkit: Show graph": one webview panel per quantizer, drawn by the bundled script in dist/webview (layout, folding,
 * colours live there); this side only passes the server's qkit/graphModel data in, and the webview's clicks and the
 * editor's cursor between the two. Panels come back after a reload through the serializer and the webview's state.
 */
export class GraphPanels implements vscode.WebviewPanelSerializer<GraphViewState> {
  readonly #panels = new Map<string, vscode.WebviewPanel>();

  constructor(private readonly extensionUri: vscode.Uri, private readonly client: () => LanguageClient | undefined) {}

  show(quantizer: vscode.Uri): vscode.WebviewPanel {
    const key = quantizer.toString();
    const open = this.#panels.get(key);
    if (open) {
      open.reveal(undefined, true);
      return open;
    }
    const panel = vscode.window.createWebviewPanel(GRAPH_VIEW_TYPE, this.#title(quantizer), { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, this.#options());
    this.#attach(panel, key);
    return panel;
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: GraphViewState | undefined): Promise<void> {
    if (!state?.quantizer) {
      panel.dispose();
      return;
    }
    panel.webview.options = this.#options();
    this.#attach(panel, state.quantizer);
  }

  /** After a check or a calibration every open panel asks for the new data. */
  refreshAll(): void {
    for (const [quantizer, panel] of this.#panels) void this.#load(panel, quantizer);
  }

  /** The editor's cursor moved: panels highlight the nodes the spec or annotation on that line covers. */
  cursorMoved(document: vscode.TextDocument, line: number): void {
    if (document.uri.scheme !== "file") return;
    for (const panel of this.#panels.values()) void this.#post(panel, { kind: "cursor", uri: document.uri.toString(), line });
  }

  #title(quantizer: vscode.Uri): string {
    return `Graph · ${quantizer.path.split("/").pop()}`;
  }

  #options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return { enableScripts: true, localResourceRoots: [this.#assets()] };
  }

  #assets(): vscode.Uri {
    return vscode.Uri.joinPath(this.extensionUri, "client", "dist", "webview");
  }

  #attach(panel: vscode.WebviewPanel, quantizer: string): void {
    this.#panels.set(quantizer, panel);
    panel.title = this.#title(vscode.Uri.parse(quantizer));
    panel.webview.html = this.#html(panel.webview, quantizer);
    panel.webview.onDidReceiveMessage((message: FromWebview) => {
      if (message.kind === "ready") void this.#load(panel, quantizer);
      else if (message.kind === "reveal") void reveal(message);
    });
    panel.onDidDispose(() => {
      if (this.#panels.get(quantizer) === panel) this.#panels.delete(quantizer);
    });
  }

  async #load(panel: vscode.WebviewPanel, quantizer: string): Promise<void> {
    const client = this.client();
    if (!client) return this.#post(panel, { kind: "error", message: "The qkit language server is not running." });
    try {
      const graph = await client.sendRequest(GraphModelRequest, { uri: quantizer });
      await this.#post(panel, { kind: "graph", graph });
    } catch (error) {
      await this.#post(panel, { kind: "error", message: `No graph: ${(error as Error).message}` });
    }
  }

  async #post(panel: vscode.WebviewPanel, message: ToWebview): Promise<void> {
    // A panel closed while the server answered has nothing to show it in.
    await Promise.resolve(panel.webview.postMessage(message)).catch(() => false);
  }

  #html(webview: vscode.Webview, quantizer: string): string {
    const nonce = randomBytes(16).toString("base64");
    const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(this.#assets(), name)).toString();
    const csp = `default-src 'none'; style-src ${webview.cspSource}; img-src ${webview.cspSource}; font-src ${webview.cspSource}; script-src 'nonce-${nonce}'`;
    const attr = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset("graph.css")}">
<title>qkit graph</title>
</head>
<body data-quantizer="${attr(quantizer)}">
<script nonce="${nonce}" src="${asset("graph.js")}"></script>
</body>
</html>`;
  }
}

/** Open the quantizer at a line, in the editor column beside the graph (the first column unless it is already shown). */
async function reveal(at: { uri: string; line: number; character: number }): Promise<void> {
  const uri = vscode.Uri.parse(at.uri);
  const position = new vscode.Position(at.line, at.character);
  const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
  await vscode.window.showTextDocument(uri, { selection: new vscode.Range(position, position), viewColumn: shown?.viewColumn ?? vscode.ViewColumn.One });
}

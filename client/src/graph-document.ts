import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { GraphViewRequest, type GraphViewResult } from "qkit-language-server/protocol";

export const GRAPH_SCHEME = "qkit-graph";

/**
 * "qkit: Show annotated graph": a read-only virtual document per quantizer (`qkit-graph:/NAME.qkit-graph?QUANTIZER`),
 * filled from qkit/graphView, re-read after each calibration; node names link back to the lines that annotated them.
 */
export class GraphDocuments implements vscode.TextDocumentContentProvider, vscode.DocumentLinkProvider {
  readonly #changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.#changed.event;
  readonly #views = new Map<string, GraphViewResult>();

  constructor(private readonly client: () => LanguageClient | undefined) {}

  static uriFor(quantizer: vscode.Uri): vscode.Uri {
    const name = quantizer.path.split("/").pop()!.replace(/\.[cm]?[jt]s$/, "");
    return vscode.Uri.from({ scheme: GRAPH_SCHEME, path: `/${name}.qkit-graph`, query: quantizer.toString() });
  }

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const client = this.client();
    if (!client) return "# the qkit language server is not running";
    try {
      const view = await client.sendRequest(GraphViewRequest, { uri: uri.query }, token);
      this.#views.set(uri.toString(), view);
      return view.text;
    } catch (error) {
      this.#views.delete(uri.toString());
      return `# no annotated graph: ${(error as Error).message}`;
    }
  }

  provideDocumentLinks(document: vscode.TextDocument): vscode.DocumentLink[] {
    const view = this.#views.get(document.uri.toString());
    return (view?.links ?? []).map((l) => {
      const target = vscode.Uri.parse(l.target.uri).with({ fragment: `L${l.target.line + 1},${l.target.character + 1}` });
      const link = new vscode.DocumentLink(new vscode.Range(l.line, l.start, l.line, l.end), target);
      link.tooltip = "Go to the line that annotated this node";
      return link;
    });
  }

  /** After calibration (or a new check) the open graph documents show the new qparams. */
  refreshAll(): void {
    for (const doc of vscode.workspace.textDocuments) if (doc.uri.scheme === GRAPH_SCHEME) this.#changed.fire(doc.uri);
  }

  async show(quantizer: vscode.Uri): Promise<vscode.TextDocument> {
    const uri = GraphDocuments.uriFor(quantizer);
    this.#changed.fire(uri);
    let doc = await vscode.workspace.openTextDocument(uri);
    if (doc.languageId !== "qkit-graph") doc = await vscode.languages.setTextDocumentLanguage(doc, "qkit-graph");
    await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.Beside });
    return doc;
  }
}

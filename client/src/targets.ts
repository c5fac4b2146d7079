import * as path from "node:path";
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { StatusRequest, type StatusResult, type TargetStatus } from "qkit-language-server/protocol";

/**
 * Which target a command acts on: the one given (a lens or hover link passes the quantizer's URI), else the active
 * editor's, else the one picked with "qkit: Select target", else a quick pick.
 */
export class Targets {
  selected: string | undefined;

  constructor(private readonly client: () => LanguageClient | undefined, private readonly configFile: () => vscode.Uri | undefined) {}

  async status(): Promise<StatusResult | undefined> {
    const client = this.client();
    return client?.isRunning() ? client.sendRequest(StatusRequest) : undefined;
  }

  quantizerUri(target: TargetStatus): vscode.Uri {
    const config = this.configFile();
    return config ? vscode.Uri.file(path.resolve(path.dirname(config.fsPath), target.quantizer)) : vscode.Uri.file(target.quantizer);
  }

  async resolve(arg?: unknown): Promise<vscode.Uri | undefined> {
    if (typeof arg === "string") return vscode.Uri.parse(arg);
    if (arg instanceof vscode.Uri) return arg;
    const status = await this.status();
    if (!status || status.targets.length === 0) {
      void vscode.window.showWarningMessage("qkit: no targets; add one to qkit.json");
      return undefined;
    }
    const uris = status.targets.map((t) => this.quantizerUri(t));
    const active = vscode.window.activeTextEditor?.document.uri;
    const match = active && uris.find((u) => u.fsPath === active.fsPath);
    if (match) return match;
    if (this.selected) return vscode.Uri.parse(this.selected);
    if (uris.length === 1) return uris[0];
    return this.pick(status);
  }

  async pick(status?: StatusResult): Promise<vscode.Uri | undefined> {
    status ??= await this.status();
    if (!status) return undefined;
    const items = status.targets.map((t) => ({ label: path.basename(t.quantizer), description: `${t.quantizer} → ${t.model}`, uri: this.quantizerUri(t) }));
    const chosen = await vscode.window.showQuickPick(items, { placeHolder: "qkit target (quantizer → model) for Run calibration, Export and the graph" });
    if (!chosen) return undefined;
    this.selected = chosen.uri.toString();
    return chosen.uri;
  }
}

import * as path from "node:path";
import * as vscode from "vscode";
import type { StatusResult, TargetStatus } from "qkit-language-server/protocol";

/** Target, model and state (checking / ok / N errors / calibrating 42%) of the target the user works on. */
export class StatusBar implements vscode.Disposable {
  readonly #item = vscode.window.createStatusBarItem("qkit.status", vscode.StatusBarAlignment.Left, 10);
  #last: StatusResult | undefined;

  constructor(private readonly current: (status: StatusResult) => TargetStatus | undefined) {
    this.#item.name = "qkit";
    this.#item.command = "qkit.selectTarget";
    this.#item.text = "$(loading~spin) qkit: starting";
    this.#item.show();
  }

  restricted(): void {
    this.#item.text = "$(shield) qkit: restricted";
    this.#item.tooltip = "Restricted mode: qkit type-checks quantizers but runs none of the workspace's code (no checks, no calibration). Trust the workspace to enable them.";
    this.#item.command = "workbench.trust.manage";
  }

  stopped(reason: string): void {
    this.#item.text = "$(error) qkit: stopped";
    this.#item.tooltip = reason;
    this.#item.command = "qkit.restartServer";
  }

  update(status: StatusResult | undefined = this.#last): void {
    if (!status) return;
    this.#last = status;
    if (!status.trusted) return this.restricted();
    this.#item.command = "qkit.selectTarget";
    const target = this.current(status);
    if (!target) {
      this.#item.text = status.config ? "$(circle-slash) qkit: no targets" : "$(circle-slash) qkit: no qkit.json";
      this.#item.tooltip = "qkit.json lists no targets";
      return;
    }
    const calibration = target.calibration;
    let state: string;
    let icon: string;
    if (calibration?.state === "running") {
      state = `calibrating${calibration.percent !== undefined ? ` ${calibration.percent}%` : "…"}`;
      icon = "$(sync~spin)";
    } else if (target.modelState === "loading" || !target.lastCheck) {
      state = "checking";
      icon = "$(loading~spin)";
    } else if (target.modelState === "error") {
      state = "model error";
      icon = "$(error)";
    } else if (target.lastCheck.outcome !== "done") {
      state = target.lastCheck.outcome;
      icon = "$(error)";
    } else if (target.lastCheck.errors > 0) {
      state = `${target.lastCheck.errors} error${target.lastCheck.errors === 1 ? "" : "s"}`;
      icon = "$(error)";
    } else {
      state = "ok";
      icon = "$(check)";
    }
    this.#item.text = `${icon} qkit: ${path.basename(target.quantizer)} · ${path.basename(target.model)} · ${state}`;
    const lines = [`${target.quantizer} → ${target.model}`];
    if (target.lastCheck?.annotated !== undefined) lines.push(`${target.lastCheck.annotated} of ${target.lastCheck.total} nodes annotated`);
    if (calibration?.state === "done") lines.push("calibrated: hovers show qparams and SQNR");
    if (calibration?.state === "failed") lines.push(`calibration failed: ${calibration.error}`);
    lines.push("Click to select the target");
    this.#item.tooltip = lines.join("\n");
  }

  dispose(): void {
    this.#item.dispose();
  }
}

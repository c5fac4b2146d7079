import * as path from "node:path";
import * as vscode from "vscode";
import { WorkDoneProgress, type LanguageClient } from "vscode-languageclient/node";
import { RunCalibrationRequest, type RunCalibrationResult } from "qkit-language-server/protocol";

let next = 0;

/**
 * Run calibration (or export to `output`) through qkit/runCalibration. The server does the work and reports on a
 * progress token this client creates; the notification shows its percentage and samples/s, and its Cancel button
 * cancels the request (the server then writes nothing).
 */
export async function runCalibration(client: LanguageClient, quantizer: vscode.Uri, output?: vscode.Uri): Promise<RunCalibrationResult | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage("qkit: calibration runs the quantizer's code, which restricted mode does not allow. Trust the workspace to calibrate.", "Manage Workspace Trust").then((choice) => {
      if (choice) void vscode.commands.executeCommand("workbench.trust.manage");
    });
    return undefined;
  }
  // The server calibrates what is on disk: unsaved edits would silently not count.
  const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === quantizer.fsPath);
  if (open?.isDirty) await open.save();
  const name = path.basename(quantizer.fsPath);
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: output ? `qkit: exporting ${name}` : `qkit: calibrating ${name}`, cancellable: true },
    async (progress, token) => {
      const workDoneToken = `qkit-calibration-${process.pid}-${next++}`;
      let reported = 0;
      const subscription = client.onProgress(WorkDoneProgress.type, workDoneToken, (p) => {
        if (p.kind === "end") return;
        const percentage = p.percentage ?? reported;
        progress.report({ increment: Math.max(0, percentage - reported), ...(p.message ? { message: p.message } : {}) });
        reported = Math.max(reported, percentage);
      });
      try {
        const result = await client.sendRequest(RunCalibrationRequest, { uri: quantizer.toString(), workDoneToken, ...(output ? { output: output.toString() } : {}) }, token);
        const low = result.lowSqnr.length ? `; ${result.lowSqnr.length} node${result.lowSqnr.length === 1 ? "" : "s"} below the SQNR threshold (worst ${result.lowSqnr[0]!.node}: ${result.lowSqnr[0]!.sqnr.toFixed(1)} dB)` : "";
        const message = `qkit: calibrated on ${result.items} samples in ${(result.durationMs / 1000).toFixed(1)} s (${result.samplesPerSecond} samples/s); wrote ${vscode.workspace.asRelativePath(vscode.Uri.parse(result.output))}${low}`;
        void vscode.window.showInformationMessage(message, "Show annotated graph").then((choice) => {
          if (choice) void vscode.commands.executeCommand("qkit.showAnnotatedGraph", quantizer.toString());
        });
        return result;
      } catch (error) {
        if (token.isCancellationRequested) {
          void vscode.window.showInformationMessage("qkit: calibration cancelled; nothing was written");
        } else {
          void vscode.window.showErrorMessage(`qkit: calibration failed: ${(error as Error).message}`);
        }
        return undefined;
      } finally {
        subscription.dispose();
      }
    },
  );
}

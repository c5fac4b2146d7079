import assert from "node:assert/strict";
import * as vscode from "vscode";
import { exists, file, qkitApi, qkitDiagnostics, until } from "./helpers.cjs";

/** Restricted mode: the workspace opened untrusted, so nothing from it may run — and the user is told why. */
describe("qkit in VS Code (restricted mode)", () => {
  before(async () => {
    assert.equal(vscode.workspace.isTrusted, false, "the workspace should open in restricted mode");
    await qkitApi();
  });

  it("type-checks and explains, but never runs the quantizer", async () => {
    const doc = await vscode.workspace.openTextDocument(file("quantizers/leaves-a-mark.ts"));
    await vscode.window.showTextDocument(doc);
    const notice = await until("the restricted-mode notice", () => qkitDiagnostics(doc.uri).find((d) => /not trusted/.test(d.message)));
    assert.equal(notice.severity, vscode.DiagnosticSeverity.Information);
    const api = await qkitApi();
    const status = await until("the server's status", () => api.lastStatus());
    assert.equal(status.trusted, false);
    // Give a check every chance to (wrongly) run.
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(await exists(file("ran-at-load.txt")), false, "the quantizer module was loaded");
    assert.equal(await exists(file("ran-annotate.txt")), false, "annotate() ran");
  });

  it("refuses to calibrate, and writes nothing", async () => {
    const tutorial = file("quantizers/tutorial-quantizer.ts");
    const result = await vscode.commands.executeCommand("qkit.runCalibration", tutorial.toString());
    assert.equal(result, undefined);
    const api = await qkitApi();
    await assert.rejects(api.client()!.sendRequest("qkit/runCalibration", { uri: tutorial.toString() }), /not trusted/);
    assert.equal(await exists(file("out/fmnist.int8.onnx")), false);
  });
});

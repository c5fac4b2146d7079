import assert from "node:assert/strict";
import * as vscode from "vscode";
import { exists, file, hoverText, lineOf, qkitApi, qkitDiagnostics, until } from "./helpers.cjs";

/**
 * The shipped example, `examples/fashion-mnist`, opened as a user opens it: its own quantizer gets diagnostics as
 * it is edited, the lens, hovers, and calibration writes the model its qkit.json names.
 */
const QUANTIZER = () => file("tutorial-quantizer.ts");
const OUTPUT = () => file("out/fmnist_cnn.int8.onnx");

const codeOf = (d: vscode.Diagnostic) => (typeof d.code === "object" ? d.code.value : d.code);

describe("the shipped example folder in VS Code", () => {
  let doc: vscode.TextDocument;
  let shipped: string;

  /** Puts the shipped text back into the buffer and saves it, so buffer and file both hold what shipped. */
  async function restoreShipped() {
    if (doc.getText() !== shipped) {
      const all = new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length));
      const edit = new vscode.WorkspaceEdit();
      edit.replace(doc.uri, all, shipped);
      await vscode.workspace.applyEdit(edit);
    }
    if (doc.isDirty) await doc.save();
  }

  before(async () => {
    await qkitApi();
    doc = await vscode.workspace.openTextDocument(QUANTIZER());
    shipped = doc.getText();
    await vscode.window.showTextDocument(doc);
  });

  // Leave the shipped quantizer as it was, whatever happened.
  after(restoreShipped);

  it("checks the quantizer clean: the status says ok and the lens counts what it annotated", async () => {
    const api = await qkitApi();
    const check = await until("the first check", () => api.lastStatus()?.targets?.[0]?.lastCheck);
    assert.equal(check.outcome, "done");
    assert.equal(check.errors, 0);
    assert.deepEqual(qkitDiagnostics(doc.uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error).map((d) => d.message), []);
    const titles = await until("the lens", async () => {
      const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", doc.uri)) ?? [];
      const t = lenses.map((l) => l.command?.title ?? "");
      return t.some((x) => /\d+ nodes? annotated/.test(x)) && t;
    });
    assert.ok(titles.includes("Run calibration"), titles.join(" | "));
  });

  it("a range typed outside int8 is an error at the spec while the file is unsaved, and goes when typed back", async () => {
    const spec = lineOf(doc, "const activation = new QuantizationSpec");
    const line = lineOf(doc, "quantMin: -128");
    const column = doc.lineAt(line).text.indexOf("-128");
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, new vscode.Range(line, column, line, column + 4), "-200");
    try {
      assert.ok(await vscode.workspace.applyEdit(edit));
      const found = await until("the range finding", () => qkitDiagnostics(doc.uri).find((d) => codeOf(d) === "quant-range-outside-dtype"));
      assert.ok(found.range.start.line === spec || found.range.start.line === line, `at the spec (line ${spec + 1}) or its quantMin (line ${line + 1}), not line ${found.range.start.line + 1}`);
      assert.equal(found.severity, vscode.DiagnosticSeverity.Error);
      assert.match(found.message, /quantMin -200, outside what int8 holds \[-128, 127\]/);
      // Typed back, the finding goes.
      const undo = new vscode.WorkspaceEdit();
      undo.replace(doc.uri, new vscode.Range(line, column, line, column + 4), "-128");
      assert.ok(await vscode.workspace.applyEdit(undo));
      await until("the finding to go", () => !qkitDiagnostics(doc.uri).some((d) => codeOf(d) === "quant-range-outside-dtype"));
    } finally {
      // Never leave the shipped quantizer edited: the next step saves before calibrating.
      await restoreShipped();
    }
    assert.equal(doc.isDirty, false);
    assert.equal(doc.getText(), shipped);
  });

  it("calibrates from the command and writes the model qkit.json names; hovers then show qparams", async () => {
    assert.equal(doc.isDirty, false, "the shipped quantizer is unedited");
    const result = (await vscode.commands.executeCommand("qkit.runCalibration", doc.uri.toString())) as { items: number } | undefined;
    assert.ok(result, "the command returned a result");
    assert.equal(result.items, 512);
    assert.ok(await exists(OUTPUT()));
    assert.ok(await exists(file("out/fmnist_cnn.int8.onnx.calibration.json")));
    const line = lineOf(doc, "const activation = new QuantizationSpec");
    const text = await until("a calibrated hover", async () => {
      const t = await hoverText(doc.uri, new vscode.Position(line, 25));
      return /\*\*Calibration\*\*/.test(t) && t;
    });
    assert.match(text, /scale [\d.e-]+, zero point -?\d+/);
  });
});

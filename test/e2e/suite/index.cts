/**
 * The extension-host side of the suites: @vscode/test-electron's extensionTestsPath. Mocha runs inside the real
 * extension host; the shipped example's suite when the folder is examples/fashion-mnist, the restricted-mode suite when
 * the workspace opened untrusted.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import Mocha from "mocha";

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: "bdd", timeout: 180_000, color: false, reporter: "spec" });
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? "";
  const suite = !vscode.workspace.isTrusted ? "restricted.e2e.cjs" : path.basename(folder) === "fashion-mnist" ? "example.e2e.cjs" : "extension.e2e.cjs";
  mocha.addFile(path.join(__dirname, suite));
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} extension-host test${failures === 1 ? "" : "s"} failed`);
}

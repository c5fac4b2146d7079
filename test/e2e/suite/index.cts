/**
 * The extension-host side of the suites: @vscode/test-electron's extensionTestsPath. Mocha runs inside the real
 * extension host; the restricted-mode suite runs when the workspace opened untrusted.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import Mocha from "mocha";

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: "bdd", timeout: 180_000, color: false, reporter: "spec" });
  mocha.addFile(path.join(__dirname, vscode.workspace.isTrusted ? "extension.e2e.cjs" : "restricted.e2e.cjs"));
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} extension-host test${failures === 1 ? "" : "s"} failed`);
}

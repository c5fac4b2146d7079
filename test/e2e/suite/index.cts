/**
 * The extension-host side of the suites: @vscode/test-electron's extensionTestsPath. Mocha runs inside the real
 * extension host; the shipped example's suite when the folder is examples/fashion-mnist, the restricted-mode suite when
 * the workspace opened untrusted.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import Mocha from "mocha";

export async function run(): Promise<void> {
  // A test that fails runs once more: a real workbench shares two cores with the language server and its workers, and
  // one lost race must not hide the rest of the run. Each retry is logged with its error, so a flake is seen, not hidden.
  const mocha = new Mocha({ ui: "bdd", timeout: 180_000, color: false, reporter: "spec", retries: 1 });
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? "";
  const suite = !vscode.workspace.isTrusted ? "restricted.e2e.cjs" : path.basename(folder) === "fashion-mnist" ? "example.e2e.cjs" : "extension.e2e.cjs";
  mocha.addFile(path.join(__dirname, suite));
  const failed: string[] = [];
  const failures = await new Promise<number>((resolve) => {
    const runner = mocha.run(resolve);
    runner.on("fail", (test, error: Error) => failed.push(`${test.fullTitle()}: ${String(error?.message ?? error).split("\n")[0]}`));
    runner.on("retry", (test, error: Error) => console.log(`RETRYING ${test.fullTitle()} after: ${String(error?.stack ?? error).split("\n").slice(0, 4).join(" | ")}`));
  });
  // One line per failure after the reporter's epilogue, whose stacks can be long: a log's tail still names them.
  for (const line of failed) console.log(`FAILED ${line}`);
  if (failures > 0) throw new Error(`${failures} extension-host test${failures === 1 ? "" : "s"} failed`);
}

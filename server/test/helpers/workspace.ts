import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { TargetConfig } from "qkit/tooling";
import { ROOT } from "./lsp-client.js";

export const EXAMPLES = path.join(ROOT, "examples");
export const BROKEN = path.join(EXAMPLES, "broken");
export const FMNIST = path.join(EXAMPLES, "fmnist_cnn_op13.onnx");
export const TUTORIAL = path.join(EXAMPLES, "fashion-mnist", "tutorial-quantizer.ts");
export const HOSTILE = path.join(ROOT, "server", "test", "fixtures", "hostile");
export const HOSTILE_CALIBRATION = path.join(ROOT, "server", "test", "fixtures", "hostile-calibration");
export const ISOLATION = path.join(ROOT, "server", "test", "fixtures", "isolation");

/** A workspace folder with a qkit.json (and no node_modules: "qkit" must resolve through the server). */
export function tempWorkspace(targets: TargetConfig[], files: Record<string, string> = {}): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), "qkit-ls-"));
  writeFileSync(path.join(dir, "qkit.json"), JSON.stringify({ targets }, null, 2));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `// expect: CODE` (or another marker kind) lines of a file, 1-based, as runtime/test/checker-broken.test.ts reads them. */
export function markers(text: string, kind: string): { code: string; line: number }[] {
  return text.split("\n").flatMap((line, i) => {
    const match = new RegExp(`// ${kind}: ([a-z-]+)`).exec(line);
    return match ? [{ code: match[1]!, line: i + 1 }] : [];
  });
}

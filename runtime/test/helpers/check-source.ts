import * as path from "node:path";
import { writeFileSync } from "node:fs";
import { loadModel, loadQuantizer, runCheck, type Finding, type Model } from "../../src/tooling.js";
import { EXAMPLES, withTempDir } from "./data.js";

/**
 * Checks a quantizer given as source text, written as `quantizer.ts` into a fresh folder (with `files` beside it, for
 * the modules it imports), on `model` or the example CNN. Findings name the written file; the folder is removed after.
 */
export async function checkSource(source: string, options: { model?: Model; files?: Record<string, string> } = {}): Promise<{ file: string; findings: Finding[] }> {
  return withTempDir(async (dir) => {
    for (const [name, text] of Object.entries(options.files ?? {})) writeFileSync(path.join(dir, name), text);
    const file = path.join(dir, "quantizer.ts");
    writeFileSync(file, source);
    const model = options.model ?? (await loadModel(path.join(EXAMPLES, "fmnist_cnn_op13.onnx")));
    return { file, findings: runCheck(model, loadQuantizer(file).quantizer).findings };
  });
}

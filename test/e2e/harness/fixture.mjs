// A workspace like a user's: the example CNN, the tutorial quantizer, a broken one, one that leaves a mark when it
// runs (restricted mode must not run it), one kept outside the folder, calibration images and a qkit.json. A fresh
// copy per run.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ROOT } from "./toolchain.mjs";

export const MARKER_QUANTIZER = `import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Quantizer, type GraphModule } from "qkit";

// Proof of execution: restricted mode must never run this file.
writeFileSync(join(__dirname, "..", "ran-at-load.txt"), "loaded");

export default class LeavesAMark extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    writeFileSync(join(__dirname, "..", "ran-annotate.txt"), "annotated");
    return model;
  }
}
`;

/** The workspace folder; beside it, `elsewhere/` holds a target's quantizer that lives outside the folder. */
export function makeFixture(name) {
  const parent = mkdtempSync(path.join(tmpdir(), `qk-${name}-`));
  const dir = path.join(parent, "workspace");
  mkdirSync(path.join(parent, "elsewhere"), { recursive: true });
  copyFileSync(path.join(ROOT, "examples", "broken", "quant-range-inverted.ts"), path.join(parent, "elsewhere", "outside.ts"));
  const examples = path.join(ROOT, "examples");
  for (const sub of ["quantizers", "models", "data", ".vscode"]) mkdirSync(path.join(dir, sub), { recursive: true });
  copyFileSync(path.join(examples, "fmnist_cnn_op13.onnx"), path.join(dir, "models", "fmnist.onnx"));
  copyFileSync(path.join(examples, "fashion-mnist", "tutorial-quantizer.ts"), path.join(dir, "quantizers", "tutorial-quantizer.ts"));
  copyFileSync(path.join(examples, "broken", "quant-min-out-of-range.ts"), path.join(dir, "quantizers", "broken.ts"));
  copyFileSync(path.join(examples, "fashion-mnist", "calibration-images-idx3-ubyte.gz"), path.join(dir, "data", "calibration-images-idx3-ubyte.gz"));
  writeFileSync(path.join(dir, "quantizers", "leaves-a-mark.ts"), MARKER_QUANTIZER);
  const model = "models/fmnist.onnx";
  writeFileSync(path.join(dir, "qkit.json"), JSON.stringify({
    targets: [
      { quantizer: "quantizers/tutorial-quantizer.ts", model, output: "out/fmnist.int8.onnx",
        calibration: { data: "data/calibration-images-idx3-ubyte.gz", batchSize: 32, limit: 512, mean: 0.286, std: 0.353 } },
      { quantizer: "quantizers/broken.ts", model },
      { quantizer: "quantizers/leaves-a-mark.ts", model },
      { quantizer: "../elsewhere/outside.ts", model },
    ],
  }, null, 2));
  // A threshold the tutorial quantizer's weakest nodes fall below, so the SQNR warning shows.
  writeFileSync(path.join(dir, ".vscode", "settings.json"), JSON.stringify({ "qkit.sqnrThresholdDb": 35 }, null, 2));
  return dir;
}

export function removeFixture(dir) {
  rmSync(path.dirname(dir), { recursive: true, force: true });
}

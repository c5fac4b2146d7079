import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { readFileSync } from "node:fs";
import { LspClient, positionOf, ROOT } from "./helpers/lsp-client.js";
import { EXAMPLES, FMNIST, TUTORIAL, tempWorkspace } from "./helpers/workspace.js";

/** A report `qkit quantize` wrote (sites relative to where it ran) feeds the hovers without calibrating again. */
const workspace = tempWorkspace([{ quantizer: TUTORIAL, model: FMNIST, output: "out/cli.int8.onnx" }]);
const text = readFileSync(TUTORIAL, "utf8");
let client: LspClient;

before(async () => {
  const data = path.join(EXAMPLES, "fashion-mnist", "calibration-images-idx3-ubyte.gz");
  const cli = spawnSync(process.execPath, [path.join(ROOT, "runtime", "bin", "qkit.js"), "quantize", "--model", FMNIST, "--quantizer", TUTORIAL, "--data", data, "--limit", "32", "--out", "out/cli.int8.onnx"], { cwd: workspace.dir, encoding: "utf8" });
  assert.equal(cli.status, 0, cli.stderr);
  client = await LspClient.start(workspace.dir);
  await client.open(TUTORIAL);
  await client.waitFor(TUTORIAL, (ds) => ds.some((d) => d.source === "qkit"));
});

after(async () => {
  await client.stop();
  workspace.cleanup();
});

test("the spec hover shows the CLI run's qparams and histogram", async () => {
  const hover = await client.hover(TUTORIAL, positionOf(text, "new QuantizationSpec({", 4));
  const value = (hover?.contents as { value: string }).value;
  assert.match(value, /^\*\*Calibration\*\* \(32 samples\)/);
  assert.match(value, /HistogramObserver/);
  assert.match(value, /data:image\/svg\+xml;base64,/);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { Diagnostic } from "vscode-languageserver-protocol";
import { RunCalibrationRequest } from "../src/protocol.js";
import { LspClient, uri } from "./helpers/lsp-client.js";
import { EXAMPLES, FMNIST, tempWorkspace } from "./helpers/workspace.js";

const QUANTIZER = `import { MinMaxObserver, Quantizer, QuantizationAnnotation, QuantizationSpec, type GraphModule } from "qkit";

const act = new QuantizationSpec({ dtype: "int8", quantMin: -128, quantMax: 127, qscheme: "per_tensor_affine", observer: MinMaxObserver });
const weight = new QuantizationSpec({ dtype: "int8", quantMin: -127, quantMax: 127, qscheme: "per_tensor_symmetric", observer: MinMaxObserver });

export default class MinMaxEverywhere extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    for (const conv of model.graph.calls("Conv")) {
      conv.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[conv.args[0]!, act], [conv.args[1]!, weight]], outputQspec: act });
    }
    return model;
  }
}
`;

const calibration = { data: path.join(EXAMPLES, "fashion-mnist", "calibration-images-idx3-ubyte.gz"), batchSize: 16, limit: 32, mean: 0.286, std: 0.353 };
const checkedClean = (version: number) => (ds: Diagnostic[]) => ds.some((d) => (d.data as { version?: number } | undefined)?.version === version);

/**
 * After calibration, an SQNR warning offers HistogramObserver for the annotation's activation spec and per-channel
 * weights; each edit checks clean, and once made the fix is no longer offered.
 */
test("low-sqnr: switch the observer to HistogramObserver, or the weights to per channel", async () => {
  const { dir, cleanup } = tempWorkspace([{ quantizer: "q.ts", model: FMNIST, calibration, output: "out/q.int8.onnx" } as never], { "q.ts": QUANTIZER });
  // Every node is below a 200 dB threshold: each gets the warning.
  const client = await LspClient.start(dir, { settings: { sqnrThresholdDb: 200 } });
  try {
    const file = path.join(dir, "q.ts");
    await client.open(file, QUANTIZER);
    await client.waitFor(file, checkedClean(1));
    await client.connection.sendRequest(RunCalibrationRequest, { uri: uri(file) });
    const low = (await client.waitFor(file, (ds) => ds.some((d) => d.code === "low-sqnr"))).find((d) => d.code === "low-sqnr")!;
    const actions = await client.codeActions(file, low.range, [low]);
    assert.deepEqual(actions.map((a) => a.title), ["Observe act with HistogramObserver", "Quantize weight per channel (axis 0, PerChannelMinMaxObserver)"]);
    let version = 1;
    for (const action of actions) {
      const fixed = TextDocument.applyEdits(TextDocument.create(uri(file), "typescript", 0, QUANTIZER), action.edit!.changes![uri(file)]!);
      if (action.title.startsWith("Observe")) {
        assert.match(fixed, /^import \{ MinMaxObserver, Quantizer, QuantizationAnnotation, QuantizationSpec, type GraphModule, HistogramObserver \} from "qkit";/);
        assert.match(fixed, /const act = new QuantizationSpec\(\{ [^\n]*observer: HistogramObserver \}\);/);
      } else {
        assert.match(fixed, /const weight = new QuantizationSpec\(\{ dtype: "int8", quantMin: -127, quantMax: 127, qscheme: "per_channel_symmetric", observer: PerChannelMinMaxObserver, chAxis: 0 \}\);/);
      }
      version = await client.replaceText(file, fixed);
      const after = await client.waitFor(file, checkedClean(version));
      assert.deepEqual(after.filter((d) => d.source === "qkit" && d.severity === 1).map((d) => d.code), [], `${action.title} checks clean`);
      const again = await client.codeActions(file, low.range, [low]);
      assert.ok(!again.some((a) => a.title === action.title), `${action.title} is not offered once made`);
      version = await client.replaceText(file, QUANTIZER);
    }
  } finally {
    await client.stop();
    cleanup();
  }
});

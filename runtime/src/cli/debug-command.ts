import { loadModel } from "../model-io/load-model.js";
import { convert } from "../quantize/convert.js";
import { compareNodes, type NodeAccuracy } from "../debug/numeric-debugger.js";
import { openData, modelInputs } from "../data/source.js";
import { formatLocation, relativeLocation } from "../source-location.js";
import type { Model } from "../model.js";
import type { Command } from "./command.js";
import { UsageError } from "./command.js";
import { parseCommandArgs, stringOption } from "./args.js";
import { DATA_OPTIONS, DATA_USAGE, dataOptions } from "./data-options.js";
import { calibrateTarget } from "../pipeline/quantize-target.js";
import { runPipeline, targetFromArgs } from "./pipeline-run.js";
import { table } from "./format.js";

const usage = `Usage: qkit debug --model MODEL (--quantizer FILE.ts | --quantized QMODEL) --data PATH [--top N] [--json]

Where quantization loses accuracy: runs the float and the quantized model side by side on the data and prints, per
node, what the node adds itself (local: its quantized value against the float operator run on the same quantized
inputs, as SQNR and as MSE relative to the tensor's range) and the end-to-end SQNR and MSE against the float model,
worst local error first, with the module path and the quantizer line that annotated the node. With --quantizer the model is quantized first (calibrating on the
same data); with --quantized an existing QDQ model made from MODEL is compared (nodes are matched by name).

Options:
  --model MODEL         the float ONNX model
  --quantizer FILE      quantize with this quantizer (a file or a built-in name)
  --quantized QMODEL    or compare this quantized model
  --top N               print the N worst nodes (default 15)
  --json                print every node as JSON
${DATA_USAGE}
  -h, --help            show this help`;

const db = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "inf");

function formatRow(r: NodeAccuracy): string[] {
  const local = r.local ? [db(r.local.sqnr), r.local.relativeMse.toExponential(2)] : ["", ""];
  return [r.node, r.opType, r.module ?? "", ...local, db(r.sqnr), r.mse.toExponential(2), r.rule ?? (r.site ? formatLocation(r.site) : "")];
}

export const debugCommand: Command = {
  name: "debug",
  summary: "per-node SQNR and MSE of a quantized model against the float one, worst first",
  usage,
  async run(argv) {
    const args = parseCommandArgs(argv, { model: { type: "string" }, quantizer: { type: "string" }, quantized: { type: "string" }, top: { type: "string" }, json: { type: "boolean" }, ...DATA_OPTIONS }, false);
    if (args.values.help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    const data = stringOption(args, "data");
    if (!data) throw new UsageError("needs --data PATH");
    const quantizedPath = stringOption(args, "quantized");
    let float: Model;
    let quantized: Model;
    let annotated: Model | undefined;
    if (quantizedPath) {
      const modelPath = stringOption(args, "model");
      if (!modelPath) throw new UsageError("needs --model MODEL");
      float = await loadModel(modelPath);
      quantized = await loadModel(quantizedPath);
    } else {
      const target = targetFromArgs(args);
      const calibrated = await runPipeline(target.data?.options.limit, (run) => calibrateTarget(target, run));
      if (typeof calibrated === "number") return calibrated;
      float = calibrated.floatModel;
      quantized = convert(calibrated.prepared);
      annotated = calibrated.prepared.model;
    }
    const options = dataOptions(args);
    const results = await compareNodes(float, quantized, openData(data, modelInputs(float.graph), { ...options, limit: options.limit ?? 64 }), annotated ? { annotated } : {});
    if (args.values.json) {
      const finite = (x: number) => (Number.isFinite(x) ? x : null);
      const nodes = results.map(({ site, local, ...r }) => ({
        ...r,
        sqnr: finite(r.sqnr),
        local: local ? { ...local, sqnr: finite(local.sqnr) } : null,
        location: site ? relativeLocation(site, process.cwd()) : null,
      }));
      process.stdout.write(`${JSON.stringify({ nodes }, null, 2)}\n`);
      return 0;
    }
    const top = Number(stringOption(args, "top") ?? 15);
    process.stdout.write(`${table([["node", "op", "module", "local SQNR dB", "local MSE / range²", "SQNR dB", "MSE", "annotated at"], ...results.slice(0, top).map(formatRow)])}\n`);
    if (results.length > top) process.stdout.write(`  … ${results.length - top} more nodes (--top N, --json)\n`);
    return 0;
  },
};

import { loadModel } from "../model-io/load-model.js";
import { openData, modelInputs } from "../data/source.js";
import { evaluateAccuracy } from "../eval/accuracy.js";
import { readLabels } from "../eval/labels.js";
import type { Command } from "./command.js";
import { UsageError } from "./command.js";
import { parseCommandArgs, stringOption } from "./args.js";
import { DATA_OPTIONS, DATA_USAGE, dataOptions } from "./data-options.js";
import { progress } from "./progress.js";

const usage = `Usage: qkit eval --model MODEL --data PATH --labels LABELS [options]

Top-1 accuracy of a float or quantized (QDQ) model: the arg-max of its first output against integer labels (an IDX
label file, gzipped or not, or an .npy array). Prints 'accuracy: A on N items'.

Options:
  --model MODEL         the ONNX model
  --labels FILE         class labels, in data order
${DATA_USAGE}
  -h, --help            show this help`;

export const evalCommand: Command = {
  name: "eval",
  summary: "top-1 accuracy of a float or quantized model on labelled data",
  usage,
  async run(argv) {
    const args = parseCommandArgs(argv, { model: { type: "string" }, labels: { type: "string" }, ...DATA_OPTIONS }, false);
    if (args.values.help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    const modelPath = stringOption(args, "model");
    const dataPath = stringOption(args, "data");
    const labelsPath = stringOption(args, "labels");
    if (!modelPath || !dataPath || !labelsPath) throw new UsageError(`needs ${!modelPath ? "--model MODEL" : !dataPath ? "--data PATH" : "--labels FILE"}`);
    const model = await loadModel(modelPath);
    const labels = await readLabels(labelsPath);
    const options = dataOptions(args);
    const total = Math.min(labels.length, options.limit ?? Infinity);
    const bar = progress("evaluating", total, "items");
    const result = await evaluateAccuracy(model, openData(dataPath, modelInputs(model.graph), { ...options, limit: total }), labels, { onProgress: (n) => bar.update(n) });
    bar.stop();
    process.stdout.write(`accuracy: ${result.accuracy.toFixed(4)} on ${result.total} items\n`);
    return 0;
  },
};

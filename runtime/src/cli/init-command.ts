import * as path from "node:path";
import type { Command } from "./command.js";
import { UsageError } from "./command.js";
import { parseCommandArgs, stringOption } from "./args.js";
import { scaffoldQuantizer } from "../scaffold/scaffold.js";
import { SCAFFOLD_STYLES, isScaffoldStyle } from "../scaffold/styles.js";

const usage = `Usage: qkit init --model MODEL [--like xnnpack|x86|ort-qdq] [--out FILE.ts] [--force]

Write a quantizer for MODEL to start from — its patterns, a QuantizationConfig per pattern, int32 biases derived from
the input's and weight's scales — and add { quantizer, model } as a target to ./qkit.json (created when missing).

Options:
  --model MODEL  the ONNX model
  --like NAME    whose specs and fusions to follow: xnnpack (default; int8), x86 (uint8 activations), ort-qdq
  --out FILE.ts  the quantizer file (default: MODEL's name + -quantizer.ts, here)
  --force        replace FILE.ts when it exists
  -h, --help     show this help`;

export const initCommand: Command = {
  name: "init",
  summary: "write a quantizer for a model and add it to qkit.json as a target",
  usage,
  async run(argv) {
    const args = parseCommandArgs(argv, { model: { type: "string" }, like: { type: "string" }, out: { type: "string" }, force: { type: "boolean" } }, false);
    if (args.values.help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    const model = stringOption(args, "model");
    if (!model) throw new UsageError("init needs --model MODEL");
    const like = stringOption(args, "like") ?? "xnnpack";
    if (!isScaffoldStyle(like)) throw new UsageError(`--like takes one of ${SCAFFOLD_STYLES.join(", ")}, not '${like}'`);
    const out = stringOption(args, "out");
    const result = await scaffoldQuantizer({ model, like, configDir: process.cwd(), force: args.values.force === true, ...(out ? { out } : {}) });
    const shown = (file: string) => path.relative(process.cwd(), file) || file;
    const { weighted, binary, concat, sharing } = result.patterns;
    const ops = [...weighted, ...binary, ...(concat ? ["Concat"] : []), ...sharing];
    process.stdout.write(`wrote ${shown(result.quantizer)} (${ops.length > 0 ? `patterns for ${ops.join(", ")}` : "no quantizable patterns"})\n`);
    process.stdout.write(result.targetAdded ? `added the target to ${shown(result.config)}\n` : `${shown(result.config)} already has this target\n`);
    process.stdout.write(`next: npx qkit check --model ${shown(path.resolve(model))} --quantizer ${shown(result.quantizer)}\n`);
    return 0;
  },
};

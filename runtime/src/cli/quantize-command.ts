import { readQkitConfig } from "../config/qkit-config.js";
import { quantizeTarget } from "../pipeline/quantize-target.js";
import { targetFromConfig, type PipelineTarget } from "../pipeline/target.js";
import type { Command } from "./command.js";
import { UsageError } from "./command.js";
import { parseCommandArgs, stringOption } from "./args.js";
import { DATA_USAGE } from "./data-options.js";
import { TARGET_OPTIONS, runPipeline, targetFromArgs } from "./pipeline-run.js";
import { table } from "./format.js";

const usage = `Usage: qkit quantize --model MODEL --quantizer FILE.ts (--data PATH | --state STATE.json) --out OUT.onnx [options]
       qkit quantize            (every target of ./qkit.json with "calibration" and "output")

check → prepare → calibrate → convert → export: write the quantized model as QDQ ONNX, and the calibration results
(per edge/node: observer, qparams, statistics) as JSON beside it.

Options:
  --model MODEL         the float ONNX model
  --quantizer FILE      a module exporting a class that extends Quantizer
  --out OUT.onnx        where to write the QDQ model (atomically: an interrupted run leaves no file)
  --report R.json       where to write the calibration results (default OUT.onnx.calibration.json)
  --state STATE.json    use a saved (merged) calibration state instead of calibrating
${DATA_USAGE}
  -h, --help            show this help`;

/** Quantize one target and print what was made. */
async function quantize(target: PipelineTarget): Promise<number> {
  const started = Date.now();
  const done = await runPipeline(target.data?.options.limit, (run) => quantizeTarget(target, run));
  if (typeof done === "number") return done;
  const { prepared, converted, items } = done;
  const counts = new Map<string, number>();
  const dynamicOps = ["DynamicQuantizeLinear", "MatMulInteger", "ConvInteger"];
  for (const n of converted.graph.calls("QuantizeLinear", "DequantizeLinear", ...dynamicOps)) counts.set(n.opType, (counts.get(n.opType) ?? 0) + 1);
  const byDtype = new Map<string, number>();
  for (const g of prepared.groups) {
    const kind = `${g.spec.dtype} ${g.spec.qscheme ?? ""}${g.spec.isDynamic ? " dynamic" : ""}`.trim();
    byDtype.set(kind, (byDtype.get(kind) ?? 0) + 1);
  }
  process.stdout.write([
    `quantized ${done.floatModel.source} with ${done.loaded.className}: ${items} calibration items in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    table([
      ["observer groups", String(prepared.groups.length)],
      ...[...byDtype].map(([k, v]) => [`  ${k}`, String(v)]),
      ["derived specs", String(prepared.derived.length)],
      ["QuantizeLinear", String(counts.get("QuantizeLinear") ?? 0)],
      ["DequantizeLinear", String(counts.get("DequantizeLinear") ?? 0)],
      ...dynamicOps.filter((op) => counts.has(op)).map((op) => [op, String(counts.get(op))]),
    ]),
    `wrote ${done.output}`,
    `wrote ${done.report}`,
  ].join("\n") + "\n");
  return 0;
}

/** With no arguments: every target of ./qkit.json that says where its calibration data is and where to write. */
async function quantizeConfigTargets(): Promise<number> {
  const { file, targets } = readQkitConfig(process.cwd());
  const ready = targets.filter((t) => t.calibrationPath && t.outputPath);
  if (ready.length === 0) throw new UsageError(`${file} has no target with both "calibration" and "output"; add them, or give --model, --quantizer, --data and --out`);
  for (const t of ready) {
    if (ready.length > 1) process.stdout.write(`== ${t.quantizer} on ${t.model}\n`);
    const code = await quantize(targetFromConfig(t));
    if (code !== 0) return code;
  }
  return 0;
}

export const quantizeCommand: Command = {
  name: "quantize",
  summary: "check, prepare, calibrate, convert and export a QDQ ONNX model",
  usage,
  async run(argv) {
    const args = parseCommandArgs(argv, { ...TARGET_OPTIONS, out: { type: "string" }, report: { type: "string" }, state: { type: "string" } }, false);
    if (args.values.help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    if (!stringOption(args, "model") && !stringOption(args, "quantizer") && !stringOption(args, "out")) return quantizeConfigTargets();
    const out = stringOption(args, "out");
    if (!out) throw new UsageError("needs --out OUT.onnx");
    const target = targetFromArgs(args);
    const state = stringOption(args, "state");
    const report = stringOption(args, "report");
    if (!state && !target.data) throw new UsageError("needs --data PATH (or --state STATE.json)");
    return quantize({ ...target, output: out, ...(state ? { state } : {}), ...(report ? { report } : {}) });
  },
};

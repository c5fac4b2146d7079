import { mkdir } from "node:fs/promises";
import * as path from "node:path";
import { calibrationState, saveCalibrationState } from "../quantize/calibration-state.js";
import type { Command } from "./command.js";
import { UsageError } from "./command.js";
import { parseCommandArgs, stringOption } from "./args.js";
import { DATA_USAGE } from "./data-options.js";
import { calibrateTarget } from "../pipeline/quantize-target.js";
import { TARGET_OPTIONS, runPipeline, targetFromArgs } from "./pipeline-run.js";

const usage = `Usage: qkit calibrate --model MODEL --quantizer FILE.ts --data PATH --save-state STATE.json [--shard K/N] [options]

Calibrate and save the observers' state instead of converting. With --shard K/N only every N-th batch from the K-th
(K counts from 1) is used, so N machines (a job array, a CI matrix) can split the data; 'qkit merge-calibration'
combines their states and 'qkit quantize --state' converts with the result.

Options:
  --model MODEL         the float ONNX model
  --quantizer FILE      a module exporting a class that extends Quantizer
  --save-state FILE     where to write the state (JSON, atomically)
  --shard K/N           this process's share of the data
${DATA_USAGE}
  -h, --help            show this help`;

function parseShard(text: string | undefined): { index: number; count: number } | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const k = Number(match?.[1]);
  const n = Number(match?.[2]);
  if (!match || n < 1 || k < 1 || k > n) throw new UsageError(`--shard takes K/N with 1 ≤ K ≤ N, got '${text}'`);
  return { index: k - 1, count: n };
}

export const calibrateCommand: Command = {
  name: "calibrate",
  summary: "calibrate (one shard of) the data and save the observers' state",
  usage,
  async run(argv) {
    const args = parseCommandArgs(argv, { ...TARGET_OPTIONS, "save-state": { type: "string" }, shard: { type: "string" } }, false);
    if (args.values.help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    const target = stringOption(args, "save-state");
    if (!target) throw new UsageError("needs --save-state STATE.json");
    const shard = parseShard(stringOption(args, "shard"));
    const pipelineTarget = targetFromArgs(args);
    if (!pipelineTarget.data) throw new UsageError("needs --data PATH");
    const result = await runPipeline(pipelineTarget.data.options.limit, (run) => calibrateTarget(pipelineTarget, { ...run, ...(shard ? { shard } : {}) }));
    if (typeof result === "number") return result;
    await mkdir(path.dirname(path.resolve(target)), { recursive: true });
    await saveCalibrationState(calibrationState(result.prepared, result.items), target);
    process.stdout.write(`calibrated ${result.items} items${shard ? ` (shard ${shard.index + 1}/${shard.count})` : ""}; wrote ${target}\n`);
    return 0;
  },
};

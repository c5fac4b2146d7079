import { mergeCalibrationStates, readCalibrationState, saveCalibrationState } from "../quantize/calibration-state.js";
import type { Command } from "./command.js";
import { UsageError } from "./command.js";
import { parseCommandArgs, stringOption } from "./args.js";

const usage = `Usage: qkit merge-calibration STATE.json [STATE.json ...] --out MERGED.json

Merge calibration states saved by 'qkit calibrate --shard K/N' into one. MinMax and per-channel observers merge
exactly (the merged qparams equal one run over all the data); see docs/observers.md for the histogram.

Options:
  --out FILE    where to write the merged state
  -h, --help    show this help`;

export const mergeCalibrationCommand: Command = {
  name: "merge-calibration",
  summary: "merge calibration states from several shards",
  usage,
  async run(argv) {
    const args = parseCommandArgs(argv, { out: { type: "string" } });
    if (args.values.help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    const out = stringOption(args, "out");
    if (!out) throw new UsageError("needs --out MERGED.json");
    if (args.positionals.length === 0) throw new UsageError("needs at least one STATE.json");
    const states = await Promise.all(args.positionals.map(async (file) => ({ file, state: await readCalibrationState(file) })));
    const merged = mergeCalibrationStates(states);
    await saveCalibrationState(merged, out);
    process.stdout.write(`merged ${states.length} states (${merged.items} items); wrote ${out}\n`);
    return 0;
  },
};

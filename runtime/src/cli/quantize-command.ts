import { mkdir } from "node:fs/promises";
import * as path from "node:path";
import { loadModel } from "../onnx/load.js";
import { readQkitConfig } from "../config/qkit-config.js";
import { loadQuantizer, QuantizerLoadError, type LoadedQuantizer } from "../quantizer/load-quantizer.js";
import { prepare, PrepareError, type PreparedModel } from "../quantize/prepare.js";
import { calibrate, CalibrationAbortedError } from "../quantize/calibrate.js";
import { convert } from "../quantize/convert.js";
import { exportOnnx } from "../quantize/export.js";
import { calibrationReport, saveCalibrationReport } from "../quantize/calibration-report.js";
import { loadCalibrationState, readCalibrationState } from "../quantize/calibration-state.js";
import { openData, modelInputs } from "../data/source.js";
import type { Model } from "../model.js";
import { loadErrorFinding } from "../checker/finding.js";
import type { Command } from "./command.js";
import { UsageError } from "./command.js";
import { parseCommandArgs, stringOption, type ParsedArgs } from "./args.js";
import { DATA_OPTIONS, DATA_USAGE, dataOptions } from "./data-options.js";
import { progress } from "./progress.js";
import { report } from "./check-command.js";
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

export const QUANTIZE_OPTIONS = {
  model: { type: "string" },
  quantizer: { type: "string" },
  ...DATA_OPTIONS,
} as const;

/** Model, quantizer and prepared model; a quantizer that fails to load or check is reported as findings. */
export async function loadAndPrepare(args: ParsedArgs): Promise<{ model: Model; loaded: LoadedQuantizer; prepared: PreparedModel } | number> {
  const modelPath = stringOption(args, "model");
  const quantizerPath = stringOption(args, "quantizer");
  if (!modelPath || !quantizerPath) throw new UsageError(`needs ${!modelPath ? "--model MODEL" : "--quantizer FILE.ts"}`);
  const model = await loadModel(modelPath);
  let loaded: LoadedQuantizer;
  try {
    loaded = loadQuantizer(quantizerPath);
  } catch (error) {
    const f = error instanceof QuantizerLoadError ? loadErrorFinding(error) : undefined;
    if (f) {
      process.stdout.write(report([f], undefined, f.location!).text);
      return 1;
    }
    throw error;
  }
  try {
    return { model, loaded, prepared: prepare(model, loaded.quantizer) };
  } catch (error) {
    if (!(error instanceof PrepareError)) throw error;
    process.stderr.write(`qkit: ${error.message}\n`);
    process.stdout.write(report(error.findings, undefined, loaded.classSite).text);
    return 1;
  }
}

/** Calibrate from --data with a progress bar; Ctrl-C stops between batches. Returns the items seen, or an exit code. */
export async function calibrateFromArgs(prepared: PreparedModel, args: ParsedArgs, shard?: { index: number; count: number }): Promise<number | { items: number }> {
  const location = stringOption(args, "data");
  if (!location) throw new UsageError("needs --data PATH (or --state STATE.json)");
  const options = dataOptions(args);
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once("SIGINT", onSigint);
  const bar = progress("calibrating", options.limit, "items");
  try {
    let batches = openData(location, modelInputs(prepared.model.graph), options);
    if (shard) batches = takeShard(batches, shard.index, shard.count);
    const done = await calibrate(prepared, batches, { signal: controller.signal, onProgress: (p) => bar.update(p.items) });
    bar.stop();
    return { items: done.items };
  } catch (error) {
    bar.stop();
    if (error instanceof CalibrationAbortedError) {
      process.stderr.write(`qkit: ${error.message}; nothing was written\n`);
      return 130;
    }
    throw error;
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
}

/** With no arguments: every target of ./qkit.json that says where its calibration data is and where to write. */
async function quantizeConfigTargets(): Promise<number> {
  const { file, targets } = readQkitConfig(process.cwd());
  const ready = targets.filter((t) => t.calibrationPath && t.outputPath);
  if (ready.length === 0) throw new UsageError(`${file} has no target with both "calibration" and "output"; add them, or give --model, --quantizer, --data and --out`);
  for (const t of ready) {
    const c = t.calibration!;
    const list = (v: number | number[]) => (Array.isArray(v) ? v.join(",") : String(v));
    const argv = ["--model", t.modelPath, "--quantizer", t.quantizerPath, "--data", t.calibrationPath!, "--out", t.outputPath!,
      ...(c.batchSize !== undefined ? ["--batch-size", String(c.batchSize)] : []),
      ...(c.limit !== undefined ? ["--limit", String(c.limit)] : []),
      ...(c.scale !== undefined ? ["--scale", String(c.scale)] : []),
      ...(c.mean !== undefined ? ["--mean", list(c.mean)] : []),
      ...(c.std !== undefined ? ["--std", list(c.std)] : [])];
    if (ready.length > 1) process.stdout.write(`== ${t.quantizer} on ${t.model}\n`);
    const code = await quantizeCommand.run(argv);
    if (code !== 0) return code;
  }
  return 0;
}

/** Every count-th batch from index on: shard K of N. */
async function* takeShard<T>(batches: AsyncIterable<T>, index: number, count: number): AsyncGenerator<T> {
  let i = 0;
  for await (const batch of batches) if (i++ % count === index) yield batch;
}

export const quantizeCommand: Command = {
  name: "quantize",
  summary: "check, prepare, calibrate, convert and export a QDQ ONNX model",
  usage,
  async run(argv) {
    const args = parseCommandArgs(argv, { ...QUANTIZE_OPTIONS, out: { type: "string" }, report: { type: "string" }, state: { type: "string" } }, false);
    if (args.values.help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    if (!stringOption(args, "model") && !stringOption(args, "quantizer") && !stringOption(args, "out")) return quantizeConfigTargets();
    const out = stringOption(args, "out");
    if (!out) throw new UsageError("needs --out OUT.onnx");
    const started = Date.now();
    const ready = await loadAndPrepare(args);
    if (typeof ready === "number") return ready;
    const { prepared } = ready;
    let items: number;
    const statePath = stringOption(args, "state");
    if (statePath) {
      const state = await readCalibrationState(statePath);
      loadCalibrationState(prepared, state, statePath);
      items = state.items;
    } else {
      const result = await calibrateFromArgs(prepared, args);
      if (typeof result === "number") return result;
      items = result.items;
    }
    const converted = convert(prepared);
    const reportPath = stringOption(args, "report") ?? `${out}.calibration.json`;
    await mkdir(path.dirname(path.resolve(out)), { recursive: true });
    await mkdir(path.dirname(path.resolve(reportPath)), { recursive: true });
    await exportOnnx(converted, out);
    await saveCalibrationReport(calibrationReport(prepared, items), reportPath);
    const counts = new Map<string, number>();
    for (const n of converted.graph.calls("QuantizeLinear", "DequantizeLinear")) counts.set(n.opType, (counts.get(n.opType) ?? 0) + 1);
    const byDtype = new Map<string, number>();
    for (const g of prepared.groups) byDtype.set(`${g.spec.dtype} ${g.spec.qscheme ?? ""}`.trim(), (byDtype.get(`${g.spec.dtype} ${g.spec.qscheme ?? ""}`.trim()) ?? 0) + 1);
    process.stdout.write([
      `quantized ${ready.model.source} with ${ready.loaded.className}: ${items} calibration items in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      table([
        ["observer groups", String(prepared.groups.length)],
        ...[...byDtype].map(([k, v]) => [`  ${k}`, String(v)]),
        ["derived specs", String(prepared.derived.length)],
        ["QuantizeLinear", String(counts.get("QuantizeLinear") ?? 0)],
        ["DequantizeLinear", String(counts.get("DequantizeLinear") ?? 0)],
      ]),
      `wrote ${out}`,
      `wrote ${reportPath}`,
    ].join("\n") + "\n");
    return 0;
  },
};

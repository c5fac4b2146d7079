import { fsPromises } from "../lazy-builtins.js";
import * as path from "node:path";
import type { Model } from "../model.js";
import { prepare, type PreparedModel } from "../quantize/prepare.js";
import { calibrate, CalibrationAbortedError, type CalibrationProgress } from "../quantize/calibrate.js";
import { convert } from "../quantize/convert.js";
import { exportOnnx } from "../quantize/export.js";
import { calibrationReport, stageCalibrationReport } from "../quantize/calibration-report.js";
import { loadCalibrationState, readCalibrationState } from "../quantize/calibration-state.js";
import { openData, modelInputs, type Sample } from "../data/source.js";
import { compareNodes, type NodeAccuracy } from "../debug/numeric-debugger.js";
import type { LoadedQuantizer } from "../user-code/load-quantizer.js";
import { QkitError } from "../errors.js";
import { loadTarget, type LoadTargetOptions } from "./check-target.js";
import { reportPathFor, type PipelineTarget } from "./target.js";

export type PipelineStage = "calibrate" | "convert" | "compare" | "export";

export interface CalibrateTargetOptions extends LoadTargetOptions {
  /** Stops calibration between batches (then a CalibrationAbortedError, and nothing is written). */
  signal?: AbortSignal;
  /** After every batch; `limit` is the data's limit on items, when it has one. */
  onProgress?: (progress: CalibrationProgress) => void;
  onStage?: (stage: PipelineStage) => void;
  /** Only every count-th batch from the index-th on: shard K of N. */
  shard?: { index: number; count: number };
}

export interface QuantizeTargetOptions extends CalibrateTargetOptions {
  /**
   * After converting, run the numeric debugger on this many items of the data and add each node's SQNR to the
   * report (what the editor shows beside the qparams).
   */
  compareItems?: number;
}

export interface CalibratedTarget {
  floatModel: Model;
  loaded: LoadedQuantizer;
  prepared: PreparedModel;
  /** Calibration items seen (or the saved state's). */
  items: number;
}

export interface QuantizedTarget extends CalibratedTarget {
  converted: Model;
  /** Per node, worst first, when `compareItems` asked for it. */
  accuracy: NodeAccuracy[] | undefined;
  output: string;
  report: string;
}

/** A target without what a stage needs; the message says what to add. */
export class PipelineTargetError extends QkitError {
  constructor(message: string) {
    super("pipeline-target", message);
  }
}

function stopIfAborted(signal: AbortSignal | undefined, items: number): void {
  if (signal?.aborted) throw new CalibrationAbortedError({ batches: 0, items, elapsedMs: 0 });
}

async function* takeShard<T>(batches: AsyncIterable<T>, index: number, count: number): AsyncGenerator<T> {
  let i = 0;
  for await (const batch of batches) if (i++ % count === index) yield batch;
}

/**
 * check → prepare → calibrate (or a saved state): the observers hold what the data showed. A quantizer with errors
 * is a PrepareError carrying the findings; a quantizer that does not load, a QuantizerLoadError.
 */
export async function calibrateTarget(target: PipelineTarget, options: CalibrateTargetOptions = {}): Promise<CalibratedTarget> {
  const { model: floatModel, loaded } = await loadTarget(target, options);
  const prepared = prepare(floatModel, loaded.quantizer);
  if (target.state) {
    const state = await readCalibrationState(target.state);
    loadCalibrationState(prepared, state, target.state);
    return { floatModel, loaded, prepared, items: state.items };
  }
  if (!target.data) throw new PipelineTargetError(`no calibration data for ${loaded.className}: give the data to calibrate on (--data PATH, or "calibration": { "data": ... } in qkit.json) or a saved state`);
  options.onStage?.("calibrate");
  const { location, options: dataOptions } = target.data;
  let batches = openData(location, modelInputs(prepared.model.graph), dataOptions);
  if (options.shard) batches = takeShard(batches, options.shard.index, options.shard.count);
  const limit = dataOptions.limit;
  const done = await calibrate(prepared, batches, {
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (p) => options.onProgress?.({ ...p, ...(limit !== undefined ? { limit } : {}) }),
  });
  stopIfAborted(options.signal, done.items);
  return { floatModel, loaded, prepared, items: done.items };
}

/**
 * check → prepare → calibrate → convert → (compare) → export: the QDQ model and its calibration report, each
 * written atomically and only when the run was not cancelled, so a cancelled run leaves no file.
 */
export async function quantizeTarget(target: PipelineTarget, options: QuantizeTargetOptions = {}): Promise<QuantizedTarget> {
  const output = target.output;
  if (!output) throw new PipelineTargetError(`no output for ${target.quantizer}: say where the quantized model goes (--out OUT.onnx, or "output" in qkit.json)`);
  const report = target.report ?? reportPathFor(output);
  const calibrated = await calibrateTarget(target, options);
  const { floatModel, prepared, items } = calibrated;
  options.onStage?.("convert");
  const converted = convert(prepared);
  let accuracy: NodeAccuracy[] | undefined;
  if (options.compareItems !== undefined && target.data) {
    stopIfAborted(options.signal, items);
    options.onStage?.("compare");
    const { location, options: dataOptions } = target.data;
    const samples: AsyncIterable<Sample> = openData(location, modelInputs(floatModel.graph), { ...dataOptions, limit: options.compareItems });
    accuracy = await compareNodes(floatModel, converted, samples, { annotated: prepared.model });
  }
  stopIfAborted(options.signal, items);
  options.onStage?.("export");
  await fsPromises().mkdir(path.dirname(path.resolve(output)), { recursive: true });
  await fsPromises().mkdir(path.dirname(path.resolve(report)), { recursive: true });
  // Locations in the report are relative to its own folder (saveCalibrationReport), whoever writes it. It goes into
  // place just before the model: a reader never finds the new model beside the old report.
  const staged = await stageCalibrationReport(calibrationReport(prepared, items, accuracy ? { accuracy } : {}), report);
  try {
    await exportOnnx(converted, output, { beforeCommit: staged.commit });
  } finally {
    await staged.discard();
  }
  return { ...calibrated, converted, accuracy, output, report };
}

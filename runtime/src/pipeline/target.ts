import type { Model } from "../model.js";
import type { DataOptions } from "../data/source.js";
import type { CalibrationConfig, ResolvedTarget } from "../config/qkit-config.js";

/** Calibration samples: where they are and how they are batched and normalized. */
export interface CalibrationData {
  /** A file, a folder or a sample module, as `openData` reads them. */
  location: string;
  options: DataOptions;
}

/** One quantizer applied to one model, and what to do with the result: the pipeline's input. */
export interface PipelineTarget {
  /** The float ONNX model: its file, or a model already loaded (a worker decodes it from shared memory). */
  model: string | Model;
  /** The quantizer file, or a built-in quantizer's name. */
  quantizer: string;
  /** The samples to calibrate on. */
  data?: CalibrationData;
  /** A saved (merged) calibration state to use instead of calibrating. */
  state?: string;
  /** Where the QDQ model goes. */
  output?: string;
  /** Where the calibration report goes (default: beside the output, `OUT.onnx.calibration.json`). */
  report?: string;
}

/** How qkit.json's "calibration" reads the data: the defaults are the CLI's (16 items a batch). */
export function calibrationDataOf(location: string, config: Omit<CalibrationConfig, "data">): CalibrationData {
  const list = (v: number | number[] | undefined) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);
  const mean = list(config.mean);
  const std = list(config.std);
  return {
    location,
    options: {
      batchSize: config.batchSize ?? 16,
      ...(config.limit !== undefined ? { limit: config.limit } : {}),
      normalize: { ...(config.scale !== undefined ? { scale: config.scale } : {}), ...(mean ? { mean } : {}), ...(std ? { std } : {}) },
    },
  };
}

/** A qkit.json target as the pipeline takes it; `output` overrides the file's. */
export function targetFromConfig(target: ResolvedTarget, output = target.outputPath): PipelineTarget {
  return {
    model: target.modelPath,
    quantizer: target.quantizerPath,
    ...(target.calibration && target.calibrationPath ? { data: calibrationDataOf(target.calibrationPath, target.calibration) } : {}),
    ...(output !== undefined ? { output } : {}),
  };
}

/** The report's default place: beside the model it describes. */
export function reportPathFor(output: string): string {
  return `${output}.calibration.json`;
}

import { QuantizerLoadError, type LoadedQuantizer } from "../user-code/load-quantizer.js";
import { PrepareError } from "../quantize/prepare.js";
import { CalibrationAbortedError, type CalibrationProgress } from "../quantize/calibrate.js";
import type { PipelineTarget } from "../pipeline/target.js";
import { UsageError } from "./command.js";
import { stringOption, type ParsedArgs } from "./args.js";
import { DATA_OPTIONS, dataOptions } from "./data-options.js";
import { progress, type Progress } from "./progress.js";
import { loadErrorFinding } from "../checker/finding.js";
import { report } from "./check-command.js";

/** The options of the commands that run the pipeline on --model and --quantizer. */
export const TARGET_OPTIONS = {
  model: { type: "string" },
  quantizer: { type: "string" },
  ...DATA_OPTIONS,
} as const;

/** --model, --quantizer and (when given) --data with its batching, as a pipeline target. */
export function targetFromArgs(args: ParsedArgs): PipelineTarget {
  const model = stringOption(args, "model");
  const quantizer = stringOption(args, "quantizer");
  if (!model || !quantizer) throw new UsageError(`needs ${!model ? "--model MODEL" : "--quantizer FILE.ts"}`);
  const data = stringOption(args, "data");
  return { model, quantizer, ...(data ? { data: { location: data, options: dataOptions(args) } } : {}) };
}

export interface PipelineRun {
  signal: AbortSignal;
  onProgress: (p: CalibrationProgress) => void;
  onLoaded: (loaded: LoadedQuantizer) => void;
}

/**
 * Run a pipeline call with a progress bar and Ctrl-C stopping it between batches. A quantizer that does not load or
 * has errors is printed as findings (exit 1); a cancelled run says nothing was written (exit 130).
 */
export async function runPipeline<T>(limit: number | undefined, body: (run: PipelineRun) => Promise<T>): Promise<T | number> {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once("SIGINT", onSigint);
  // The bar appears with the first batch: loading and checking print nothing of their own.
  let bar: Progress | undefined;
  let loaded: LoadedQuantizer | undefined;
  try {
    return await body({ signal: controller.signal, onProgress: (p) => (bar ??= progress("calibrating", limit, "items")).update(p.items), onLoaded: (l) => (loaded = l) });
  } catch (error) {
    return failure(error, loaded);
  } finally {
    bar?.stop();
    process.removeListener("SIGINT", onSigint);
  }
}

function failure(error: unknown, loaded: LoadedQuantizer | undefined): number {
  const finding = error instanceof QuantizerLoadError ? loadErrorFinding(error) : undefined;
  if (finding) {
    // A quantizer that fails to compile or run is a finding in the user's file, not a crash.
    process.stdout.write(report([finding], undefined, finding.location!).text);
    return 1;
  }
  if (error instanceof PrepareError && loaded) {
    process.stderr.write(`qkit: ${error.message}\n`);
    process.stdout.write(report(error.findings, undefined, loaded.classSite).text);
    return 1;
  }
  if (error instanceof CalibrationAbortedError) {
    process.stderr.write(`qkit: ${error.message}; nothing was written\n`);
    return 130;
  }
  throw error;
}

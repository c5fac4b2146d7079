import { QkitError } from "../errors.js";
import { cloneModel, exposeValues } from "../model-clone.js";
import { createSession, type SessionOptions } from "../session/create-session.js";
import type { Tensor } from "../engine/tensor.js";
import { observedActivations, type ObserverGroup, type PreparedModel } from "./prepare.js";
import type { Node } from "../graph/node.js";
import { formatName } from "../graph/print.js";
import { formatLocation } from "../source-location.js";

/** One calibration sample: a tensor per model input, by input name. */
export type CalibrationSample = Readonly<Record<string, Tensor>>;

export interface CalibrationProgress {
  /** Samples (batches) run so far, and inputs in them (the batch dimension summed). */
  batches: number;
  items: number;
  /** The limit on items, when one was given. */
  limit?: number;
  elapsedMs: number;
}

export interface CalibrateOptions {
  /** Stop after this many items (summed over the first dimension of the first input). */
  limit?: number;
  onProgress?: (progress: CalibrationProgress) => void;
  /** Abort between batches; calibrate then rejects with an AbortError and observers keep what they saw. */
  signal?: AbortSignal;
  session?: SessionOptions;
}

/** A calibration sample that cannot be used: NaN or infinity, a wrong input name. */
export class CalibrationDataError extends QkitError {
  constructor(message: string) {
    super("calibration-data", message);
  }
}

/** An observer refused what it was fed: the error names the value, its dtype and the line that made the spec. */
export class ObserverFeedError extends QkitError {
  constructor(group: ObserverGroup, value: Node, tensor: Tensor, cause: unknown) {
    const where = group.spec.site ? `${formatLocation(group.spec.site)}: ` : "";
    const detail = `the ${group.observer.constructor.name} of this spec cannot observe ${formatName(value.name)} (${tensor.type}${value.meta.dtype && value.meta.dtype !== tensor.type ? `, declared ${value.meta.dtype}` : ""}): ${cause instanceof Error ? cause.message : String(cause)}`;
    super("observer-feed", `${where}${detail}`, { cause, detail, ...(group.spec.site ? { location: group.spec.site } : {}) });
  }
}

export class CalibrationAbortedError extends QkitError {
  constructor(readonly progress: CalibrationProgress) {
    super("aborted", `calibration was cancelled after ${progress.items} inputs`);
    this.name = "AbortError";
  }
}

function checkFinite(sample: CalibrationSample, index: number): void {
  for (const [name, tensor] of Object.entries(sample)) {
    if (tensor.type !== "float32") continue;
    const data = tensor.data as Float32Array;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) {
        throw new CalibrationDataError(`calibration sample ${index}: input '${name}' holds ${data[i]} at element ${i}; remove or fix that sample`);
      }
    }
  }
}

/**
 * Run the float model over the samples and let every observer see the tensors of its group. The model runs on qkit's
 * fp32 engine with the observed activations as extra outputs; parameters were observed by prepare.
 */
export async function calibrate(
  prepared: PreparedModel,
  data: Iterable<CalibrationSample> | AsyncIterable<CalibrationSample>,
  options: CalibrateOptions = {},
): Promise<CalibrationProgress> {
  const activations = observedActivations(prepared);
  const runnable = cloneModel(prepared.model);
  exposeValues(runnable, activations.map((v) => v.valueName));
  const session = await createSession(runnable, options.session);
  const started = Date.now();
  const progress: CalibrationProgress = { batches: 0, items: 0, elapsedMs: 0, ...(options.limit !== undefined ? { limit: options.limit } : {}) };
  // Fixed qparams need no statistics; dynamic ones are computed per batch when the quantized model runs.
  const consumers = prepared.groups.filter((g) => g.spec.kind !== "fixed" && !g.spec.isDynamic).map((g) => ({ group: g, values: g.values.filter((v) => v.kind !== "parameter") }));
  try {
    for await (const sample of data) {
      // Let timers and signal handlers (Ctrl-C, a cancelled request) run between batches.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (options.signal?.aborted) throw new CalibrationAbortedError({ ...progress });
      if (options.limit !== undefined && progress.items >= options.limit) break;
      checkFinite(sample, progress.batches);
      const unknown = Object.keys(sample).filter((k) => !session.inputNames.includes(k));
      if (unknown.length) throw new CalibrationDataError(`calibration sample ${progress.batches}: the model has no input named '${unknown[0]}' (its inputs: ${session.inputNames.join(", ")})`);
      // Observers read the activations where the engine left them; nothing is copied out per batch.
      session.runWithViews(sample, (outputs) => {
        for (const { group, values } of consumers) {
          for (const value of values) {
            const tensor = outputs[value.valueName]!;
            try {
              group.observer.observe({ data: tensor.data as Float32Array, dims: tensor.dims });
            } catch (error) {
              throw new ObserverFeedError(group, value, tensor, error);
            }
          }
        }
      });
      progress.batches++;
      progress.items += Object.values(sample)[0]?.dims[0] ?? 1;
      progress.elapsedMs = Date.now() - started;
      options.onProgress?.({ ...progress });
    }
  } finally {
    await session.release();
  }
  if (progress.batches === 0) throw new CalibrationDataError("the calibration data holds no samples; give at least one input");
  return progress;
}

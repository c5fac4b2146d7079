import type { DataOptions } from "../data/source.js";
import { UsageError } from "./command.js";
import { stringOption, type ParsedArgs } from "./args.js";

/** The options every command that reads data takes. */
export const DATA_OPTIONS = {
  data: { type: "string" },
  "batch-size": { type: "string" },
  limit: { type: "string" },
  scale: { type: "string" },
  mean: { type: "string" },
  std: { type: "string" },
} as const;

export const DATA_USAGE = `  --data PATH           .npy, .npz or .pb file, PNG/JPEG image, IDX images, a folder of those, or a .ts/.js
                        module exporting an (async) iterable of { inputName: Tensor } samples
  --batch-size N        items per run (default 16)
  --limit N             use at most N items
  --scale S             pixels (images, IDX) are multiplied by S first (default 1/255)
  --mean M[,M...]       then the per-channel mean is subtracted
  --std S[,S...]        and the result divided by the per-channel std`;

function numberOption(args: ParsedArgs, name: string): number | undefined {
  const text = stringOption(args, name);
  if (text === undefined) return undefined;
  const value = text.includes("/") ? text.split("/").map(Number).reduce((a, b) => a / b) : Number(text);
  if (!Number.isFinite(value)) throw new UsageError(`--${name} takes a number, got '${text}'`);
  return value;
}

function listOption(args: ParsedArgs, name: string): number[] | undefined {
  const text = stringOption(args, name);
  if (text === undefined) return undefined;
  const values = text.split(",").map(Number);
  if (values.some((v) => !Number.isFinite(v))) throw new UsageError(`--${name} takes numbers separated by commas, got '${text}'`);
  return values;
}

export function dataOptions(args: ParsedArgs): DataOptions {
  const batchSize = numberOption(args, "batch-size");
  const limit = numberOption(args, "limit");
  for (const [name, v] of [["batch-size", batchSize], ["limit", limit]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new UsageError(`--${name} takes a whole number above 0`);
  }
  const scale = numberOption(args, "scale");
  const mean = listOption(args, "mean");
  const std = listOption(args, "std");
  return {
    batchSize: batchSize ?? 16,
    ...(limit !== undefined ? { limit } : {}),
    normalize: { ...(scale !== undefined ? { scale } : {}), ...(mean ? { mean } : {}), ...(std ? { std } : {}) },
  };
}

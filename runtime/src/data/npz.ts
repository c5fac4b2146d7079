import { unzipSync } from "fflate";
import type { Tensor } from "../engine/tensor.js";
import { DataError } from "./data-error.js";
import { parseNpy } from "./npy.js";

/** Reads every array of a .npz archive (stored or deflated), by name without the .npy suffix. */
export function parseNpz(bytes: Uint8Array, file: string): Map<string, Tensor> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (error) {
    throw new DataError(file, `is not a readable .npz (zip) archive: ${(error as Error).message}`, { cause: error });
  }
  const arrays = new Map<string, Tensor>();
  for (const [name, data] of Object.entries(entries)) {
    if (!name.endsWith(".npy")) continue;
    arrays.set(name.slice(0, -4), parseNpy(data, `${file}:${name}`));
  }
  if (arrays.size === 0) throw new DataError(file, "holds no .npy arrays");
  return arrays;
}

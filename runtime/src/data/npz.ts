import type { Tensor } from "../engine/tensor.js";
import { DataError } from "./data-error.js";
import { parseNpy } from "./npy.js";
import { readZip } from "./zip.js";
import { MAX_DECODED_BYTES } from "./limits.js";

/**
 * Reads every array of a .npz archive (stored or deflated), by name without the .npy suffix; the archive may expand
 * to at most `maxBytes` (each array's header must also fit what it stores, see parseNpy).
 */
export function parseNpz(bytes: Uint8Array, file: string, maxBytes = MAX_DECODED_BYTES): Map<string, Tensor> {
  const entries = readZip(bytes, file, maxBytes);
  const arrays = new Map<string, Tensor>();
  for (const [name, data] of entries) {
    if (!name.endsWith(".npy")) continue;
    arrays.set(name.slice(0, -4), parseNpy(data, `${file}:${name}`));
  }
  if (arrays.size === 0) throw new DataError(file, "holds no .npy arrays");
  return arrays;
}

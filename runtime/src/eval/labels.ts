import { promises as fs } from "node:fs";
import { parseIdx } from "../data/idx.js";
import { parseNpy } from "../data/npy.js";
import { DataError } from "../data/data-error.js";

/** Integer class labels from an IDX label file (gzipped or not) or an .npy array. */
export async function readLabels(file: string): Promise<number[]> {
  const bytes = await fs.readFile(file).catch(() => {
    throw new DataError(file, "no such labels file; check the path");
  });
  if (file.endsWith(".npy")) {
    const t = parseNpy(bytes, file);
    if (Array.isArray(t.data)) throw new DataError(file, "holds strings, not integer labels");
    return Array.from(t.data as ArrayLike<number | bigint>, Number);
  }
  const idx = parseIdx(bytes, file);
  if (idx.dims.length !== 1) throw new DataError(file, `is an IDX array of rank ${idx.dims.length}; labels are rank 1`);
  return Array.from(idx.data);
}

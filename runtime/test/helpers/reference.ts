import { readFileSync } from "node:fs";
import * as path from "node:path";
import { SHARED_MODELS } from "./data.js";

export interface ReferenceIO {
  input: Float32Array;
  inputShape: number[];
  output: Float32Array;
  outputShape: number[];
  labels?: number[];
}

/** The reference input/output pair the shared manifest lists for a model (raw little-endian float32 files). */
export function referenceIO(model: string): ReferenceIO {
  const manifest = JSON.parse(readFileSync(path.join(SHARED_MODELS, "manifest.json"), "utf8"));
  const io = manifest.models[model].io;
  const floats = (file: string) => {
    const bytes = readFileSync(path.join(SHARED_MODELS, file));
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  };
  return { input: floats(io.input), inputShape: io.input_shape, output: floats(io.output), outputShape: io.output_shape, labels: io.labels };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

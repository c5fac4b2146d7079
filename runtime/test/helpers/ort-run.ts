import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { calibrate, convert, createSession, exportOnnx, prepare, serializeModel, Tensor, type Model, type Quantizer } from "../../src/tooling.js";

/** Feeds by input name, float32 or int64. */
export type Feeds = Record<string, { data: Float32Array | BigInt64Array; dims: number[] }>;

/** The first output of `file` run in onnxruntime-node (CPU, one thread). */
export async function runOrt(file: string, feeds: Feeds): Promise<Float32Array> {
  const ort = await import("onnxruntime-node");
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
  const ortFeeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
  for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(t.data instanceof BigInt64Array ? "int64" : "float32", t.data, t.dims);
  const out = await session.run(ortFeeds);
  return out[session.outputNames[0]!]!.data as Float32Array;
}

/** The first output of `model` run in qkit (`lowering: false` runs the Q/DQ reference on the float engine). */
export async function runQkit(model: Model | string, feeds: Feeds, options: { lowering?: boolean; threads?: number } = {}): Promise<Float32Array> {
  const session = await createSession(model, options);
  try {
    const tensors: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) tensors[name] = new Tensor(t.data instanceof BigInt64Array ? "int64" : "float32", t.data, t.dims);
    const out = await session.run(tensors);
    return out[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Signal-to-quantization-noise ratio of `x` against `reference`, in dB. */
export function sqnr(reference: ArrayLike<number>, x: ArrayLike<number>): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    signal += reference[i]! ** 2;
    noise += (reference[i]! - x[i]!) ** 2;
  }
  return noise === 0 ? Infinity : 10 * Math.log10(signal / noise);
}

/** Feeds as qkit tensors, for calibration. */
export function qkitFeeds(feeds: Feeds): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, new Tensor(t.data instanceof BigInt64Array ? "int64" : "float32", t.data, t.dims)]));
}

/**
 * `model` quantized by `quantizer` (calibrated on `feeds`) and exported: the SQNR against the float model of ONNX
 * Runtime's run of the export (default optimizations) and of qkit's.
 */
export async function exportedSqnr(model: Model, quantizer: Quantizer, feeds: Feeds): Promise<{ ort: number; qkit: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), "qkit-sqnr-"));
  try {
    const prepared = prepare(model, quantizer);
    await calibrate(prepared, [qkitFeeds(feeds)]);
    const file = path.join(dir, "model.qdq.onnx");
    await exportOnnx(convert(prepared), file);
    const floatFile = path.join(dir, "model.onnx");
    writeFileSync(floatFile, serializeModel(model));
    const fp32 = await runOrt(floatFile, feeds);
    return { ort: sqnr(fp32, await runOrt(file, feeds)), qkit: sqnr(fp32, await runQkit(file, feeds)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

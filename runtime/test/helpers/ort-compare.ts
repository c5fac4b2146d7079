// ONNX Runtime against qkit's own Q/DQ reference on an exported model: the values, not only the shapes.
import assert from "node:assert/strict";
import { createSession, tensorToFloat32, type Model, type Tensor } from "../../src/tooling.js";

export interface OrtComparison {
  output: string;
  /** Largest |ORT − reference|. */
  worst: number;
  /** Mean |ORT − reference|, in quantization steps. */
  meanSteps: number;
  /** What `worst` may reach: `steps` quantization steps of the output's scale (or of its range, for a float output). */
  tolerance: number;
  /** Rows (first dimension) whose ORT top-1 is not within `tolerance` of the reference's best. */
  top1Mismatches: number;
}

/**
 * One quantization step of a graph output: the scale of the DequantizeLinear producing it; for an output left float,
 * 1/255 of the reference's largest magnitude (the step an 8-bit tensor of that range would have).
 */
function outputStep(model: Model, name: string, reference: Float32Array): number {
  const producer = model.graph.producerOf(name);
  if (producer?.opType === "DequantizeLinear" && producer.args[1]?.tensor) {
    const scales = tensorToFloat32(producer.args[1].tensor);
    return Math.max(...scales);
  }
  let largest = 0;
  for (const v of reference) largest = Math.max(largest, Math.abs(v));
  return largest / 255;
}

/**
 * Runs `file` (the export of `model`) in onnxruntime-node and `model` in qkit's Q/DQ reference (the float engine,
 * no lowering) on the same feeds, and asserts per output: every value within `steps` quantization steps, on average
 * within one, and the same top-1 per row up to ties within the tolerance. The two round differently where a value
 * lands within float error of a half step, and such a flip moves everything downstream by a step: a small network
 * agrees exactly, ResNet-18 within 2 steps and MobileNet-V2 within 3 (0.3 and 0.7 on average). A wrong scale, zero
 * point or weight in the export moves outputs by far more.
 */
export async function assertOrtMatchesReference(model: Model, file: string, feeds: Record<string, Tensor>, steps = 2): Promise<OrtComparison[]> {
  const ort = await import("onnxruntime-node");
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
  const ortFeeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
  for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor("float32", t.data as Float32Array, [...t.dims]);
  const ortOut = await session.run(ortFeeds);
  const mine = await createSession(model, { lowering: false });
  let reference: Record<string, Tensor>;
  try {
    reference = await mine.run(feeds);
  } finally {
    await mine.release();
  }
  const results: OrtComparison[] = [];
  for (const name of session.outputNames) {
    const got = ortOut[name]!;
    const want = reference[name]!;
    assert.deepEqual([...got.dims], [...want.dims], `${name}: ORT's shape`);
    const a = got.data as Float32Array;
    const b = want.data as Float32Array;
    
    const step = outputStep(model, name, b);
    let worst = 0;
    let total = 0;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i]! - b[i]!);
      worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
      total += d;
    }
    const meanSteps = total / a.length / step;
    const tolerance = steps * step * 1.0001;
    const rows = want.dims.length > 1 ? want.dims[0]! : 1;
    const width = b.length / rows;
    let top1Mismatches = 0;
    for (let r = 0; r < rows; r++) {
      let ortBest = r * width;
      let refBest = r * width;
      for (let i = r * width; i < (r + 1) * width; i++) {
        if (a[i]! > a[ortBest]!) ortBest = i;
        if (b[i]! > b[refBest]!) refBest = i;
      }
      if (b[ortBest]! < b[refBest]! - tolerance) top1Mismatches++;
    }
    results.push({ output: name, worst, meanSteps, tolerance, top1Mismatches });
  }
  for (const r of results) {
    assert.ok(r.worst <= r.tolerance, `${r.output}: ONNX Runtime differs from qkit's Q/DQ reference by up to ${r.worst}, more than ${steps} steps (${r.tolerance})`);
    assert.ok(r.meanSteps <= 1, `${r.output}: ONNX Runtime differs from qkit's Q/DQ reference by ${r.meanSteps.toFixed(2)} steps on average, more than one`);
    assert.equal(r.top1Mismatches, 0, `${r.output}: ${r.top1Mismatches} rows where ONNX Runtime's top-1 is not the reference's`);
  }
  return results;
}

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadModel } from "../src/tooling.js";
import { Tensor, type InferenceSession } from "../src/engine/index.js";
import { createSession } from "../src/session/create-session.js";
import { sharedModel, skipUnlessShared } from "./helpers/data.js";
import { maxAbsDiff, referenceIO } from "./helpers/reference.js";

function floats(file: string): Float32Array {
  const bytes = readFileSync(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

async function runOne(session: InferenceSession, input: Float32Array, dims: number[]): Promise<Float32Array> {
  const out = await session.run({ [session.inputNames[0]!]: new Tensor("float32", input, dims) });
  return out[session.outputNames[0]!]!.data as Float32Array;
}

function argmaxRows(data: Float32Array, rows: number): number[] {
  const cols = data.length / rows;
  return Array.from({ length: rows }, (_, r) => {
    let best = 0;
    for (let c = 1; c < cols; c++) if (data[r * cols + c]! > data[r * cols + best]!) best = c;
    return best;
  });
}

const FP32 = [
  { key: "fmnist_cnn_op13", file: "fmnist_cnn_op13.onnx" },
  { key: "resnet18_op13", file: "resnet18_op13.onnx" },
  { key: "mobilenet_v2_op13", file: "mobilenet_v2_op13.onnx" },
];

for (const { key, file } of FP32) {
  test(`${file} matches its PyTorch reference within 1e-4`, { skip: skipUnlessShared(file, "manifest.json") }, async () => {
    const io = referenceIO(key);
    const session = await createSession(sharedModel(file)!);
    try {
      const out = await runOne(session, io.input, io.inputShape);
      assert.ok(maxAbsDiff(out, io.output) <= 1e-4, `max abs error ${maxAbsDiff(out, io.output)}`);
      // A second run reuses the plan and its arena: same result.
      assert.deepEqual(await runOne(session, io.input, io.inputShape), out);
    } finally {
      await session.release();
    }
  });
}

test("two threads and the SIMD128 baseline give the reference result too", { skip: skipUnlessShared("resnet18_op13.onnx", "manifest.json") }, async () => {
  const io = referenceIO("resnet18_op13");
  const model = await loadModel(sharedModel("resnet18_op13.onnx")!);
  const one = await createSession(model, { threads: 1 });
  const two = await createSession(model, { threads: 2, kernels: "simd" });
  try {
    assert.equal(two.info.threads, 2);
    assert.equal(two.info.kernels, "simd");
    const a = await runOne(one, io.input, io.inputShape);
    const b = await runOne(two, io.input, io.inputShape);
    assert.ok(maxAbsDiff(b, io.output) <= 1e-4, `max abs error ${maxAbsDiff(b, io.output)}`);
    assert.ok(maxAbsDiff(a, b) <= 1e-4);
  } finally {
    await one.release();
    await two.release();
  }
});

test("dynamic batch: a batch of 3 gives the first 3 rows of the batch-8 reference", { skip: skipUnlessShared("fmnist_cnn_op13.onnx", "manifest.json") }, async () => {
  const io = referenceIO("fmnist_cnn_op13");
  const session = await createSession(sharedModel("fmnist_cnn_op13.onnx")!, { threads: 2 });
  try {
    const per = io.input.length / io.inputShape[0]!;
    const out = await runOne(session, io.input.slice(0, 3 * per), [3, ...io.inputShape.slice(1)]);
    assert.ok(maxAbsDiff(out, io.output.slice(0, 30)) <= 1e-4);
    const full = await runOne(session, io.input, io.inputShape);
    assert.ok(maxAbsDiff(full, io.output) <= 1e-4);
    assert.deepEqual(argmaxRows(full, 8), io.labels);
  } finally {
    await session.release();
  }
});

// QDQ models made outside qkit, against onnxruntime-node. ORT runs them as integer kernels and requantizes where
// qkit simulates in fp32, so results agree to a quantization step, not bit for bit: on ResNet-18 onnxruntime-web and
// onnxruntime-node themselves differ by up to 0.041 on logits of magnitude ~6.
const QDQ = [
  { file: "fmnist_cnn_op13.qdq_u8s8.onnx", key: "fmnist_cnn_op13", tolerance: 1e-4 },
  { file: "fmnist_cnn_op13.qdq_s8s8.onnx", key: "fmnist_cnn_op13", tolerance: 1e-4 },
  { file: "resnet18_op13.qdq_u8s8.onnx", key: "resnet18_op13", tolerance: 0.06 },
  { file: "resnet18_op13.qdq_s8s8.onnx", key: "resnet18_op13", tolerance: 0.06 },
];

for (const { file, key, tolerance } of QDQ) {
  const reference = file.replace(".onnx", ".ort_node.output.bin");
  test(`${file} runs through Q/DQ and matches onnxruntime-node within ${tolerance}`, { skip: skipUnlessShared(file, reference, "manifest.json") }, async () => {
    const io = referenceIO(key);
    const expected = floats(sharedModel(reference)!);
    const session = await createSession(sharedModel(file)!);
    try {
      const model = session.model.graph;
      assert.ok(model.calls("QuantizeLinear").length > 0 && model.calls("DequantizeLinear").length > 0);
      const out = await runOne(session, io.input, io.inputShape);
      assert.ok(maxAbsDiff(out, expected) <= tolerance, `max abs error ${maxAbsDiff(out, expected)}`);
      const rows = io.outputShape[0]!;
      assert.deepEqual(argmaxRows(out, rows), argmaxRows(expected, rows));
    } finally {
      await session.release();
    }
  });
}

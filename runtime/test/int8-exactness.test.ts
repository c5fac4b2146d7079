import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { readFileSync } from "node:fs";
import {
  loadModel, prepare, calibrate, convert, createSession, lowerWithReport, loadQuantizer, Tensor, type Model,
} from "../src/tooling.js";
import { EXAMPLES, sharedModel, skipUnlessShared } from "./helpers/data.js";
import { compareLowered, randomTensor, type NodeDiff } from "./int8-compare.js";

// The integer operators must equal the Q/DQ reference (the float engine running the Q/DQ graph) except at
// rounding ties: convolutions and GEMMs accumulate exactly where the reference sums float32 products, so a value
// within float32 rounding of a half-integer can land one step away. Add, Mul, max pooling, lookup tables and layout
// operators repeat the reference's float32 steps and match it bit for bit.
const EXACT = new Set(["QAdd", "QMul", "QMaxPool", "QLut", "QConcat", "Reshape", "Flatten", "Transpose"]);
const TIE_RATE = 5e-4;

function assertExact(diffs: NodeDiff[], minimumNodes: number): void {
  assert.ok(diffs.length >= minimumNodes, `${diffs.length} integer operators compared, expected at least ${minimumNodes}`);
  for (const d of diffs) {
    if (EXACT.has(d.opType)) assert.equal(d.mismatches, 0, `${d.name} (${d.opType}) differs from the reference in ${d.mismatches} elements`);
    assert.ok(d.maxSteps <= 1, `${d.name} (${d.opType}) is ${d.maxSteps} steps from the reference`);
    assert.ok(d.mismatches <= Math.max(2, d.elements * TIE_RATE), `${d.name} (${d.opType}): ${d.mismatches} of ${d.elements} elements differ`);
  }
}

function floats(file: string, dims: number[]): Tensor {
  const bytes = readFileSync(file);
  return new Tensor("float32", new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)), dims);
}

// Threads: 8 images on 2 threads split the batch by images; one image on 2 threads splits each operator's work.
const THIRD_PARTY = [
  ["fmnist_cnn_op13.qdq_u8s8.onnx", "fmnist_cnn.input.bin", [8, 1, 28, 28], 10, 2],
  ["fmnist_cnn_op13.qdq_s8s8.onnx", "fmnist_cnn.input.bin", [8, 1, 28, 28], 10, 1],
  ["resnet18_op13.qdq_u8s8.onnx", "resnet18.input.bin", [1, 3, 224, 224], 30, 2],
  ["resnet18_op13.qdq_s8s8.onnx", "resnet18.input.bin", [1, 3, 224, 224], 30, 1],
] as const;

/**
 * The kernel path of each convolution: integer Winograd wherever it applies (the CNN's 3×3 convolutions but the
 * first, of one input channel; ResNet-18's 13 stride-1 3×3 ones), qconv for the rest (stem, strided, 1×1 shortcuts).
 */
const KERNEL_PATHS: Record<string, Record<string, number>> = {
  "fmnist_cnn_op13.qdq_u8s8.onnx": { qconv: 1, qwinograd: 4 },
  "fmnist_cnn_op13.qdq_s8s8.onnx": { qconv: 1, qwinograd: 4 },
  "resnet18_op13.qdq_u8s8.onnx": { qwinograd: 13, qconv: 7 },
  "resnet18_op13.qdq_s8s8.onnx": { qwinograd: 13, qconv: 7 },
};

for (const [file, input, dims, minimum, threads] of THIRD_PARTY) {
  test(`${file}: every integer operator equals the Q/DQ reference but for rounding ties; outputs within a step of onnxruntime-node`,
    { skip: skipUnlessShared(file, input) }, async () => {
      const model = await loadModel(sharedModel(file)!);
      const x = floats(sharedModel(input)!, [...dims]);
      assertExact(await compareLowered(model, { input: x }, threads), minimum);
      // Residual fan-out and duplicated QuantizeLinear nodes lowered too: nothing but the float classifier is left.
      const { report } = lowerWithReport(model);
      assert.deepEqual(report.nodes.filter((n) => !n.loweredAs).map((n) => n.opType), ["Gemm"]);

      const ortFile = sharedModel(file.replace(".onnx", ".ort_node.output.bin"));
      if (!ortFile) return;
      const bytes = readFileSync(ortFile);
      const ort = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      const session = await createSession(model);
      const reference = await createSession(model, { lowering: false });
      try {
        const mine = (await session.run({ input: x })).logits!.data as Float32Array;
        assert.deepEqual(session.kernelRuns(), KERNEL_PATHS[file]);
        const ref = (await reference.run({ input: x })).logits!.data as Float32Array;
        const worst = (a: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - ort[i]!)), 0);
        // The logits are float (Gemm on the last quantized activation): "one step" there is what one step of
        // every input of the classifier moves them, which the reference's own distance to ORT bounds.
        assert.ok(worst(mine) <= Math.max(worst(ref) * 1.5, 0.05), `lowered ${worst(mine)} vs reference ${worst(ref)} from ORT`);
      } finally {
        await session.release();
        await reference.release();
      }
    });
}

async function quantized(file: string, quantizer: string, samples: Tensor[]): Promise<Model> {
  const model = await loadModel(file);
  const prepared = prepare(model, loadQuantizer(quantizer).quantizer);
  await calibrate(prepared, samples.map((input) => ({ input })));
  return convert(prepared);
}

const FASHION_CNN = path.join(EXAMPLES, "fmnist_cnn_op13.onnx");
for (const quantizer of ["xnnpack", "x86", "ort-qdq", path.join(EXAMPLES, "fashion-mnist", "tutorial-quantizer.ts")]) {
  test(`the CNN quantized by ${path.basename(quantizer)}: lowered operators equal the reference but for ties (batch 3, 2 threads)`, async () => {
    const model = await quantized(FASHION_CNN, quantizer, [randomTensor([4, 1, 28, 28], 1), randomTensor([4, 1, 28, 28], 2)]);
    assertExact(await compareLowered(model, { input: randomTensor([3, 1, 28, 28], 3) }, 2), 8);
  });
}

// x86 quantizes a convolution together with the residual Add and Relu after it (no QuantizeLinear between them):
// those convolutions have no integer form yet and stay float, which the report says.
for (const [file, quantizer, minimum] of [["resnet18_op13.onnx", "x86", 15], ["mobilenet_v2_op13.onnx", "xnnpack", 60], ["resnet18_op13.onnx", "xnnpack", 30]] as const) {
  test(`${file} quantized by ${quantizer}: lowered operators equal the reference but for ties`, { skip: skipUnlessShared(file) }, async () => {
    const model = await quantized(sharedModel(file)!, quantizer, [randomTensor([1, 3, 224, 224], 1)]);
    const { report } = lowerWithReport(model);
    for (const n of report.nodes.filter((e) => !e.loweredAs)) assert.ok(n.reason, `${n.name} stays float without a reason`);
    assertExact(await compareLowered(model, { input: randomTensor([1, 3, 224, 224], 2) }), minimum);
  });
}

// Families built on the less common operators and attributes that real exports still carry: transposed convolutions
// with output padding, instance normalization and reflect padding; dilated grouped 1-D convolutions, PReLU, ceil-mode
// pooling, Gemm's alpha and beta; token-mixing MLPs with the tanh GELU and a LayerNorm spelled out in Pow and Sqrt;
// Mish, LRN, depth/space rearrangements, cubic Resize and a reversed slice; a bidirectional GRU and an LSTM with
// peepholes and sequence lengths.
import { Builder } from "./builder.mjs";

/**
 * A DCGAN-style generator at opset 11: transposed convolutions of stride 2 (one with output_padding), BatchNorm and
 * LeakyReLU, InstanceNormalization, a reflect Pad before a 7×7 convolution, Tanh.
 */
export function ganGenerator(onnx) {
  const b = new Builder(onnx, "gan");
  const bn = (x, c) => b.op("BatchNormalization", [x, b.weight([c], 0.2), b.weight([c], 0.1), b.weight([c], 0.1),
    b.tensor([c], Float32Array.from({ length: c }, (_, i) => 0.5 + (i % 5) * 0.1))], { epsilon: 1e-5 });
  let h = b.op("ConvTranspose", ["x", b.weight([256, 128, 4, 4], 0.05), b.weight([128], 0.1)], { strides: [2, 2], pads: [1, 1, 1, 1] });
  h = b.op("LeakyRelu", [bn(h, 128)], { alpha: 0.2 });
  h = b.op("ConvTranspose", [h, b.weight([128, 64, 3, 3], 0.05)], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] });
  h = b.op("Relu", [b.op("InstanceNormalization", [h, b.weight([64], 0.5), b.weight([64], 0.1)], { epsilon: 1e-5 })]);
  h = b.op("ConvTranspose", [h, b.weight([64, 32, 4, 4], 0.05), b.weight([32], 0.1)], { strides: [2, 2], pads: [1, 1, 1, 1] });
  h = b.op("LeakyRelu", [bn(h, 32)], { alpha: 0.2 });
  h = b.op("Pad", [h, b.ints([0, 0, 3, 3, 0, 0, 3, 3])], { mode: "reflect" });
  h = b.op("Conv", [h, b.weight([3, 32, 7, 7], 0.05), b.weight([3], 0.1)], { kernel_shape: [7, 7] });
  return b.model([["x", [1, 256, 8, 8]]], b.op("Tanh", [h]), 11);
}

/**
 * A raw-audio classifier: a strided Conv1d, per-channel PReLU, a dilated grouped Conv1d, ELU, a ceil-mode MaxPool,
 * an AveragePool counting its padding, SELU, then a GlobalMaxPool and a ReduceL2 side by side into a Gemm with alpha
 * and beta.
 */
export function audio1d(onnx) {
  const b = new Builder(onnx, "audio1d");
  let h = b.op("Conv", ["x", b.weight([32, 1, 9]), b.weight([32], 0.1)], { kernel_shape: [9], strides: [4], pads: [4, 4] });
  h = b.op("PRelu", [h, b.tensor([32, 1], Float32Array.from({ length: 32 }, (_, i) => 0.05 * (i % 7)))]);
  h = b.op("Conv", [h, b.weight([64, 8, 3]), b.weight([64], 0.1)], { kernel_shape: [3], dilations: [2], pads: [2, 2], group: 4 });
  h = b.op("Elu", [h], { alpha: 1.0 });
  h = b.op("MaxPool", [h], { kernel_shape: [3], strides: [2], ceil_mode: 1 });
  h = b.op("AveragePool", [h], { kernel_shape: [3], strides: [1], pads: [1, 1], count_include_pad: 1 });
  h = b.op("Conv", [h, b.weight([128, 64, 5]), b.weight([128], 0.1)], { kernel_shape: [5], dilations: [4], pads: [8, 8] });
  h = b.op("Selu", [h]);
  const features = b.op("Flatten", [b.op("Concat", [b.op("GlobalMaxPool", [h]), b.op("ReduceL2", [h], { axes: [2], keepdims: 1 })], { axis: 1 })], { axis: 1 });
  return b.model([["x", [1, 1, 16000]]], b.op("Gemm", [features, b.weight([10, 256]), b.weight([10], 0.1)], { transB: 1, alpha: 0.5, beta: 2.0 }), 13);
}

/**
 * An MLP-Mixer: 16×16 patches, token mixing through a Transpose around the MLP, LayerNorm written out as ReduceMean,
 * Pow and Sqrt (opset 13), GELU in its tanh form (Pow 3, Tanh).
 */
export function mixer(onnx) {
  const b = new Builder(onnx, "mixer");
  const [T, C] = [64, 128];
  const ln = (x) => b.layerNormWrittenOut(x, C, 0.5);
  let h = b.op("Conv", ["x", b.weight([C, 3, 16, 16]), b.weight([C], 0.1)], { kernel_shape: [16, 16], strides: [16, 16] });
  h = b.op("Transpose", [b.op("Reshape", [h, b.ints([1, C, T])])], { perm: [0, 2, 1] });
  for (let i = 0; i < 4; i++) {
    const tokens = b.linear(b.geluTanh(b.linear(b.op("Transpose", [ln(h)], { perm: [0, 2, 1] }), T, 256)), 256, T);
    h = b.op("Add", [h, b.op("Transpose", [tokens], { perm: [0, 2, 1] })]);
    h = b.op("Add", [h, b.linear(b.geluTanh(b.linear(ln(h), C, 4 * C)), 4 * C, C)]);
  }
  return b.model([["x", [1, 3, 128, 128]]], b.linear(b.op("ReduceMean", [ln(h)], { axes: [1], keepdims: 0 }), C, 10), 13);
}

/**
 * Rarer activations and rearrangements in a small CNN: Mish (x·tanh(softplus x)), LRN, SpaceToDepth, CELU,
 * DepthToSpace in CRD order, Softsign, a reversed slice (step −1), a cubic Resize by 1.5, HardSigmoid.
 */
export function oddities(onnx) {
  const b = new Builder(onnx, "oddities");
  let h = b.conv("x", 3, 32, 3);
  h = b.op("Mul", [h, b.op("Tanh", [b.op("Softplus", [h])])]);
  h = b.op("LRN", [h], { size: 5, alpha: 1e-4, beta: 0.75, bias: 1.0 });
  h = b.op("SpaceToDepth", [h], { blocksize: 2 });
  h = b.op("Celu", [b.conv(h, 128, 64, 3)], { alpha: 1.5 });
  h = b.op("Softsign", [b.op("DepthToSpace", [h], { blocksize: 2, mode: "CRD" })]);
  h = b.op("Slice", [h, b.ints([-1]), b.ints([-1000000]), b.ints([3]), b.ints([-1])]);
  h = b.op("Resize", [h, "", b.tensor([4], Float32Array.of(1, 1, 1.5, 1.5))], { mode: "cubic", coordinate_transformation_mode: "half_pixel" });
  return b.model([["x", [1, 3, 64, 64]]], b.op("HardSigmoid", [b.conv(h, 16, 16, 3)], { alpha: 0.3, beta: 0.4 }), 13);
}

/**
 * A sequence tagger: a bidirectional GRU with linear_before_reset = 0, its two directions joined, then an LSTM with
 * peephole weights and per-sequence lengths (the second sequence shorter), a ReduceMax over time and a classifier.
 */
export function recurrentVariants(onnx) {
  const b = new Builder(onnx, "recurrent_variants");
  const [S, B, I, H] = [50, 2, 40, 64];
  const [y] = b.op("GRU", ["x", b.weight([2, 3 * H, I]), b.weight([2, 3 * H, H]), b.weight([2, 6 * H], 0.1)],
    { hidden_size: H, direction: "bidirectional", linear_before_reset: 0 }, 2);
  const joined = b.op("Reshape", [b.op("Transpose", [y], { perm: [0, 2, 1, 3] }), b.ints([S, B, 2 * H])]);
  const lengths = b.tensor([B], Int32Array.of(S, 31), 6);
  const [y2] = b.op("LSTM", [joined, b.weight([1, 4 * H, 2 * H]), b.weight([1, 4 * H, H]), b.weight([1, 8 * H], 0.1), lengths, "", "",
    b.weight([1, 3 * H], 0.1)], { hidden_size: H }, 3);
  const last = b.op("Reshape", [b.op("ReduceMax", [y2], { axes: [0], keepdims: 0 }), b.ints([B, H])]);
  return b.model([["x", [S, B, I]]], b.linear(last, H, 5), 14);
}

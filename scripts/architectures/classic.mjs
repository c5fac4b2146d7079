// Families from older exporters and whole pipelines (seeded weights): legacy opsets and operators (LRN, Upsample,
// attribute pads, InstanceNormalization), dilated and causal convolutions, detection post-processing, hybrid
// convolution/transformer blocks.
import { Builder } from "./builder.mjs";

/** AlexNet as exported at opset 9: LRN after the first two convolutions, Flatten, inference Dropout, Gemm with transB. */
export function alexnet(onnx) {
  const b = new Builder(onnx, "alexnet");
  const lrn = (t) => b.op("LRN", [t], { size: 5, alpha: 1e-4, beta: 0.75, bias: 1.0 });
  const pool = (t) => b.op("MaxPool", [t], { kernel_shape: [3, 3], strides: [2, 2] });
  let x = b.op("Conv", ["x", b.weight([32, 3, 11, 11]), b.weight([32], 0.1)], { kernel_shape: [11, 11], strides: [4, 4], pads: [2, 2, 2, 2] });
  x = pool(lrn(b.op("Relu", [x])));
  x = pool(lrn(b.op("Relu", [b.conv(x, 32, 64, 5)])));
  x = b.op("Relu", [b.conv(x, 64, 96, 3)]);
  x = b.op("Relu", [b.conv(x, 96, 64, 3)]);
  x = pool(b.op("Relu", [b.conv(x, 64, 64, 3)]));
  x = b.op("Dropout", [b.op("Flatten", [x], { axis: 1 })], { ratio: 0.5 });
  x = b.op("Relu", [b.op("Gemm", [x, b.weight([256, 64 * 6 * 6]), b.weight([256], 0.1)], { transB: 1 })]);
  return b.model([["x", [1, 3, 224, 224]]], b.op("Gemm", [x, b.weight([100, 256]), b.weight([100], 0.1)], { transB: 1 }), 9);
}

/**
 * Fast neural style transfer as exported at opset 9: reflection padding (Pad with a pads attribute), instance
 * normalisation, residual blocks, nearest Upsample with a scales input, a final convolution.
 */
export function styleTransfer(onnx) {
  const b = new Builder(onnx, "style");
  const layer = (t, cin, cout, k, stride = 1) => {
    const p = k >> 1;
    const padded = b.op("Pad", [t], { mode: "reflect", pads: [0, 0, p, p, 0, 0, p, p] });
    return b.op("Conv", [padded, b.weight([cout, cin, k, k]), b.weight([cout], 0.1)], { kernel_shape: [k, k], strides: [stride, stride] });
  };
  const norm = (t, c) => b.op("InstanceNormalization", [t, b.weight([c], 1), b.weight([c], 0.1)], { epsilon: 1e-5 });
  let x = b.op("Relu", [norm(layer("x", 3, 16, 9), 16)]);
  x = b.op("Relu", [norm(layer(x, 16, 32, 3, 2), 32)]);
  x = b.op("Relu", [norm(layer(x, 32, 64, 3, 2), 64)]);
  for (let i = 0; i < 2; i++) {
    const y = norm(layer(b.op("Relu", [norm(layer(x, 64, 64, 3), 64)]), 64, 64, 3), 64);
    x = b.op("Add", [x, y]);
  }
  const up = (t) => b.op("Upsample", [t, b.tensor([4], Float32Array.of(1, 1, 2, 2))], { mode: "nearest" });
  x = b.op("Relu", [norm(layer(up(x), 64, 32, 3), 32)]);
  x = b.op("Relu", [norm(layer(up(x), 32, 16, 3), 16)]);
  return b.model([["x", [1, 3, 96, 96]]], layer(x, 16, 3, 9), 9);
}

/**
 * DeepLabV3's head (opset 11): atrous convolutions at dilations 1, 2 and 3, an image-pooling branch resized back
 * to a size read from the feature map's Shape, and the logits resized bilinearly to the input's own size.
 */
export function deeplab(onnx) {
  const b = new Builder(onnx, "deeplab");
  let x = b.op("Relu", [b.conv("x", 3, 32, 3, { stride: 2 })]);
  x = b.op("Relu", [b.conv(x, 32, 64, 3, { stride: 2 })]);
  x = b.op("Relu", [b.conv(x, 64, 96, 3, { stride: 2 })]);
  const atrous = (t, d) => b.op("Relu", [b.op("Conv", [t, b.weight([64, 96, 3, 3]), b.weight([64], 0.1)], { kernel_shape: [3, 3], pads: [d, d, d, d], dilations: [d, d] })]);
  const sizeOf = (t) => b.op("Slice", [b.op("Shape", [t]), b.ints([2]), b.ints([4])]);
  const resizeTo = (t, like) => {
    const sizes = b.op("Concat", [b.op("Slice", [b.op("Shape", [t]), b.ints([0]), b.ints([2])]), sizeOf(like)], { axis: 0 });
    return b.op("Resize", [t, b.tensor([0], new Float32Array(0)), b.tensor([0], new Float32Array(0)), sizes], { mode: "linear", coordinate_transformation_mode: "pytorch_half_pixel" });
  };
  const pooled = b.op("Relu", [b.conv(b.op("GlobalAveragePool", [x]), 96, 64, 1)]);
  const branches = [b.op("Relu", [b.conv(x, 96, 64, 1)]), atrous(x, 1), atrous(x, 2), atrous(x, 3), resizeTo(pooled, x)];
  x = b.op("Relu", [b.conv(b.op("Concat", branches, { axis: 1 }), 320, 64, 1)]);
  return b.model([["x", [1, 3, 128, 128]]], resizeTo(b.conv(x, 64, 8, 1), "x"), 11);
}

/** A temporal convolutional network (opset 13): causal dilated 1-D convolutions (left Pad, then Conv), residual 1×1s, the last step classified. */
export function tcn(onnx) {
  const b = new Builder(onnx, "tcn");
  const causal = (t, cin, cout, d) => {
    const padded = b.op("Pad", [t, b.ints([0, 0, 2 * d, 0, 0, 0])]);
    return b.op("Relu", [b.op("Conv", [padded, b.weight([cout, cin, 3]), b.weight([cout], 0.1)], { kernel_shape: [3], dilations: [d] })]);
  };
  let x = "x";
  let c = 16;
  for (const d of [1, 2, 4, 8]) {
    const y = causal(causal(x, c, 48, d), 48, 48, d);
    x = b.op("Relu", [b.op("Add", [y, c === 48 ? x : b.convNd(x, c, 48, [1])])]);
    c = 48;
  }
  const last = b.op("Gather", [x, b.tensor([], BigInt64Array.of(-1n), 7)], { axis: 2 });
  return b.model([["x", [1, 16, 200]]], b.op("Gemm", [last, b.weight([10, 48]), b.weight([10], 0.1)], { transB: 1 }), 13);
}

/**
 * An SSD-style detector with its post-processing (opset 13): per-level box and class heads flattened through
 * Transpose → Reshape and concatenated, class Softmax, box decoding against constant priors (Slice, Exp, Mul, Add),
 * then the 50 best anchors by score (ReduceMax → TopK) gathered with their boxes.
 */
export function ssd(onnx) {
  const b = new Builder(onnx, "ssd");
  const C = 6;
  let x = b.op("Relu", [b.conv("x", 3, 32, 3, { stride: 2 })]);
  x = b.op("Relu", [b.conv(x, 32, 64, 3, { stride: 2 })]);
  const levels = [];
  let c = 64;
  let s = 64;
  for (let level = 0; level < 3; level++) {
    x = b.op("Relu", [b.conv(x, c, 64, 3, { stride: 2 })]);
    c = 64;
    s /= 2;
    levels.push([x, s]);
  }
  const flat = (t, width) => b.op("Reshape", [b.op("Transpose", [t], { perm: [0, 2, 3, 1] }), b.ints([1, -1, width])]);
  const boxes = b.op("Concat", levels.map(([t]) => flat(b.conv(t, 64, 4 * 4, 3), 4)), { axis: 1 });
  const logits = b.op("Concat", levels.map(([t]) => flat(b.conv(t, 64, 4 * C, 3), C)), { axis: 1 });
  const anchors = levels.reduce((n, [, side]) => n + side * side * 4, 0);
  const priors = b.tensor([1, anchors, 4], Float32Array.from({ length: anchors * 4 }, (_, i) => 0.05 + ((i * 0.618) % 0.9)));
  const part = (t, from, to) => b.op("Slice", [t, b.ints([from]), b.ints([to]), b.ints([2])]);
  const centre = b.op("Add", [b.op("Mul", [b.op("Mul", [part(boxes, 0, 2), b.scalar(0.1)]), part(priors, 2, 4)]), part(priors, 0, 2)]);
  const size = b.op("Mul", [b.op("Exp", [b.op("Mul", [part(boxes, 2, 4), b.scalar(0.2)])]), part(priors, 2, 4)]);
  const decoded = b.op("Concat", [centre, size], { axis: 2 });
  const scores = b.op("Softmax", [logits], { axis: -1 });
  const best = b.op("ReduceMax", [part(scores, 1, C)], { axes: [2], keepdims: 0 });
  const [, top] = b.op("TopK", [best, b.ints([50])], { axis: 1 }, 2);
  const pick = (t) => b.op("Gather", [b.op("Squeeze", [t, b.ints([0])]), b.op("Squeeze", [top, b.ints([0])])], { axis: 0 });
  return b.model([["x", [1, 3, 256, 256]]], b.op("Concat", [pick(decoded), pick(scores)], { axis: 1 }), 13);
}

/**
 * A MobileViT block (opset 13): local 3×3 and 1×1 convolutions, the feature map unfolded into 2×2 patches
 * (Reshape → Transpose → Reshape), a transformer layer with SiLU over each patch position, folded back, fused with
 * the input by Concat and a 3×3 convolution.
 */
export function mobilevit(onnx) {
  const b = new Builder(onnx, "mobilevit");
  const [C, D, S] = [48, 64, 32];
  const N = (S / 2) * (S / 2);
  let x = b.silu(b.conv("x", 3, C, 3, { stride: 2 }));
  const input = x;
  let t = b.conv(b.silu(b.conv(x, C, C, 3)), C, D, 1, { bias: false });
  t = b.op("Reshape", [t, b.ints([D, S / 2, 2, S / 2, 2])]);
  t = b.op("Transpose", [t], { perm: [2, 4, 1, 3, 0] });
  t = b.op("Reshape", [t, b.ints([4, N, D])]);
  const ln = (u) => b.op("LayerNormalization", [u, b.weight([D], 1), b.weight([D], 0.1)], { axis: -1, epsilon: 1e-5 });
  const H = 4;
  const heads = (u) => b.op("Transpose", [b.op("Reshape", [u, b.ints([4, N, H, D / H])])], { perm: [0, 2, 1, 3] });
  const n = ln(t);
  const q = heads(b.linear(n, D, D));
  const k = b.op("Transpose", [b.op("Reshape", [b.linear(n, D, D), b.ints([4, N, H, D / H])])], { perm: [0, 2, 3, 1] });
  const v = heads(b.linear(n, D, D));
  const p = b.op("Softmax", [b.op("Mul", [b.op("MatMul", [q, k]), b.scalar(1 / Math.sqrt(D / H))])], { axis: -1 });
  const ctx = b.op("Reshape", [b.op("Transpose", [b.op("MatMul", [p, v])], { perm: [0, 2, 1, 3] }), b.ints([4, N, D])]);
  t = b.op("Add", [t, b.linear(ctx, D, D)]);
  t = b.op("Add", [t, b.linear(b.silu(b.linear(ln(t), D, 2 * D)), 2 * D, D)]);
  t = b.op("Reshape", [ln(t), b.ints([2, 2, S / 2, S / 2, D])]);
  t = b.op("Transpose", [t], { perm: [4, 2, 0, 3, 1] });
  t = b.op("Reshape", [t, b.ints([1, D, S, S])]);
  t = b.silu(b.conv(t, D, C, 1));
  x = b.silu(b.conv(b.op("Concat", [input, t], { axis: 1 }), 2 * C, C, 3));
  return b.model([["x", [1, 3, 2 * S, 2 * S]]], x, 13);
}

/**
 * Whisper's audio encoder (opset 17): two 1-D convolutions with GELU over a log-mel input (the second strided),
 * sinusoidal positions added, pre-LayerNorm layers whose queries and keys are each scaled by d^-1/4, a final LayerNorm.
 */
export function whisper(onnx) {
  const b = new Builder(onnx, "whisper");
  const [M, T, D, H] = [80, 300, 192, 4];
  const S = T / 2;
  let x = b.gelu(b.convNd("x", M, D, [3]));
  x = b.gelu(b.convNd(x, D, D, [3], { stride: [2] }));
  const positions = b.tensor([S, D], Float32Array.from({ length: S * D }, (_, i) => {
    const [p, j] = [Math.floor(i / D), i % D];
    const rate = p / 10000 ** ((2 * (j % (D / 2))) / D);
    return j < D / 2 ? Math.sin(rate) : Math.cos(rate);
  }));
  x = b.op("Add", [b.op("Transpose", [x], { perm: [0, 2, 1] }), positions]);
  const ln = (u) => b.op("LayerNormalization", [u, b.weight([D], 1), b.weight([D], 0.1)], { axis: -1, epsilon: 1e-5 });
  const scale = b.scalar((D / H) ** -0.25);
  for (let layer = 0; layer < 2; layer++) {
    const n = ln(x);
    const q = b.op("Mul", [b.op("Transpose", [b.op("Reshape", [b.linear(n, D, D), b.ints([1, S, H, D / H])])], { perm: [0, 2, 1, 3] }), scale]);
    const k = b.op("Mul", [b.op("Transpose", [b.op("Reshape", [b.op("MatMul", [n, b.weight([D, D])]), b.ints([1, S, H, D / H])])], { perm: [0, 2, 3, 1] }), scale]);
    const v = b.op("Transpose", [b.op("Reshape", [b.linear(n, D, D), b.ints([1, S, H, D / H])])], { perm: [0, 2, 1, 3] });
    const p = b.op("Softmax", [b.op("MatMul", [q, k])], { axis: -1 });
    const ctx = b.op("Reshape", [b.op("Transpose", [b.op("MatMul", [p, v])], { perm: [0, 2, 1, 3] }), b.ints([1, S, D])]);
    x = b.op("Add", [x, b.linear(ctx, D, D)]);
    x = b.op("Add", [x, b.linear(b.gelu(b.linear(ln(x), D, 4 * D)), 4 * D, D)]);
  }
  return b.model([["x", [1, M, T]]], ln(x), 17);
}

/**
 * GoogLeNet's Inception modules as exported at opset 9: four branches (1×1; 1×1 → 3×3; 1×1 → 5×5; 3×3 max pool → 1×1)
 * with BatchNormalization after every convolution, concatenated, then an average pool that excludes its padding.
 */
export function inception(onnx) {
  const b = new Builder(onnx, "inception");
  const bn = (t, c) => b.op("BatchNormalization", [t, b.weight([c], 1), b.weight([c], 0.1), b.weight([c], 0.1), b.tensor([c], Float32Array.from({ length: c }, (_, i) => 0.5 + (i % 7) / 7))], { epsilon: 1e-3 });
  const unit = (t, cin, cout, k) => b.op("Relu", [bn(b.conv(t, cin, cout, k, { bias: false }), cout)]);
  let x = b.op("MaxPool", [unit("x", 3, 48, 7)], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  const module = (t, cin) => {
    const pool = b.op("MaxPool", [t], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] });
    return b.op("Concat", [unit(t, cin, 32, 1), unit(unit(t, cin, 32, 1), 32, 48, 3), unit(unit(t, cin, 8, 1), 8, 16, 5), unit(pool, cin, 16, 1)], { axis: 1 });
  };
  x = module(module(x, 48), 112);
  x = b.op("AveragePool", [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 0 });
  return b.model([["x", [1, 3, 112, 112]]], x, 9);
}

/**
 * An opset-7 network, as the oldest exporters wrote them: BatchNormalization with its `spatial` attribute, Upsample
 * with a scales attribute, variadic Sum and Mean, Flatten and a Gemm whose bias broadcasts.
 */
export function legacyOpset7(onnx) {
  const b = new Builder(onnx, "legacy7");
  const bn = (t, c) => b.op("BatchNormalization", [t, b.weight([c], 1), b.weight([c], 0.1), b.weight([c], 0.1), b.tensor([c], Float32Array.from({ length: c }, (_, i) => 0.5 + (i % 5) / 5))], { epsilon: 1e-5, spatial: 1 });
  const a = b.op("Relu", [bn(b.conv("x", 3, 32, 3), 32)]);
  const pooled = b.op("MaxPool", [a], { kernel_shape: [2, 2], strides: [2, 2] });
  const up = b.op("Upsample", [b.op("Relu", [bn(b.conv(pooled, 32, 32, 3), 32)])], { mode: "nearest", scales: [1, 1, 2, 2] });
  const mixed = b.op("Sum", [a, up, b.conv(a, 32, 32, 1)]);
  const mean = b.op("Mean", [mixed, b.op("Relu", [b.conv(mixed, 32, 32, 3)])]);
  const flat = b.op("Flatten", [b.op("GlobalAveragePool", [mean])], { axis: 1 });
  return b.model([["x", [1, 3, 64, 64]]], b.op("Gemm", [flat, b.weight([10, 32]), b.weight([10], 0.1)], { transB: 1 }), 7);
}

/**
 * A SegFormer (MiT) stage (opset 17): an overlapping patch embedding, efficient self-attention whose keys and values
 * come from a strided convolution over the token map (sequence reduction 2), and a Mix-FFN with a depthwise 3×3
 * convolution between its linears, tokens moving between [N, C] and NCHW through Transpose and Reshape.
 */
export function segformer(onnx) {
  const b = new Builder(onnx, "segformer");
  const [C, S, H] = [64, 16, 2];
  const N = S * S;
  const ln = (t) => b.op("LayerNormalization", [t, b.weight([C], 1), b.weight([C], 0.1)], { axis: -1, epsilon: 1e-6 });
  const toTokens = (t) => b.op("Transpose", [b.op("Reshape", [t, b.ints([1, C, -1])])], { perm: [0, 2, 1] });
  const toMap = (t, side) => b.op("Reshape", [b.op("Transpose", [t], { perm: [0, 2, 1] }), b.ints([1, C, side, side])]);
  const embed = b.op("Conv", ["x", b.weight([C, 3, 7, 7]), b.weight([C], 0.1)], { kernel_shape: [7, 7], strides: [4, 4], pads: [3, 3, 3, 3] });
  let x = ln(toTokens(embed));
  for (let block = 0; block < 2; block++) {
    const n = ln(x);
    const heads = (t, len, perm) => b.op("Transpose", [b.op("Reshape", [t, b.ints([1, len, H, C / H])])], { perm });
    const reduced = ln(toTokens(b.op("Conv", [toMap(n, S), b.weight([C, C, 2, 2]), b.weight([C], 0.1)], { kernel_shape: [2, 2], strides: [2, 2] })));
    const M = (S / 2) * (S / 2);
    const q = heads(b.linear(n, C, C), N, [0, 2, 1, 3]);
    const k = heads(b.linear(reduced, C, C), M, [0, 2, 3, 1]);
    const v = heads(b.linear(reduced, C, C), M, [0, 2, 1, 3]);
    const p = b.op("Softmax", [b.op("Mul", [b.op("MatMul", [q, k]), b.scalar((C / H) ** -0.5)])], { axis: -1 });
    const ctx = b.op("Reshape", [b.op("Transpose", [b.op("MatMul", [p, v])], { perm: [0, 2, 1, 3] }), b.ints([1, N, C])]);
    x = b.op("Add", [x, b.linear(ctx, C, C)]);
    const hidden = b.linear(ln(x), C, 4 * C);
    const map = b.op("Reshape", [b.op("Transpose", [hidden], { perm: [0, 2, 1] }), b.ints([1, 4 * C, S, S])]);
    const dw = b.conv(map, 4 * C, 4 * C, 3, { group: 4 * C });
    const mixed = b.op("Transpose", [b.op("Reshape", [dw, b.ints([1, 4 * C, N])])], { perm: [0, 2, 1] });
    x = b.op("Add", [x, b.linear(b.gelu(mixed), 4 * C, C)]);
  }
  return b.model([["x", [1, 3, 4 * S, 4 * S]]], ln(x), 17);
}

/**
 * Control flow as scripted exports write it (opset 13): an If on a value computed from the input (its mean's sign)
 * choosing between two convolution branches, then a Loop that refines the features three times with a residual
 * convolution, its trip count a constant.
 */
export function controlFlow(onnx) {
  const b = new Builder(onnx, "controlflow");
  const stem = b.op("Relu", [b.conv("x", 3, 16, 3, { stride: 2 })]);
  const positive = b.op("Greater", [b.op("ReduceMean", [stem], { keepdims: 0 }), b.scalar(0.25)]);
  let mark = b.nodes.length;
  const thenOut = b.op("Relu", [b.conv(stem, 16, 16, 3)]);
  const thenBranch = b.subgraph(mark, "then", [], [thenOut]);
  mark = b.nodes.length;
  const elseOut = b.op("Sigmoid", [b.conv(stem, 16, 16, 1)]);
  const elseBranch = b.subgraph(mark, "else", [], [elseOut]);
  const chosen = b.op("If", [positive], { then_branch: thenBranch, else_branch: elseBranch });
  mark = b.nodes.length;
  const refined = b.op("Add", ["carried", b.op("Relu", [b.conv("carried", 16, 16, 3)])]);
  const keepGoing = b.op("Identity", ["cond_in"]);
  const body = b.subgraph(mark, "body", [["iteration", 7, []], ["cond_in", 9, []], ["carried", 1]], [[keepGoing, 9], refined]);
  const looped = b.op("Loop", [b.tensor([], BigInt64Array.of(3n), 7), "", chosen], { body });
  return b.model([["x", [1, 3, 64, 64]]], b.op("GlobalAveragePool", [looped]), 13);
}

/**
 * A Conv-TasNet separator (opset 13): a strided 1-D encoder with ReLU, blocks of 1×1 convolution → PReLU →
 * GroupNorm-as-exported (InstanceNormalization over one group, then a per-channel affine) → dilated depthwise 1-D
 * convolution, masks by Sigmoid applied to the encoding, and a 1-D ConvTranspose decoder back to samples.
 */
export function convTasnet(onnx) {
  const b = new Builder(onnx, "tasnet");
  const [N, B, L] = [64, 48, 16];
  const enc = b.op("Relu", [b.convNd("x", 1, N, [L], { stride: [L / 2], pads: [0, 0], bias: false })]);
  let x = b.convNd(enc, N, B, [1]);
  const gLN = (t, c) => {
    const flat = b.op("Reshape", [t, b.ints([1, 1, -1])]);
    const normed = b.op("InstanceNormalization", [flat, b.tensor([1], Float32Array.of(1)), b.tensor([1], Float32Array.of(0))], { epsilon: 1e-8 });
    return b.op("Add", [b.op("Mul", [b.op("Reshape", [normed, b.op("Shape", [t])]), b.weight([c, 1], 1)]), b.weight([c, 1], 0.1)]);
  };
  for (const d of [1, 2, 4]) {
    let y = b.op("PRelu", [b.convNd(x, B, 96, [1]), b.weight([96, 1], 0.25)]);
    y = gLN(y, 96);
    y = b.op("Conv", [y, b.weight([96, 1, 3]), b.weight([96], 0.1)], { kernel_shape: [3], dilations: [d], pads: [d, d], group: 96 });
    y = b.convNd(gLN(b.op("PRelu", [y, b.weight([96, 1], 0.25)]), 96), 96, B, [1]);
    x = b.op("Add", [x, y]);
  }
  const mask = b.op("Sigmoid", [b.convNd(x, B, N, [1])]);
  const masked = b.op("Mul", [enc, mask]);
  const out = b.op("ConvTranspose", [masked, b.weight([N, 1, L])], { kernel_shape: [L], strides: [L / 2] });
  return b.model([["x", [1, 1, 4000]]], out, 13);
}

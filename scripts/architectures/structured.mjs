// Families beyond images and sequences: coordinates, recommendation, graphs and experts, as their exporters write them.
import { Builder } from "./builder.mjs";

/**
 * A NeRF field: 3-D points through a sinusoidal positional encoding (Mul by octave frequencies, Sin and Cos,
 * Concat), an 8-layer MLP with a skip Concat of the encoding at its middle, a ReLU density and a Sigmoid colour.
 */
export function nerf(onnx) {
  const b = new Builder(onnx, "nerf");
  const [P, L, W] = [1024, 8, 128];
  const freqs = b.tensor([1, 1, L], Float32Array.from({ length: L }, (_, i) => 2 ** i * Math.PI));
  const scaled = b.op("Mul", [b.op("Unsqueeze", ["x", b.ints([2])]), freqs]);
  const encoded = b.op("Concat", ["x", b.op("Reshape", [b.op("Concat", [b.op("Sin", [scaled]), b.op("Cos", [scaled])], { axis: 2 }), b.ints([P, 6 * L])])], { axis: 1 });
  const E = 3 + 6 * L;
  let h = encoded;
  for (let i = 0; i < 8; i++) {
    const cin = i === 0 ? E : i === 4 ? W + E : W;
    if (i === 4) h = b.op("Concat", [h, encoded], { axis: 1 });
    h = b.op("Relu", [b.op("Gemm", [h, b.weight([W, cin]), b.weight([W], 0.1)], { transB: 1 })]);
  }
  const density = b.op("Relu", [b.op("Gemm", [h, b.weight([1, W]), b.weight([1], 0.1)], { transB: 1 })]);
  const color = b.op("Sigmoid", [b.linear(b.op("Relu", [b.linear(h, W, W / 2)]), W / 2, 3)]);
  return b.model([["x", [P, 3]]], b.op("Concat", [color, density], { axis: 1 }), 13);
}

/**
 * DLRM: a bottom MLP on dense features; eight embedding bags (Gather by int64 ids, ReduceSum over the bag); the
 * pairwise dot products of the nine vectors (a batched MatMul with its transpose, the upper triangle taken by a
 * Gather of flat indices); a top MLP and a Sigmoid click probability.
 */
export function dlrm(onnx) {
  const b = new Builder(onnx, "dlrm");
  const [B, T, BAG, V, D] = [32, 8, 4, 1000, 32];
  const dense = b.op("Relu", [b.linear(b.op("Relu", [b.linear("dense", 13, 64)]), 64, D)]);
  const bags = [];
  for (let t = 0; t < T; t++) {
    const ids = b.op("Gather", ["ids", b.tensor([], BigInt64Array.of(BigInt(t)), 7)], { axis: 1 });
    bags.push(b.op("ReduceSum", [b.op("Gather", [b.weight([V, D], 0.5), ids]), b.ints([1])], { keepdims: 1 }));
  }
  const stacked = b.op("Concat", [b.op("Unsqueeze", [dense, b.ints([1])]), ...bags], { axis: 1 });
  const dots = b.op("Reshape", [b.op("MatMul", [stacked, b.op("Transpose", [stacked], { perm: [0, 2, 1] })]), b.ints([B, (T + 1) ** 2])]);
  const upper = [];
  for (let i = 0; i <= T; i++) for (let j = i + 1; j <= T; j++) upper.push(i * (T + 1) + j);
  const pairs = b.op("Gather", [dots, b.tensor([upper.length], BigInt64Array.from(upper, BigInt), 7)], { axis: 1 });
  const top = b.op("Concat", [dense, pairs], { axis: 1 });
  const hidden = b.op("Relu", [b.linear(b.op("Relu", [b.linear(top, D + upper.length, 128)]), 128, 64)]);
  return b.model([["dense", [B, 13]], ["ids", [B, T, BAG], 7]], b.op("Sigmoid", [b.linear(hidden, 64, 1)]), 13);
}

/**
 * A graph convolutional network as PyTorch Geometric exports it: messages gathered from source nodes, scaled by
 * 1/√(deg·deg), summed into their targets by ScatterElements (reduction "add", opset 16), two layers, a global mean
 * pool and a classifier.
 */
export function gcn(onnx) {
  const b = new Builder(onnx, "gcn");
  const [N, F, H] = [256, 32, 64];
  // A ring with chords and self-loops: every node has edges to i±1, i±7 and itself.
  const src = [];
  const dst = [];
  for (let i = 0; i < N; i++) for (const d of [0, 1, -1, 7, -7]) { src.push(i); dst.push((i + d + N) % N); }
  const E = src.length;
  const norm = b.tensor([E, 1], Float32Array.from({ length: E }, () => 1 / 5));
  const srcIds = b.tensor([E], BigInt64Array.from(src, BigInt), 7);
  const layer = (x, cin, cout) => {
    const messages = b.op("Mul", [b.op("Gather", [b.op("MatMul", [x, b.weight([cin, cout])]), srcIds], { axis: 0 }), norm]);
    const targets = b.tensor([E, cout], BigInt64Array.from({ length: E * cout }, (_, k) => BigInt(dst[Math.floor(k / cout)])), 7);
    const zeros = b.tensor([N, cout], new Float32Array(N * cout));
    return b.op("Add", [b.op("ScatterElements", [zeros, targets, messages], { axis: 0, reduction: "add" }), b.weight([cout], 0.1)]);
  };
  const h = layer(b.op("Relu", [layer("x", F, H)]), H, H);
  const pooled = b.op("ReduceMean", [b.op("Relu", [h])], { axes: [0], keepdims: 1 });
  return b.model([["x", [N, F]]], b.linear(pooled, H, 10), 16);
}

/**
 * A dense mixture-of-experts feed-forward layer written with Einsum: every token through four experts' two linears
 * (an expert axis in the weights), combined by a Softmax router's weights, then a residual Add and LayerNorm.
 */
export function moe(onnx) {
  const b = new Builder(onnx, "moe");
  const [S, D, E, Hd] = [64, 128, 4, 256];
  let x = b.linear("x", D, D);
  for (let layer = 0; layer < 2; layer++) {
    const gates = b.op("Softmax", [b.op("MatMul", [x, b.weight([D, E])])], { axis: -1 });
    const up = b.op("Einsum", [x, b.weight([E, D, Hd])], { equation: "bsd,edh->bseh" });
    const act = b.gelu(b.op("Add", [up, b.weight([E, Hd], 0.1)]));
    const down = b.op("Einsum", [act, b.weight([E, Hd, D])], { equation: "bseh,ehd->bsed" });
    const mixed = b.op("Einsum", [gates, down], { equation: "bse,bsed->bsd" });
    x = b.op("LayerNormalization", [b.op("Add", [x, mixed]), b.weight([D], 1), b.weight([D], 0.1)], { axis: -1, epsilon: 1e-5 });
  }
  return b.model([["x", [1, S, D]]], x, 17);
}

/**
 * TabNet's attentive transformer step with sparsemax as it exports: the logits sorted by TopK, a CumSum, the support
 * found by comparing 1 + k·z with the running sum (Cast, ReduceSum), the threshold gathered at the support's size
 * (GatherElements), and Relu(z − τ) as the feature mask over a batch of rows.
 */
export function sparsemax(onnx) {
  const b = new Builder(onnx, "tabnet-sparsemax");
  const [B, F, D] = [256, 64, 32];
  let h = b.op("Relu", [b.linear("x", F, D)]);
  for (let step = 0; step < 2; step++) {
    const z = b.linear(h, D, F);
    const [sorted] = b.op("TopK", [z, b.ints([F])], { axis: -1, largest: 1, sorted: 1 }, 2);
    const cumsum = b.op("CumSum", [sorted, b.tensor([], Int32Array.of(1), 6)]);
    const ks = b.tensor([1, F], Float32Array.from({ length: F }, (_, i) => i + 1));
    const support = b.op("Cast", [b.op("Greater", [b.op("Add", [b.op("Mul", [ks, sorted]), b.scalar(1)]), cumsum])], { to: 1 });
    const size = b.op("ReduceSum", [support, b.ints([1])], { keepdims: 1 });
    const index = b.op("Sub", [b.op("Cast", [size], { to: 7 }), b.tensor([], BigInt64Array.of(1n), 7)]);
    const tau = b.op("Div", [b.op("Sub", [b.op("GatherElements", [cumsum, index], { axis: 1 }), b.scalar(1)]), size]);
    const mask = b.op("Relu", [b.op("Sub", [z, tau])]);
    h = b.op("Relu", [b.linear(b.op("Mul", ["x", mask]), F, D)]);
  }
  return b.model([["x", [B, F]]], b.linear(h, D, 2), 14);
}

/**
 * A detector's post-processing as torchvision exports it at opset 11: a convolutional head's boxes decoded against
 * anchors, scores by Sigmoid, NonMaxSuppression over them, and the kept boxes and scores gathered by the selected
 * indices (a data-dependent number of rows).
 */
export function detectorNms(onnx) {
  const b = new Builder(onnx, "detector-nms");
  const A = 32 * 32;
  const feat = b.op("Relu", [b.conv(b.op("Relu", [b.conv("x", 3, 32, 3, { stride: 2 })]), 32, 32, 3, { stride: 2 })]);
  const flat = (t, c) => b.op("Transpose", [b.op("Reshape", [t, b.ints([1, c, A])])], { perm: [0, 2, 1] });
  const deltas = flat(b.conv(feat, 32, 4, 1), 4);
  const scores = b.op("Sigmoid", [b.op("Reshape", [b.conv(feat, 32, 1, 1), b.ints([1, 1, A])])]);
  const anchors = b.tensor([1, A, 4], Float32Array.from({ length: A * 4 }, (_, i) => {
    const a = Math.floor(i / 4);
    const [cx, cy] = [(a % 32) * 4 + 2, Math.floor(a / 32) * 4 + 2];
    return [cx - 6, cy - 6, cx + 6, cy + 6][i % 4];
  }));
  const boxes = b.op("Add", [anchors, b.op("Mul", [deltas, b.scalar(4)])]);
  const selected = b.op("NonMaxSuppression", [boxes, scores, b.ints([100]), b.scalar(0.5), b.scalar(0.3)]);
  const keep = b.op("Squeeze", [b.op("Slice", [selected, b.ints([2]), b.ints([3]), b.ints([1])])], { axes: [1] });
  const kept = b.op("Gather", [b.op("Squeeze", [boxes], { axes: [0] }), keep], { axis: 0 });
  const keptScores = b.op("Unsqueeze", [b.op("Gather", [b.op("Reshape", [scores, b.ints([A])]), keep], { axis: 0 })], { axes: [1] });
  return b.model([["x", [1, 3, 128, 128]]], b.op("Concat", [kept, keptScores], { axis: 1 }), 11);
}

/**
 * A ViT as Hugging Face exports it at opset 18: the batch read by Shape to expand the class token, LayerNorm written
 * out (ReduceMean with its axes as an input, Sub, Pow, Sqrt, Div), heads reshaped by shapes built with Concat, GELU's
 * Erf form, and the class token taken by a Gather.
 */
export function vitHf(onnx) {
  const b = new Builder(onnx, "vit-hf");
  const [D, H, P] = [128, 4, 64];
  const hd = D / H;
  const batch = b.op("Slice", [b.op("Shape", ["x"]), b.ints([0]), b.ints([1]), b.ints([0])]);
  const patches = b.op("Transpose", [b.op("Reshape", [b.convNd("x", 3, D, [8, 8], { stride: [8, 8], pads: [0, 0, 0, 0] }), b.op("Concat", [batch, b.ints([D, P])], { axis: 0 })])], { perm: [0, 2, 1] });
  const cls = b.op("Expand", [b.weight([1, 1, D], 0.5), b.op("Concat", [batch, b.ints([1, D])], { axis: 0 })]);
  let x = b.op("Add", [b.op("Concat", [cls, patches], { axis: 1 }), b.weight([1, P + 1, D], 0.5)]);
  const ln = (t) => {
    const mean = b.op("ReduceMean", [t, b.ints([-1])], { keepdims: 1 });
    const centered = b.op("Sub", [t, mean]);
    const variance = b.op("ReduceMean", [b.op("Pow", [centered, b.scalar(2)]), b.ints([-1])], { keepdims: 1 });
    const normed = b.op("Div", [centered, b.op("Sqrt", [b.op("Add", [variance, b.scalar(1e-12)])])]);
    return b.op("Add", [b.op("Mul", [normed, b.weight([D], 1)]), b.weight([D], 0.1)]);
  };
  const headShape = b.op("Concat", [batch, b.ints([-1, H, hd])], { axis: 0 });
  for (let layer = 0; layer < 2; layer++) {
    const n = ln(x);
    const heads = (t) => b.op("Transpose", [b.op("Reshape", [t, headShape])], { perm: [0, 2, 1, 3] });
    const q = heads(b.linear(n, D, D));
    const k = b.op("Transpose", [heads(b.linear(n, D, D))], { perm: [0, 1, 3, 2] });
    const v = heads(b.linear(n, D, D));
    const probs = b.op("Softmax", [b.op("Div", [b.op("MatMul", [q, k]), b.scalar(Math.sqrt(hd))])], { axis: -1 });
    const ctx = b.op("Reshape", [b.op("Transpose", [b.op("MatMul", [probs, v])], { perm: [0, 2, 1, 3] }), b.op("Concat", [batch, b.ints([-1, D])], { axis: 0 })]);
    x = b.op("Add", [x, b.linear(ctx, D, D)]);
    x = b.op("Add", [x, b.linear(b.gelu(b.linear(ln(x), D, 2 * D)), 2 * D, D)]);
  }
  const token = b.op("Gather", [ln(x), b.tensor([], BigInt64Array.of(0n), 7)], { axis: 1 });
  return b.model([["x", ["batch", 3, 64, 64]]], b.linear(token, D, 10), 18);
}

/**
 * A keyword model with attention pooling: a bidirectional LSTM over the frames, scores from a learned query (MatMul),
 * a Softmax over time, the weighted sum as a MatMul of the weights by the states, and a classifier.
 */
export function lstmAttention(onnx) {
  const b = new Builder(onnx, "lstm-attention");
  const [T, I, Hd] = [98, 40, 64];
  const [y] = b.op("LSTM", ["x", b.weight([2, 4 * Hd, I]), b.weight([2, 4 * Hd, Hd]), b.weight([2, 8 * Hd], 0.1)], { hidden_size: Hd, direction: "bidirectional" }, 3);
  const states = b.op("Reshape", [b.op("Transpose", [y], { perm: [2, 0, 1, 3] }), b.ints([1, T, 2 * Hd])]);
  const scores = b.op("MatMul", [b.op("Tanh", [b.linear(states, 2 * Hd, 2 * Hd)]), b.weight([2 * Hd, 1])]);
  const weights = b.op("Softmax", [b.op("Transpose", [scores], { perm: [0, 2, 1] })], { axis: -1 });
  const pooled = b.op("Reshape", [b.op("MatMul", [weights, states]), b.ints([1, 2 * Hd])]);
  return b.model([["x", [T, 1, I]]], b.linear(b.op("Relu", [b.linear(pooled, 2 * Hd, 64)]), 64, 12), 14);
}

/**
 * An audio front end at opset 17 as torchaudio-style exports write it: STFT of the waveform (a Hann window from
 * HannWindow), the power spectrum from the real and imaginary parts (Slice, Pow, ReduceSum), a mel filter bank
 * (MatMul), a log with a floor, then two 1-D convolutions and a classifier over the pooled frames.
 */
export function stftFrontend(onnx) {
  const b = new Builder(onnx, "stft-frontend");
  const [N, HOP, BINS, MELS] = [256, 128, 129, 40];
  const window = b.op("HannWindow", [b.tensor([], BigInt64Array.of(BigInt(N)), 7)], { periodic: 1 });
  const spec = b.op("STFT", ["x", b.tensor([], BigInt64Array.of(BigInt(HOP)), 7), window], { onesided: 1 });
  // [1, frames, bins, 2]: power = re² + im².
  const power = b.op("ReduceSum", [b.op("Pow", [spec, b.scalar(2)]), b.ints([3])], { keepdims: 0 });
  const mel = b.op("MatMul", [power, b.weight([BINS, MELS], 0.05)]);
  const logMel = b.op("Log", [b.op("Max", [mel, b.scalar(1e-6)])]);
  const frames = b.op("Transpose", [logMel], { perm: [0, 2, 1] });
  const h1 = b.op("Relu", [b.convNd(frames, MELS, 64, [3])]);
  const h2 = b.op("Relu", [b.convNd(h1, 64, 64, [3], { stride: [2] })]);
  const pooled = b.op("ReduceMean", [h2], { axes: [2], keepdims: 0 });
  return b.model([["x", [1, 8000, 1]]], b.linear(pooled, 64, 12), 17);
}

/**
 * A YOLOv5-style detection head at opset 12: the neck's upsampling by a Resize whose scales are computed from Shape
 * (Cast, Div, Concat), Split of the prediction into boxes and scores, Sigmoid, the grid decode (xy·2 − 0.5 + grid) ·
 * stride and (wh·2)² · anchors, and the levels concatenated.
 */
export function yoloV5(onnx) {
  const b = new Builder(onnx, "yolov5-head");
  const C = 32;
  const p4 = b.op("Mul", [b.conv(b.silu(b.conv("x", 3, C, 3, { stride: 2 })), C, C, 3, { stride: 2 }), b.scalar(1)]);
  const p5 = b.silu(b.conv(p4, C, C, 3, { stride: 2 }));
  // Resize to p4's spatial size: scales = size(p4) / size(p5), computed in float from the shapes.
  const sizeOf = (t) => b.op("Cast", [b.op("Slice", [b.op("Shape", [t]), b.ints([2]), b.ints([4]), b.ints([0])])], { to: 1 });
  const scales = b.op("Concat", [b.tensor([2], Float32Array.of(1, 1)), b.op("Div", [sizeOf(p4), sizeOf(p5)])], { axis: 0 });
  const up = b.op("Resize", [p5, b.tensor([0], new Float32Array(0)), scales], { mode: "nearest" });
  const fused = b.silu(b.conv(b.op("Concat", [p4, up], { axis: 1 }), 2 * C, C, 3));
  const levels = [[fused, 32, 4], [p5, 16, 8]].map(([t, size, stride]) => {
    const pred = b.op("Transpose", [b.op("Reshape", [b.conv(t, C, 3 * 7, 1), b.ints([1, 3, 7, size, size])])], { perm: [0, 1, 3, 4, 2] });
    const [xy, wh, conf] = b.op("Split", [b.op("Sigmoid", [pred])], { axis: 4, split: [2, 2, 3] }, 3);
    const grid = b.tensor([1, 1, size, size, 2], Float32Array.from({ length: size * size * 2 }, (_, i) => (i % 2 === 0 ? Math.floor(i / 2) % size : Math.floor(i / 2 / size))));
    const centers = b.op("Mul", [b.op("Add", [b.op("Sub", [b.op("Mul", [xy, b.scalar(2)]), b.scalar(0.5)]), grid]), b.scalar(stride)]);
    const sizes = b.op("Mul", [b.op("Pow", [b.op("Mul", [wh, b.scalar(2)]), b.scalar(2)]), b.tensor([1, 3, 1, 1, 2], Float32Array.of(10, 13, 16, 30, 33, 23))]);
    return b.op("Reshape", [b.op("Concat", [centers, sizes, conf], { axis: 4 }), b.ints([1, -1, 7])]);
  });
  return b.model([["x", [1, 3, 128, 128]]], b.op("Concat", levels, { axis: 1 }), 12);
}

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

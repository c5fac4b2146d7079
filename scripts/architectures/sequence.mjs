// Sequence families (language, speech, recurrent), as their exporters write them (seeded weights).
import { Builder } from "./builder.mjs";

export function bert(onnx) {
  const b = new Builder(onnx, "bert");
  const [S, D, H] = [128, 256, 4];
  let x = "x";
  for (let layer = 0; layer < 2; layer++) {
    const heads = (t) => b.op("Transpose", [b.op("Reshape", [t, b.ints([1, S, H, D / H])])], { perm: [0, 2, 1, 3] });
    const q = heads(b.linear(x, D, D));
    const k = b.op("Transpose", [b.op("Reshape", [b.linear(x, D, D), b.ints([1, S, H, D / H])])], { perm: [0, 2, 3, 1] });
    const v = heads(b.linear(x, D, D));
    const scores = b.op("Softmax", [b.op("Div", [b.op("MatMul", [q, k]), b.scalar(Math.sqrt(D / H))])], { axis: -1 });
    const ctx = b.op("Reshape", [b.op("Transpose", [b.op("MatMul", [scores, v])], { perm: [0, 2, 1, 3] }), b.ints([1, S, D])]);
    const ln = (t) => b.op("LayerNormalization", [t, b.weight([D], 1), b.weight([D], 0.1)], { axis: -1, epsilon: 1e-12 });
    x = ln(b.op("Add", [x, b.linear(ctx, D, D)]));
    x = ln(b.op("Add", [x, b.linear(b.gelu(b.linear(x, D, 4 * D)), 4 * D, D)]));
  }
  return b.model([["x", [1, S, D]]], x, 17);
}

export function llama(onnx) {
  const b = new Builder(onnx, "llama");
  const [S, D, H, KV] = [64, 256, 8, 2];
  const hd = D / H;
  const angles = (fn) => Float32Array.from({ length: S * (hd / 2) }, (_, i) => fn(Math.floor(i / (hd / 2)) / 10000 ** (((i % (hd / 2)) * 2) / hd)));
  const cos = b.tensor([S, hd / 2], angles(Math.cos));
  const sin = b.tensor([S, hd / 2], angles(Math.sin));
  const pos = b.tensor([1, S], BigInt64Array.from({ length: S }, (_, i) => BigInt(i)), 7);
  let x = "x";
  for (let layer = 0; layer < 2; layer++) {
    const n = b.op("RMSNormalization", [x, b.weight([D], 1)], { epsilon: 1e-6 });
    const q = b.op("RotaryEmbedding", [b.op("MatMul", [n, b.weight([D, D])]), cos, sin, pos], { num_heads: H });
    const k = b.op("RotaryEmbedding", [b.op("MatMul", [n, b.weight([D, KV * hd])]), cos, sin, pos], { num_heads: KV });
    const v = b.op("MatMul", [n, b.weight([D, KV * hd])]);
    const att = b.op("Attention", [q, k, v], { q_num_heads: H, kv_num_heads: KV, is_causal: 1 });
    x = b.op("Add", [x, b.op("MatMul", [att, b.weight([D, D])])]);
    const m = b.op("RMSNormalization", [x, b.weight([D], 1)], { epsilon: 1e-6 });
    const gate = b.op("Swish", [b.op("MatMul", [m, b.weight([D, 2 * D])])]);
    const up = b.op("MatMul", [m, b.weight([D, 2 * D])]);
    x = b.op("Add", [x, b.op("MatMul", [b.op("Mul", [gate, up]), b.weight([2 * D, D])])]);
  }
  return b.model([["x", [1, S, D]]], x, 24);
}

export function gru(onnx) {
  const b = new Builder(onnx, "gru");
  const [T, I, Hd] = [50, 40, 128];
  const [y] = b.op("GRU", ["x", b.weight([1, 3 * Hd, I]), b.weight([1, 3 * Hd, Hd]), b.weight([1, 6 * Hd], 0.1)], { hidden_size: Hd, linear_before_reset: 1 }, 2);
  const last = b.op("Gather", [b.op("Squeeze", [y, b.ints([1])]), b.tensor([], BigInt64Array.of(BigInt(T - 1)), 7)], { axis: 0 });
  return b.model([["x", [T, 1, I]]], b.linear(last, Hd, 12), 14);
}


/**
 * GPT-2 as exported at opset 14 with a dynamic sequence axis: LayerNorm decomposed (ReduceMean, Sub, Pow, Sqrt, Div),
 * tanh GELU written out, Conv1D as Reshape → Gemm → Reshape to a shape assembled from Shape, the fused QKV Split, and
 * the causal mask sliced from a stored boolean buffer by the sequence length and applied with Where.
 */
export function gpt2(onnx) {
  const b = new Builder(onnx, "gpt2");
  const [D, H, MAX] = [192, 3, 128];
  const hd = D / H;
  const shape = b.op("Shape", ["x"]);
  const seq = b.op("Slice", [shape, b.ints([1]), b.ints([2]), b.ints([0])]);
  const lower = b.bools([1, 1, MAX, MAX], Array.from({ length: MAX * MAX }, (_, i) => (i % MAX) <= Math.floor(i / MAX)));
  const mask = b.op("Slice", [b.op("Slice", [lower, b.ints([0]), seq, b.ints([2])]), b.ints([0]), seq, b.ints([3])]);
  const ln = (t) => b.layerNormWrittenOut(t, D);
  // HF's Conv1D: x.view(-1, nx) @ W + b, viewed back as size()[:-1] + (nf,).
  const conv1d = (t, nx, nf) => {
    const flat = b.op("Gemm", [b.op("Reshape", [t, b.ints([-1, nx])]), b.weight([nx, nf]), b.weight([nf], 0.1)]);
    return b.op("Reshape", [flat, b.op("Concat", [b.op("Slice", [b.op("Shape", [t]), b.ints([0]), b.ints([2]), b.ints([0])]), b.ints([nf])], { axis: 0 })]);
  };
  let x = "x";
  for (let layer = 0; layer < 2; layer++) {
    const [q, k, v] = b.op("Split", [conv1d(ln(x), D, 3 * D), b.ints([D, D, D])], { axis: 2 }, 3);
    const heads = (t, perm) => b.op("Transpose", [b.op("Reshape", [t, b.ints([1, -1, H, hd])])], { perm });
    let att = b.op("Div", [b.op("MatMul", [heads(q, [0, 2, 1, 3]), heads(k, [0, 2, 3, 1])]), b.scalar(Math.sqrt(hd))]);
    att = b.op("Softmax", [b.op("Where", [mask, att, b.scalar(-3.4028234663852886e38)])], { axis: -1 });
    const ctx = b.op("Reshape", [b.op("Transpose", [b.op("MatMul", [att, heads(v, [0, 2, 1, 3])])], { perm: [0, 2, 1, 3] }), b.ints([1, -1, D])]);
    x = b.op("Add", [x, conv1d(ctx, D, D)]);
    x = b.op("Add", [x, conv1d(b.geluTanh(conv1d(ln(x), D, 4 * D)), 4 * D, D)]);
  }
  return b.model([["x", [1, "sequence", D]]], ln(x), 14);
}

/**
 * One decoding step of a GPT-2 with its key/value cache, as exported with use_cache (opset 14): int64 input_ids and
 * attention_mask, each layer's past keys and values as inputs of a symbolic length, the positions counted on from the
 * past's length (Shape → Gather → Range), the new keys and values concatenated to the past and returned as present
 * outputs, the causal rows sliced from a stored mask at the past's offset, the padding mask added as (1 − mask)·min,
 * and the logits from the tied token embedding (MatMul by its Transpose).
 */
export function gpt2Decode(onnx) {
  const b = new Builder(onnx, "gpt2-decode");
  const [D, H, MAX, V, LAYERS] = [256, 4, 256, 4000, 2];
  const hd = D / H;
  const wte = b.weight([V, D], 0.05);
  const wpe = b.weight([MAX, D], 0.02);
  const dim = (t, axis) => b.op("Gather", [b.op("Shape", [t]), b.tensor([], BigInt64Array.of(BigInt(axis)), 7)], { axis: 0 });
  const past = dim("past_key_0", 2);
  const seq = dim("input_ids", 1);
  const total = b.op("Add", [past, seq]);
  const positions = b.op("Unsqueeze", [b.op("Range", [past, total, b.tensor([], BigInt64Array.of(1n), 7)]), b.ints([0])]);
  let x = b.op("Add", [b.op("Gather", [wte, "input_ids"], { axis: 0 }), b.op("Gather", [wpe, positions], { axis: 0 })]);
  const one = (t) => b.op("Unsqueeze", [t, b.ints([0])]);
  const lower = b.bools([1, 1, MAX, MAX], Array.from({ length: MAX * MAX }, (_, i) => (i % MAX) <= Math.floor(i / MAX)));
  const causal = b.op("Slice", [lower, b.op("Concat", [one(past), b.ints([0])], { axis: 0 }), b.op("Concat", [one(total), one(total)], { axis: 0 }), b.ints([2, 3])]);
  const padding = b.op("Mul", [b.op("Sub", [b.scalar(1), b.op("Cast", [b.op("Unsqueeze", ["attention_mask", b.ints([1, 2])])], { to: 1 })]), b.scalar(-3.4028234663852886e38)]);
  const presents = [];
  for (let layer = 0; layer < LAYERS; layer++) {
    const [q, k, v] = b.op("Split", [b.linear(b.layerNormWrittenOut(x, D), D, 3 * D), b.ints([D, D, D])], { axis: 2 }, 3);
    const heads = (t) => b.op("Transpose", [b.op("Reshape", [t, b.ints([0, 0, H, hd])])], { perm: [0, 2, 1, 3] });
    const key = b.op("Concat", [`past_key_${layer}`, heads(k)], { axis: 2 });
    const value = b.op("Concat", [`past_value_${layer}`, heads(v)], { axis: 2 });
    presents.push(key, value);
    let att = b.op("Div", [b.op("MatMul", [heads(q), b.op("Transpose", [key], { perm: [0, 1, 3, 2] })]), b.scalar(Math.sqrt(hd))]);
    att = b.op("Add", [b.op("Where", [causal, att, b.scalar(-3.4028234663852886e38)]), padding]);
    const ctx = b.op("Reshape", [b.op("Transpose", [b.op("MatMul", [b.op("Softmax", [att], { axis: -1 }), value])], { perm: [0, 2, 1, 3] }), b.ints([0, 0, D])]);
    x = b.op("Add", [x, b.linear(ctx, D, D)]);
    x = b.op("Add", [x, b.linear(b.geluTanh(b.linear(b.layerNormWrittenOut(x, D), D, 4 * D)), 4 * D, D)]);
  }
  const logits = b.op("MatMul", [b.layerNormWrittenOut(x, D), b.op("Transpose", [wte], { perm: [1, 0] })]);
  const cache = Array.from({ length: LAYERS }, (_, l) => [[`past_key_${l}`, [1, H, "past", hd]], [`past_value_${l}`, [1, H, "past", hd]]]).flat();
  return b.model([["input_ids", [1, "sequence"], 7], ...cache, ["attention_mask", [1, "total"], 7]], [logits, ...presents], 14);
}

/**
 * T5 encoder layers (opset 13): RMS norm written out (Pow, ReduceMean, Add, Sqrt, Reciprocal, Mul), attention
 * without scaling plus a relative position bias gathered from its bucket table, and a ReLU feed-forward.
 */
export function t5(onnx) {
  const b = new Builder(onnx, "t5");
  const [S, D, H, BUCKETS] = [64, 256, 4, 32];
  const hd = D / H;
  const rms = (t) => {
    const inv = b.op("Reciprocal", [b.op("Sqrt", [b.op("Add", [b.op("ReduceMean", [b.op("Pow", [t, b.scalar(2)])], { axes: [-1] }), b.scalar(1e-6)])])]);
    return b.op("Mul", [b.weight([D], 1), b.op("Mul", [t, inv])]);
  };
  const buckets = [];
  for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) {
    const rel = j - i;
    const half = BUCKETS / 2;
    const n = Math.abs(rel);
    const inner = n < half / 2 ? n : Math.min(half - 1, Math.floor(half / 2 + (Math.log(n / (half / 2)) / Math.log(128 / (half / 2))) * (half / 2)));
    buckets.push((rel > 0 ? half : 0) + inner);
  }
  const bias = b.op("Unsqueeze", [b.op("Transpose", [b.op("Gather", [b.weight([BUCKETS, H], 0.5), b.tensor([S, S], BigInt64Array.from(buckets, BigInt), 7)], { axis: 0 })], { perm: [2, 0, 1] }), b.ints([0])]);
  let x = "x";
  for (let layer = 0; layer < 2; layer++) {
    const n = rms(x);
    const heads = (perm) => b.op("Transpose", [b.op("Reshape", [b.op("MatMul", [n, b.weight([D, D])]), b.ints([1, -1, H, hd])])], { perm });
    const att = b.op("Softmax", [b.op("Add", [b.op("MatMul", [heads([0, 2, 1, 3]), heads([0, 2, 3, 1])]), bias])], { axis: -1 });
    const ctx = b.op("Reshape", [b.op("Transpose", [b.op("MatMul", [att, heads([0, 2, 1, 3])])], { perm: [0, 2, 1, 3] }), b.ints([1, -1, D])]);
    x = b.op("Add", [x, b.op("MatMul", [ctx, b.weight([D, D])])]);
    x = b.op("Add", [x, b.op("MatMul", [b.op("Relu", [b.op("MatMul", [rms(x), b.weight([D, 4 * D])])]), b.weight([4 * D, D])])]);
  }
  return b.model([["x", [1, S, D]]], rms(x), 13);
}

/**
 * A wav2vec 2.0 front end on raw audio: strided 1-D convolutions, GroupNorm as PyTorch exports it (Reshape →
 * InstanceNormalization → Reshape → Mul → Add), GELU, the feature projection, and the grouped positional convolution
 * with its padding trimmed by a Slice.
 */
export function wav2vec(onnx) {
  const b = new Builder(onnx, "wav2vec");
  const C = 64;
  let x = b.convNd(b.op("Unsqueeze", ["x", b.ints([1])]), 1, C, [10], { stride: [5], bias: false, pads: [0, 0] });
  const group = b.op("InstanceNormalization", [b.op("Reshape", [x, b.ints([1, C, -1])]), b.tensor([C], new Float32Array(C).fill(1)), b.tensor([C], new Float32Array(C))], { epsilon: 1e-5 });
  x = b.gelu(b.op("Add", [b.op("Mul", [b.op("Reshape", [group, b.op("Shape", [x])]), b.weight([C, 1], 1)]), b.weight([C, 1], 0.1)]));
  for (let i = 0; i < 3; i++) x = b.gelu(b.convNd(x, C, C, [3], { stride: [2], bias: false, pads: [0, 0] }));
  x = b.op("Transpose", [x], { perm: [0, 2, 1] });
  x = b.linear(b.op("LayerNormalization", [x, b.weight([C], 1), b.weight([C], 0.1)], { axis: -1, epsilon: 1e-5 }), C, 2 * C);
  const t = b.op("Transpose", [x], { perm: [0, 2, 1] });
  const pos = b.convNd(t, 2 * C, 2 * C, [16], { group: 8, pads: [8, 8] });
  const trimmed = b.op("Slice", [pos, b.ints([0]), b.ints([-1]), b.ints([2])]);
  x = b.op("Add", [x, b.op("Transpose", [b.gelu(trimmed)], { perm: [0, 2, 1] })]);
  x = b.op("LayerNormalization", [x, b.weight([2 * C], 1), b.weight([2 * C], 0.1)], { axis: -1, epsilon: 1e-5 });
  return b.model([["x", [1, 8000]]], x, 17);
}

/**
 * A Conformer block: half-step Swish feed-forwards, the convolution module (pointwise 1-D convolution, GLU as Split →
 * Sigmoid → Mul, depthwise 1-D convolution, batch normalisation, Swish) and multi-head self-attention between them.
 */
export function conformer(onnx) {
  const b = new Builder(onnx, "conformer");
  const [T, D, H] = [100, 144, 4];
  const hd = D / H;
  const ln = (t) => b.op("LayerNormalization", [t, b.weight([D], 1), b.weight([D], 0.1)], { axis: -1, epsilon: 1e-5 });
  const ff = (t) => b.op("Add", [t, b.op("Mul", [b.linear(b.silu(b.linear(ln(t), D, 4 * D)), 4 * D, D), b.scalar(0.5)])]);
  let x = ff("x");
  const heads = (t, perm) => b.op("Transpose", [b.op("Reshape", [t, b.ints([1, T, H, hd])])], { perm });
  const n = ln(x);
  const att = b.op("Softmax", [b.op("Mul", [b.op("MatMul", [heads(b.linear(n, D, D), [0, 2, 1, 3]), heads(b.linear(n, D, D), [0, 2, 3, 1])]), b.scalar(1 / Math.sqrt(hd))])], { axis: -1 });
  x = b.op("Add", [x, b.linear(b.op("Reshape", [b.op("Transpose", [b.op("MatMul", [att, heads(b.linear(n, D, D), [0, 2, 1, 3])])], { perm: [0, 2, 1, 3] }), b.ints([1, T, D])]), D, D)]);
  let c = b.op("Transpose", [ln(x)], { perm: [0, 2, 1] });
  const [value, gate] = b.op("Split", [b.convNd(c, D, 2 * D, [1], { pads: [0, 0] }), b.ints([D, D])], { axis: 1 }, 2);
  c = b.op("Mul", [value, b.op("Sigmoid", [gate])]);
  c = b.convNd(c, D, D, [15], { group: D });
  c = b.silu(b.op("BatchNormalization", [c, b.weight([D], 1), b.weight([D], 0.1), b.weight([D], 0.1), b.tensor([D], new Float32Array(D).fill(1))]));
  c = b.convNd(c, D, D, [1], { pads: [0, 0] });
  x = b.op("Add", [x, b.op("Transpose", [c], { perm: [0, 2, 1] })]);
  return b.model([["x", [1, T, D]]], ln(ff(x)), 17);
}

/** Two bidirectional LSTM layers (the second fed the first's both directions, as PyTorch stacks them) and a classifier on the last step. */
export function bilstm(onnx) {
  const b = new Builder(onnx, "bilstm");
  const [T, I, Hd] = [40, 32, 64];
  const layer = (x, inputSize) => {
    const [y] = b.op("LSTM", [x, b.weight([2, 4 * Hd, inputSize]), b.weight([2, 4 * Hd, Hd]), b.weight([2, 8 * Hd], 0.1)], { hidden_size: Hd, direction: "bidirectional" }, 3);
    return b.op("Reshape", [b.op("Transpose", [y], { perm: [0, 2, 1, 3] }), b.ints([T, 1, 2 * Hd])]);
  };
  const y = layer(layer("x", I), 2 * Hd);
  const last = b.op("Gather", [y, b.tensor([], BigInt64Array.of(BigInt(T - 1)), 7)], { axis: 0 });
  return b.model([["x", [T, 1, I]]], b.linear(last, 2 * Hd, 10), 14);
}

/**
 * A CLIP text encoder (opset 17): the causal mask built at run time (ConstantOfShape of -inf from the sequence
 * length, Trilu above the diagonal), QuickGELU (x·sigmoid(1.702x)), pre-LayerNorm layers, and the pooled output taken
 * at the end-of-text token's position by ArgMax over the token ids and a Gather.
 */
export function clipText(onnx) {
  const b = new Builder(onnx, "clip-text");
  const [S, D, H] = [77, 256, 4];
  const hd = D / H;
  const seq = b.op("Slice", [b.op("Shape", ["x"]), b.ints([1]), b.ints([2]), b.ints([0])]);
  const full = b.op("ConstantOfShape", [b.op("Concat", [seq, seq], { axis: 0 })], { value: b.attributeTensor([1], Float32Array.of(-Infinity)) });
  const mask = b.op("Trilu", [full, b.tensor([], BigInt64Array.of(1n), 7)], { upper: 1 });
  const ln = (t) => b.op("LayerNormalization", [t, b.weight([D], 1), b.weight([D], 0.1)], { axis: -1, epsilon: 1e-5 });
  const quickGelu = (t) => b.op("Mul", [t, b.op("Sigmoid", [b.op("Mul", [t, b.scalar(1.702)])])]);
  let x = "x";
  for (let layer = 0; layer < 2; layer++) {
    const n = ln(x);
    const heads = (t, perm) => b.op("Transpose", [b.op("Reshape", [t, b.ints([1, -1, H, hd])])], { perm });
    const scores = b.op("Add", [b.op("MatMul", [heads(b.op("Mul", [b.linear(n, D, D), b.scalar(1 / Math.sqrt(hd))]), [0, 2, 1, 3]), heads(b.linear(n, D, D), [0, 2, 3, 1])]), mask]);
    const ctx = b.op("MatMul", [b.op("Softmax", [scores], { axis: -1 }), heads(b.linear(n, D, D), [0, 2, 1, 3])]);
    x = b.op("Add", [x, b.linear(b.op("Reshape", [b.op("Transpose", [ctx], { perm: [0, 2, 1, 3] }), b.ints([1, -1, D])]), D, D)]);
    x = b.op("Add", [x, b.linear(quickGelu(b.linear(ln(x), D, 4 * D)), 4 * D, D)]);
  }
  // The end-of-text token has the largest id.
  const ids = b.tensor([1, S], BigInt64Array.from({ length: S }, (_, i) => BigInt(i < 20 ? 100 + i : i === 20 ? 49407 : 0)), 7);
  const eot = b.op("ArgMax", [ids], { axis: -1, keepdims: 0 });
  const pooled = b.op("Gather", [b.op("Reshape", [ln(x), b.ints([-1, D])]), eot], { axis: 0 });
  return b.model([["x", [1, S, D]]], b.op("MatMul", [pooled, b.weight([D, 128])]), 17);
}

/**
 * A DETR decoder layer: learned object queries (constants) with their positions, self-attention among the queries,
 * cross-attention from 20 queries to 100 encoder positions (the input), a ReLU feed-forward, post-LayerNorms, and the
 * box head's Sigmoid.
 */
export function detrDecoder(onnx) {
  const b = new Builder(onnx, "detr-decoder");
  const [Q, M, D, H] = [20, 100, 128, 8];
  const hd = D / H;
  const ln = (t) => b.op("LayerNormalization", [t, b.weight([D], 1), b.weight([D], 0.1)], { axis: -1, epsilon: 1e-5 });
  const attention = (q, kv, lenQ, lenK) => {
    const heads = (t, len, perm) => b.op("Transpose", [b.op("Reshape", [t, b.ints([1, len, H, hd])])], { perm });
    const att = b.op("Softmax", [b.op("Div", [b.op("MatMul", [heads(b.linear(q, D, D), lenQ, [0, 2, 1, 3]), heads(b.linear(kv, D, D), lenK, [0, 2, 3, 1])]), b.scalar(Math.sqrt(hd))])], { axis: -1 });
    const ctx = b.op("MatMul", [att, heads(b.linear(kv, D, D), lenK, [0, 2, 1, 3])]);
    return b.linear(b.op("Reshape", [b.op("Transpose", [ctx], { perm: [0, 2, 1, 3] }), b.ints([1, lenQ, D])]), D, D);
  };
  const pos = b.weight([1, Q, D], 0.5);
  let t = b.weight([1, Q, D], 0.5);
  t = ln(b.op("Add", [t, attention(b.op("Add", [t, pos]), b.op("Add", [t, pos]), Q, Q)]));
  t = ln(b.op("Add", [t, attention(b.op("Add", [t, pos]), "x", Q, M)]));
  t = ln(b.op("Add", [t, b.linear(b.op("Relu", [b.linear(t, D, 4 * D)]), 4 * D, D)]));
  return b.model([["x", [1, M, D]]], b.op("Sigmoid", [b.linear(b.op("Relu", [b.linear(t, D, D)]), D, 4)]), 17);
}

/**
 * A CRNN text recognizer: a convolutional stack that pools the height away (asymmetric 2×1 pooling), the width as
 * time steps (Squeeze, Transpose), a bidirectional LSTM, and per-step LogSoftmax over the alphabet for CTC.
 */
export function crnn(onnx) {
  const b = new Builder(onnx, "crnn");
  const [H, W, Hd, K] = [32, 100, 64, 37];
  let x = b.op("Relu", [b.conv("x", 1, 32, 3)]);
  x = b.op("MaxPool", [x], { kernel_shape: [2, 2], strides: [2, 2] });
  x = b.op("Relu", [b.conv(x, 32, 64, 3)]);
  x = b.op("MaxPool", [x], { kernel_shape: [2, 2], strides: [2, 2] });
  x = b.op("Relu", [b.conv(x, 64, 128, 3)]);
  x = b.op("MaxPool", [x], { kernel_shape: [2, 1], strides: [2, 1] });
  x = b.op("Relu", [b.conv(x, 128, 128, 3)]);
  x = b.op("MaxPool", [x], { kernel_shape: [4, 1], strides: [4, 1] });
  const T = W / 4;
  const seq = b.op("Transpose", [b.op("Squeeze", [x, b.ints([2])])], { perm: [2, 0, 1] });
  const [y] = b.op("LSTM", [seq, b.weight([2, 4 * Hd, 128]), b.weight([2, 4 * Hd, Hd]), b.weight([2, 8 * Hd], 0.1)], { hidden_size: Hd, direction: "bidirectional" }, 3);
  const steps = b.op("Reshape", [b.op("Transpose", [y], { perm: [0, 2, 1, 3] }), b.ints([T, 1, 2 * Hd])]);
  void H;
  return b.model([["x", [1, 1, 32, W]]], b.op("LogSoftmax", [b.linear(steps, 2 * Hd, K)], { axis: -1 }), 14);
}

/**
 * DistilBERT as Hugging Face exports it (opset 14): int64 input_ids and attention_mask with dynamic batch and
 * sequence axes, word and position embeddings gathered, heads reshaped to shapes read from the input's Shape, the
 * queries divided by √d before the scores, and padded keys masked with Where(mask == 0, float32 min, scores).
 */
export function distilbert(onnx) {
  const b = new Builder(onnx, "distilbert");
  const [V, D, H, MAX] = [1000, 128, 4, 64];
  const hd = D / H;
  const shape = b.op("Shape", ["input_ids"]);
  const batch = b.op("Slice", [shape, b.ints([0]), b.ints([1]), b.ints([0])]);
  const seq = b.op("Slice", [shape, b.ints([1]), b.ints([2]), b.ints([0])]);
  const positions = b.op("Unsqueeze", [b.op("Range", [b.tensor([], BigInt64Array.of(0n), 7), b.op("Squeeze", [seq, b.ints([0])]), b.tensor([], BigInt64Array.of(1n), 7)]), b.ints([0])]);
  const ln = (t) => b.op("LayerNormalization", [t, b.weight([D], 1), b.weight([D], 0.1)], { axis: -1, epsilon: 1e-12 });
  let x = ln(b.op("Add", [b.op("Gather", [b.weight([V, D], 0.5), "input_ids"]), b.op("Gather", [b.weight([MAX, D], 0.5), positions])]));
  const padded = b.op("Equal", ["attention_mask", b.tensor([], BigInt64Array.of(0n), 7)]);
  const maskShape = b.op("Concat", [batch, b.ints([1, 1]), seq], { axis: 0 });
  const keyMask = b.op("Expand", [b.op("Reshape", [padded, maskShape]), b.op("Concat", [batch, b.ints([H]), seq, seq], { axis: 0 })]);
  const headShape = b.op("Concat", [batch, b.ints([-1, H, hd])], { axis: 0 });
  for (let layer = 0; layer < 2; layer++) {
    const heads = (t) => b.op("Transpose", [b.op("Reshape", [t, headShape])], { perm: [0, 2, 1, 3] });
    const q = b.op("Div", [heads(b.linear(x, D, D)), b.scalar(Math.sqrt(hd))]);
    const k = b.op("Transpose", [heads(b.linear(x, D, D))], { perm: [0, 1, 3, 2] });
    const v = heads(b.linear(x, D, D));
    const scores = b.op("Where", [keyMask, b.scalar(-3.4028234663852886e38), b.op("MatMul", [q, k])]);
    const ctx = b.op("MatMul", [b.op("Softmax", [scores], { axis: -1 }), v]);
    const merged = b.op("Reshape", [b.op("Transpose", [ctx], { perm: [0, 2, 1, 3] }), b.op("Concat", [batch, b.ints([-1, D])], { axis: 0 })]);
    x = ln(b.op("Add", [x, b.linear(merged, D, D)]));
    x = ln(b.op("Add", [x, b.linear(b.gelu(b.linear(x, D, 4 * D)), 4 * D, D)]));
  }
  return b.model([["input_ids", ["batch", "sequence"], 7], ["attention_mask", ["batch", "sequence"], 7]], x, 14);
}

// Models of families outside the corpus, built here with seeded weights (no files, nothing downloaded): the blocks
// ConvNeXt, EfficientNet, ShuffleNet, DenseNet, a YOLO neck, BERT, a Llama-style decoder and a GRU are made of, as
// their exporters write them. `npm run bench -- architectures` times them; the tests do not use them.
import { randomInput } from "./bench-support.mjs";

/** A graph under construction: nodes, initializers, fresh names. */
export class Builder {
  constructor(onnx, name) {
    this.onnx = onnx;
    this.name = name;
    this.nodes = [];
    this.inits = [];
    this.count = 0;
    this.seed = 1;
  }
  fresh(base) { return `${base}_${this.count++}`; }
  weight(dims, scale) {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = randomInput(n, this.seed++ * 7919).map((v) => v * (scale ?? 1 / Math.sqrt(dims.slice(1).reduce((a, b) => a * b, 1) || 1)));
    return this.tensor(dims, data);
  }
  tensor(dims, data, dataType = 1) {
    const name = this.fresh("w");
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.inits.push(this.onnx.TensorProto.create({ name, dataType, dims, rawData: new Uint8Array(bytes) }));
    return name;
  }
  ints(values) { return this.tensor([values.length], BigInt64Array.from(values, BigInt), 7); }
  scalar(v) { return this.tensor([], Float32Array.of(v)); }
  op(opType, inputs, attrs = {}, outputs = 1) {
    const outs = Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()));
    const attribute = Object.entries(attrs).map(([name, v]) => {
      const A = this.onnx.AttributeProto.AttributeType;
      if (typeof v === "string") return { name, type: A.STRING, s: Buffer.from(v) };
      if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
      return Number.isInteger(v) && !String(v).includes(".") && name !== "alpha" && name !== "epsilon" ? { name, type: A.INT, i: v } : { name, type: A.FLOAT, f: v };
    });
    this.nodes.push(this.onnx.NodeProto.create({ opType, input: inputs, output: outs, name: outs[0], attribute }));
    return outputs === 1 ? outs[0] : outs;
  }
  conv(x, cin, cout, k, { stride = 1, group = 1, bias = true } = {}) {
    const inputs = [x, this.weight([cout, cin / group, k, k])];
    if (bias) inputs.push(this.weight([cout], 0.1));
    return this.op("Conv", inputs, { kernel_shape: [k, k], pads: [k >> 1, k >> 1, k >> 1, k >> 1], strides: [stride, stride], group });
  }
  silu(x) { return this.op("Mul", [x, this.op("Sigmoid", [x])]); }
  gelu(x) {
    const erf = this.op("Erf", [this.op("Div", [x, this.scalar(Math.SQRT2)])]);
    return this.op("Mul", [this.op("Mul", [x, this.op("Add", [erf, this.scalar(1)])]), this.scalar(0.5)]);
  }
  linear(x, cin, cout) { return this.op("Add", [this.op("MatMul", [x, this.weight([cin, cout])]), this.weight([cout], 0.1)]); }
  model(inputs, output, opset) {
    const vi = (name, elemType, dims) => this.onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
    const graph = this.onnx.GraphProto.create({
      name: this.name, node: this.nodes, initializer: this.inits,
      input: inputs.map(([name, dims, type = 1]) => vi(name, type, dims)),
      output: [this.onnx.ValueInfoProto.create({ name: output, type: { tensorType: { elemType: 1 } } })],
    });
    return this.onnx.ModelProto.encode(this.onnx.ModelProto.create({ irVersion: 9, opsetImport: [{ domain: "", version: opset }], graph })).finish();
  }
}

function convnext(onnx) {
  const b = new Builder(onnx, "convnext");
  let x = b.conv("x", 3, 48, 4, { stride: 4 });
  x = b.op("Slice", [x, b.ints([0, 0]), b.ints([56, 56]), b.ints([2, 3])]);
  const block = (x, c) => {
    let y = b.conv(x, c, c, 7, { group: c });
    y = b.op("Transpose", [y], { perm: [0, 2, 3, 1] });
    y = b.op("LayerNormalization", [y, b.weight([c], 1), b.weight([c], 0.1)], { axis: -1, epsilon: 1e-6 });
    y = b.linear(b.gelu(b.linear(y, c, 4 * c)), 4 * c, c);
    return b.op("Add", [x, b.op("Transpose", [y], { perm: [0, 3, 1, 2] })]);
  };
  for (let i = 0; i < 2; i++) x = block(x, 48);
  x = b.conv(x, 48, 96, 2, { stride: 2 });
  for (let i = 0; i < 2; i++) x = block(x, 96);
  return b.model([["x", [1, 3, 224, 224]]], x, 17);
}

function efficientnet(onnx) {
  const b = new Builder(onnx, "efficientnet");
  let x = b.silu(b.conv("x", 3, 32, 3, { stride: 2 }));
  const mbconv = (x, cin, cout, k, stride, expand) => {
    const mid = cin * expand;
    let y = expand > 1 ? b.silu(b.conv(x, cin, mid, 1)) : x;
    y = b.silu(b.conv(y, mid, mid, k, { stride, group: mid }));
    const s = b.op("GlobalAveragePool", [y]);
    const gate = b.op("Sigmoid", [b.conv(b.silu(b.conv(s, mid, Math.max(4, cin / 4), 1)), Math.max(4, cin / 4), mid, 1)]);
    y = b.conv(b.op("Mul", [y, gate]), mid, cout, 1);
    return stride === 1 && cin === cout ? b.op("Add", [x, y]) : y;
  };
  x = mbconv(x, 32, 16, 3, 1, 1);
  x = mbconv(x, 16, 24, 3, 2, 6);
  x = mbconv(x, 24, 24, 3, 1, 6);
  x = mbconv(x, 24, 40, 5, 2, 6);
  x = mbconv(x, 40, 40, 5, 1, 6);
  return b.model([["x", [1, 3, 224, 224]]], x, 13);
}

function shufflenet(onnx) {
  const b = new Builder(onnx, "shufflenet");
  let x = b.op("Relu", [b.conv("x", 3, 48, 3, { stride: 2 })]);
  x = b.op("MaxPool", [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  const unit = (x, c, h) => {
    const [left, right] = b.op("Split", [x, b.ints([c / 2, c / 2])], { axis: 1 }, 2);
    let y = b.op("Relu", [b.conv(right, c / 2, c / 2, 1)]);
    y = b.conv(y, c / 2, c / 2, 3, { group: c / 2 });
    y = b.op("Relu", [b.conv(y, c / 2, c / 2, 1)]);
    const cat = b.op("Concat", [left, y], { axis: 1 });
    const grouped = b.op("Reshape", [cat, b.ints([1, 2, c / 2, h, h])]);
    return b.op("Reshape", [b.op("Transpose", [grouped], { perm: [0, 2, 1, 3, 4] }), b.ints([1, c, h, h])]);
  };
  for (let i = 0; i < 4; i++) x = unit(x, 48, 56);
  return b.model([["x", [1, 3, 224, 224]]], x, 13);
}

function densenet(onnx) {
  const b = new Builder(onnx, "densenet");
  let x = b.op("Relu", [b.conv("x", 3, 64, 7, { stride: 2 })]);
  x = b.op("MaxPool", [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  let channels = 64;
  for (let i = 0; i < 6; i++) {
    let y = b.op("Relu", [b.op("BatchNormalization", [x, b.weight([channels], 1), b.weight([channels], 0.1), b.weight([channels], 0.1), b.tensor([channels], new Float32Array(channels).fill(1))])]);
    y = b.op("Relu", [b.conv(y, channels, 128, 1)]);
    y = b.conv(y, 128, 32, 3);
    x = b.op("Concat", [x, y], { axis: 1 });
    channels += 32;
  }
  return b.model([["x", [1, 3, 224, 224]]], x, 13);
}

function yoloNeck(onnx) {
  const b = new Builder(onnx, "yolo-neck");
  const cbs = (x, cin, cout, k, stride = 1) => b.silu(b.conv(x, cin, cout, k, { stride }));
  const p3 = cbs("x", 3, 64, 3, 8 / 8);
  const p4 = cbs(p3, 64, 128, 3, 2);
  let p5 = cbs(p4, 128, 256, 3, 2);
  const pool = (x) => b.op("MaxPool", [x], { kernel_shape: [5, 5], strides: [1, 1], pads: [2, 2, 2, 2] });
  const a = pool(p5);
  const c = pool(a);
  p5 = cbs(b.op("Concat", [p5, a, c, pool(c)], { axis: 1 }), 1024, 256, 1);
  const up = b.op("Resize", [p5, "", b.tensor([4], Float32Array.of(1, 1, 2, 2))], { mode: "nearest" });
  const m4 = cbs(b.op("Concat", [up, p4], { axis: 1 }), 384, 128, 3);
  const up3 = b.op("Resize", [m4, "", b.tensor([4], Float32Array.of(1, 1, 2, 2))], { mode: "nearest" });
  const out = cbs(b.op("Concat", [up3, p3], { axis: 1 }), 192, 64, 3);
  return b.model([["x", [1, 3, 80, 80]]], out, 13);
}

function bert(onnx) {
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

function llama(onnx) {
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

function gru(onnx) {
  const b = new Builder(onnx, "gru");
  const [T, I, Hd] = [50, 40, 128];
  const [y] = b.op("GRU", ["x", b.weight([1, 3 * Hd, I]), b.weight([1, 3 * Hd, Hd]), b.weight([1, 6 * Hd], 0.1)], { hidden_size: Hd, linear_before_reset: 1 }, 2);
  const last = b.op("Gather", [b.op("Squeeze", [y, b.ints([1])]), b.tensor([], BigInt64Array.of(BigInt(T - 1)), 7)], { axis: 0 });
  return b.model([["x", [T, 1, I]]], b.linear(last, Hd, 12), 14);
}

/** Every model: its name, its bytes, and its input's name and dims (float32). */
export function architectureModels(onnx) {
  return [
    ["convnext_blocks", convnext(onnx), [1, 3, 224, 224]],
    ["efficientnet_blocks", efficientnet(onnx), [1, 3, 224, 224]],
    ["shufflenet_units", shufflenet(onnx), [1, 3, 224, 224]],
    ["densenet_block", densenet(onnx), [1, 3, 224, 224]],
    ["yolo_neck", yoloNeck(onnx), [1, 3, 80, 80]],
    ["bert_layers", bert(onnx), [1, 128, 256]],
    ["llama_layers_op24", llama(onnx), [1, 64, 256]],
    ["gru_kws", gru(onnx), [50, 1, 40]],
  ].map(([name, bytes, dims]) => ({ name, bytes, input: "x", dims }));
}

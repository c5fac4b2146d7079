// The graph builder the architecture families are written with: seeded weights, fresh names, ONNX bytes.
import { randomInput } from "../bench-support.mjs";

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
  /** A tensor for an attribute (ConstantOfShape's value), not an initializer. */
  attributeTensor(dims, data, dataType = 1) {
    return this.onnx.TensorProto.create({ dataType, dims, rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) });
  }
  op(opType, inputs, attrs = {}, outputs = 1) {
    const outs = Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()));
    const attribute = Object.entries(attrs).map(([name, v]) => {
      const A = this.onnx.AttributeProto.AttributeType;
      if (typeof v === "string") return { name, type: A.STRING, s: Buffer.from(v) };
      if (v instanceof this.onnx.TensorProto) return { name, type: A.TENSOR, t: v };
      if (v instanceof this.onnx.GraphProto) return { name, type: A.GRAPH, g: v };
      if (Array.isArray(v)) return name === "scales" || v.some((x) => !Number.isInteger(x)) ? { name, type: A.FLOATS, floats: v } : { name, type: A.INTS, ints: v };
      return Number.isInteger(v) && !String(v).includes(".") && !["alpha", "beta", "bias", "epsilon"].includes(name) ? { name, type: A.INT, i: v } : { name, type: A.FLOAT, f: v };
    });
    this.nodes.push(this.onnx.NodeProto.create({ opType, input: inputs, output: outs, name: outs[0], attribute }));
    return outputs === 1 ? outs[0] : outs;
  }
  conv(x, cin, cout, k, { stride = 1, group = 1, bias = true } = {}) {
    return this.convNd(x, cin, cout, [k, k], { stride: [stride, stride], group, bias });
  }
  /** A convolution of any rank: `kernel` gives its spatial size, padded to keep the size at stride 1 unless `pads`. */
  convNd(x, cin, cout, kernel, { stride = kernel.map(() => 1), group = 1, bias = true, pads } = {}) {
    const inputs = [x, this.weight([cout, cin / group, ...kernel])];
    if (bias) inputs.push(this.weight([cout], 0.1));
    const half = kernel.map((k) => k >> 1);
    return this.op("Conv", inputs, { kernel_shape: kernel, pads: pads ?? [...half, ...half], strides: stride, group });
  }
  /** A boolean constant. */
  bools(dims, values) { return this.tensor(dims, Uint8Array.from(values, (v) => (v ? 1 : 0)), 9); }
  silu(x) { return this.op("Mul", [x, this.op("Sigmoid", [x])]); }
  gelu(x) {
    const erf = this.op("Erf", [this.op("Div", [x, this.scalar(Math.SQRT2)])]);
    return this.op("Mul", [this.op("Mul", [x, this.op("Add", [erf, this.scalar(1)])]), this.scalar(0.5)]);
  }
  /** GELU's tanh form as GPT-2 exports it: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
  geluTanh(x) {
    const inner = this.op("Mul", [this.op("Add", [x, this.op("Mul", [this.op("Pow", [x, this.scalar(3)]), this.scalar(0.044715)])]), this.scalar(Math.sqrt(2 / Math.PI))]);
    return this.op("Mul", [this.op("Mul", [x, this.scalar(0.5)]), this.op("Add", [this.op("Tanh", [inner]), this.scalar(1)])]);
  }
  /** LayerNorm over the last axis written out as exporters before opset 17 do (ReduceMean, Sub, Pow, Sqrt, Div). */
  layerNormWrittenOut(x, width, gammaScale = 1) {
    const d = this.op("Sub", [x, this.op("ReduceMean", [x], { axes: [-1] })]);
    const std = this.op("Sqrt", [this.op("Add", [this.op("ReduceMean", [this.op("Pow", [d, this.scalar(2)])], { axes: [-1] }), this.scalar(1e-5)])]);
    return this.op("Add", [this.op("Mul", [this.op("Div", [d, std]), this.weight([width], gammaScale)]), this.weight([width], 0.1)]);
  }
  linear(x, cin, cout) { return this.op("Add", [this.op("MatMul", [x, this.weight([cin, cout])]), this.weight([cout], 0.1)]); }
  /**
   * A subgraph (an If branch, a Loop body) of this builder's nodes since `mark` (nodes.length then): they move out of
   * the main graph. Names from the enclosing graph are read by name; its initializers stay outer.
   */
  subgraph(mark, name, inputs, outputs) {
    const node = this.nodes.splice(mark);
    const vi = (n, elemType = 1, dims) => this.onnx.ValueInfoProto.create({
      name: n, type: { tensorType: { elemType, ...(dims ? { shape: { dim: dims.map((d) => ({ dimValue: d })) } } : {}) } },
    });
    return this.onnx.GraphProto.create({ name, node, input: inputs.map(([n, t, dims]) => vi(n, t, dims)), output: outputs.map((o) => (Array.isArray(o) ? vi(...o) : vi(o))) });
  }
  /** The model's bytes: `output` is one float32 output's name, or several (the first is the one benchmarks compare). */
  model(inputs, output, opset) {
    // A string dimension is symbolic, as exporters write dynamic axes.
    const dim = (d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d });
    const vi = (name, elemType, dims) => this.onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType, shape: { dim: dims.map(dim) } } } });
    const graph = this.onnx.GraphProto.create({
      name: this.name, node: this.nodes, initializer: this.inits,
      input: inputs.map(([name, dims, type = 1]) => vi(name, type, dims)),
      output: [output].flat().map((name) => this.onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: 1 } } })),
    });
    return this.onnx.ModelProto.encode(this.onnx.ModelProto.create({ irVersion: 9, opsetImport: [{ domain: "", version: opset }], graph })).finish();
  }
}


import { dataTypeFromCode, type DataType } from "../../onnx/data-type.js";
import { tensorDataType } from "../../onnx/tensor-data.js";
import type { onnx } from "../../onnx/proto.js";
import type { Dim, Node } from "../node.js";

export interface InferredValue {
  dtype?: DataType;
  shape?: Dim[];
  /** The value itself, for small integer tensors (shapes, axes), so later shape ops can use it. */
  value?: Dim[];
}

export interface InferenceContext {
  node: Node;
  opset: number;
  inputCount: number;
  dtype(i: number): DataType | undefined;
  shape(i: number): Dim[] | undefined;
  value(i: number): Dim[] | undefined;
  present(i: number): boolean;
}

export type ShapeRule = (c: InferenceContext) => (InferredValue | undefined)[];

const UNKNOWN: Dim = "?";

function isKnown(d: Dim): d is number {
  return typeof d === "number";
}

/** An arithmetic result on dims: exact when the inputs are numbers, unknown otherwise. */
function arith(f: (...xs: number[]) => number, ...dims: Dim[]): Dim {
  return dims.every(isKnown) ? f(...(dims as number[])) : UNKNOWN;
}

function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

export function broadcast(shapes: (Dim[] | undefined)[]): Dim[] | undefined {
  if (shapes.some((s) => !s)) return undefined;
  const rank = Math.max(...shapes.map((s) => s!.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of shapes) {
      const d = s![s!.length - rank + i];
      if (d === undefined || d === 1) continue;
      if (dim === 1) dim = d;
      else if (dim !== d && isKnown(dim) && isKnown(d)) throw new Error(`cannot broadcast ${dim} with ${d}`);
      else if (!isKnown(dim) && isKnown(d)) dim = d;
    }
    out.push(dim);
  }
  return out;
}

const same: ShapeRule = (c) => [{ dtype: c.dtype(0), shape: c.shape(0), value: c.value(0) }];

const elementwise: ShapeRule = (c) => {
  const shapes = c.node.args.map((_, i) => c.shape(i));
  return [{ dtype: c.dtype(0), shape: broadcast(shapes), value: c.node.args.length === 2 ? foldBinary(c) : undefined }];
};

function foldBinary(c: InferenceContext): Dim[] | undefined {
  const a = c.value(0);
  const b = c.value(1);
  if (!a || !b) return undefined;
  const n = Math.max(a.length, b.length);
  if ((a.length !== n && a.length !== 1) || (b.length !== n && b.length !== 1)) return undefined;
  const f: Record<string, (x: number, y: number) => number> = {
    Add: (x, y) => x + y,
    Sub: (x, y) => x - y,
    Mul: (x, y) => x * y,
    Div: (x, y) => Math.trunc(x / y),
  };
  const op = f[c.node.opType];
  if (!op) return undefined;
  return Array.from({ length: n }, (_, i) => arith(op, a[a.length === 1 ? 0 : i]!, b[b.length === 1 ? 0 : i]!));
}

const comparison: ShapeRule = (c) => [{ dtype: "bool", shape: broadcast([c.shape(0), c.shape(1)]) }];

function ints(node: Node, name: string): number[] | undefined {
  return node.intsAttribute(name);
}

/** Spatial output sizes of Conv and the pools (explicit pads, auto_pad, dilations, ceil_mode). */
function windowed(c: InferenceContext, kernel: number[], outChannels: Dim | undefined): InferredValue[] {
  const x = c.shape(0);
  if (!x) return [{ dtype: c.dtype(0) }];
  const spatial = x.length - 2;
  const strides = ints(c.node, "strides") ?? Array(spatial).fill(1);
  const dilations = ints(c.node, "dilations") ?? Array(spatial).fill(1);
  const pads = ints(c.node, "pads") ?? Array(spatial * 2).fill(0);
  const autoPad = c.node.stringAttribute("auto_pad", "NOTSET");
  const ceil = c.node.intAttribute("ceil_mode", 0) === 1;
  const out: Dim[] = [x[0]!, outChannels ?? x[1]!];
  for (let i = 0; i < spatial; i++) {
    const size = x[i + 2]!;
    const k = (kernel[i]! - 1) * dilations[i]! + 1;
    const s = strides[i]!;
    if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") out.push(arith((n) => Math.ceil(n / s), size));
    else if (autoPad === "VALID") out.push(arith((n) => Math.floor((n - k) / s) + 1, size));
    else {
      const round = ceil ? Math.ceil : Math.floor;
      out.push(arith((n) => {
        let o = round((n + pads[i]! + pads[i + spatial]! - k) / s) + 1;
        // ceil_mode must not start a window inside the right padding.
        if (ceil && (o - 1) * s >= n + pads[i]!) o--;
        return o;
      }, size));
    }
  }
  return [{ dtype: c.dtype(0), shape: out }];
}

const conv: ShapeRule = (c) => {
  const w = c.shape(1);
  const kernel = ints(c.node, "kernel_shape") ?? w?.slice(2).map((d) => (isKnown(d) ? d : 1));
  if (!kernel) return [{ dtype: c.dtype(0) }];
  return windowed(c, kernel, w?.[0]);
};

const convTranspose: ShapeRule = (c) => {
  const x = c.shape(0);
  const w = c.shape(1);
  if (!x || !w) return [{ dtype: c.dtype(0) }];
  const spatial = x.length - 2;
  const group = c.node.intAttribute("group", 1);
  const kernel = ints(c.node, "kernel_shape") ?? (w.slice(2) as number[]);
  const strides = ints(c.node, "strides") ?? Array(spatial).fill(1);
  const dilations = ints(c.node, "dilations") ?? Array(spatial).fill(1);
  const pads = ints(c.node, "pads") ?? Array(spatial * 2).fill(0);
  const outputPadding = ints(c.node, "output_padding") ?? Array(spatial).fill(0);
  const outputShape = ints(c.node, "output_shape");
  const autoPad = c.node.stringAttribute("auto_pad", "NOTSET");
  const out: Dim[] = [x[0]!, arith((m) => m * group, w[1]!)];
  for (let i = 0; i < spatial; i++) {
    if (outputShape) out.push(outputShape[outputShape.length - spatial + i]!);
    else if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") out.push(arith((n) => n * strides[i]!, x[i + 2]!));
    else {
      out.push(arith((n) => strides[i]! * (n - 1) + outputPadding[i]! + ((kernel[i]! - 1) * dilations[i]! + 1) - pads[i]! - pads[i + spatial]!, x[i + 2]!));
    }
  }
  return [{ dtype: c.dtype(0), shape: out }];
};

/** LSTM, GRU, RNN: Y is [T, D, B, H] (layout 1: [B, T, D, H]); Y_h and Y_c are [D, B, H] ([B, D, H]). */
const recurrent: ShapeRule = (c) => {
  const x = c.shape(0);
  const r = c.shape(2);
  const dtype = c.dtype(0);
  const count = c.node.outputNames.length;
  const hidden = c.node.intAttribute("hidden_size", 0);
  const H: Dim = hidden > 0 ? hidden : r?.[2] ?? UNKNOWN;
  if (!x || x.length !== 3) return Array.from({ length: count }, () => ({ dtype }));
  const D: Dim = c.node.stringAttribute("direction", "forward") === "bidirectional" ? 2 : 1;
  const layout = c.opset >= 14 ? c.node.intAttribute("layout", 0) : 0;
  const [T, B] = layout === 0 ? [x[0]!, x[1]!] : [x[1]!, x[0]!];
  const state = layout === 0 ? [D, B, H] : [B, D, H];
  return [{ dtype, shape: layout === 0 ? [T, D, B, H] : [B, T, D, H] }, { dtype, shape: state }, { dtype, shape: state }].slice(0, count);
};

const pool: ShapeRule = (c) => windowed(c, ints(c.node, "kernel_shape") ?? [], undefined);

const maxPool: ShapeRule = (c) => {
  const [y] = pool(c);
  return [y, y ? { dtype: "int64", shape: y.shape } : undefined];
};

const globalPool: ShapeRule = (c) => {
  const x = c.shape(0);
  return [{ dtype: c.dtype(0), shape: x ? [x[0]!, x[1]!, ...x.slice(2).map(() => 1)] : undefined }];
};

const gemm: ShapeRule = (c) => {
  const a = c.shape(0);
  const b = c.shape(1);
  if (!a || !b) return [{ dtype: c.dtype(0) }];
  const m = c.node.intAttribute("transA", 0) ? a[1]! : a[0]!;
  const n = c.node.intAttribute("transB", 0) ? b[0]! : b[1]!;
  return [{ dtype: c.dtype(0), shape: [m, n] }];
};

function matmulShape(a: Dim[] | undefined, b: Dim[] | undefined): Dim[] | undefined {
  if (!a || !b) return undefined;
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  const batch = broadcast([a2.slice(0, -2), b2.slice(0, -2)]) ?? [];
  const out = [...batch, a2[a2.length - 2]!, b2[b2.length - 1]!];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.splice(out.length - 1, 1);
  return out;
}

const matmul: ShapeRule = (c) => [{ dtype: c.dtype(0), shape: matmulShape(c.shape(0), c.shape(1)) }];

const flatten: ShapeRule = (c) => {
  const x = c.shape(0);
  if (!x) return [{ dtype: c.dtype(0) }];
  const axis = normalizeAxis(c.node.intAttribute("axis", 1), x.length);
  const product = (ds: Dim[]): Dim => {
    const symbols = ds.filter((d) => !isKnown(d));
    const known = (ds.filter(isKnown) as number[]).reduce((a, b) => a * b, 1);
    if (symbols.length === 0) return known;
    return symbols.length === 1 && known === 1 ? symbols[0]! : UNKNOWN;
  };
  return [{ dtype: c.dtype(0), shape: [product(x.slice(0, axis)), product(x.slice(axis))] }];
};

const reshape: ShapeRule = (c) => {
  const x = c.shape(0);
  const target = c.value(1);
  if (!target) return [{ dtype: c.dtype(0) }];
  const allowZero = c.node.intAttribute("allowzero", 0) === 1;
  const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? x?.[i] ?? UNKNOWN : d));
  const inferIndex = out.indexOf(-1);
  if (inferIndex >= 0) {
    const rest = out.filter((_, i) => i !== inferIndex);
    // Symbolic dims that pass through unchanged (a batch dim) cancel out: [batch,C,H,W] → [batch,-1] is [batch,C*H*W].
    const symbolsOf = (ds: Dim[]) => ds.filter((d) => !isKnown(d)).map(String).sort().join(",");
    const known = (ds: Dim[]) => (ds.filter(isKnown) as number[]).reduce((a, b) => a * b, 1);
    out[inferIndex] = x && !symbolsOf(x).includes(UNKNOWN as string) && symbolsOf(x) === symbolsOf(rest) ? known(x) / known(rest) : UNKNOWN;
  }
  return [{ dtype: c.dtype(0), shape: out, value: c.value(0) }];
};

const transpose: ShapeRule = (c) => {
  const x = c.shape(0);
  if (!x) return [{ dtype: c.dtype(0) }];
  const perm = ints(c.node, "perm") ?? x.map((_, i) => x.length - 1 - i);
  return [{ dtype: c.dtype(0), shape: perm.map((p) => x[p]!) }];
};

function axesOf(c: InferenceContext, inputIndex: number, sinceOpset: number): number[] | undefined {
  if (c.opset >= sinceOpset && c.present(inputIndex)) return c.value(inputIndex)?.map(Number);
  return ints(c.node, "axes");
}

const squeeze: ShapeRule = (c) => {
  const x = c.shape(0);
  if (!x) return [{ dtype: c.dtype(0) }];
  const axes = axesOf(c, 1, 13)?.map((a) => normalizeAxis(a, x.length));
  const shape = axes ? x.filter((_, i) => !axes.includes(i)) : x.filter((d) => d !== 1);
  const value = c.value(0);
  return [{ dtype: c.dtype(0), shape, value }];
};

const unsqueeze: ShapeRule = (c) => {
  const x = c.shape(0);
  const axes = axesOf(c, 1, 13);
  if (!x || !axes) return [{ dtype: c.dtype(0) }];
  const rank = x.length + axes.length;
  const normalized = axes.map((a) => normalizeAxis(a, rank)).sort((a, b) => a - b);
  const out = [...x];
  for (const a of normalized) out.splice(a, 0, 1);
  return [{ dtype: c.dtype(0), shape: out, value: c.value(0) }];
};

const concat: ShapeRule = (c) => {
  const shapes = c.node.args.map((_, i) => c.shape(i));
  const values = c.node.args.map((_, i) => c.value(i));
  const value = values.every((v) => v) ? values.flatMap((v) => v!) : undefined;
  if (shapes.some((s) => !s)) return [{ dtype: c.dtype(0), value }];
  const rank = shapes[0]!.length;
  const axis = normalizeAxis(c.node.intAttribute("axis", 0), rank);
  const out = [...shapes[0]!];
  out[axis] = shapes.reduce<Dim>((sum, s) => arith((a, b) => a + b, sum, s![axis]!), 0);
  return [{ dtype: c.dtype(0), shape: out, value }];
};

const split: ShapeRule = (c) => {
  const x = c.shape(0);
  const outputs = c.node.outputNames.length;
  if (!x) return Array.from({ length: outputs }, () => ({ dtype: c.dtype(0) }));
  const axis = normalizeAxis(c.node.intAttribute("axis", 0), x.length);
  let sizes = (c.opset >= 13 && c.present(1) ? c.value(1)?.map(Number) : ints(c.node, "split"));
  if (!sizes && isKnown(x[axis]!)) {
    const n = c.node.intAttribute("num_outputs", outputs);
    const chunk = Math.ceil((x[axis] as number) / n);
    sizes = Array.from({ length: outputs }, (_, i) => Math.min(chunk, (x[axis] as number) - chunk * i));
  }
  return Array.from({ length: outputs }, (_, i) => {
    const shape = [...x];
    shape[axis] = sizes ? sizes[i]! : UNKNOWN;
    return { dtype: c.dtype(0), shape };
  });
};

const slice: ShapeRule = (c) => {
  const x = c.shape(0);
  if (!x) return [{ dtype: c.dtype(0) }];
  const fromInputs = c.opset >= 10;
  const starts = fromInputs ? c.value(1)?.map(Number) : ints(c.node, "starts");
  const ends = fromInputs ? c.value(2)?.map(Number) : ints(c.node, "ends");
  const axes = (fromInputs ? (c.present(3) ? c.value(3)?.map(Number) : undefined) : ints(c.node, "axes")) ?? starts?.map((_, i) => i);
  const steps = (fromInputs && c.present(4) ? c.value(4)?.map(Number) : undefined) ?? starts?.map(() => 1);
  if (!starts || !ends || !axes || !steps) return [{ dtype: c.dtype(0), shape: x.map(() => UNKNOWN) }];
  const out = [...x];
  const value = c.value(0);
  let sliced: Dim[] | undefined = value && x.length === 1 ? value : undefined;
  axes.forEach((rawAxis, i) => {
    const axis = normalizeAxis(rawAxis, x.length);
    const size = x[axis]!;
    // A bound read from a symbolic dim (Slice up to Shape(x)[1]) is not a number: that axis is unknown.
    if (!isKnown(size) || !Number.isFinite(starts[i]) || !Number.isFinite(ends[i]) || !Number.isFinite(steps[i])) {
      out[axis] = UNKNOWN;
      sliced = undefined;
      return;
    }
    const step = steps[i]!;
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    let start = starts[i]! < 0 ? starts[i]! + size : starts[i]!;
    let end = ends[i]! < 0 ? ends[i]! + size : ends[i]!;
    start = step > 0 ? clamp(start, 0, size) : clamp(start, 0, size - 1);
    end = step > 0 ? clamp(end, 0, size) : clamp(end, -1, size - 1);
    out[axis] = Math.max(0, Math.ceil((end - start) / step));
    if (sliced && axis === 0) {
      const picked: Dim[] = [];
      for (let j = start; step > 0 ? j < end : j > end; j += step) picked.push(sliced[j]!);
      sliced = picked;
    }
  });
  return [{ dtype: c.dtype(0), shape: out, value: sliced }];
};

const gather: ShapeRule = (c) => {
  const x = c.shape(0);
  const idx = c.shape(1);
  if (!x || !idx) return [{ dtype: c.dtype(0) }];
  const axis = normalizeAxis(c.node.intAttribute("axis", 0), x.length);
  const shape = [...x.slice(0, axis), ...idx, ...x.slice(axis + 1)];
  const data = c.value(0);
  const indices = c.value(1);
  const value = data && indices && x.length === 1 ? indices.map((i) => data[normalizeAxis(Number(i), data.length)]!) : undefined;
  return [{ dtype: c.dtype(0), shape, value }];
};

const shapeOp: ShapeRule = (c) => {
  const x = c.shape(0);
  if (!x) return [{ dtype: "int64" }];
  const rank = x.length;
  const start = normalizeAxis(c.node.intAttribute("start", 0), rank);
  const end = c.node.attributes.has("end") ? normalizeAxis(c.node.intAttribute("end", rank), rank) : rank;
  const value = x.slice(Math.max(0, start), Math.min(rank, end));
  return [{ dtype: "int64", shape: [value.length], value }];
};

const expand: ShapeRule = (c) => {
  const target = c.value(1);
  return [{ dtype: c.dtype(0), shape: target ? broadcast([c.shape(0), target]) : undefined }];
};

const constantOfShape: ShapeRule = (c) => {
  const valueAttr = c.node.attribute("value") as onnx.ITensorProto | undefined;
  return [{ dtype: valueAttr ? tensorDataType(valueAttr) : "float32", shape: c.value(0) }];
};

const pad: ShapeRule = (c) => {
  const x = c.shape(0);
  if (!x) return [{ dtype: c.dtype(0) }];
  const pads = c.opset >= 11 ? c.value(1)?.map(Number) : ints(c.node, "pads");
  if (!pads) return [{ dtype: c.dtype(0), shape: x.map(() => UNKNOWN) }];
  const axes = (c.opset >= 18 && c.present(3) ? c.value(3)?.map(Number) : undefined) ?? x.map((_, i) => i);
  const out = [...x];
  axes.forEach((a, i) => {
    const axis = normalizeAxis(a, x.length);
    out[axis] = arith((n) => n + pads[i]! + pads[i + axes.length]!, x[axis]!);
  });
  return [{ dtype: c.dtype(0), shape: out }];
};

const resize: ShapeRule = (c) => {
  const x = c.shape(0);
  if (!x) return [{ dtype: c.dtype(0) }];
  const sizes = c.present(3) ? c.value(3) : undefined;
  if (sizes) return [{ dtype: c.dtype(0), shape: sizes }];
  const scalesNode = c.node.args[c.opset >= 11 ? 2 : 1];
  const scales = scalesNode?.kind === "parameter" && scalesNode.tensor ? Array.from(floatValues(scalesNode)) : undefined;
  if (!scales || scales.length !== x.length) return [{ dtype: c.dtype(0), shape: x.map(() => UNKNOWN) }];
  return [{ dtype: c.dtype(0), shape: x.map((d, i) => arith((n) => Math.floor(n * scales[i]!), d)) }];
};

function floatValues(node: Node): Float32Array {
  const raw = node.tensor!.rawData;
  if (raw && raw.length) return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  return Float32Array.from(node.tensor!.floatData ?? []);
}

function reduce(axesSinceOpset: number): ShapeRule {
  return (c) => {
    const x = c.shape(0);
    if (!x) return [{ dtype: c.dtype(0) }];
    const keep = c.node.intAttribute("keepdims", 1) === 1;
    let axes = axesOf(c, 1, axesSinceOpset)?.map((a) => normalizeAxis(a, x.length));
    if (!axes || axes.length === 0) {
      if (c.node.intAttribute("noop_with_empty_axes", 0) === 1) return [{ dtype: c.dtype(0), shape: x }];
      axes = x.map((_, i) => i);
    }
    const shape = keep ? x.map((d, i) => (axes!.includes(i) ? 1 : d)) : x.filter((_, i) => !axes!.includes(i));
    return [{ dtype: c.dtype(0), shape }];
  };
}

const argReduce: ShapeRule = (c) => {
  const x = c.shape(0);
  if (!x) return [{ dtype: "int64" }];
  const axis = normalizeAxis(c.node.intAttribute("axis", 0), x.length);
  const keep = c.node.intAttribute("keepdims", 1) === 1;
  return [{ dtype: "int64", shape: keep ? x.map((d, i) => (i === axis ? 1 : d)) : x.filter((_, i) => i !== axis) }];
};

const cast: ShapeRule = (c) => [{ dtype: dataTypeFromCode(c.node.intAttribute("to", 1)), shape: c.shape(0), value: c.value(0) }];

const quantizeLinear: ShapeRule = (c) => {
  const attr = c.node.intAttribute("output_dtype", 0);
  const dtype = attr ? dataTypeFromCode(attr) : c.present(2) ? c.dtype(2) : "uint8";
  return [{ dtype, shape: c.shape(0) }];
};

const dequantizeLinear: ShapeRule = (c) => [{ dtype: c.dtype(1) ?? "float32", shape: c.shape(0) }];

const where: ShapeRule = (c) => [{ dtype: c.dtype(1), shape: broadcast([c.shape(0), c.shape(1), c.shape(2)]) }];

const withOptionalExtras = (rule: ShapeRule): ShapeRule => (c) => {
  const [first] = rule(c);
  return c.node.outputNames.map((_, i) => (i === 0 ? first : undefined));
};

const topK: ShapeRule = (c) => {
  const x = c.shape(0);
  const k = c.opset >= 10 ? c.value(1)?.[0] : c.node.intAttribute("k", 0);
  if (!x) return [{ dtype: c.dtype(0) }, { dtype: "int64" }];
  const axis = normalizeAxis(c.node.intAttribute("axis", -1), x.length);
  const shape = x.map((d, i) => (i === axis ? k ?? UNKNOWN : d));
  return [{ dtype: c.dtype(0), shape }, { dtype: "int64", shape }];
};

const tile: ShapeRule = (c) => {
  const x = c.shape(0);
  const repeats = c.value(1);
  if (!x || !repeats) return [{ dtype: c.dtype(0) }];
  return [{ dtype: c.dtype(0), shape: x.map((d, i) => arith((a, b) => a * b, d, repeats[i]!)) }];
};

const range: ShapeRule = (c) => {
  const [start, limit, delta] = [c.value(0)?.[0], c.value(1)?.[0], c.value(2)?.[0]];
  const n = start !== undefined && limit !== undefined && delta !== undefined ? arith((s, l, d) => Math.max(Math.ceil((l - s) / d), 0), start, limit, delta) : UNKNOWN;
  return [{ dtype: c.dtype(0), shape: [n] }];
};

const UNARY = [
  "Relu", "Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Abs", "Neg", "Erf", "LeakyRelu", "Elu", "Selu", "Celu", "HardSigmoid",
  "HardSwish", "Gelu", "Softplus", "Softsign", "Clip", "Identity", "Softmax", "LogSoftmax", "Hardmax", "Ceil", "Floor",
  "Round", "Reciprocal", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Sign",
  "Mish", "ThresholdedRelu", "InstanceNormalization", "GroupNormalization", "LRN", "CumSum", "Shrink", "Not", "IsNaN", "IsInf",
];
const BINARY = ["Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "PRelu", "Mod", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor"];
const COMPARISONS = ["Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "And", "Or", "Xor"];

export const SHAPE_RULES: Record<string, ShapeRule> = {
  ...Object.fromEntries(UNARY.map((op) => [op, same])),
  ...Object.fromEntries(BINARY.map((op) => [op, elementwise])),
  ...Object.fromEntries(COMPARISONS.map((op) => [op, comparison])),
  IsNaN: (c) => [{ dtype: "bool", shape: c.shape(0) }],
  IsInf: (c) => [{ dtype: "bool", shape: c.shape(0) }],
  Not: (c) => [{ dtype: "bool", shape: c.shape(0) }],
  Dropout: withOptionalExtras(same),
  BatchNormalization: withOptionalExtras(same),
  LayerNormalization: withOptionalExtras(same),
  Conv: conv,
  ConvInteger: (c) => conv(c).map((v) => ({ ...v, dtype: "int32" })),
  QLinearConv: (c) => conv(c).map((v) => ({ ...v, dtype: c.dtype(7) })),
  ConvTranspose: convTranspose,
  LSTM: recurrent,
  GRU: recurrent,
  RNN: recurrent,
  MaxPool: maxPool,
  AveragePool: pool,
  LpPool: pool,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  GlobalLpPool: globalPool,
  Gemm: gemm,
  MatMul: matmul,
  MatMulInteger: (c) => [{ dtype: "int32", shape: matmulShape(c.shape(0), c.shape(1)) }],
  QLinearMatMul: (c) => [{ dtype: c.dtype(7), shape: matmulShape(c.shape(0), c.shape(3)) }],
  Flatten: flatten,
  Reshape: reshape,
  Transpose: transpose,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Concat: concat,
  Split: split,
  Slice: slice,
  Gather: gather,
  Shape: shapeOp,
  Size: () => [{ dtype: "int64", shape: [] }],
  Expand: expand,
  ConstantOfShape: constantOfShape,
  Pad: pad,
  Resize: resize,
  GridSample: (c) => {
    const x = c.shape(0);
    const grid = c.shape(1);
    return [{ dtype: c.dtype(0), shape: x && grid && grid.length >= 3 ? [x[0]!, x[1]!, ...grid.slice(1, -1)] : undefined }];
  },
  Upsample: resize,
  ReduceMean: reduce(18),
  ReduceSum: reduce(13),
  ReduceMax: reduce(18),
  ReduceMin: reduce(18),
  ReduceProd: reduce(18),
  ReduceL1: reduce(18),
  ReduceL2: reduce(18),
  ReduceLogSumExp: reduce(18),
  ReduceSumSquare: reduce(18),
  ArgMax: argReduce,
  ArgMin: argReduce,
  Cast: cast,
  CastLike: (c) => [{ dtype: c.dtype(1), shape: c.shape(0), value: c.value(0) }],
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  Where: where,
  TopK: topK,
  Tile: tile,
  Range: range,
  Trilu: same,
  LpNormalization: same,
  MeanVarianceNormalization: same,
  ReverseSequence: same,
  ScatterND: (c) => [{ dtype: c.dtype(0), shape: c.shape(0) }],
  ScatterElements: (c) => [{ dtype: c.dtype(0), shape: c.shape(0) }],
  Scatter: (c) => [{ dtype: c.dtype(0), shape: c.shape(0) }],
  GatherElements: (c) => [{ dtype: c.dtype(0), shape: c.shape(1) }],
  // Element type only: these shapes depend on an equation, on index values or on data.
  GatherND: (c) => [{ dtype: c.dtype(0) }],
  Einsum: (c) => [{ dtype: c.dtype(0) }],
  Compress: (c) => [{ dtype: c.dtype(0) }],
  OneHot: (c) => [{ dtype: c.dtype(2) }],
  NonZero: (c) => [{ dtype: "int64", shape: c.shape(0) ? [c.shape(0)!.length, UNKNOWN] : undefined }],
  RMSNormalization: same,
  RotaryEmbedding: same,
  Swish: same,
  CumProd: same,
  TensorScatter: (c) => [{ dtype: c.dtype(0), shape: c.shape(0) }],
  BitCast: (c) => [{ dtype: dataTypeFromCode(c.node.intAttribute("to", 1)), shape: c.shape(0) }],
  Attention: attentionShapes,
  DepthToSpace: (c) => spaceDepth(c, -1),
  SpaceToDepth: (c) => spaceDepth(c, 1),
  ReduceLogSum: reduce(18),
  // Integer outputs a quantizer must never take for activations: selected box indices, unique values' positions.
  NonMaxSuppression: () => [{ dtype: "int64", shape: [UNKNOWN, 3] }],
  Unique: (c) => [{ dtype: c.dtype(0) }, { dtype: "int64" }, { dtype: "int64" }, { dtype: "int64" }],
  DynamicQuantizeLinear: (c) => [{ dtype: "uint8", shape: c.shape(0) }, { dtype: "float32", shape: [] }, { dtype: "uint8", shape: [] }],
  EyeLike: (c) => [{ dtype: c.node.attribute("dtype") === undefined ? c.dtype(0) : dataTypeFromCode(c.node.intAttribute("dtype", 1)), shape: c.shape(0) }],
  HannWindow: windowFunction,
  HammingWindow: windowFunction,
  BlackmanWindow: windowFunction,
  MelWeightMatrix: windowFunction,
  DFT: (c) => [{ dtype: c.dtype(0) }],
  STFT: (c) => [{ dtype: c.dtype(0) }],
  Det: (c) => [{ dtype: c.dtype(0) }],
  RoiAlign: (c) => [{ dtype: c.dtype(0) }],
  MaxUnpool: (c) => [{ dtype: c.dtype(0) }],
  NegativeLogLikelihoodLoss: (c) => [{ dtype: c.dtype(0) }],
  SoftmaxCrossEntropyLoss: (c) => [{ dtype: c.dtype(0) }, { dtype: c.dtype(0) }],
  If: (c) => subgraphOutputs(c, "then_branch", 0),
  Loop: (c) => subgraphOutputs(c, "body", 1),
  Scan: (c) => subgraphOutputs(c, "body", 0),
};

/** A window or filter bank generator: its element type from `output_datatype` (float32 by default). */
function windowFunction(c: InferenceContext): InferredValue[] {
  return [{ dtype: dataTypeFromCode(c.node.intAttribute("output_datatype", 1)) }];
}

/**
 * Control flow's outputs by the element types its subgraph declares for them: If's branch outputs, Loop's body outputs
 * after its condition (`skip` 1), Scan's body outputs.
 */
function subgraphOutputs(c: InferenceContext, attr: string, skip: number): InferredValue[] {
  const graph = c.node.attribute(attr) as onnx.IGraphProto | undefined;
  return (graph?.output ?? []).slice(skip).map((o) => {
    const code = o.type?.tensorType?.elemType;
    return { dtype: code ? dataTypeFromCode(code) : undefined };
  });
}

/** DepthToSpace (`toDepth` −1) and SpaceToDepth (+1): channels times or divided by blocksize², each spatial axis the other way. */
function spaceDepth(c: InferenceContext, toDepth: 1 | -1): InferredValue[] {
  const x = c.shape(0);
  const b = c.node.intAttribute("blocksize", 1);
  if (!x || x.length !== 4) return [{ dtype: c.dtype(0) }];
  const [n, ch, h, w] = x as [Dim, Dim, Dim, Dim];
  const grow = (d: Dim, up: boolean) => arith((v) => (up ? v * b : v / b), d);
  return [{ dtype: c.dtype(0), shape: [n, arith((v) => (toDepth > 0 ? v * b * b : v / (b * b)), ch), grow(h, toDepth < 0), grow(w, toDepth < 0)] }];
}

/** Attention's Y: Q's shape with V's head size; the caches and scores by element type only. */
function attentionShapes(c: InferenceContext): InferredValue[] {
  const q = c.shape(0);
  const v = c.shape(2);
  let y: Dim[] | undefined;
  if (q?.length === 4 && v?.length === 4) y = [q[0]!, q[1]!, q[2]!, v[3]!];
  else if (q?.length === 3 && v?.length === 3) {
    const qHeads = c.node.intAttribute("q_num_heads", 0);
    const kvHeads = c.node.intAttribute("kv_num_heads", 0);
    y = [q[0]!, q[1]!, qHeads && kvHeads ? arith((h) => (h / kvHeads) * qHeads, v[2]!) : UNKNOWN];
  }
  const dtype = c.dtype(0);
  return [{ dtype, shape: y }, { dtype }, { dtype }, { dtype }];
}

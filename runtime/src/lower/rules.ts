// One rule per operator family: does this node, with its inputs and its output, form a Q/DQ island that an
// integer operator can replace? Each rule returns the replacement, or the reason it cannot lower.
import type { Node, NodeArg } from "../graph/node.js";
import type { onnx } from "../onnx/proto.js";
import { floatAttribute, stringAttribute } from "../onnx/attributes.js";
import { makeTensor, tensorToNumbers } from "../onnx/tensor-data.js";
import { QKIT_DOMAIN as QKIT, qkitArgs } from "../qkit-ops/schema.js";
import { binaryShapeProblem, floatOperandFits, windowProblem } from "../qkit-ops/capabilities.js";
import { BYTE_DTYPES, clipBounds, failed, roundHalfEven, quantizedConstant, quantizedInput, quantizedOperand, quantizedOutput, type Match,
  type QuantizedInput, type QuantizedOutput } from "./match.js";
import { layerNormalization } from "./layernorm.js";
import { embedding } from "./embedding.js";

export interface Lowering {
  opType: string;
  /** com.qkit for integer operators; "" for layout operators that run on the integers unchanged. */
  domain: string;
  args: NodeArg[];
  attributes: onnx.IAttributeProto[];
  /** The QuantizeLinear the operator's codes replace; absent for an operator with a float32 output. */
  out?: QuantizedOutput;
  /** Layout operators whose output parameters differ from their input's: a QLut requantizes after them. */
  requantFrom?: QuantizedInput;
  /** A node between this one and its output that the integer operator absorbs (MatMul's bias Add). */
  absorbed?: Node;
}

export type Rule = (node: Node, opset: number) => Match<Lowering>;

function isCall(node: NodeArg | undefined, opType: string): node is Node {
  return !!node && node.kind === "call" && node.opType === opType && (node.domain === "" || node.domain === "ai.onnx");
}

/**
 * A MatMul's bias: its one user an Add of an int32 constant of M values (nn.Linear as ONNX splits it), or undefined.
 */
function biasAdd(node: Node, M: number): { add: Node; bias: Node; scale: Node } | undefined {
  if (node.users.size !== 1 || node.graph.outputs.includes(node)) return undefined;
  const add = [...node.users][0]!;
  if (!isCall(add, "Add")) return undefined;
  const other = add.args[0] === node ? add.args[1] : add.args[0];
  const bq = quantizedConstant(other, "int32", "the bias");
  if (failed(bq) || values(bq.data).length !== M || (bq.data.meta.shape ?? []).length !== 1) return undefined;
  return { add, bias: bq.data, scale: bq.scale };
}

function copyAttributes(node: Node): onnx.IAttributeProto[] {
  return [...node.attributes.values()];
}

function clampAttributes(out: QuantizedOutput): onnx.IAttributeProto[] {
  const attrs: onnx.IAttributeProto[] = [];
  if (out.clampMin !== undefined && Number.isFinite(out.clampMin)) attrs.push(floatAttribute("clamp_min", out.clampMin));
  if (out.clampMax !== undefined && Number.isFinite(out.clampMax)) attrs.push(floatAttribute("clamp_max", out.clampMax));
  return attrs;
}

function values(node: Node | null): number[] {
  return node ? tensorToNumbers(node.tensor!) : [0];
}

function sameParams(x: QuantizedInput, out: QuantizedOutput): boolean {
  return values(x.scale)[0] === values(out.scale)[0] && values(x.zp)[0] === values(out.zp)[0] &&
    x.value.meta.dtype === out.quantize.meta.dtype;
}

function byteOnly(x: QuantizedInput, out: QuantizedOutput, what: string): string | undefined {
  if (!BYTE_DTYPES.has(x.value.meta.dtype ?? "") || !BYTE_DTYPES.has(out.quantize.meta.dtype ?? "")) {
    return `${what} lowers on uint8/int8 only (this one is ${x.value.meta.dtype} → ${out.quantize.meta.dtype})`;
  }
  return undefined;
}

/** Conv, Gemm and MatMul: quantized input, int8 weights (per tensor or per output channel), optional int32 bias. */
function linear(kind: "Conv" | "Gemm" | "MatMul"): Rule {
  return (node) => {
    const x = quantizedInput(node.args[0], "the input");
    if (failed(x)) return x;
    const w = quantizedConstant(node.args[1], "int8", "the weight");
    if (failed(w)) return w;
    const wShape = w.data.meta.shape ?? [];
    const window = kind === "Conv" ? windowProblem(kind, wShape.length - 2, 1) : undefined;
    if (window) return window;
    const perChannel = values(w.scale).length > 1;
    let transB = 1;
    if (kind === "Gemm") {
      if (node.intAttribute("transA", 0) !== 0) return "Gemm with transA lowers only as transA=0";
      if (node.floatAttribute("alpha", 1) !== 1 || node.floatAttribute("beta", 1) !== 1) return "Gemm with alpha or beta other than 1";
      transB = node.intAttribute("transB", 0);
    } else if (kind === "MatMul") {
      if (wShape.length !== 2) return `the weight has ${wShape.length} axes, and MatMul lowers with a 2-D weight (a matrix shared by the batch); reshape the weight to 2-D`;
      transB = 0;
    }
    const channelAxis = kind === "Conv" || transB === 1 ? 0 : 1;
    if (perChannel && w.axis !== channelAxis) return `the weight is quantized per channel along axis ${w.axis}, not the output channels`;
    let bias: NodeArg = null;
    let biasScale: NodeArg = null;
    const b = kind === "MatMul" ? undefined : node.args[2];
    if (b) {
      const bq = quantizedConstant(b, "int32", "the bias");
      if (failed(bq)) return bq;
      bias = bq.data;
      biasScale = bq.scale;
    }
    const fusedBias = kind === "MatMul" ? biasAdd(node, Number(transB === 1 ? wShape[0] : wShape[1])) : undefined;
    if (fusedBias) {
      bias = fusedBias.bias;
      biasScale = fusedBias.scale;
    }
    const out = quantizedOutput(fusedBias?.add ?? node, true);
    if (failed(out)) return out;
    const attributes = kind === "Conv" ? copyAttributes(node) : [{ name: "transB", type: 2, i: transB }];
    return {
      opType: kind === "Conv" ? "QConv" : "QGemm", domain: QKIT, out, ...(fusedBias ? { absorbed: fusedBias.add } : {}),
      args: qkitArgs(kind === "Conv" ? "QConv" : "QGemm", { x: x.value, xScale: x.scale, xZeroPoint: x.zp, w: w.data, wScale: w.scale,
        wZeroPoint: w.zp, yScale: out.scale, yZeroPoint: out.zp, bias, biasScale }, null),
      attributes: [...attributes, ...clampAttributes(out)],
    };
  };
}

function binary(opType: "QAdd" | "QMul"): Rule {
  return (node) => {
    const byScalar = scalarOperand(node);
    if (byScalar) return byScalar();
    const byConstant = floatConstantOperand(node, opType);
    if (byConstant) return byConstant;
    const a = quantizedOperand(node.args[0], "input A");
    if (failed(a)) return a;
    const b = quantizedOperand(node.args[1], "input B");
    if (failed(b)) return b;
    if (a.value.kind === "parameter" && b.value.kind === "parameter") return "both inputs are constants; fold the operation into one constant";
    const shapes = binaryShapeProblem(a.value.meta.shape, b.value.meta.shape);
    if (shapes) return shapes;
    const out = quantizedOutput(node, true);
    if (failed(out)) return out;
    for (const x of [a, b]) {
      const why = byteOnly(x, out, node.opType);
      if (why) return why;
    }
    const args = qkitArgs<typeof opType, NodeArg>(opType, { a: a.value, aScale: a.scale, aZeroPoint: a.zp, b: b.value, bScale: b.scale, bZeroPoint: b.zp,
      yScale: out.scale, yZeroPoint: out.zp }, null);
    return { opType, domain: QKIT, out, args, attributes: clampAttributes(out) };
  };
}

/**
 * Add or Mul of a quantized activation and a float32 scalar constant (attention's scaling by 1/√d written as a Mul):
 * a function of one quantized input, a QLut table; undefined when the node is not of that form.
 */
function scalarOperand(node: Node): (() => Match<Lowering>) | undefined {
  const [a, b] = node.args;
  const scalar = (arg: NodeArg | undefined) => !!arg && arg.kind === "parameter" && arg.meta.dtype === "float32" && values(arg).length === 1;
  const constant = scalar(b) ? b! : scalar(a) ? a! : undefined;
  const x = constant === b ? a : b;
  if (!constant || !x || x.kind !== "call" || x.opType !== "DequantizeLinear") return undefined;
  const c = values(constant)[0]!;
  return () => {
    const xq = quantizedInput(x, "the input");
    if (failed(xq)) return xq;
    const out = quantizedOutput(node, false);
    if (failed(out)) return out;
    const why = byteOnly(xq, out, node.opType);
    if (why) return why;
    const args = qkitArgs<"QLut", NodeArg>("QLut", { x: xq.value, xScale: xq.scale, xZeroPoint: xq.zp, yScale: out.scale, yZeroPoint: out.zp }, null);
    return { opType: "QLut", domain: QKIT, out, args, attributes: [stringAttribute("op", node.opType), floatAttribute("alpha", c)] };
  };
}

/**
 * Add or Mul of a quantized activation and a float32 constant tensor that broadcasts into it (ViT's positional
 * embedding): QAdd/QMul with the constant as a float b, used as it is; undefined when the node is not of that form.
 */
function floatConstantOperand(node: Node, opType: "QAdd" | "QMul"): Match<Lowering> | undefined {
  const [a, b] = node.args;
  const isFloat = (arg: NodeArg | undefined) => !!arg && arg.kind === "parameter" && arg.meta.dtype === "float32";
  const constant = isFloat(b) ? b! : isFloat(a) ? a! : undefined;
  const x = constant === b ? a : b;
  if (!constant || !x || x.kind !== "call" || x.opType !== "DequantizeLinear") return undefined;
  const xq = quantizedInput(x, "the input");
  if (failed(xq)) return xq;
  if (!floatOperandFits(xq.value.meta.shape, constant.meta.shape)) {
    return `the float32 constant of shape [${constant.meta.shape?.join(", ")}] does not broadcast into the quantized input's [${xq.value.meta.shape?.join(", ")}]; it runs in float32`;
  }
  const out = quantizedOutput(node, true);
  if (failed(out)) return out;
  const why = byteOnly(xq, out, node.opType);
  if (why) return why;
  const graph = node.graph;
  const name = graph.uniqueTensorName(`${node.name}_float_operand_scale`);
  const one = graph.addParameter(name, makeTensor(name, "float32", [], Float32Array.of(1)));
  one.meta.dtype = "float32";
  one.meta.shape = [];
  const args = qkitArgs<typeof opType, NodeArg>(opType, { a: xq.value, aScale: xq.scale, aZeroPoint: xq.zp, b: constant, bScale: one, yScale: out.scale, yZeroPoint: out.zp }, null);
  return { opType, domain: QKIT, out, args, attributes: clampAttributes(out) };
}

/** Operators of one quantized input whose integer op reads only x's and y's parameters. */
function unary(opType: "QMaxPool" | "QAveragePool" | "QGlobalAveragePool" | "QLut" | "QSoftmax", extra: (node: Node) => onnx.IAttributeProto[] | string = copyAttributes): Rule {
  return (node) => {
    const x = quantizedInput(node.args[0], "the input");
    if (failed(x)) return x;
    if (node.outputNames.length !== 1) return `${node.opType} with several outputs`;
    const out = quantizedOutput(node, false);
    if (failed(out)) return out;
    const why = byteOnly(x, out, node.opType);
    if (why) return why;
    const attributes = extra(node);
    if (typeof attributes === "string") return attributes;
    const args = qkitArgs<typeof opType, NodeArg>(opType, { x: x.value, xScale: x.scale, xZeroPoint: x.zp, yScale: out.scale, yZeroPoint: out.zp }, null);
    return { opType, domain: QKIT, out, args, attributes };
  };
}

/** A pooling the int8 kernels take (capabilities.ts: 1-D and 2-D windows, one output), its attributes copied. */
function planarPool(node: Node): onnx.IAttributeProto[] | string {
  return windowProblem(node.opType, node.intsAttribute("kernel_shape")?.length ?? 2, node.outputNames.filter(Boolean).length) ?? copyAttributes(node);
}

/** Layout operators move integers as they are (requantized after when the output parameters differ). */
function layout(node: Node): Match<Lowering> {
  const x = quantizedInput(node.args[0], "the input");
  if (failed(x)) return x;
  const out = quantizedOutput(node, false);
  if (failed(out)) return out;
  const why = byteOnly(x, out, node.opType);
  if (why) return why;
  return {
    opType: node.opType, domain: "", out, args: [x.value, ...node.args.slice(1)], attributes: copyAttributes(node),
    ...(sameParams(x, out) ? {} : { requantFrom: x }),
  };
}

/** Dropout at inference passes its input through: an Identity on the codes (Dropout itself is defined on floats only). */
function dropout(node: Node, opset: number): Match<Lowering> {
  if (node.isMultiOutput) return "its mask output is read; only the data output of an inference Dropout runs in int8";
  const training = opset >= 12 ? node.args[2] : undefined;
  if (training && (training.kind !== "parameter" || tensorToNumbers(training.tensor!)[0] !== 0)) return "it may run in training mode (training_mode is not a constant false); it runs in float32";
  const base = layout(node);
  if (failed(base)) return base;
  return { ...base, opType: "Identity", args: [base.args[0]!], attributes: [] };
}

function concat(node: Node): Match<Lowering> {
  const parts: { x: NodeArg; xScale: NodeArg; xZeroPoint: NodeArg }[] = [];
  for (let i = 0; i < node.args.length; i++) {
    const x = quantizedInput(node.args[i], `input ${i}`);
    if (failed(x)) return x;
    if (!BYTE_DTYPES.has(x.value.meta.dtype ?? "")) return "Concat lowers on uint8/int8 only";
    parts.push({ x: x.value, xScale: x.scale, xZeroPoint: x.zp });
  }
  const out = quantizedOutput(node, false);
  if (failed(out)) return out;
  if (!BYTE_DTYPES.has(out.quantize.meta.dtype ?? "")) return "Concat lowers on uint8/int8 only";
  const args = qkitArgs<"QConcat", NodeArg>("QConcat", { yScale: out.scale, yZeroPoint: out.zp }, null, parts);
  return { opType: "QConcat", domain: QKIT, out, args, attributes: copyAttributes(node) };
}

const lut = (node: Node) => [...copyAttributes(node), stringAttribute("op", node.opType)];

/** A standalone Clip with constant bounds: the bounds become the table's clamp attributes. */
function clipLut(node: Node): onnx.IAttributeProto[] | string {
  const bounds = clipBounds(node);
  if (!bounds) return "Clip bounds are computed at run time";
  const attrs = [stringAttribute("op", "Clip")];
  if (Number.isFinite(bounds.lo)) attrs.push(floatAttribute("clamp_min", bounds.lo));
  if (Number.isFinite(bounds.hi)) attrs.push(floatAttribute("clamp_max", bounds.hi));
  return attrs;
}

/** MatMul: with a constant 2-D int8 weight, QGemm (and its bias Add); of two quantized activations, QMatMul. */
function matmul(node: Node, opset: number): Match<Lowering> {
  const w = node.args[1];
  if (isCall(w, "DequantizeLinear") && w.args[0]?.kind === "parameter" && w.args[0].meta.dtype === "int8" && (w.args[0].meta.shape ?? []).length === 2) {
    return linearMatMul(node, opset);
  }
  const a = quantizedOperand(node.args[0], "input A");
  if (failed(a)) return a;
  const bIn = quantizedOperand(node.args[1], "input B");
  if (failed(bIn)) return bIn;
  const out = quantizedOutput(node, true);
  if (failed(out)) {
    // A product float ops read (attention's scores before a float Softmax): the integer GEMM with a float32 output,
    // as ONNX Runtime's MatMulIntegerToFloat computes it.
    if (![a, bIn].every((x) => BYTE_DTYPES.has(x.value.meta.dtype ?? ""))) return out;
    const args = qkitArgs<"QMatMul", NodeArg>("QMatMul", { a: a.value, aScale: a.scale, aZeroPoint: a.zp, b: bIn.value, bScale: bIn.scale,
      bZeroPoint: bIn.zp }, null);
    return { opType: "QMatMul", domain: QKIT, args, attributes: [] };
  }
  for (const x of [a, bIn]) {
    const why = byteOnly(x, out, "MatMul");
    if (why) return why;
  }
  const args = qkitArgs<"QMatMul", NodeArg>("QMatMul", { a: a.value, aScale: a.scale, aZeroPoint: a.zp, b: bIn.value, bScale: bIn.scale,
    bZeroPoint: bIn.zp, yScale: out.scale, yZeroPoint: out.zp }, null);
  return { opType: "QMatMul", domain: QKIT, out, args, attributes: clampAttributes(out) };
}

const linearMatMul = linear("MatMul");

/** ConvTranspose: quantized input, int8 weights (per tensor or per output channel, the weight's axis 1), int32 bias. */
function convTranspose(node: Node): Match<Lowering> {
  const x = quantizedInput(node.args[0], "the input");
  if (failed(x)) return x;
  const w = quantizedConstant(node.args[1], "int8", "the weight");
  if (failed(w)) return w;
  if (values(w.scale).length > 1 && w.axis !== 1) return `the weight is quantized per channel along axis ${w.axis}; ConvTranspose's output channels are its axis 1, so quantize it along axis 1 (or per tensor)`;
  let bias: NodeArg = null;
  let biasScale: NodeArg = null;
  if (node.args[2]) {
    const bq = quantizedConstant(node.args[2], "int32", "the bias");
    if (failed(bq)) return bq;
    bias = bq.data;
    biasScale = bq.scale;
  }
  const out = quantizedOutput(node, true);
  if (failed(out)) return out;
  const why = byteOnly(x, out, "ConvTranspose");
  if (why) return why;
  return {
    opType: "QConvTranspose", domain: QKIT, out,
    args: qkitArgs("QConvTranspose", { x: x.value, xScale: x.scale, xZeroPoint: x.zp, w: w.data, wScale: w.scale, wZeroPoint: w.zp,
      yScale: out.scale, yZeroPoint: out.zp, bias, biasScale }, null),
    attributes: [...copyAttributes(node), ...clampAttributes(out)],
  };
}

/** Resize: nearest moves codes (Resize on the integers); linear and cubic interpolate them (QResize). */
function resize(node: Node, opset: number): Match<Lowering> {
  // Nearest moves codes at any opset (Upsample's too); the other modes run QResize, which takes opset 11's inputs.
  const mode = node.stringAttribute("mode", "nearest");
  if (mode === "nearest") return layout(node);
  if (opset < 11) return `${mode} Resize before opset 11 takes its scales as the second input; re-export the model at opset 11 or later to run it in int8`;
  const x = quantizedInput(node.args[0], "the input");
  if (failed(x)) return x;
  const out = quantizedOutput(node, false);
  if (failed(out)) return out;
  const why = byteOnly(x, out, "Resize");
  if (why) return why;
  if (node.stringAttribute("coordinate_transformation_mode", "half_pixel") === "tf_crop_and_resize") {
    return "Resize with coordinate_transformation_mode tf_crop_and_resize extrapolates with a float value; it runs in float32";
  }
  const args = qkitArgs<"QResize", NodeArg>("QResize", { x: x.value, xScale: x.scale, xZeroPoint: x.zp, yScale: out.scale, yZeroPoint: out.zp,
    roi: node.args[1] ?? null, scales: node.args[2] ?? null, sizes: node.args[3] ?? null }, null);
  return { opType: "QResize", domain: QKIT, out, args, attributes: copyAttributes(node) };
}

/**
 * Pad moves codes; its constant mode fills with the code of the pad value in the input's quantization, which must
 * stand for that value exactly (0 always does: it is the zero point), so that a requantization after it gives what
 * the Q/DQ reference gives.
 */
function pad(node: Node, opset: number): Match<Lowering> {
  const base = layout(node);
  if (failed(base) || node.stringAttribute("mode", "constant") !== "constant") return base;
  const x = quantizedInput(node.args[0], "the input");
  if (failed(x)) return x;
  const legacy = opset < 11;
  const valueArg = legacy ? undefined : node.args[2];
  if (valueArg && valueArg.kind !== "parameter") return "the pad value is computed at run time; make it a constant to run Pad in int8";
  const value = legacy ? node.floatAttribute("value", 0) : valueArg ? tensorToNumbers(valueArg.tensor!)[0] ?? 0 : 0;
  const dtype = x.value.meta.dtype!;
  const scale = values(x.scale)[0]!;
  const zp = values(x.zp)[0]!;
  const [lo, hi] = dtype === "int8" ? [-128, 127] : [0, 255];
  const code = Math.min(hi, Math.max(lo, roundHalfEven(Math.fround(Math.fround(value) / scale)) + zp));
  if (Math.fround((code - zp) * scale) !== Math.fround(value)) {
    const short = (v: number) => Number(v.toPrecision(7));
    return `the pad value ${short(value)} is not exactly a code of the input's quantization (scale ${short(scale)}, zero point ${zp}); pad with 0 (the zero point) to run Pad in int8`;
  }
  if (legacy) return { ...base, attributes: [...copyAttributes(node).filter((a) => a.name !== "value"), floatAttribute("value", code)] };
  const graph = node.graph;
  const name = graph.uniqueTensorName(`${node.name}_pad_code`);
  const fill = graph.addParameter(name, makeTensor(name, dtype as "uint8", [], dtype === "int8" ? Int8Array.of(code) : Uint8Array.of(code)));
  fill.meta.dtype = dtype;
  fill.meta.shape = [];
  return { ...base, args: [x.value, node.args[1] ?? null, fill, ...node.args.slice(3)] };
}

/**
 * Softmax between a DequantizeLinear and a QuantizeLinear: one QSoftmax from codes to codes. Before opset 13 Softmax
 * flattens the axes from `axis` on, the same as a last-axis Softmax only when `axis` is the last.
 */
function softmax(node: Node, opset: number): Match<Lowering> {
  const rank = node.args[0]?.meta.shape?.length;
  const axis = node.intAttribute("axis", opset < 13 ? 1 : -1);
  if (opset < 13 && (rank === undefined || (axis < 0 ? axis + rank : axis) !== rank - 1)) {
    return `Softmax before opset 13 over the flattened axes from ${axis} on runs in float32 between its DequantizeLinear and QuantizeLinear; re-export at opset 13 or later (or softmax over the last axis) to run it in int8`;
  }
  return unary("QSoftmax", () => [{ name: "axis", type: 2, i: axis }])(node, opset);
}

/** The one float value of a constant divisor: a float32 scalar, or a dequantized scalar constant; undefined otherwise. */
function constantScalar(arg: Node | null | undefined): number | undefined {
  if (!arg) return undefined;
  if (arg.kind === "parameter") {
    const v = arg.meta.dtype === "float32" ? values(arg) : [];
    return v.length === 1 ? v[0] : undefined;
  }
  const q = quantizedOperand(arg, "the divisor");
  if (failed(q) || q.value.kind !== "parameter" || values(q.value).length !== 1) return undefined;
  return Math.fround((values(q.value)[0]! - values(q.zp)[0]!) * values(q.scale)[0]!);
}

/** Div by a constant (attention's scaling by 1/√d): a function of one quantized input, a QLut table. */
function divByConstant(node: Node, opset: number): Match<Lowering> {
  const divisor = constantScalar(node.args[1]);
  if (divisor === undefined) return "Div lowers only by a constant scalar (a table of its 256 input codes); this divisor is computed at run time or holds several values, so it runs in float32";
  return unary("QLut", () => [stringAttribute("op", "Div"), floatAttribute("alpha", divisor)])(node, opset);
}

/** The rule for each float operator type that can lower. */
export const RULES: Record<string, Rule> = {
  Conv: linear("Conv"), Gemm: linear("Gemm"), MatMul: matmul, ConvTranspose: convTranspose, Resize: resize,
  Add: binary("QAdd"), Mul: binary("QMul"),
  MaxPool: unary("QMaxPool", planarPool), AveragePool: unary("QAveragePool", planarPool), GlobalAveragePool: unary("QGlobalAveragePool"),
  Concat: concat,
  Reshape: layout, Flatten: layout, Transpose: layout, Squeeze: layout, Unsqueeze: layout, Slice: layout,
  Gather: (node) => embedding(node) ?? layout(node),
  Expand: layout, Tile: layout, Dropout: dropout, DepthToSpace: layout, SpaceToDepth: layout, Pad: pad, Softmax: softmax, Div: divByConstant,
  LayerNormalization: layerNormalization,
  Sigmoid: unary("QLut", lut), Tanh: unary("QLut", lut), HardSwish: unary("QLut", lut), HardSigmoid: unary("QLut", lut),
  LeakyRelu: unary("QLut", lut), Relu: unary("QLut", lut), Clip: unary("QLut", clipLut),
};

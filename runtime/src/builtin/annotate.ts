import type { Node } from "../graph/node.js";
import { QuantizationAnnotation, annotationOf } from "../quantizer/annotation.js";
import { FixedQParamsQuantizationSpec, SharedQuantizationSpec, type QuantizationSpec, type QuantizationSpecBase } from "../quantizer/specs.js";
import { derivedBiasSpec, withChannelAxis, type QuantizationConfig } from "./config.js";
import type { DecomposedOp } from "./transformer-patterns.js";

/** PT2E's `_annotated`: a node some pattern already owns (first annotation wins). */
export function isAnnotated(node: Node): boolean {
  return annotationOf(node)?.annotated === true;
}

/** Owns `node` and quantizes the given inputs and output; an integer or bool output, or one that only decides shapes, stays unquantized. */
export function annotate(node: Node, inputs: readonly (readonly [Node, QuantizationSpecBase])[], output?: QuantizationSpecBase): void {
  // An operator with several outputs (MaxPool with its Indices) is quantized through its getitems, if at all.
  const quantizeOutput = output && !node.isMultiOutput && node.isFloatValue && !node.isShapeOperand;
  node.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: inputs, ...(quantizeOutput ? { outputQspec: output } : {}), annotated: true });
}

/** Marks nodes as owned without quantizing them (a config of null for a module or op type). */
export function claim(node: Node): void {
  node.meta.quantizationAnnotation = new QuantizationAnnotation({ annotated: true });
}

/**
 * A value computed at run time that can be quantized: not a constant, a float tensor (never ids or shapes), and not
 * one that only decides shapes (Resize's scales computed in float).
 */
export function isActivation(node: Node | null | undefined): node is Node {
  return !!node && node.kind !== "parameter" && node.isFloatValue && !node.isShapeOperand && !floatSoftmaxOutput(node);
}

/**
 * The output of a Softmax left float that no MatMul reads (a detection head's distribution decoding, not attention's
 * P·V): it stays float for its readers too. Quantized, it would only save a float op the size of its reader (YOLOv8's
 * 16-tap 1×1 convolution), and ONNX Runtime fuses DequantizeLinear → Softmax → QuantizeLinear into QLinearSoftmax,
 * which computed YOLOv8's box decoding wrongly (2 dB against the float model; 51 dB with its optimizations off).
 */
function floatSoftmaxOutput(node: Node): boolean {
  if (node.kind !== "call" || node.opType !== "Softmax" || node.domain !== "") return false;
  if ((node.meta.quantizationAnnotation as { outputQspec?: unknown } | undefined)?.outputQspec) return false;
  return ![...node.users].some((u) => u.kind === "call" && u.opType === "MatMul");
}

/** The axis of a weight that holds the consumer's output channels. */
export function weightChannelAxis(node: Node): number {
  switch (node.opType) {
    case "ConvTranspose": return 1;
    case "Gemm": return node.intAttribute("transB", 0) ? 0 : 1;
    case "MatMul": return (node.args[1]?.meta.shape?.length ?? 2) - 1;
    default: return 0;
  }
}

/**
 * Conv, ConvTranspose, Gemm or MatMul with a constant weight: quantized input, weight (per-channel along the output
 * channels) and int32 bias; the output is quantized at `outputAt` (the last op of a fused pattern, or the node itself).
 * A MatMul's bias is the Add after it (`biasAdd`, nn.Linear split in two): the Add takes the int32 bias and, when it
 * is `outputAt`, quantizes the output, so the pair is one linear as PT2E and ONNX Runtime's Gemm see it.
 */
export function annotateWeighted(node: Node, config: QuantizationConfig, outputAt: Node = node, biasAdd?: { add: Node; bias: Node }): boolean {
  const [input, weight, bias] = node.args;
  if (!isActivation(input) || !weight || weight.kind !== "parameter") return false;
  const inputs: [Node, QuantizationSpecBase][] = [];
  if (config.inputActivation) inputs.push([input, config.inputActivation]);
  let weightSpec: QuantizationSpec | undefined;
  if (config.weight) {
    weightSpec = withChannelAxis(config.weight, weightChannelAxis(node));
    inputs.push([weight, weightSpec]);
  }
  const derivesBias = config.bias === "derived" && weightSpec && config.inputActivation;
  if (bias && bias.kind === "parameter" && derivesBias) inputs.push([bias, derivedBiasSpec(input, weight, node, weightSpec!)]);
  annotate(node, inputs, outputAt === node ? config.outputActivation : undefined);
  if (biasAdd) {
    const biasInputs: [Node, QuantizationSpecBase][] = derivesBias ? [[biasAdd.bias, derivedBiasSpec(input, weight, node, weightSpec!)]] : [];
    annotate(biasAdd.add, biasInputs, outputAt === biasAdd.add ? config.outputActivation : undefined);
  }
  return true;
}

/** A constant read through a gather or a recurrence: quantized weights, float activations (ONNX Runtime's weight-only). */
export function annotateWeightOnly(node: Node, config: QuantizationConfig, weights: readonly (readonly [index: number, chAxis: number])[]): boolean {
  if (!config.weight) return false;
  const inputs: [Node, QuantizationSpecBase][] = [];
  for (const [index, chAxis] of weights) {
    const weight = node.args[index];
    if (weight && weight.kind === "parameter" && weight.isFloatValue) inputs.push([weight, withChannelAxis(config.weight, chAxis)]);
  }
  if (inputs.length === 0) return false;
  annotate(node, inputs);
  return true;
}

/** One op that reads a quantized activation and writes one: a unary op (Sigmoid, HardSwish, LayerNorm, Softmax, …). */
export function annotateUnary(node: Node, config: QuantizationConfig, output: QuantizationSpecBase | undefined = config.outputActivation): boolean {
  const input = node.args[0];
  if (!isActivation(input) || !config.inputActivation) return false;
  annotate(node, [[input, config.inputActivation]], output);
  return true;
}

/**
 * A Softmax's output: [0, 1] over the activation's range, zero point at its bottom (scale 1/256 and zero point 0 for
 * uint8, -128 for int8; 1/128 over a reduced uint8 range): PyTorch's fixed qparams for Softmax, and what ONNX
 * Runtime's quantize_static and TFLite fix. A calibrated scale is also unsafe in ONNX Runtime, whose QLinearSoftmax
 * (what it fuses DequantizeLinear → Softmax → QuantizeLinear into) overflows its uint32 arithmetic under 1/256.
 */
export function probabilitySpec(activation: QuantizationSpec): FixedQParamsQuantizationSpec {
  const { dtype } = activation;
  const lo = activation.quantMin ?? (dtype === "int8" ? -128 : 0);
  const hi = activation.quantMax ?? (dtype === "int8" ? 127 : 255);
  return new FixedQParamsQuantizationSpec({ dtype, scale: 1 / (hi - lo + 1), zeroPoint: lo, quantMin: lo, quantMax: hi });
}

/**
 * A torch op the exporter wrote as a chain (GELU, SiLU): quantized at the chain's input and output and float inside,
 * like the one op it was; with `quantize` false every node of it is claimed and stays float.
 */
export function annotateDecomposed(op: DecomposedOp, config: QuantizationConfig, quantize: boolean): void {
  if (!quantize || !config.inputActivation || !isActivation(op.input)) {
    for (const node of op.nodes) claim(node);
    return;
  }
  let firstReader: Node | undefined;
  for (const node of op.nodes) {
    const inputs: [Node, QuantizationSpecBase][] = [];
    if (node.args.includes(op.input)) {
      inputs.push([op.input, firstReader ? new SharedQuantizationSpec([op.input, firstReader]) : config.inputActivation]);
      firstReader ??= node;
    }
    annotate(node, inputs, node === op.output ? config.outputActivation : undefined);
  }
}

/** An op that keeps its input's qparams (pools, reshapes, ReLU, …): input and output share the producer's observer. */
export function annotateSharedWithInput(node: Node): boolean {
  const input = node.args[0];
  if (!isActivation(input) || !annotationOf(input)?.outputQspec) return false;
  annotate(node, [[input, new SharedQuantizationSpec(input)]], new SharedQuantizationSpec(input));
  return true;
}

/** Concat: every input and the output share the first input's observer. */
export function annotateConcat(node: Node, config: QuantizationConfig): boolean {
  const inputs = node.args.filter(isActivation);
  if (inputs.length === 0 || !config.inputActivation) return false;
  const first = inputs[0]!;
  const shared = new SharedQuantizationSpec([first, node]);
  annotate(node, inputs.map((x, i) => [x, i === 0 ? config.inputActivation! : shared] as const), shared);
  return true;
}

/** The single user of a node, when it has exactly one and it is of one of the op types. */
export function soleUser(node: Node, ...opTypes: string[]): Node | undefined {
  if (node.users.size !== 1) return undefined;
  const [user] = node.users;
  return user && user.kind === "call" && opTypes.includes(user.opType) ? user : undefined;
}

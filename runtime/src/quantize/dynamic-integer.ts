import type { Graph } from "../graph/graph.js";
import type { Node } from "../graph/node.js";
import { intAttribute } from "../onnx/attributes.js";
import { makeTensor, tensorDataType, tensorDims, tensorValues } from "../onnx/tensor-data.js";

/** The quantized values, scale and zero point a DequantizeLinear reads, when they come from DynamicQuantizeLinear. */
function dynamicSource(dq: Node | null | undefined): [Node, Node, Node] | undefined {
  if (dq?.opType !== "DequantizeLinear" || dq.domain !== "") return undefined;
  const [values, scale, zeroPoint] = dq.args;
  const from = values?.kind === "getitem" ? values.args[0] : undefined;
  if (from?.opType !== "DynamicQuantizeLinear" || scale?.args[0] !== from || zeroPoint?.args[0] !== from) return undefined;
  return [values!, scale!, zeroPoint!];
}

/** A constant 2-D 8-bit weight read through a DequantizeLinear, per tensor or per column `axis`. */
function constantWeight(dq: Node | null | undefined, axis: number): { values: Node; scale: Node; zeroPoint: Node } | undefined {
  if (dq?.opType !== "DequantizeLinear" || dq.domain !== "") return undefined;
  const [values, scale, zeroPoint] = dq.args;
  if (values?.kind !== "parameter" || scale?.kind !== "parameter" || zeroPoint?.kind !== "parameter") return undefined;
  if (!["int8", "uint8"].includes(tensorDataType(values.tensor!)) || tensorDims(values.tensor!).length !== 2) return undefined;
  const perTensor = tensorDims(scale.tensor!).length === 0;
  return perTensor || dq.intAttribute("axis", 1) === axis ? { values, scale, zeroPoint } : undefined;
}

/** A constant 8-bit convolution weight read through a DequantizeLinear, per tensor or per output channel (axis 0). */
function convolutionWeight(dq: Node | null | undefined): { values: Node; scale: Node; zeroPoint: number } | undefined {
  if (dq?.opType !== "DequantizeLinear" || dq.domain !== "") return undefined;
  const [values, scale, zeroPoint] = dq.args;
  if (values?.kind !== "parameter" || scale?.kind !== "parameter" || (zeroPoint && zeroPoint.kind !== "parameter")) return undefined;
  if (!["int8", "uint8"].includes(tensorDataType(values.tensor!))) return undefined;
  if (tensorDims(scale.tensor!).length !== 0 && dq.intAttribute("axis", 1) !== 0) return undefined;
  // ONNX Runtime's ConvInteger takes one weight zero point: symmetric per-channel weights (all 0) qualify.
  const points = zeroPoint ? [...(tensorValues(zeroPoint.tensor!) as Int8Array | Uint8Array)] : [0];
  return points.every((p) => p === points[0]) ? { values, scale, zeroPoint: points[0]! } : undefined;
}

/** A per-channel vector as [C, 1, …] (`rank` - 1 trailing ones after C), to broadcast over an N-C-… output. */
function perChannel(graph: Graph, vector: Node, rank: number): Node {
  const tensor = vector.tensor!;
  const dims = tensorDims(tensor);
  if (dims.length === 0) return vector;
  const node = graph.addParameter(graph.uniqueTensorName(`${vector.valueName}_per_channel`), makeTensor("", tensorDataType(tensor), [dims[0]!, ...new Array<number>(rank - 2).fill(1)], tensorValues(tensor) as Float32Array));
  node.tensor!.name = node.valueName;
  return node;
}

/** Erases a node nothing reads any more; says whether it did. */
function eraseUnused(graph: Graph, node: Node): boolean {
  if (node.users.size > 0 || graph.outputs.includes(node)) return false;
  graph.eraseNode(node);
  return true;
}

/** The [N, K] integer weight of a Gemm with transB as the [K, N] one MatMulInteger reads. */
function transposed(graph: Graph, weight: Node): Node {
  const tensor = weight.tensor!;
  const [n, k] = tensorDims(tensor) as [number, number];
  const from = tensorValues(tensor) as Int8Array | Uint8Array;
  const to = new (from.constructor as Int8ArrayConstructor)(from.length);
  for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) to[c * n + r] = from[r * k + c]!;
  const node = graph.addParameter(graph.uniqueTensorName(`${weight.valueName}_transposed`), makeTensor("", tensorDataType(tensor), [k, n], to));
  node.tensor!.name = node.valueName;
  return node;
}

/**
 * ONNX Runtime's dynamic form of a linear whose input is quantized per batch: MatMulInteger on the uint8 input and the
 * int8 weight, the int32 sums cast to float and scaled by s_input · s_weight, then the float bias (what
 * `quantize_dynamic` writes). MatMul and Gemm (alpha = beta = 1, no transA) read through DynamicQuantizeLinear →
 * DequantizeLinear and a constant weight's DequantizeLinear become it, and convolutions ConvInteger; everything else
 * keeps its Q/DQ form. Returns how many were rewritten.
 */
export function foldDynamicLinears(graph: Graph): number {
  let folded = 0;
  for (const node of graph.calls("MatMul", "Gemm")) {
    if (node.domain !== "") continue;
    const gemm = node.opType === "Gemm";
    if (gemm && (node.intAttribute("transA", 0) !== 0 || node.floatAttribute("alpha", 1) !== 1 || node.floatAttribute("beta", 1) !== 1)) continue;
    const transB = gemm && node.intAttribute("transB", 0) !== 0;
    const input = dynamicSource(node.args[0]);
    const weight = constantWeight(node.args[1], transB ? 0 : 1);
    if (!input || !weight || (!gemm && node.args[0]?.meta.shape === undefined)) continue;
    const [x, xScale, xZeroPoint] = input;
    const at = { before: node };
    const name = node.name;
    const wValues = transB ? transposed(graph, weight.values) : weight.values;
    const sums = graph.addCall("MatMulInteger", [x, wValues, xZeroPoint, weight.zeroPoint], { name: `${name}_MatMulInteger` }, at);
    const asFloat = graph.addCall("Cast", [sums], { name: `${name}_Cast`, attributes: [intAttribute("to", 1)] }, at);
    const scale = graph.addCall("Mul", [xScale, weight.scale], { name: `${name}_scale` }, at);
    let result = graph.addCall("Mul", [asFloat, scale], { name: `${name}_scaled` }, at);
    const bias = gemm ? node.args[2] : undefined;
    if (bias) result = graph.addCall("Add", [result, bias], { name: `${name}_bias` }, at);
    const valueName = node.valueName;
    const dequantizers = [node.args[0]!, node.args[1]!];
    const isOutput = graph.outputs.includes(node);
    node.replaceAllUsesWith(result);
    if (isOutput) graph.outputs = graph.outputs.map((o) => (o === node ? result : o));
    graph.eraseNode(node);
    graph.setOutputNames(result, [valueName]);
    for (const dq of dequantizers) if (dq.users.size === 0 && !graph.outputs.includes(dq)) graph.eraseNode(dq);
    if (transB && weight.values.users.size === 0) graph.eraseNode(weight.values);
    folded++;
  }
  return folded + foldDynamicConvolutions(graph);
}

/**
 * The same for a convolution: ConvInteger (ONNX Runtime's takes one weight zero point), the sums scaled per output
 * channel, then the float bias.
 */
function foldDynamicConvolutions(graph: Graph): number {
  let folded = 0;
  for (const conv of graph.calls("Conv")) {
    const input = dynamicSource(conv.args[0]);
    const weight = convolutionWeight(conv.args[1]);
    const rank = conv.args[0]?.meta.shape?.length;
    const bias = conv.args[2];
    if (conv.domain !== "" || !input || !weight || rank === undefined || (bias && bias.kind !== "parameter")) continue;
    const [x, xScale, xZeroPoint] = input;
    const at = { before: conv };
    const name = conv.name;
    const weightType = tensorDataType(weight.values.tensor!);
    const zeroPoint = graph.addParameter(graph.uniqueTensorName(`${weight.values.valueName}_zero_point`), makeTensor("", weightType, [], weightType === "int8" ? Int8Array.of(weight.zeroPoint) : Uint8Array.of(weight.zeroPoint)));
    zeroPoint.tensor!.name = zeroPoint.valueName;
    const sums = graph.addCall("ConvInteger", [x, weight.values, xZeroPoint, zeroPoint], { name: `${name}_ConvInteger`, attributes: [...conv.attributes.values()] }, at);
    const asFloat = graph.addCall("Cast", [sums], { name: `${name}_Cast`, attributes: [intAttribute("to", 1)] }, at);
    const scale = graph.addCall("Mul", [xScale, perChannel(graph, weight.scale, rank)], { name: `${name}_scale` }, at);
    let result = graph.addCall("Mul", [asFloat, scale], { name: `${name}_scaled` }, at);
    if (bias) result = graph.addCall("Add", [result, perChannel(graph, bias, rank)], { name: `${name}_bias` }, at);
    const valueName = conv.valueName;
    const dequantizers = [conv.args[0]!, conv.args[1]!];
    const isOutput = graph.outputs.includes(conv);
    conv.replaceAllUsesWith(result);
    if (isOutput) graph.outputs = graph.outputs.map((o) => (o === conv ? result : o));
    graph.eraseNode(conv);
    graph.setOutputNames(result, [valueName]);
    for (const dq of dequantizers) {
      const inputs = dq.args;
      if (!eraseUnused(graph, dq)) continue;
      for (const input of inputs) if (input?.kind === "parameter") eraseUnused(graph, input);
    }
    if (bias) eraseUnused(graph, bias);
    folded++;
  }
  return folded;
}

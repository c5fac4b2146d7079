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
 * DequantizeLinear and a constant weight's DequantizeLinear become it; everything else keeps its Q/DQ form. Returns
 * how many were rewritten.
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
  return folded;
}

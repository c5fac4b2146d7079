import type { onnx } from "../onnx/proto.js";
import { makeTensor, tensorDataType, tensorDims, tensorToFloat32 } from "../onnx/tensor-data.js";
import type { Graph } from "./graph.js";
import type { Node } from "./node.js";

/**
 * Fold every inference-mode BatchNormalization that reads a convolution's or a Gemm's output (and is its only reader)
 * into its weights and bias (a Gemm: BatchNorm1d after a Linear, as face-embedding heads end), as PT2E's prepare does before a quantizer annotates (`_fuse_conv_bn_`) and ONNX
 * Runtime's optimizer does before it quantizes. Unfolded, the normalisation would sit between the convolution and its
 * output quantizer: a float island in the int8 model, and a scale the weight observer never sees. Exporters that keep
 * it: opset-7 era model zoos, tf2onnx, `torch.onnx.export(..., training=PRESERVE)`.
 *
 * `readInside` holds the names subgraphs read: a value one of them reads keeps its producer as it is.
 * Returns how many were folded.
 */
export function foldBatchNorms(graph: Graph, readInside: ReadonlySet<string>): number {
  const outputs = new Set(graph.outputs);
  let folded = 0;
  for (const bn of graph.calls("BatchNormalization")) {
    const conv = foldableConv(bn, outputs, readInside);
    if (!conv) continue;
    const [, scale, shift, mean, variance] = bn.args as Node[];
    const epsilon = bn.floatAttribute("epsilon", 1e-5);
    const weight = conv.args[1] as Node;
    const bias = conv.args[2] as Node | undefined;
    const w = tensorToFloat32(weight.tensor!);
    const wDims = tensorDims(weight.tensor!);
    const [g, b, m, v] = [scale, shift, mean, variance].map((p) => tensorToFloat32(p!.tensor!));
    const channels = g!.length;
    const oldBias = bias ? tensorToFloat32(bias.tensor!) : new Float32Array(channels);
    // Per output channel: w' = w·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β, in float64 and rounded once.
    const factor = Float64Array.from(g!, (gamma, c) => gamma / Math.sqrt(v![c]! + epsilon));
    const newWeight = new Float32Array(w.length);
    const channelOf = weightChannel(conv, wDims);
    for (let i = 0; i < w.length; i++) newWeight[i] = w[i]! * factor[channelOf(i)]!;
    const newBias = Float32Array.from(factor, (f, c) => (oldBias[c]! - m![c]!) * f + b![c]!);
    const weightParam = graph.addParameter(graph.uniqueTensorName(`${weight.valueName}#bn`), makeTensor("", "float32", wDims, newWeight), { before: weight });
    const biasParam = graph.addParameter(graph.uniqueTensorName(`${bias?.valueName ?? `${conv.name}.bias`}#bn`), makeTensor("", "float32", [channels], newBias), { before: weight });
    for (const p of [weightParam, biasParam]) {
      p.tensor!.name = p.valueName;
      p.meta.dtype = tensorDataType(p.tensor!);
      p.meta.shape = tensorDims(p.tensor!);
      p.meta.moduleStack = weight.meta.moduleStack;
    }
    conv.args = [conv.args[0]!, weightParam, biasParam];
    // The convolution now writes what the normalisation wrote, under its name, so the graph keeps its tensor names.
    bn.replaceAllUsesWith(conv);
    const name = bn.valueName;
    graph.eraseNode(bn);
    graph.setOutputNames(conv, [name]);
    conv.meta.shape = bn.meta.shape ?? conv.meta.shape;
    for (const p of [weight, bias, scale, shift, mean, variance]) {
      if (p && p.users.size === 0 && !outputs.has(p) && !readInside.has(p.valueName)) graph.eraseNode(p);
    }
    folded++;
  }
  return folded;
}

/** The Conv, ConvTranspose or Gemm `bn` normalises, when folding it changes nothing else in the graph. */
function foldableConv(bn: Node, outputs: ReadonlySet<Node>, readInside: ReadonlySet<string>): Node | undefined {
  if (bn.domain !== "" || bn.outputNames.length !== 1 || bn.intAttribute("training_mode", 0) !== 0) return undefined;
  if (bn.intAttribute("spatial", 1) !== 1) return undefined;
  const [x, ...params] = bn.args;
  if (params.length !== 4 || !params.every((p) => isFloat32Parameter(p))) return undefined;
  const conv = x as Node | undefined;
  if (!conv || conv.kind !== "call" || conv.domain !== "" || !["Conv", "ConvTranspose", "Gemm"].includes(conv.opType)) return undefined;
  if (conv.outputNames.length !== 1 || conv.users.size !== 1 || outputs.has(conv) || readInside.has(conv.valueName)) return undefined;
  const [, weight, bias] = conv.args;
  if (!isFloat32Parameter(weight) || (bias !== undefined && !isFloat32Parameter(bias))) return undefined;
  const channels = tensorDims((params[0] as Node).tensor!)[0];
  if (params.some((p) => tensorDims((p as Node).tensor!).join() !== `${channels}`)) return undefined;
  const wDims = tensorDims((weight as Node).tensor!);
  if (conv.opType === "Gemm") {
    // y = α·A·B + β·C: the bias must be C itself (β = 1), one value per output column.
    if (conv.floatAttribute("beta", 1) !== 1 || conv.intAttribute("transA", 0) !== 0 || wDims.length !== 2) return undefined;
    if (bias !== undefined && tensorDims((bias as Node).tensor!).reduce((a, d) => a * d, 1) !== channels) return undefined;
    const columns = conv.intAttribute("transB", 0) === 1 ? wDims[0] : wDims[1];
    return columns === channels ? conv : undefined;
  }
  const group = conv.intAttribute("group", 1);
  const outChannels = conv.opType === "Conv" ? wDims[0] : wDims[1]! * group;
  return outChannels === channels ? conv : undefined;
}

function isFloat32Parameter(arg: unknown): boolean {
  const node = arg as Node | undefined;
  return node?.kind === "parameter" && node.tensor !== undefined && tensorDataType(node.tensor as onnx.ITensorProto) === "float32";
}

/**
 * The output channel of each weight element: Conv's weights are [C_out, C_in/group, k…]; ConvTranspose's are
 * [C_in, C_out/group, k…], where input channel i of group i / (C_in/group) feeds output channels of that group only;
 * Gemm's B is [N, K] with transB and [K, N] without.
 */
function weightChannel(conv: Node, dims: readonly number[]): (i: number) => number {
  const inner = dims.slice(2).reduce((a, d) => a * d, 1);
  if (conv.opType === "Gemm") {
    // B is [N, K] with transB, [K, N] without.
    const columns = dims[1]!;
    return conv.intAttribute("transB", 0) === 1 ? (i) => Math.floor(i / columns) : (i) => i % columns;
  }
  if (conv.opType === "Conv") {
    const perChannel = inner * dims[1]!;
    return (i) => Math.floor(i / perChannel);
  }
  const group = conv.intAttribute("group", 1);
  const [inChannels, outPerGroup] = [dims[0]!, dims[1]!];
  const inPerGroup = inChannels / group;
  return (i) => {
    const ci = Math.floor(i / (outPerGroup * inner));
    const j = Math.floor(i / inner) % outPerGroup;
    return Math.floor(ci / inPerGroup) * outPerGroup + j;
  };
}

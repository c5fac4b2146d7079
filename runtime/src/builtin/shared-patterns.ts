import type { Graph } from "../graph/graph.js";
import type { Node } from "../graph/node.js";
import { annotateDecomposed, annotateUnary, annotateWeightOnly, claim, probabilitySpec } from "./annotate.js";
import { isDynamicConfig, type FloatOpOptions, type QuantizationConfig } from "./config.js";
import { gatedByItself, geluChains } from "./transformer-patterns.js";

/**
 * GELU, LayerNorm and Softmax: claimed and left float unless an option quantizes them, a float Softmax with the
 * mask Add that makes its scores (see scoreOp). Runs before the binary patterns, which would otherwise take the Add and Mul
 * inside GELU's Erf chain.
 */
export function annotateFloatIslands(graph: Graph, config: QuantizationConfig, accept: (node: Node) => boolean, options: FloatOpOptions): void {
  const dynamic = isDynamicConfig(config);
  for (const gelu of geluChains(graph)) {
    if (gelu.nodes.every(accept)) annotateDecomposed(gelu, config, !dynamic && options.quantizeGelu === true);
  }
  for (const [opType, quantize] of [["LayerNormalization", options.quantizeLayerNorm], ["Softmax", options.quantizeSoftmax]] as const) {
    for (const node of graph.calls(opType)) {
      if (!accept(node)) continue;
      const output = opType === "Softmax" && config.outputActivation ? probabilitySpec(config.outputActivation) : config.outputActivation;
      if (dynamic || !quantize || !annotateUnary(node, config, output)) {
        claim(node);
        if (opType === "Softmax") {
          const scores = scoreOp(node);
          if (scores && accept(scores)) claim(scores);
        }
      }
    }
  }
}

const LAYOUT_OPS = new Set(["Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten"]);
const SCORE_OPS = new Set(["Add", "Sub"]);

/**
 * The op that computes a Softmax's input and the layout ops between them, when each has one reader (the next of
 * them, the last the Softmax): attention's scores MatMul, the Mul that scales them, or the mask Add.
 */
export function softmaxInput(softmax: Node): { producer: Node; layout: Node[] } | undefined {
  const layout: Node[] = [];
  let value = softmax.args[0];
  while (value && value.kind === "call" && value.domain === "" && LAYOUT_OPS.has(value.opType) && value.users.size === 1) {
    layout.push(value);
    value = value.args[0];
  }
  if (!value || value.kind !== "call" || value.domain !== "" || value.users.size !== 1) return undefined;
  return { producer: value, layout };
}

/**
 * The Add or Sub whose result only a float Softmax reads (through layout ops): attention's mask. It stays float with
 * the Softmax: an int8 result would only be dequantized again for it, and a mask of -inf or -1e4 leaves the scores
 * one or two codes (a CLIP text encoder's causal mask took its SQNR from 38 to 21 dB). A scale's Mul or Div stays
 * quantized: it maps codes to codes (QMul) at no loss the MatMul's own quantization did not already make.
 */
export function scoreOp(softmax: Node): Node | undefined {
  const value = softmaxInput(softmax)?.producer;
  if (!value || !SCORE_OPS.has(value.opType)) return undefined;
  // A Linear's bias Add before a classifier's Softmax belongs to the linear pattern.
  const linearBias = value.opType === "Add" && value.args.some((a) => a?.kind === "parameter" && (a.meta.shape?.length ?? 0) <= 1) &&
    value.args.some((a) => a?.kind === "call" && (a.opType === "MatMul" || a.opType === "Gemm"));
  return linearBias ? undefined : value;
}

/**
 * Constants read through a lookup or a recurrence, as ONNX Runtime quantizes them: an embedding table (Gather of a
 * constant by integer ids), per row; LSTM and GRU input and recurrence weights (W, R), per gate row. Activations stay
 * float.
 */
export function annotateWeightOnlyOps(graph: Graph, config: QuantizationConfig, accept: (node: Node) => boolean): void {
  for (const node of graph.calls("Gather")) {
    if (accept(node) && node.args[0]?.kind === "parameter" && node.args[1] && !node.args[1].isFloatValue) annotateWeightOnly(node, config, [[0, 0]]);
  }
  for (const node of graph.calls("LSTM", "GRU")) if (accept(node)) annotateWeightOnly(node, config, [[1, 1], [2, 1]]);
}

/**
 * SiLU and HardSwish as exporters write them (x · Sigmoid(x), x · HardSigmoid(x)) quantized as one op, then the
 * single-op activations among `opTypes`: quantized input and output, float inside.
 */
export function annotateActivations(graph: Graph, config: QuantizationConfig, accept: (node: Node) => boolean, opTypes: readonly string[]): void {
  if (isDynamicConfig(config)) return;
  for (const op of gatedByItself(graph)) if (op.nodes.every(accept)) annotateDecomposed(op, config, true);
  for (const node of graph.calls(...opTypes)) if (accept(node)) annotateUnary(node, config);
}
